"""Every option naming an LA takes an ONS code, a DfE LA number or a name, through one resolver.

Expected codes are read by hand from src/earlyhelp/reference/data/local_authorities.csv:
Hartlepool is E06000001 (DfE 805), County Durham E06000047 (840), East Sussex E10000011 (845),
West Sussex E10000032 (938), North Tyneside E08000022 (392), South Tyneside E08000023 (393).
"""

from __future__ import annotations

import pytest

from earlyhelp import cli_options, reference
from earlyhelp.errors import UsageError

THREE_FORMS = ["E06000001", "805", "Hartlepool"]


def test_the_help_text_names_the_forms_the_resolver_reads():
    assert cli_options.LA_FORMS == reference.LA_FORMS


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hartlepool", "E06000001"),
        ("  HARTLEPOOL ", "E06000001"),
        ("e06000001", "E06000001"),
        ("Durham", "E06000047"),  # published "County Durham"
        ("County Durham", "E06000047"),
        ("Saint Helens", "E08000013"),  # published "St. Helens"
        ("Kingston-upon-Hull", "E06000010"),  # "Kingston upon Hull, City of"
        ("City of Kingston upon Hull", "E06000010"),
        ("Telford & Wrekin", "E06000020"),  # "Telford and Wrekin"
        ("Herefordshire", "E06000019"),  # "Herefordshire, County of"
    ],
)
def test_names_are_read_whatever_their_case_spacing_and_punctuation(text, code):
    assert reference.resolve_la(text) == code


def test_a_name_shared_by_several_las_is_ambiguous_and_lists_them():
    with pytest.raises(UsageError) as raised:
        reference.resolve_la("Sussex")
    message = raised.value.message
    assert "more than one" in message
    assert "East Sussex (E10000011, 845)" in message and "West Sussex (E10000032, 938)" in message


def test_part_of_a_name_is_not_guessed_but_offered():
    with pytest.raises(UsageError) as raised:
        reference.resolve_la("Hull")
    assert raised.value.hint is not None and "E06000010" in raised.value.hint
    # "London" is a region, not the City of London.
    with pytest.raises(UsageError):
        reference.resolve_la("London")


def test_an_unlisted_ons_code_is_refused_unless_the_command_only_labels_data_with_it():
    # North Yorkshire's 2023 code: the package's panel has its earlier one (E10000023).
    with pytest.raises(UsageError):
        reference.resolve_la("E06000065")
    assert reference.resolve_la("e06000065", allow_unlisted_code=True) == "E06000065"
    with pytest.raises(UsageError):
        reference.resolve_la("Narnia", allow_unlisted_code=True)


@pytest.mark.parametrize("text", THREE_FORMS)
@pytest.mark.parametrize("option", ["--la", "--la-code"])
def test_neighbours_takes_every_form(earlyhelp, text, option):
    code, out, err = earlyhelp("neighbours", option, text, "-k", "1")
    assert code == 0, err
    assert out.startswith("Statistical neighbours of Hartlepool (E06000001, DfE 805")


def _captured(monkeypatch, module, name: str) -> dict:
    """Replace ``module.name`` by a stub that records its keyword arguments, and fails on purpose
    after, so the command stops before doing any work."""
    seen: dict = {}

    def stub(*args, **kwargs):
        seen.update(kwargs)
        raise UsageError("stopped by the test")

    monkeypatch.setattr(module, name, stub)
    return seen


@pytest.mark.parametrize("text", [*THREE_FORMS, "hartlepool"])
def test_ingest_and_export_pass_on_the_ons_code(earlyhelp, monkeypatch, tmp_path, text):
    from earlyhelp.formats import api

    seen = _captured(monkeypatch, api, "ingest_report")
    source = tmp_path / "census.xml"
    source.write_text("<Message/>", encoding="utf-8")
    code, _, err = earlyhelp("ingest", source, "--out", tmp_path / "out", "--la-code", text)
    assert (code, seen["la_code"]) == (2, "E06000001"), err

    seen = _captured(monkeypatch, api, "export_report")
    code, _, err = earlyhelp("export", "--data", tmp_path, "--to", "cin-xml", "--out", tmp_path / "x", "--la", text)
    assert (code, seen["la_code"]) == (2, "E06000001"), err


@pytest.mark.parametrize("text", THREE_FORMS)
def test_report_passes_on_the_ons_code(earlyhelp, monkeypatch, tmp_path, text):
    import earlyhelp.report as report_stage

    seen = _captured(monkeypatch, report_stage, "render_report")
    (tmp_path / "published").mkdir()
    code, _, err = earlyhelp("report", "--indicators", tmp_path / "published", "--out", tmp_path / "site", "--la", text)
    assert (code, seen["la"]) == (2, "E06000001"), err


COMMANDS = {
    "neighbours": ("neighbours", "--la", "{la}"),
    "report": ("report", "--indicators", "{tmp}", "--out", "{tmp}/site", "--la", "{la}"),
    "ingest": ("ingest", "{tmp}", "--out", "{tmp}/out", "--la-code", "{la}"),
    "export": ("export", "--data", "{tmp}", "--to", "ssda903", "--out", "{tmp}/x", "--la-code", "{la}"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sussex", ["more than one local authority", "E10000011", "E10000032"]),
        ("Tyneside", ["more than one local authority", "E08000022", "E08000023"]),
        ("Hartlepol", ["No local authority matches 'Hartlepol'", "Did you mean Hartlepool (E06000001, 805)"]),
        ("Atlantis", ["No local authority matches 'Atlantis'", "DfE LA number (805)"]),
    ],
)
def test_an_unknown_or_ambiguous_la_is_a_usage_error_on_every_command(earlyhelp, tmp_path, command, text, expected):
    args = [a.format(la=text, tmp=tmp_path) for a in COMMANDS[command]]
    code, out, err = earlyhelp(*args)
    assert code == 2
    for words in expected:
        assert words in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "out").exists() and not (tmp_path / "site").exists()


@pytest.mark.parametrize("text", [*THREE_FORMS, "HARTLEPOOL"])
def test_an_ssda903_return_ingested_with_any_form_is_hartlepools(earlyhelp, tmp_path, text):
    source = tmp_path / "in"
    source.mkdir()
    (source / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN\n101,1,14/02/2013,WBRI,\n")
    (source / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n101,10/06/2024,S,C2,N1,U4,,\n")
    code, _, err = earlyhelp("ingest", source, "--out", tmp_path / "out", "--la", text)
    assert code == 0, err
    rows = (tmp_path / "out" / "children.csv").read_text().splitlines()
    assert [row.split(",")[:2] for row in rows[1:]] == [["E06000001", "E06000001-101"]]
