"""Where the portal keeps files in its data folder: uploads (every version kept), each LA's
warehouse, and each LA's published results."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Storage:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def submission_dir(self, submission_id: int) -> Path:
        return self.data_dir / "submissions" / str(submission_id)

    def upload_path(self, submission_id: int, filename: str) -> Path:
        return self.submission_dir(submission_id) / "upload" / safe_filename(filename)

    def warehouse(self, la_code: str) -> Path:
        """Each LA has its own warehouse file: one LA's load never touches another's data."""
        return self.data_dir / "warehouses" / la_code / "warehouse.duckdb"

    def identity_warehouse(self, la_code: str) -> Path:
        return self.data_dir / "warehouses" / la_code / "identity.duckdb"

    def link_dir(self, la_code: str) -> Path:
        """Linkage's person_link, model and quality report for the LA: beside its identity warehouse."""
        return self.data_dir / "warehouses" / la_code / "link"

    def published(self, la_code: str) -> Path:
        """The LA's published (disclosure-controlled) indicators, rewritten after each accepted load."""
        return self.data_dir / "results" / la_code / "indicators_published.csv"

    def thresholds(self, la_code: str) -> Path:
        """``earlyhelp thresholds``' threshold_index.csv, put here by an administrator."""
        return self.data_dir / "results" / la_code / "threshold_index.csv"

    def estimates(self, la_code: str) -> Path:
        """``earlyhelp evaluate``'s estimates.csv for this LA's data, put here by an administrator."""
        return self.data_dir / "results" / la_code / "estimates.csv"


def safe_filename(name: str) -> str:
    """The last part of an uploaded name, reduced to harmless characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = SAFE_NAME.sub("_", base).strip("._") or "upload"
    return cleaned[:120]


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
