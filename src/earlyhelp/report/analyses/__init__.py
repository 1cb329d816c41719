"""The report's analysis sections: evaluation, thresholds, funding and what-if, each from the
``--out`` folder of its command (``report --evaluation DIR --thresholds DIR --funding DIR --whatif DIR``).

A section appears when its folder is given; otherwise the page lists it under "Analyses not in
this report" with the command that makes it. Folders are given explicitly, never guessed from
where the indicators are, so a report never silently shows an older analysis left lying beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from earlyhelp.errors import UsageError
from earlyhelp.report.analyses.common import AnalysisSection, MissingAnalysis


@dataclass(frozen=True)
class AnalysisFolders:
    """The ``--out`` folders of ``earlyhelp evaluate``, ``thresholds``, ``fund`` and ``whatif``."""

    evaluation: Path | None = None
    thresholds: Path | None = None
    funding: Path | None = None
    whatif: Path | None = None


# (id, title, report option, the command that writes the folder), in the order shown.
ANALYSES = (
    ("evaluation", "Evaluation: does step-down to early help work?", "--evaluation", "evaluate"),
    ("thresholds", "Thresholds: where LAs differ beyond need", "--thresholds", "thresholds"),
    ("funding", "Funding: spend and a fair early help grant", "--funding", "fund"),
    ("whatif", "What if: the projected effect of more early help", "--whatif", "whatif"),
)


def build_analyses(
    folders: AnalysisFolders | None, focus: str | None = None
) -> tuple[list[AnalysisSection], list[MissingAnalysis]]:
    """The sections for the folders given (``focus``: the LA code of an LA report) and the ones missing."""
    folders = folders or AnalysisFolders()
    sections: list[AnalysisSection] = []
    missing: list[MissingAnalysis] = []
    for name, title, option, command in ANALYSES:
        folder: Path | None = getattr(folders, name)
        if folder is None:
            missing.append(
                MissingAnalysis(
                    name,
                    title,
                    f"run `earlyhelp {command} --out DIR` and give that folder to `earlyhelp report {option} DIR`",
                )
            )
            continue
        folder = Path(folder)
        if not folder.is_dir():
            raise UsageError(
                f"{option} {folder}: no such folder.",
                hint=f"Give the --out folder of `earlyhelp {command}`.",
            )
        sections.append(_build(name, folder, focus))
    return sections, missing


def _build(name: str, folder: Path, focus: str | None) -> AnalysisSection:
    if name == "evaluation":
        from earlyhelp.report.analyses.evaluation import evaluation_section

        return evaluation_section(folder)
    if name == "thresholds":
        from earlyhelp.report.analyses.thresholds import thresholds_section

        return thresholds_section(folder, focus)
    if name == "funding":
        from earlyhelp.report.analyses.funding import funding_section

        return funding_section(folder, focus)
    from earlyhelp.report.analyses.whatif import whatif_section

    return whatif_section(folder)


__all__ = ["ANALYSES", "AnalysisFolders", "AnalysisSection", "MissingAnalysis", "build_analyses"]
