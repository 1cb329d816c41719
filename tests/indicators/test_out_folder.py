"""``indicators --out`` and ``report --out`` never overwrite a file they did not write (issue #16, 8).

Before the fix both wrote into any folder: a user's README.md in ``--out`` was replaced by the
indicators' own README.md without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .builder import Return

LA = "E06000001"
USERS_README = "My notes for the board paper.\n"


@pytest.fixture
def data(tmp_path) -> Path:
    r = Return()
    r.la(LA, population={2019: 1000})
    r.referral(LA, "C1", "2019-05-01")
    r.early_help(LA, "C2", "2019-06-01")
    return r.write(tmp_path / "data")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _users_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir(parents=True)
    (out / "README.md").write_text(USERS_README)
    return out


def _indicators(earlyhelp, data: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return earlyhelp("indicators", "--data", data, "--out", out, *extra)


def _report(earlyhelp, indicators: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return earlyhelp("report", "--indicators", indicators, "--out", out, *extra)


@pytest.fixture
def indicators_folder(earlyhelp, data, tmp_path) -> Path:
    code, _, err = _indicators(earlyhelp, data, tmp_path / "ind")
    assert code == 0, err
    return tmp_path / "ind"


def test_indicators_refuse_a_folder_of_the_users_files(earlyhelp, data, tmp_path):
    out = _users_folder(tmp_path)
    code, _, err = _indicators(earlyhelp, data, out)
    assert code == 2
    assert "did not write" in err and "nothing was written" in err and "--force" in err
    assert _files(out) == {"README.md": USERS_README.encode()}


def test_report_refuses_a_folder_of_the_users_files(earlyhelp, indicators_folder, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<p>the LA's own page</p>")
    code, _, err = _report(earlyhelp, indicators_folder, out)
    assert code == 2
    assert "did not write" in err and "--force" in err
    assert _files(out) == {"index.html": b"<p>the LA's own page</p>"}


@pytest.mark.parametrize("command", ["indicators", "report"])
def test_running_again_into_the_same_folder_needs_force(command, earlyhelp, data, indicators_folder, tmp_path):
    def run(*extra: str) -> tuple[int, str, str]:
        if command == "indicators":
            return _indicators(earlyhelp, data, tmp_path / "again", *extra)
        return _report(earlyhelp, indicators_folder, tmp_path / "again", *extra)

    assert run()[0] == 0
    first = _files(tmp_path / "again")
    assert f".earlyhelp-{command}.json" in first
    code, _, err = run()
    assert code == 2
    assert f"earlier `earlyhelp {command}`" in err and "--force" in err
    code, _, err = run("--force")
    assert code == 0, err
    assert _files(tmp_path / "again") == first


def test_with_force_indicators_write_beside_the_users_files_but_never_replace_one(earlyhelp, data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, stdout, err = _indicators(earlyhelp, data, out, "--force")
    assert code == 0, err
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "indicators_published.csv").is_file()
    assert f"{out / 'indicators_published.csv'}" in stdout  # the printed paths are the final ones

    # The user's README.md has the name of one the command writes: even --force does not replace it.
    readme = _users_folder(tmp_path / "second")
    code, _, err = _indicators(earlyhelp, data, readme.parent / "out", "--force")
    assert code == 2
    assert "README.md" in err and "nothing was written" in err
    assert _files(readme) == {"README.md": USERS_README.encode()}


def test_with_force_a_file_the_user_added_to_our_folder_is_left_alone(earlyhelp, data, indicators_folder):
    (indicators_folder / "internal" / "my-checks.xlsx").write_bytes(b"the analyst's workbook")
    code, _, err = _indicators(earlyhelp, data, indicators_folder, "--force")
    assert code == 0, err
    assert (indicators_folder / "internal" / "my-checks.xlsx").read_bytes() == b"the analyst's workbook"


def test_an_out_that_is_a_file_is_refused(earlyhelp, data, tmp_path):
    (tmp_path / "out").write_text("a file")
    code, _, err = _indicators(earlyhelp, data, tmp_path / "out", "--force")
    assert code == 2 and "not a folder" in err
    assert (tmp_path / "out").read_text() == "a file"
