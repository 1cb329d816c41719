"""Fuzzed inputs for the readers, shared by the tests in this folder and benchmarks/fuzz.py.

Seeds are small valid inputs (hand-written test files and the export of the hand-checked
journeys of tests/formats/ehld_builder.py); a case is a seed with a few mutations chosen by a
``random.Random``: hypothesis drives that generator in the tests (so it can shrink a failure),
the benchmark seeds it from a counter. Everything here is synthetic.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from earlyhelp.errors import EarlyhelpError
from earlyhelp.formats import export, ingest_report
from formats import ehld_builder

READERS = ("cin-xml", "ssda903", "ssd")
FORMATS_DATA = Path(__file__).resolve().parents[1] / "formats" / "data"
# Public SSDA903 sample files beside the repository (tests/conftest.py: shared_reference).
PEER_SSDA903 = Path(__file__).resolve().parents[3] / "shared" / "reference" / "peer-samples" / "ssda903"
PEER_CHILDREN = 20
# The small SSDA903 files ingest recognises without reading (no EHLD table holds them).
PEER_OTHER_FILES = ("DoLo.csv", "ad1.csv", "missing.csv", "sw_episodes.csv")
LA_CODE = ehld_builder.LA_CODE
# SSDA903 and SSD files do not say which LA they are from; the CIN census header does.
LA_CODE_NEEDED = {"cin-xml": None, "ssda903": LA_CODE, "ssd": LA_CODE}

SSDA903_FILES = {
    "903_head.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
    "101,1,14/02/2013,WBRI,A805000001001,,\n"
    "102,F,29/02/2012,BCRB,,1,01/05/2030\n",
    "903_eps.csv": "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    "101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,,TS24 8AA,TS1 1AA,SC123456\n"
    "101,02/09/2024,P,C2,N1,U6,PR1,,,CARPL,TS24 9ZZ,TS1 1AA,SC123456\n"
    "102,01/11/2023,S,V2,N4,U1,PR1,30/08/2024,E13,,TS25 1AA,,\n",
}
# The return's XML form (ssda903_xml), written by hand in the shape of the public sample
# (fake_903.xml): a child laid out over lines with blocks of the other tables, a child on one line
# as exports write them. The identifiers are made up, as in SSDA903_FILES.
SSDA903_XML = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>101</CHILDID><UPN>A805000001001</UPN><SEX>2</SEX><DOB>14/02/2013</DOB><ETHNIC>WBRI</ETHNIC>
      <UASC /><MOTHER /><MC_DOB />
      <AREVIEW><REVIEW>01/09/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <AMISSING><MISSING>M</MISSING><MIS_START>03/07/2024</MIS_START><MIS_END>04/07/2024</MIS_END></AMISSING>
      <PERMANENCE><PREV_PERM>Z1</PREV_PERM></PERMANENCE>
      <OC2><SDQ_SCORE>14</SDQ_SCORE><CONVICTED>0</CONVICTED><HEALTH_CHECK>1</HEALTH_CHECK></OC2>
    </HEADER>
    <EPISODE>
      <DECOM>10/06/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL><PL_POST>TS1 1AA</PL_POST>
      <HOME_POST>TS24 8AA</HOME_POST><URN>SC123456</URN><PLACE_PROVIDER>PR1</PLACE_PROVIDER>
      <DEC>02/09/2024</DEC><REC>X1</REC><REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE>
    </EPISODE>
    <EPISODE>
      <DECOM>02/09/2024</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U6</PL><PL_POST />
      <HOME_POST>TS24 9ZZ</HOME_POST><URN /><PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC /><REC /><REASON_PLACE_CHANGE />
    </EPISODE>
  </CHILD>
  <CHILD><HEADER><CHILDID>102</CHILDID><UPN /><SEX>1</SEX><DOB>29/02/2012</DOB><ETHNIC>BCRB</ETHNIC><UASC /><MOTHER />\
<MC_DOB /></HEADER><EPISODE><DECOM>01/11/2023</DECOM><RNE>S</RNE><LS>V2</LS><CIN>N4</CIN><PL>U1</PL><PL_POST />\
<HOME_POST>TS25 1AA</HOME_POST><URN /><PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>30/08/2024</DEC><REC>E13</REC>\
<REASON_PLACE_CHANGE /></EPISODE></CHILD>
</EXPSSDA903>
"""
# One row or two per SSD table the reader maps (Data to Insight's SSD column names).
SSD_FILES = {
    "ssd_person.csv": "pers_person_id,pers_forename,pers_surname,pers_sex,pers_gender,pers_ethnicity,pers_dob,"
    "pers_common_child_id,pers_expected_dob\n"
    "P1,Amy,Stone,F,,WBRI,2015-06-10 00:00:00,9434765919,\n"
    "P2,Ben,Stone,,01,WBRI,03/04/2012,,\n",
    "ssd_family.csv": "fami_table_id,fami_family_id,fami_person_id\n1,FAM9,P1\n2,FAM9,P2\n",
    "ssd_disability.csv": "disa_person_id,disa_table_id,disa_disability_code\nP2,1,AUT\n",
    "ssd_address.csv": "addr_table_id,addr_person_id,addr_address_start_date,addr_address_postcode\n"
    "1,P1,2020-01-01,TS248AA\n2,P1,2023-05-01,TS259ZZ\n",
    "ssd_cin_episodes.csv": "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,"
    "cine_referral_source_code,cine_referral_nfa,cine_close_reason,cine_close_date\n"
    "R1,P1,2024-06-03,N1,2A,N,RC8,2024-07-15\nR2,P2,2024-09-10,,5A,Y,RC8,2024-09-10\n",
    "ssd_cin_assessments.csv": "cina_assessment_id,cina_person_id,cina_referral_id,cina_assessment_start_date,"
    "cina_assessment_auth_date\nAS1,P1,R1,2024-06-04,2024-07-12\n",
    "ssd_assessment_factors.csv": "cinf_table_id,cinf_assessment_id,cinf_assessment_factors_json\n"
    '1,AS1,"[""3A"", ""4B""]"\n',
    "ssd_s47_enquiry.csv": "s47e_s47_enquiry_id,s47e_referral_id,s47e_person_id,s47e_s47_start_date,s47e_s47_nfa\n"
    "S1,R1,P1,2024-06-05,Y\n",
    "ssd_cp_plans.csv": "cppl_cp_plan_id,cppl_referral_id,cppl_person_id,cppl_cp_plan_start_date,"
    "cppl_cp_plan_end_date,cppl_cp_plan_initial_category\nCP1,R1,P1,2024-06-20,2024-07-10,Emotional abuse\n",
    "ssd_cla_episodes.csv": "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,"
    "clae_cla_episode_start_reason,clae_cla_primary_need_code,clae_cla_episode_ceased_date,"
    "clae_cla_episode_ceased_reason,clae_cla_placement_id\nE1,P2,2024-10-01,S,N4,,,PL1\n",
    "ssd_legal_status.csv": "lega_legal_status_id,lega_person_id,lega_legal_status,lega_legal_status_start_date,"
    "lega_legal_status_end_date\nL1,P2,C2,2024-10-01,\n",
    "ssd_cla_placement.csv": "clap_cla_placement_id,clap_cla_placement_type\nPL1,U4\n",
    "ssd_early_help_episodes.csv": "earl_episode_id,earl_person_id,earl_episode_start_date,earl_episode_end_date,"
    "earl_episode_reason,earl_episode_end_reason,earl_episode_organisation\n"
    "EH1,P1,2024-07-20,2025-01-10,Parenting,Outcomes achieved,Hartlepool Family Hub\n",
}


