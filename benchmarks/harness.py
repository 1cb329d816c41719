"""What the benchmarks share: their input (an existing EHLD folder, or synthetic England generated once
into a cache) and the measured run of their work in a fresh child process."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data``, ``--seed`` and ``--cache``; the benchmark adds its own ``--scale``."""
    parser.add_argument("--data", type=Path, help="an existing EHLD folder instead of synthetic data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "earlyhelp-bench",
        help="where synthetic data is generated and reused",
    )


def input_folder(args: argparse.Namespace) -> Path:
    """``--data``, or synthetic data at ``--scale`` and ``--seed``, generated unless ``--cache`` holds it."""
    return args.data or generated_once(args.scale, args.seed, args.cache)


def generated_once(scale: str, seed: int, cache: Path) -> Path:
    folder = cache / f"synth-{scale}-seed{seed}"
    if (folder / "returns.parquet").exists():
        return folder
    print(f"Generating synthetic {scale} (seed {seed}) into {folder} ...", flush=True)
    started = time.perf_counter()
    # A child process, so the benchmark's own peak memory is not the generator's.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from earlyhelp.synth import generate; "
            "generate(Path(sys.argv[1]), scale=sys.argv[2], seed=int(sys.argv[3]), fmt='parquet')",
            str(folder),
            scale,
            str(seed),
        ],
        check=True,
    )
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def measured_in_child(child: str, *args: str) -> dict[str, Any]:
    """Run the Python code ``child`` with ``args`` in a fresh process, so its time and peak memory are
    the work's alone, and read the figures it prints as JSON on its last line. On failure, its
    stderr's tail is printed and the benchmark exits with its exit code."""
    done = subprocess.run([sys.executable, "-c", child, *args], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])
