"""``earlyhelp validate PATH...``: check EHLD files and say what is wrong, where, and how to fix it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from earlyhelp.validate.engine import validate_paths
from earlyhelp.validate.report import ValidationReport
from earlyhelp.validate.rules import RULES

SHOWN_PER_RULE = 20


def render_text(report: ValidationReport, shown_per_rule: int | None) -> str:
    """The report as an analyst reads it: a summary of rules with counts, then the detail."""
    out: list[str] = []
    files = len(report.files)
    records = sum(report.files.values())
    checked = f"{files} file{'s' if files != 1 else ''} read, {records:,} record{'s' if records != 1 else ''} checked"
    if report.ok:
        out.append(click.style("No errors found", fg="green", bold=True) + f" ({checked}).")
    else:
        errors = report.error_count
        out.append(
            click.style("There is a problem", fg="red", bold=True)
            + f": {errors:,} error{'s' if errors != 1 else ''} ({checked})."
        )
    if report.warning_count:
        out.append(
            f"{report.warning_count:,} warning{'s' if report.warning_count != 1 else ''} (accepted, but worth a look)."
        )
    summary = report.summary()
    if not summary:
        return "\n".join(out)
    width = max(len(rule_id) for rule_id in summary)
    out += ["", f"  {'rule'.ljust(width)}  {'count':>9}  what is wrong"]
    for rule_id, count in summary.items():
        rule = RULES[rule_id]
        label = rule.title + (" (warning)" if rule.severity == "warning" else "")
        out.append(f"  {rule_id.ljust(width)}  {count:>9,}  {label}")
    by_rule: dict[str, list] = {}
    for finding in report.sorted_findings():
        by_rule.setdefault(finding.rule_id, []).append(finding)
    for rule_id, count in summary.items():
        findings = by_rule.get(rule_id, [])
        out += ["", click.style(f"{rule_id}: {RULES[rule_id].title} ({count:,})", bold=True)]
        shown = findings if shown_per_rule is None else findings[:shown_per_rule]
        last_hint = None
        for finding in shown:
            out.append(f"  {finding.location()}: {finding.message}")
            if finding.hint and finding.hint != last_hint:
                out.append(f"    Hint: {finding.hint}")
                last_hint = finding.hint
        if count > len(shown):
            out.append(f"  ... and {count - len(shown):,} more (use --all to show every one).")
    return "\n".join(out)


@click.command(name="validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON report.")
@click.option(
    "--all", "show_all", is_flag=True, help=f"Show every finding (default: the first {SHOWN_PER_RULE} per rule)."
)
@click.option(
    "--max-per-rule",
    type=click.IntRange(min=0),
    default=SHOWN_PER_RULE,
    show_default=True,
    help="How many findings of each rule to show.",
)
@click.option(
    "--threads", type=click.IntRange(min=1), default=None, help="CPU threads for the cross-table checks (default: all)."
)
def validate(paths: tuple[Path, ...], as_json: bool, show_all: bool, max_per_rule: int, threads: int | None) -> None:
    """Check EHLD files against every rule of the specification.

    PATH is a folder of EHLD tables (one CSV or Parquet file per table, named after it, e.g.
    referrals.csv) or individual files. Exit status: 0 valid, 1 the data has errors, 2 a usage
    problem.

    \b
    Example:
      earlyhelp validate my_return/
      earlyhelp validate my_return/ --json > report.json
    """
    limit = None if show_all else max_per_rule
    report = validate_paths(list(paths), detail_limit=limit, threads=threads)
    if as_json:
        click.echo(report.to_json())
    else:
        click.echo(render_text(report, limit))
    # sys.exit, not ctx.exit: earlyhelp.cli.run() runs click with standalone_mode=False, which
    # turns ctx.exit(code) into a return value that run() does not pass on.
    sys.exit(0 if report.ok else 1)
