"""Run the DfE rule validators (csc-validator-be-cin / -903) and print their findings as JSON.

This file runs under the separate ``.venv-dfe`` interpreter (old pandas/numpy), never under the
project's own environment. Usage:

    .venv-dfe/bin/python dfe_driver.py cin FILE.xml RULESET OUT.json
    .venv-dfe/bin/python dfe_driver.py cin-read FILE.xml OUT.json
    .venv-dfe/bin/python dfe_driver.py 903 FOLDER RULESET COLLECTION_YEAR LA_CODE OUT.json
"""

import contextlib
import importlib
import io
import json
import logging
import sys
import time
import xml.etree.ElementTree as ET


def _issue_rows(issues) -> list[dict[str, str]]:
    """The validators' issue table (one row per failing cell) as plain dicts."""
    return [
        {
            "rule": str(row["rule_code"]),
            "table": str(row["tables_affected"]),
            "columns": str(row["columns_affected"]),
            "row": str(row["row_id"]),
            "message": str(row["rule_description"]),
        }
        for _, row in issues.iterrows()
    ]


def run_cin(path, ruleset):
    from cin_validator import cin_validator

    root = ET.parse(path).getroot()
    data = cin_validator.process_data(cin_validator.convert_data(root))
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    crashed = io.StringIO()
    with contextlib.redirect_stdout(crashed):
        validator = cin_validator.CinValidator(data, registry)
    issues = validator.full_issue_df
    child_level = _issue_rows(issues)
    la_level = [
        {"rule": str(row["rule_code"]), "message": str(row["rule_description"])}
        for _, row in validator.multichild_issues.iterrows()
    ]
    return {
        "rules_run": len(registry),
        "child_level": child_level,
        "la_level": la_level,
        "rules_crashed": [line for line in crashed.getvalue().splitlines() if line.startswith("Error with rule")],
    }


def read_cin_only(path):
    """Only the validator's reading step (XML -> its tables), the part that grows with the file."""
    from cin_validator import cin_validator

    root = ET.parse(path).getroot()
    tables = cin_validator.process_data(cin_validator.convert_data(root))
    return {"children": len(tables["ChildIdentifiers"]), "child_level": [], "la_level": []}


def run_903(folder, ruleset, collection_year, la_code):
    from pathlib import Path

    import qlacref_authorities
    from lac_validator import lac_validator
    from lac_validator.report import Report

    logging.disable(logging.CRITICAL)
    files = [
        {"name": p.name, "description": "This year", "file_content": p.read_bytes()}
        for p in sorted(Path(folder).glob("*.csv"))
    ]
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    validator = lac_validator.LacValidator(
        # The LA's ONS code: rules 1015 and 411 compare it with the placement's LA.
        metadata={"collectionYear": str(collection_year), "localAuthority": la_code},
        files=files,
        registry=registry,
    )
    report = Report(validator.ds_results, registry)
    try:
        issues = lac_validator.create_issue_df(report.report, report.error_report)
        found = _issue_rows(issues)
    except ValueError:  # pandas.concat of nothing: no rule found anything
        found = []
    return {
        "rules_run": len(validator.dones),
        "rules_skipped": [str(code) for code in validator.skips],
        "rules_crashed": [str(code) for code in validator.fails],
        "child_level": found,
        "la_level": [],
        # The LA codes the validator knows: it derives PL_LA by looking the postcode's LA up
        # in this table of April 2021 (LTLA21CD -> UTLA21CD).
        "lower_tier_las_known": sorted({str(r["LTLA21CD"]) for r in qlacref_authorities.records}),
    }


def main(argv):
    kind = argv[1]
    started = time.perf_counter()
    if kind == "cin":
        _, _, path, ruleset, out = argv
        result = run_cin(path, ruleset)
    elif kind == "cin-read":
        _, _, path, out = argv
        result = read_cin_only(path)
    elif kind == "903":
        _, _, folder, ruleset, year, la_code, out = argv
        result = run_903(folder, ruleset, year, la_code)
    else:
        raise SystemExit(f"unknown validator {kind!r}")
    result["seconds"] = time.perf_counter() - started
    with open("/proc/self/status", encoding="ascii") as status:
        result["peak_mib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv)
