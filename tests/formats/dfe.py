"""Running the DfE rule validators, which live in their own environment (.venv-dfe)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("dfe_driver.py")


def dfe_python() -> Path:
    path = Path(os.environ.get("EARLYHELP_DFE_PYTHON", REPO / ".venv-dfe" / "bin" / "python"))
    if not path.exists():
        pytest.fail(f"The DfE rule validators' interpreter {path} is missing: run `make dfe-validators` "
                    "(or set EARLYHELP_DFE_PYTHON to a Python with csc-validator-be-cin==0.1.13 and "
                    "csc-validator-be-903==0.1.17).")
    return path


def run_validator(kind: str, *arguments: str, workdir: Path) -> dict:
    """Run ``dfe_driver.py`` under the DfE interpreter and return its JSON findings."""
    result_file = workdir / f"dfe-{kind}-result.json"
    completed = subprocess.run(
        [str(dfe_python()), str(DRIVER), kind, *arguments, str(result_file)],
        capture_output=True, text=True, cwd=workdir, timeout=600,
    )
    if completed.returncode != 0:
        pytest.fail(f"The DfE {kind} validator failed:\n{completed.stderr[-3000:]}")
    return json.loads(result_file.read_text())


def is_query(rule: str) -> bool:
    """DfE 'Q' rules are queries ('please check and either amend or provide a reason')."""
    return rule.endswith("Q")
