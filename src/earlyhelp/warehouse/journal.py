"""The load journal: a small file beside the analytic warehouse naming a load in progress.

``earlyhelp load`` commits the identity warehouse and then the analytic warehouse; DuckDB cannot
commit two files at once (a transaction writes to one attached database only). The journal is
written and flushed to disk before the first commit and removed after the last, so a load killed
in between leaves it behind, and the next load finds it and finishes or undoes the interrupted
one (:func:`earlyhelp.warehouse.load.recover`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from earlyhelp.errors import UsageError

# Test-only: the named point at which the process dies as if killed (kill -9 exits 137 too).
CRASH_ENV = "EARLYHELP_TEST_CRASH_AT"
CRASH_POINTS = (
    "journal-written",  # the journal is on disk, nothing committed
    "identity-committed",  # between the two commits
    "analytic-committed",  # both committed, the identity warehouse still holds what it replaced
    "identity-finalised",  # the identity warehouse let go of that, the journal not yet removed
    "recovery-resolved",  # a later load repaired the interrupted one, the journal not yet removed
)


def crash_point(name: str) -> None:
    """Die here, without cleaning up, when the test environment names this point."""
    assert name in CRASH_POINTS, name
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)


@dataclass(frozen=True)
class Journal:
    """A load that is committing the identity warehouse and then the analytic one."""

    analytic: Path
    identity: Path
    loaded_at: datetime
    checksum: str
    la_codes: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "analytic_warehouse": str(self.analytic),
                "identity_warehouse": str(self.identity),
                "loaded_at": self.loaded_at.isoformat(),
                "checksum": self.checksum,
                "la_codes": list(self.la_codes),
            },
            indent=2,
        )


def journal_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".load-journal")


def _sync_folder(folder: Path) -> None:
    # A new or removed name is durable only once its folder is flushed (POSIX; not on Windows).
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_journal(journal: Journal) -> None:
    """Put the journal on disk, whole or not at all, before the load's first commit."""
    path = journal_path(journal.analytic)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(journal.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    _sync_folder(path.parent)


def read_journal(warehouse: Path) -> Journal | None:
    """The journal of an interrupted load into ``warehouse``, or None if there is none."""
    path = journal_path(warehouse)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        return Journal(
            analytic=Path(data["analytic_warehouse"]),
            identity=Path(data["identity_warehouse"]),
            loaded_at=datetime.fromisoformat(data["loaded_at"]),
            checksum=str(data["checksum"]),
            la_codes=tuple(data["la_codes"]),
        )
    except (ValueError, KeyError, TypeError):
        raise UsageError(
            f"{path} records an interrupted load but cannot be read.",
            hint="Restore the warehouse and identity warehouse from a backup (or load every return again into "
            "new files), then delete the journal file.",
        ) from None


def remove_journal(warehouse: Path) -> None:
    path = journal_path(warehouse)
    path.unlink(missing_ok=True)
    # Left by a load killed while writing the journal, before any commit (it is rewritten next time).
    path.with_name(path.name + ".partial").unlink(missing_ok=True)
    _sync_folder(path.parent)
