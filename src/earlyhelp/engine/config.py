"""How much of the machine the engines may use: the one place memory, threads and spill are set.

Every DuckDB connection and Spark session in earlyhelp is made from an :class:`EngineConfig`
(see :mod:`earlyhelp.engine.connect`), read from the environment:

================================  ==========================================================
``EARLYHELP_MEMORY_LIMIT``         DuckDB memory limit, e.g. ``3GB`` or ``1500MiB``
``EARLYHELP_THREADS``              CPU threads for DuckDB (and local Spark's cores)
``EARLYHELP_TEMP_DIR``             an existing folder for spill files (default: system temp)
``EARLYHELP_SPARK_MASTER``         e.g. ``local[4]``, ``spark://host:7077``, ``yarn``
``EARLYHELP_SPARK_MEMORY``         Spark driver memory, e.g. ``4g``
================================  ==========================================================
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from earlyhelp.errors import UsageError

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = get_args(EngineName)

# DuckDB's own default is 80% of RAM, too much for a command that also holds Arrow tables and
# numpy arrays in Python (outside DuckDB's limit) on a machine other people use. Half the RAM
# leaves that room; the 3 GB cap is what national-scale runs were measured within (DuckDB spills
# to disk beyond it), so a large server is not taken over by default. Set EARLYHELP_MEMORY_LIMIT
# to give more.
DEFAULT_MEMORY_FRACTION = 0.5
DEFAULT_MEMORY_CAP = 3 * 10**9
# Spark's driver holds results collected to Arrow; 4 GB ran the national benchmark.
DEFAULT_SPARK_MEMORY_CAP = 4 * 2**30
SMALLEST_MEMORY_LIMIT = 100 * 10**6

# Stages that run beside other large users of memory take a share of the one limit, so the
# process as a whole stays within it: validate's key checks run while the validator streams rows
# in Python; a warehouse load holds the validation report and staging tables; linkage keeps
# per-record numpy arrays next to DuckDB. (At the 3 GB default: 600 MB, 1 GB, 2 GB.)
Stage = Literal["engine", "link", "load", "validate_keys"]
MEMORY_SHARES: dict[Stage, float] = {"engine": 1.0, "link": 2 / 3, "load": 1 / 3, "validate_keys": 1 / 5}

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)
_SPARK_MEMORY = re.compile(r"\d+[kmgt]?", re.IGNORECASE)
_SPARK_MASTER = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?|yarn|[a-z][a-z0-9+]*://\S+", re.IGNORECASE)


def physical_memory() -> int | None:
    """Bytes of RAM on this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def available_cpus() -> int:
    """CPUs this process may run on (fewer than the machine's under a container's or taskset's limit)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parse_memory(text: str, setting: str = "EARLYHELP_MEMORY_LIMIT") -> int:
    """Bytes from ``3GB``, ``1500MiB``, ``2.5 GB`` (units as DuckDB reads them: GB = 10**9)."""
    found = _MEMORY.fullmatch(text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in _UNITS:
        raise UsageError(
            f"{setting} must be an amount of memory such as 3GB or 1500MB, not {text!r}.",
            hint="Units: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).",
        )
    amount = int(float(found.group(1)) * _UNITS[unit])
    if amount < SMALLEST_MEMORY_LIMIT:
        raise UsageError(f"{setting} is {text!r}: too little to run; give at least 100MB.")
    return amount


@dataclass(frozen=True)
class EngineConfig:
    """Resources for the engines: see the module docstring for the settings that fill it."""

    memory_limit: int  # bytes
    threads: int
    temp_dir: Path | None = None  # None: the system's temporary folder
    spark_master: str = "local[2]"
    spark_memory: str = "4g"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineConfig:
        """The config from ``EARLYHELP_*`` variables, each defaulting to a size fit for this machine."""
        env = os.environ if environ is None else environ
        ram = physical_memory()

        def setting(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        memory = setting("EARLYHELP_MEMORY_LIMIT")
        if memory is not None:
            memory_limit = parse_memory(memory)
        else:
            memory_limit = min(int(ram * DEFAULT_MEMORY_FRACTION), DEFAULT_MEMORY_CAP) if ram else DEFAULT_MEMORY_CAP
            memory_limit = max(memory_limit, SMALLEST_MEMORY_LIMIT)

        threads_text = setting("EARLYHELP_THREADS")
        if threads_text is None:
            threads = available_cpus()
        elif threads_text.isdigit() and int(threads_text) > 0:
            threads = int(threads_text)
        else:
            raise UsageError(f"EARLYHELP_THREADS must be a whole number of threads (1 or more), not {threads_text!r}.")

        temp_text = setting("EARLYHELP_TEMP_DIR")
        temp_dir = Path(temp_text).expanduser() if temp_text else None
        if temp_dir is not None and not temp_dir.is_dir():
            raise UsageError(
                f"EARLYHELP_TEMP_DIR is {temp_text!r}, which is not an existing folder.",
                hint="Create the folder for spill files first, or unset EARLYHELP_TEMP_DIR to use the system's.",
            )

        master = setting("EARLYHELP_SPARK_MASTER") or f"local[{threads}]"
        if not _SPARK_MASTER.fullmatch(master):
            raise UsageError(
                f"EARLYHELP_SPARK_MASTER must be a Spark master URL, not {master!r}.",
                hint="For example local[4], spark://host:7077 or yarn.",
            )

        spark_memory = setting("EARLYHELP_SPARK_MEMORY")
        if spark_memory is None:
            driver = min(ram // 2, DEFAULT_SPARK_MEMORY_CAP) if ram else DEFAULT_SPARK_MEMORY_CAP
            spark_memory = f"{max(driver // 2**20, 512)}m"
        elif not _SPARK_MEMORY.fullmatch(spark_memory):
            raise UsageError(
                f"EARLYHELP_SPARK_MEMORY must be a JVM memory size such as 4g or 2048m, not {spark_memory!r}."
            )
        return cls(memory_limit, threads, temp_dir, master, spark_memory.lower())

    def duckdb_memory_limit(self, stage: Stage = "engine") -> str:
        """The memory limit, as DuckDB reads it, for ``stage`` (its share of the one limit)."""
        return f"{int(self.memory_limit * MEMORY_SHARES[stage]) // 10**6}MB"

    def spill_folder(self, prefix: str) -> tempfile.TemporaryDirectory[str]:
        """A private folder for one run's spill files, under the configured temp folder."""
        return tempfile.TemporaryDirectory(prefix=prefix, dir=self.temp_dir)
