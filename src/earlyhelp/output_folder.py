"""Writing a command's files into the user's ``--out`` folder without losing any file the user had.

A new or empty folder is written into. A folder that holds anything is refused unless ``--force``;
with ``--force`` the command replaces only the files it wrote there before, which it knows from a
marker it leaves beside them (``.earlyhelp-<command>.json``, the relative paths it wrote). A file
of the same name that the marker does not list is the user's: the command stops and writes nothing.
Nothing is ever deleted. The files are written to a staging folder beside ``out`` first and moved in
only once they are all there, so a refusal or a failure leaves ``out`` as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from earlyhelp.errors import UsageError


def marker_path(out: Path, command: str) -> Path:
    return out / f".earlyhelp-{command}.json"


def _owned(out: Path, command: str) -> set[str]:
    """The relative paths the command's marker in ``out`` says it wrote (none without a marker)."""
    try:
        recorded = json.loads(marker_path(out, command).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = recorded.get("files") if isinstance(recorded, dict) else None
    return {name for name in files if isinstance(name, str)} if isinstance(files, list) else set()


def check_output_folder(out: Path, command: str, force: bool) -> None:
    """Refuse ``out`` before any work is done unless it is new, empty, or ``force`` is given."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder.", hint="Give --out a new or empty folder.")
    if force or not out.is_dir() or not any(out.iterdir()):
        return
    if marker_path(out, command).is_file():
        raise UsageError(
            f"{out} holds the output of an earlier `earlyhelp {command}`: nothing was written.",
            hint="Add --force to replace the files it wrote there (other files are left alone), "
            "or give --out a new folder.",
        )
    raise UsageError(
        f"{out} already holds files that `earlyhelp {command}` did not write: nothing was written, "
        "so nothing in it is lost.",
        hint="Give --out a new or empty folder, or add --force to write beside those files "
        "(a file of the same name that it did not write is never replaced).",
    )


@contextmanager
def staged_output(out: Path, command: str, force: bool) -> Iterator[Path]:
    """Check ``out``, yield a staging folder to write into, then move its files into ``out``."""
    check_output_folder(out, command, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        _move_in(staging, out, command)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_in(staging: Path, out: Path, command: str) -> None:
    written = sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())
    owned = _owned(out, command)
    theirs = [name for name in written if (out / name).exists() and not (name in owned and (out / name).is_file())]
    # A folder of ours standing where the user has a file (or the reverse) would also clash.
    theirs += sorted(
        parent.as_posix()
        for name in written
        for parent in Path(name).parents
        if parent != Path(".") and (out / parent).exists() and not (out / parent).is_dir()
    )
    if theirs:
        shown = ", ".join(theirs[:5]) + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else "")
        raise UsageError(
            f"{out} holds files of the same name that `earlyhelp {command}` did not write ({shown}): "
            "nothing was written, so nothing in it is lost.",
            hint="Give --out a new or empty folder, or move those files away first.",
        )
    for name in written:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)
    still_there = {name for name in owned if (out / name).is_file()}
    record = {"written_by": f"earlyhelp {command}", "files": sorted(still_there | set(written))}
    marker_path(out, command).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def moved_path(path: Path, staging: Path, out: Path) -> Path:
    """Where a file the command wrote into ``staging`` is now: the same place under ``out``."""
    return out / Path(path).relative_to(staging)