@dataclass(frozen=True)
class Seed:
    reader: str
    name: str
    files: dict[str, bytes]


@dataclass
class Case:
    """One fuzzed input: the files of a reader's folder, and whether to skip invalid children."""

    reader: str
    seed: str
    files: dict[str, bytes]
    skip_invalid: bool
    mutations: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(content) for content in self.files.values())


def build_seeds(work: Path) -> dict[str, list[Seed]]:
    """The valid inputs every case starts from, per reader (``work`` holds the exports)."""
    census = ehld_builder.census_folder(work / "ehld")
    (cin_export,) = export(census, "cin-xml", work / "cin-xml")
    ssda903_export = export(census, "ssda903", work / "ssda903")
    seeds = {
        "cin-xml": [
            Seed("cin-xml", "exported journeys", {"census.xml": cin_export.read_bytes()}),
            *[Seed("cin-xml", p.name, {p.name: p.read_bytes()}) for p in sorted(FORMATS_DATA.glob("*.xml"))],
        ],
        "ssda903": [
            Seed("ssda903", "exported journeys", {p.name: p.read_bytes() for p in ssda903_export}),
            Seed("ssda903", "hand-written", {name: text.encode() for name, text in SSDA903_FILES.items()}),
            Seed("ssda903", "hand-written XML form", {"903.xml": SSDA903_XML.encode()}),
            *_peer_ssda903_slice(),
        ],
        "ssd": [Seed("ssd", "hand-written", {name: text.encode() for name, text in SSD_FILES.items()})],
    }
    return seeds


