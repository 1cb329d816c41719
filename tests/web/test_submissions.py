"""Submitting returns: errors grouped by rule with the GOV.UK error summary and a CSV, a fixed
return accepted and stored, the dashboard showing what the indicators stage publishes."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from .conftest import LA_A, LA_B, Visitor, add_users, sample_zip


def planted_errors(name: str, text: str) -> str:
    """Two children with sex 'Q' (lines 2 and 8 of children.csv) and one impossible referral date
    (line 2 of referrals.csv): 2 breaches of value-code and 1 of value-date, nothing else."""
    if name == "children.csv":
        return text.replace(",F,WBRI,", ",Q,WBRI,", 2)
    if name == "referrals.csv":
        return text.replace("2021-06-27", "2021-13-45", 1)
    return text


def submit(visitor: Visitor, la_code: str, payload: bytes, filename: str = "return.zip"):
    visitor.get(f"/la/{la_code}/submissions")
    response = visitor.post(
        f"/la/{la_code}/submissions",
        files={"return_file": (filename, payload, "application/zip")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.status_code
    return response.headers["location"]


def test_errors_then_fix_then_dashboard(make_app):
    app = make_app()
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")

        first = submit(visitor, LA_A, sample_zip(planted_errors))
        page = visitor.wait_for(first)
        assert "Your return was not accepted" in page.text
        assert 'class="govuk-error-summary"' in page.text
        # The summary links to one group per rule, with the complete count of each.
        summary = page.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
        links = re.findall(r'<a href="#(rule-\d+)">([^<]+)</a>', summary)
        assert [text for _, text in links] == ["Code not in the list (2)", "Date not in the form YYYY-MM-DD (1)"]
        for anchor, _ in links:
            assert f'id="{anchor}"' in page.text
        assert "children.csv line 8, column sex" in page.text

        download = visitor.get(f"{first}/problems.csv")
        assert download.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert [(r["rule"], r["where"]) for r in rows] == [
            ("value-code", "children.csv line 2, column sex"),
            ("value-code", "children.csv line 8, column sex"),
            ("value-date", "referrals.csv line 2, column referral_date"),
        ]
        # Nothing of a rejected return reaches the warehouse or the dashboard.
        assert not app.state.storage.warehouse(LA_A).exists()
        assert "No return has been accepted" in visitor.get(f"/la/{LA_A}").text

        second = submit(visitor, LA_A, sample_zip())
        page = visitor.wait_for(second)
        assert "Return accepted" in page.text, page.text[:2000]

        dashboard = visitor.get(f"/la/{LA_A}?year=202122")
        assert dashboard.status_code == 200
        shown = dict(
            re.findall(r'data-indicator="([a-z0-9_]+)">\s*<th[^>]*>[^<]*</th>\s*<td[^>]*>([^<]*)</td>', dashboard.text)
        )
        # The same figures as the indicators stage publishes from the return's folder, read here
        # through the warehouse, the worker and the page.
        from earlyhelp import sample
        from earlyhelp.indicators import compute

        published = compute(sample.path(), None).published.to_pylist()
        expected = {
            r["indicator"]: r["value"]
            for r in published
            if r["geographic_level"] == "Local authority" and r["time_period"] == "202122" and r["breakdown"] == "Total"
        }
        assert shown and shown == {name: value for name, value in expected.items() if name in shown}
        assert len(shown) == len(expected)
        # England 2021-22 for children in need is DfE's published figure (the return is one LA).
        row = dashboard.text.split('data-indicator="cin_children"')[1].split("</tr>")[0]
        assert "<td" in row and "x" not in re.findall(r"<td[^>]*>([^<]*)</td>", row)[2]


def test_return_for_another_la_is_refused_and_versions_are_kept(make_app):
    app = make_app()
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        accepted = visitor.wait_for(submit(visitor, LA_A, sample_zip(), "first.zip"))
        assert "Return accepted" in accepted.text
        again = visitor.wait_for(submit(visitor, LA_A, sample_zip(), "second.zip"))
        assert "Return accepted" in again.text
        # Every upload is kept, and the warehouse's history has both loads.
        storage = app.state.storage
        assert storage.upload_path(1, "first.zip").exists() and storage.upload_path(2, "second.zip").exists()
        import duckdb

        with duckdb.connect(str(storage.warehouse(LA_A)), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM load_history").fetchone()[0] == 2

        # LA_A's return submitted where only LA_A's are accepted is fine; relabelled for LA_B it is not.
        relabelled = sample_zip(lambda name, text: text.replace(LA_A, LA_B))
        refused = visitor.wait_for(submit(visitor, LA_A, relabelled, "other-la.zip"))
        assert "Your return was not accepted" in refused.text
        assert f"here you can submit only for {LA_A}" in refused.text
        with duckdb.connect(str(storage.warehouse(LA_A)), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM load_history").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("filename", "payload", "words"),
    [
        ("notes.txt", b"hello", "must be a zip, XML, CSV, Parquet or Excel workbook"),
        ("broken.zip", b"not a zip at all", "not a zip that can be opened"),
    ],
)
def test_unusable_uploads_are_explained(make_app, filename, payload, words):
    app = make_app()
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        visitor.get(f"/la/{LA_A}/submissions")
        response = visitor.post(f"/la/{LA_A}/submissions", files={"return_file": (filename, payload)})
        if response.status_code == 400:  # refused at once, with the error summary on the form
            assert 'class="govuk-error-summary"' in response.text and 'href="#return_file"' in response.text
            assert words in response.text
        else:
            assert words in visitor.wait_for(str(response.url)).text


def test_zip_member_names_cannot_escape_the_upload_folder(tmp_path):
    import zipfile

    from earlyhelp.web.worker import unpack_zip

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../outside.csv", "a,b\n")
        bundle.writestr("/abs/children.csv", "a,b\n")
    unpack_zip(archive, tmp_path / "into")
    assert sorted(p.name for p in (tmp_path / "into").iterdir()) == ["children.csv", "outside.csv"]
    assert not (tmp_path / "outside.csv").exists()


def test_an_upload_larger_than_allowed_is_refused_before_it_is_read(make_app):
    app = make_app(worker_threads=0, max_upload_bytes=1024)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        visitor.get(f"/la/{LA_A}/submissions")
        big = visitor.post(f"/la/{LA_A}/submissions", files={"return_file": ("big.zip", b"0" * 3 * 1024 * 1024)})
        assert big.status_code == 413
        # Just over the limit but under the margin: refused once received, on the form.
        small = visitor.post(f"/la/{LA_A}/submissions", files={"return_file": ("small.zip", b"0" * 2048)})
        assert small.status_code == 400 and "must be smaller than" in small.text
    from earlyhelp.web.models import Submission

    with app.state.sessions() as session:
        assert session.query(Submission).count() == 0


def cin_census_xml(tmp_path) -> bytes:
    from earlyhelp import sample
    from earlyhelp.formats import export

    export(sample.path(), "cin-xml", tmp_path / "cin")
    return next((tmp_path / "cin").glob("*.xml")).read_bytes()


def ehld_workbook(_tmp_path) -> bytes:
    """The sample return as a workbook, one sheet per table (identifiers left out)."""
    from pathlib import Path

    import pandas as pd

    from earlyhelp import sample

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as workbook:
        for path in sorted(Path(sample.path()).glob("*.csv")):
            if path.stem != "person_identifiers":
                table = pd.read_csv(path, dtype=str, keep_default_na=False)
                table.to_excel(workbook, sheet_name=path.stem, index=False)
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("filename", "make", "read_as"),
    [("census.xml", cin_census_xml, "cin-xml"), ("return.xlsx", ehld_workbook, "EHLD workbook")],
)
def test_cin_census_xml_and_workbooks_are_accepted(make_app, tmp_path, filename, make, read_as):
    app = make_app()
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        page = visitor.wait_for(submit(visitor, LA_A, make(tmp_path), filename))
        assert "Return accepted" in page.text
        assert re.search(rf"Read as\s*</dt>\s*<dd[^>]*>\s*{re.escape(read_as)}\s*</dd>", page.text)
        assert 'id="indicators"' in visitor.get(f"/la/{LA_A}").text
