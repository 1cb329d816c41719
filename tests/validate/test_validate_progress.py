"""Progress on long runs: one step per file (then the cross-table checks), on a terminal only."""

from __future__ import annotations

from validate_helpers import BASE, make_return

from earlyhelp.validate import engine as validate_engine
from earlyhelp.validate import validate_paths


def test_one_progress_step_per_file_then_the_keys(tmp_path, recorded_progress):
    bars = recorded_progress(validate_engine)
    validate_paths([make_return(tmp_path)])
    # The base return has seven files; returns is read first, then the spec's table order.
    assert len(BASE) == 7
    assert bars == [
        (
            "Validating",
            8,
            [
                "returns",
                "person_identifiers",
                "children",
                "referrals",
                "assessments",
                "early_help_episodes",
                "family_goals",
                "keys across tables",
            ],
        )
    ]


def test_no_progress_output_when_stderr_is_not_a_terminal(tmp_path, capsys):
    validate_paths([make_return(tmp_path)])
    assert capsys.readouterr().err == ""
