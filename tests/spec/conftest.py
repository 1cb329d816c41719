"""Helpers for the spec tests: the `earlyhelp` command run in-process, as a user runs it."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture
def earlyhelp(monkeypatch, capsys):
    """Run ``earlyhelp ARGS`` through the console entry point; return (exit code, stderr)."""
    from earlyhelp.cli import run

    def invoke(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["earlyhelp", *map(str, args)])
        with pytest.raises(SystemExit) as done:
            run()
        return done.value.code, capsys.readouterr().err

    return invoke
