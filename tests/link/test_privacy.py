"""Nothing from the identity zone leaves it: every output file is scanned for identifiers."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.compute as pc
import pytest


def _identifier_values(identifiers) -> dict[str, set[str]]:
    def values(column):
        return {v for v in identifiers.column(column).drop_null().to_pylist() if v}

    postcodes = values("postcode")
    dates = {d.isoformat() for d in identifiers.column("date_of_birth").drop_null().to_pylist()}
    return {
        "name": {n for n in values("forename") | values("surname") if len(n) >= 3},
        "date of birth": dates | {d.replace("-", "") for d in dates} | {f"{d[8:]}/{d[5:7]}/{d[:4]}" for d in dates},
        "postcode": postcodes | {p.replace(" ", "") for p in postcodes},
        "NHS number": values("nhs_number"),
        "UPN": values("upn"),
    }


def _scan(text: str, identifiers) -> list[str]:
    found = []
    words = set(re.findall(r"[A-Za-z][A-Za-z'\-]+", text))
    tokens = set(re.findall(r"[A-Za-z0-9/\-]+", text)) | set(re.findall(r"[A-Z]{2}\d{1,3} \d[A-Z]{2}", text))
    for kind, values in _identifier_values(identifiers).items():
        pool = words if kind == "name" else tokens
        hits = pool & values
        if hits:
            found.append(f"{kind}: {len(hits)} value(s)")
    return found


def _text_of(path: Path) -> str:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return "\n".join(" ".join(str(v) for v in table.column(c).to_pylist()) for c in table.column_names)
    return path.read_text(encoding="utf-8", errors="replace")


def test_no_output_file_holds_a_name_date_of_birth_postcode_nhs_number_or_upn(linked, identity_zone):
    outputs = sorted(p for p in linked.out.rglob("*") if p.is_file())
    assert {p.name for p in outputs} >= {
        "person_link.parquet",
        "linkage_quality.json",
        "linkage_quality.md",
        "linkage_quality.html",
        "link_model.json",
    }
    for path in outputs:
        problems = _scan(_text_of(path), identity_zone["identifiers"])
        assert not problems, f"{path.name} holds identifiers: {problems}"


def test_the_scan_would_catch_a_leak(identity_zone):
    identifiers = identity_zone["identifiers"]
    row = identifiers.filter(pc.is_valid(identifiers.column("nhs_number"))).slice(0, 1).to_pylist()[0]
    leaked = f"record {row['source_record_id']} NHS {row['nhs_number']} born {row['date_of_birth']}"
    assert len(_scan(leaked, identifiers)) == 2


def test_the_secret_is_never_written(linked, secret):
    for path in linked.out.rglob("*"):
        if path.is_file():
            assert secret not in _text_of(path)


def test_a_missing_secret_stops_before_any_work(identity_zone, tmp_path, monkeypatch):
    from earlyhelp.errors import UsageError
    from earlyhelp.link import link

    monkeypatch.delenv("EARLYHELP_LINK_SECRET", raising=False)
    with pytest.raises(UsageError, match="EARLYHELP_LINK_SECRET"):
        link(identity_zone["root"] / "identities", tmp_path / "out")
    assert not any((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True