def _peer_ssda903_slice() -> list[Seed]:
    """The first children of the public SSDA903 sample with their episodes, and its small other
    files: the shape of a real return, small enough to read in milliseconds."""
    if not PEER_SSDA903.is_dir():
        return []
    header = (PEER_SSDA903 / "header.csv").read_bytes().splitlines(keepends=True)[: PEER_CHILDREN + 1]
    children = {line.split(b",", 1)[0] for line in header[1:]}
    episodes = (PEER_SSDA903 / "episodes.csv").read_bytes().splitlines(keepends=True)
    files = {
        "header.csv": b"".join(header),
        "episodes.csv": b"".join(episodes[:1] + [line for line in episodes[1:] if line.split(b",", 1)[0] in children]),
    }
    files |= {name: (PEER_SSDA903 / name).read_bytes() for name in PEER_OTHER_FILES}
    return [Seed("ssda903", "peer sample slice", files)]


# --- mutations: each takes the random generator and one file's bytes, and returns new bytes ---

ISO_DATE = re.compile(rb"-?\d{4,5}-\d{2}-\d{2}")
UK_DATE = re.compile(rb"\d{2}/\d{2}/-?\d{4}")
ODD_ISO_DATES = [
    b"-2019-05-11",
    b"0000-01-01",
    b"0001-01-01",
    b"0001-03-31",
    b"2023-02-31",
    b"2024-02-30",
    b"2019-13-01",
    b"2019-00-10",
    b"9999-12-31",
    b"10000-01-01",
    b"2999-01-01",
    b"1753-01-01",
    b"2019-05-11Z",
    b"2019-05-11+14:00",
    b"2019-5-1",
    b"11/05/2019",
]
ODD_UK_DATES = [
    b"31/02/2023",
    b"29/02/2023",
    b"00/00/0000",
    b"01/01/0001",
    b"01/01/0000",
    b"01/01/-2019",
    b"31/12/9999",
    b"01/01/10000",
    b"1/1/2019",
    b"2019-05-11",
    b"32/01/2019",
    b"01/13/2019",
]
LEAF_ELEMENT = re.compile(rb"<(\w+)>[^<]*</\1>")
ANY_ELEMENT = re.compile(rb"<(\w+)>.*?</\1>", re.DOTALL)
FIELD_TEXT = re.compile(rb">[^<\n]+<|[^,\n]+")
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "cp500"]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"]


def _pick(rng: random.Random, matches: list[re.Match[bytes]]) -> re.Match[bytes] | None:
    return rng.choice(matches) if matches else None


def flip_bytes(rng: random.Random, content: bytes, max_field: int) -> bytes:
    data = bytearray(content)
    for _ in range(rng.randint(1, 4)):
        if data:
            data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    return bytes(data)


def truncate(rng: random.Random, content: bytes, max_field: int) -> bytes:
    return content[: rng.randint(0, len(content))]


def delete_or_duplicate_element(rng: random.Random, content: bytes, max_field: int) -> bytes:
    """An XML element (leaf or with children), or a CSV row, deleted or repeated."""
    if content.lstrip(b"\xef\xbb\xbf").startswith(b"<"):
        pattern = rng.choice([LEAF_ELEMENT, ANY_ELEMENT])
        chosen = _pick(rng, list(pattern.finditer(content)))
        if chosen is None:
            return content
        start, end = chosen.span()
    else:
        lines = content.splitlines(keepends=True)
        if not lines:
            return content
        row = rng.randrange(len(lines))
        start = sum(len(line) for line in lines[:row])
        end = start + len(lines[row])
    replacement = b"" if rng.random() < 0.5 else content[start:end] * rng.randint(2, 3)
    return content[:start] + replacement + content[end:]


def delete_or_duplicate_column(rng: random.Random, content: bytes, max_field: int) -> bytes:
    lines = content.split(b"\n")
    width = max(line.count(b",") for line in lines) + 1
    column = rng.randrange(width)
    duplicate = rng.random() < 0.5
    changed = []
    for line in lines:
        cells = line.split(b",")
        if column < len(cells):
            cells[column : column + 1] = [cells[column]] * 2 if duplicate else []
        changed.append(b",".join(cells))
    return b"\n".join(changed)


