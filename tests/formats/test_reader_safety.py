"""Hostile inputs: external entities, entity bombs, DTDs and overlong fields (issue #16).

Every reader must refuse them with a clear error naming the place (and the child, when one is
known), quickly and in bounded memory, and nothing of a file an entity points to may reach any
output.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from lxml import etree

from earlyhelp.errors import DataError, EarlyhelpError
from earlyhelp.formats import ingest_report
from earlyhelp.formats.readers import safe_iterparse
from earlyhelp.formats.textfile import MAX_FIELD_CHARACTERS

from .conftest import DATA

CIN_FILE = (DATA / "two_generations.xml").read_text()
SECRET = "TOP-SECRET-7d1f0c"
TOO_LONG = MAX_FIELD_CHARACTERS + 1
SSDA903_HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n101,1,14/02/2013,WBRI,A805000001001,,\n"
SSDA903_EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    "101,10/06/2024,S,C2,N1,U4,PR1,,,,,,\n"
)
SSD_PERSON = (
    "pers_person_id,pers_forename,pers_surname,pers_sex,pers_ethnicity,pers_dob\n"
    "P1,{forename},Stone,F,WBRI,2015-06-10\n"
)
SSD_CIN = "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_source_code\nR1,P1,2024-06-03,2A\n"


def _with_doctype(doctype: str, first_id: str = "A100") -> str:
    body = CIN_FILE.split("\n", 1)[1].replace("<LAchildID>A100</LAchildID>", f"<LAchildID>{first_id}</LAchildID>")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE Message [\n{doctype}\n]>\n{body}'


def _ingest(tmp_path: Path, files: dict[str, str | bytes], **options: object) -> EarlyhelpError | None:
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    try:
        ingest_report([folder], tmp_path / "out", **options)  # type: ignore[arg-type]
    except EarlyhelpError as error:
        return error
    return None


def _everything_written(tmp_path: Path) -> str:
    out = tmp_path / "out"
    return "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()) if out.exists() else ""


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_external_entity_reaches_no_output(tmp_path: Path, secret_file: Path, skip_invalid: bool) -> None:
    cin = _with_doctype(f'<!ENTITY secret SYSTEM "{secret_file.as_uri()}">', first_id="&secret;")
    error = _ingest(tmp_path, {"census.xml": cin}, skip_invalid=skip_invalid)
    assert isinstance(error, DataError)
    assert "declares a DTD (<!DOCTYPE ...>)" in error.message
    assert SECRET not in error.message + (error.hint or "") + _everything_written(tmp_path)


def test_the_parser_itself_replaces_no_entity(tmp_path: Path, secret_file: Path) -> None:
    # Behind the DOCTYPE refusal: the parse options alone keep the file's content out.
    path = tmp_path / "xxe.xml"
    doctype = f'<!ENTITY secret SYSTEM "{secret_file.as_uri()}"><!ENTITY inner "inner text">'
    path.write_text(f"<!DOCTYPE Message [{doctype}]><Message><A>&secret;</A><B>&inner;</B></Message>")
    texts = [
        (element.text or "") + (element.tail or "") for _, element in safe_iterparse(path, events=("start", "end"))
    ]
    assert SECRET not in "".join(texts) and "inner text" not in "".join(texts)


def test_external_dtd_is_not_fetched(tmp_path: Path, secret_file: Path) -> None:
    cin = CIN_FILE.replace("<Message>", f'<!DOCTYPE Message SYSTEM "{secret_file.as_uri()}">\n<Message>', 1)
    error = _ingest(tmp_path, {"census.xml": cin})
    assert isinstance(error, DataError) and "declares a DTD" in error.message
    assert SECRET not in error.message


def test_billion_laughs_is_refused_quickly_in_bounded_memory(tmp_path: Path) -> None:
    # Ten levels of ten: 10^10 "lol"s, 30 GB if expanded.
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 11)]
    cin = _with_doctype("\n".join(levels), first_id="&lol10;")
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    error = _ingest(tmp_path, {"census.xml": cin}, skip_invalid=True)
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000  # kB
    assert isinstance(error, DataError) and "declares a DTD" in error.message
    assert "lol" not in _everything_written(tmp_path)


def test_billion_laughs_in_the_parser_itself_is_an_error_not_an_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 11)]
    path.write_text(f"<!DOCTYPE Message [{''.join(levels)}]><Message>&lol10;</Message>")
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        for _ in safe_iterparse(path, events=("end",)):
            pass


def test_overlong_cin_field_names_the_element_and_the_child(tmp_path: Path) -> None:
    cin = CIN_FILE.replace("<Ethnicity>WBRI</Ethnicity>", f"<Ethnicity>{'W' * TOO_LONG}</Ethnicity>")
    error = _ingest(tmp_path, {"census.xml": cin})
    assert isinstance(error, DataError)
    assert (
        "/Message/Children/Child[1]/ChildCharacteristics/Ethnicity [Ethnicity]: <Ethnicity> holds 10,001 "
        "characters, more than the 10,000 earlyhelp reads in one field (child LAchildID A100)"
    ) in error.message
    assert "WWW" not in error.message  # the XSD's message would have quoted the value


def test_overlong_cin_child_id_is_not_shown(tmp_path: Path) -> None:
    cin = CIN_FILE.replace("<LAchildID>A100</LAchildID>", f"<LAchildID>{'7' * TOO_LONG}</LAchildID>")
    error = _ingest(tmp_path, {"census.xml": cin}, skip_invalid=True)
    assert error is None  # the other child is read; this one is left out
    issues = (tmp_path / "out" / "ingest_issues.tsv").read_text()
    assert "<LAchildID> holds 10,001 characters" in issues and "7777" not in _everything_written(tmp_path)


def test_overlong_cin_header_field(tmp_path: Path) -> None:
    cin = CIN_FILE.replace("<SoftwareCode>hand-written test file", "<SoftwareCode>" + "s" * TOO_LONG)
    error = _ingest(tmp_path, {"census.xml": cin})
    assert isinstance(error, DataError) and "/Message/Header/Source/SoftwareCode" in error.message


def test_text_node_over_libxml2s_limit_is_a_clear_error(tmp_path: Path) -> None:
    cin = CIN_FILE.replace("<SoftwareCode>hand-written test file", "<SoftwareCode>" + "s" * 10_000_001)
    error = _ingest(tmp_path, {"census.xml": cin})
    assert isinstance(error, DataError)
    assert "more than 10,000,000 characters" in error.message and "XML_PARSE_HUGE" not in error.message


def test_overlong_ssda903_field_names_column_line_and_child(tmp_path: Path) -> None:
    episodes = SSDA903_EPISODES.replace(",U4,", f",{'U' * TOO_LONG},")
    error = _ingest(tmp_path, {"header.csv": SSDA903_HEADER, "episodes.csv": episodes}, la_code="E06000001")
    assert isinstance(error, DataError)
    assert error.message == (
        "episodes.csv, line 2, column PLACE: 10,001 characters, more than the 10,000 earlyhelp reads in one "
        "field (child 101)."
    )


def test_ssd_field_at_the_limit_is_read_and_over_it_refused(tmp_path: Path) -> None:
    at_limit = {
        "ssd_person.csv": SSD_PERSON.format(forename="A" * MAX_FIELD_CHARACTERS),
        "ssd_cin_episodes.csv": SSD_CIN,
    }
    assert _ingest(tmp_path / "at", at_limit, la_code="E06000001") is None
    over = {"ssd_person.csv": SSD_PERSON.format(forename="A" * TOO_LONG), "ssd_cin_episodes.csv": SSD_CIN}
    error = _ingest(tmp_path / "over", over, la_code="E06000001")
    assert isinstance(error, DataError)
    assert "ssd_person.csv, line 2, column pers_forename: 10,001 characters" in error.message
    assert "(child P1)" in error.message and "AAAA" not in error.message


def test_overlong_ssd_parquet_field(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = tmp_path / "in"
    folder.mkdir()
    person = {"pers_person_id": ["P1"], "pers_surname": ["S" * TOO_LONG], "pers_sex": ["F"], "pers_dob": ["2015-06-10"]}
    pq.write_table(pa.table(person), folder / "ssd_person.parquet")
    with pytest.raises(DataError, match=r"ssd_person.parquet, line 2, column pers_surname: 10,001 .*\(child P1\)"):
        ingest_report([folder], tmp_path / "out", la_code="E06000001")


def test_field_beyond_the_csv_modules_own_limit(tmp_path: Path) -> None:
    huge = "x" * 200_000
    error = _ingest(tmp_path, {"ssd_person.csv": f'pers_person_id,pers_forename\nP1,"{huge}"\n'}, la_code="E06000001")
    assert isinstance(error, DataError)
    assert "a field holds more than 131,072 characters" in error.message and "xxxx" not in error.message