def odd_date(rng: random.Random, content: bytes, max_field: int) -> bytes:
    dates = list(ISO_DATE.finditer(content)) + list(UK_DATE.finditer(content))
    chosen = _pick(rng, dates)
    if chosen is None:
        return content
    odd = rng.choice(ODD_ISO_DATES if chosen.re is ISO_DATE else ODD_UK_DATES)
    return content[: chosen.start()] + odd + content[chosen.end() :]


def huge_field(rng: random.Random, content: bytes, max_field: int) -> bytes:
    chosen = _pick(rng, list(FIELD_TEXT.finditer(content)))
    if chosen is None:
        return content
    filler = rng.choice([b"A", b"9", b" ", "\u00e9".encode(), b"2019-05-11"])
    size = rng.choice([1_000, max_field // 10, max_field])
    value = (filler * (size // len(filler) + 1))[:size]
    if chosen.group().startswith(b">"):
        value = b">" + value + b"<"
    return content[: chosen.start()] + value + content[chosen.end() :]


def wrong_encoding(rng: random.Random, content: bytes, max_field: int) -> bytes:
    text = content.decode("utf-8", errors="replace")
    if rng.random() < 0.5:
        text = text.replace("a", "\u00e4", 1)  # a character that differs between encodings
    if rng.random() < 0.3 and text.startswith("<?xml"):
        declared = rng.choice(["utf-16", "ascii", "latin-1", "no-such-encoding", ""])
        text = re.sub(r"encoding=['\"][^'\"]*['\"]", f"encoding='{declared}'", text, count=1)
        return text.encode("utf-8", errors="replace")
    return text.encode(rng.choice(ENCODINGS), errors="replace")


def byte_order_mark(rng: random.Random, content: bytes, max_field: int) -> bytes:
    position = 0 if rng.random() < 0.7 else rng.randint(0, len(content))
    return content[:position] + rng.choice(BOMS) + content[position:]


def odd_bytes(rng: random.Random, content: bytes, max_field: int) -> bytes:
    """NULs, quotes, CRs and separators where they do not belong."""
    position = rng.randint(0, len(content))
    inserted = rng.choice([b"\x00", b'"', b"\r", b"\r\n", b",", b";", b"\t", b"<", b"&", b"]]>", b"\x85", b"\xff"])
    return content[:position] + inserted * rng.randint(1, 3) + content[position:]


def empty(rng: random.Random, content: bytes, max_field: int) -> bytes:
    return b""


def random_bytes(rng: random.Random, content: bytes, max_field: int) -> bytes:
    return rng.randbytes(rng.randint(0, 2_000))


MUTATIONS: list[Callable[[random.Random, bytes, int], bytes]] = [
    flip_bytes,
    truncate,
    delete_or_duplicate_element,
    delete_or_duplicate_column,
    odd_date,
    odd_date,  # dates are where the known crashes were: twice the weight
    huge_field,
    wrong_encoding,
    byte_order_mark,
    odd_bytes,
    empty,
    random_bytes,
]


def make_case(rng: random.Random, seeds: list[Seed], *, max_field: int = 100_000) -> Case:
    """A seed with one to three mutations, each to one of its files (a file may also go)."""
    seed = rng.choice(seeds)
    files = dict(seed.files)
    applied = []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(sorted(files))
        if len(files) > 1 and rng.random() < 0.05:
            del files[name]
            applied.append("delete_file")
            continue
        mutation = rng.choice(MUTATIONS)
        files[name] = mutation(rng, files[name], max_field)
        applied.append(mutation.__name__)
    return Case(seed.reader, seed.name, files, skip_invalid=rng.random() < 0.5, mutations=applied)


def write_case(case: Case, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        (folder / name).write_bytes(content)
    return folder


def ingest_case(case: Case) -> EarlyhelpError | None:
    """Ingest ``case`` from a fresh folder: None on success, the user error when it is refused.
    Any other exception propagates: that is a crash."""
    work = Path(tempfile.mkdtemp(prefix="earlyhelp-fuzz-"))
    try:
        ingest_report(
            [write_case(case, work / "in")],
            work / "out",
            la_code=LA_CODE_NEEDED[case.reader],
            skip_invalid=case.skip_invalid,
        )
    except EarlyhelpError as error:
        return error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return None
