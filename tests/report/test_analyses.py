"""The analysis sections (evaluation, thresholds, funding, what-if) from small hand-made output
folders (``analyses_fixture``): every expected cell is worked out by hand in the comment beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pytest

from earlyhelp.errors import DataError, UsageError
from earlyhelp.report import AnalysisFolders, render_report
from earlyhelp.report.analyses import build_analyses
from earlyhelp.report.analyses.evaluation import evaluation_section
from earlyhelp.report.analyses.funding import funding_section
from earlyhelp.report.analyses.thresholds import thresholds_section
from earlyhelp.report.analyses.whatif import whatif_section
from earlyhelp.report.charts import DataTable

from . import analyses_fixture as made
from .analyses_fixture import HARTLEPOOL


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> AnalysisFolders:
    return made.write(tmp_path_factory.mktemp("analyses"))


def cells(data_table: DataTable) -> list[list[str]]:
    return [[cell.text for cell in row] for row in data_table.rows]


def chart(section, chart_id: str):
    [found] = [c for c in section.charts if c.id == chart_id]
    return found


def extra_table(section, table_id: str) -> DataTable:
    [found] = [t for i, t in section.tables + section.lead_tables if i == table_id]
    return found


# --- evaluation ----------------------------------------------------------------------------------
def test_forest_table_puts_the_naive_estimate_beside_the_adjusted_ones_in_points(folders):
    section = evaluation_section(folders.evaluation)
    forest = chart(section, "evaluation-forest")
    assert forest.table.columns == [
        "Outcome",
        "Stepped down",
        "Comparison",
        "Naive (unadjusted)",
        "IPW (weighted)",
        "AIPW (doubly robust)",
        "True value (synthetic)",
    ]
    assert cells(forest.table) == [
        # -0.1000 x 100 = -10.0 points, CI -0.2 and 0.0 -> -20.0 to 0.0; IPW -0.06 (-0.115, -0.005);
        # AIPW -0.055 (-0.1, -0.01); true value -0.05 -> -5.0.
        [
            "Re-referral within 12 months",
            "40",
            "160",
            "-10.0 (-20.0 to 0.0)",
            "-6.0 (-11.5 to -0.5)",
            "-5.5 (-10.0 to -1.0)",
            "-5.0",
        ],
        # Suppressed in estimates.csv (fewer than 10 children): c everywhere, never a number.
        ["Re-referral within 24 months", "c", "c", "c", "", "", "not known"],
        # -0.03 (-0.08, 0.02); no IPW/AIPW rows; no true value.
        ["Escalation within 12 months", "40", "160", "-3.0 (-8.0 to 2.0)", "", "", "not known"],
    ]
    assert forest.drawn and 'role="img"' in forest.svg
    # Only numbers are plotted: three methods for 12 months and the naive escalation estimate.
    assert forest.summary.count("points (95% CI") == 4
    assert "Re-referral within 12 months · Naive (unadjusted): -10.0 points (95% CI -20.0 to 0.0)" in forest.summary


def test_risk_ratios_hazard_ratio_and_a_ratio_that_could_not_be_estimated(folders):
    section = evaluation_section(folders.evaluation)
    ratios = extra_table(section, "evaluation-risk-ratios")
    assert cells(ratios)[0][3:] == ["0.60 (0.40 to 0.90)", "0.75 (0.55 to 1.02)", "0.77 (0.58 to 1.01)", "0.80"]
    # escalation's risk ratio is blank in the file (no stepped-down child escalated): said, not hidden.
    assert cells(ratios)[2][3] == "not estimable"
    assert any("hazard ratio of step-down is 0.80 (95% CI 0.65 to 0.98)" in p for p in section.paragraphs)
    # The method and its uncertainty are stated in plain English.
    assert any("naive comparison" in p and "biased" in p for p in section.paragraphs)
    assert any("95% confidence interval" in p for p in section.paragraphs)


def test_partner_outcomes_have_their_own_table_of_ratios(folders):
    section = evaluation_section(folders.evaluation)
    partner = cells(extra_table(section, "evaluation-partner-outcomes"))
    # One outcome; naive and AIPW given (no IPW row in the file), then the true value.
    assert partner == [
        ["Police notifications within 12 months", "40", "160", "0.70 (0.50 to 0.98)", "0.82 (0.61 to 1.10)", "0.80"]
    ]
    # The step-down risk-ratio table holds only its own three outcomes.
    assert len(cells(extra_table(section, "evaluation-risk-ratios"))) == 3


def test_balance_is_worst_first_with_the_count_within_the_usual_limit(folders):
    section = evaluation_section(folders.evaluation)
    balance = extra_table(section, "evaluation-balance")
    # |0.30| > |-0.05|: age first. After weighting age is 0.02 (< 0.1, yes), prior referrals 0.12 (no).
    assert cells(balance) == [
        ["age", "10.5", "9.0", "0.300", "0.020", "yes"],
        ["prior referrals", "0.5", "0.6", "-0.050", "0.120", "no"],
    ]
    # Before: only prior referrals (0.05) is within 0.1; after: only age (0.02).
    assert "Of 2 covariates, 1 were within ±0.1 before weighting and 1 after" in " ".join(section.notes)


def test_kaplan_meier_table_reads_each_curve_at_the_last_step_on_or_before_each_day(folders):
    km = chart(evaluation_section(folders.evaluation), "evaluation-km")
    assert km.table.columns == ["Days since closure", "stepped down", "closed with no early help"]
    # Stepped down steps to 0.9 at day 100 and 0.8 at day 400; the others to 0.85 at day 50 and 0.6 at day 700.
    assert cells(km.table) == [
        ["Closure", "100.0", "100.0"],
        ["Day 91", "100.0", "85.0"],
        ["Day 182", "90.0", "85.0"],
        ["Day 365", "90.0", "85.0"],
        ["Day 547", "80.0", "85.0"],
        ["Day 730", "80.0", "60.0"],
    ]
    assert km.drawn
    assert "stepped down: 80% not re-referred at the end of follow-up" in km.summary


def test_panel_coefficient_is_shown_with_its_model(folders):
    panel = extra_table(evaluation_section(folders.evaluation), "evaluation-panel")
    assert cells(panel) == [
        [
            "Real LA panel (Webb 2024)",
            "Children looked after aged 16-17",
            "2.52 (-2.66 to 7.70)",
            "1483",
            "149",
            made.PANEL,
        ]
    ]


def test_evaluate_svg_is_used_when_there_is_no_km_csv(folders, tmp_path):
    folder = tmp_path / "evaluation"
    shutil.copytree(folders.evaluation, folder)
    (folder / "km.csv").unlink()
    (folder / "km.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="t"><title id="t">KM</title></svg>',
        encoding="utf-8",
    )
    km = chart(evaluation_section(folder), "evaluation-km")
    assert km.drawn and km.table.rows == []
    assert any("no table" in note for note in km.notes)


# --- thresholds ----------------------------------------------------------------------------------
def test_caterpillar_ranks_the_composite_index_highest_first_against_england(folders):
    section = thresholds_section(folders.thresholds, focus=HARTLEPOOL)
    caterpillar = chart(section, "thresholds-caterpillar")
    assert cells(caterpillar.table) == [
        # 0.3 (0.1 to 0.5): wholly above 0; neighbours' mean -0.40 of 2.
        ["Hartlepool (this report's LA)", "0.30", "0.10 to 0.50", "higher threshold than England", "-0.40", "2"],
        # -0.2 (-0.45 to 0.05) includes 0.
        ["Middlesbrough", "-0.20", "-0.45 to 0.05", "not clearly different from England", "-0.15", "2"],
        # -0.6 (-0.9 to -0.3): wholly below 0.
        ["Redcar and Cleveland", "-0.60", "-0.90 to -0.30", "lower threshold than England", "0.05", "2"],
    ]
    assert caterpillar.drawn
    assert "This report's LA, Hartlepool: 0.30" in caterpillar.summary


def test_funnel_places_each_la_against_binomial_limits_around_england(folders):
    funnel = chart(thresholds_section(folders.thresholds), "thresholds-funnel-nfa")
    # England 20%. n = 400: SD = sqrt(0.2 x 0.8 / 400) = 2 points, 99.8% limits 20 ± 3.09 x 2 = 13.8..26.2,
    # so 30.0 is above them and 20.0 inside. n = 100: SD 4 points, 95% limits 20 ± 1.96 x 4 = 12.16..27.84,
    # 99.8% 7.64..32.36, so 12.0 is below the 95% limit only.
    assert cells(funnel.table) == [
        ["Middlesbrough", "400", "30.0", "Above the 99.8% limit"],
        ["Hartlepool", "400", "20.0", "Within the 95% limits"],
        ["Redcar and Cleveland", "100", "12.0", "Below the 95% limit"],
    ]
    assert "1 LA(s) lie outside the 99.8% limits" in funnel.summary


def test_r_squared_and_the_las_own_position_beside_its_neighbours(folders):
    section = thresholds_section(folders.thresholds, focus=HARTLEPOOL)
    r_squared = extra_table(section, "thresholds-r-squared")
    assert cells(r_squared)[0][1:] == ["0.36", "0.76", "147"]
    assert any("deprivation explains 36%" in p and "together 76% (147 LAs)" in p for p in section.paragraphs)
    position = extra_table(section, "thresholds-position")
    assert cells(position) == [
        ["Social care threshold (composite)", "0.30", "0.10 to 0.50", "higher threshold than England", "-0.40", "2"],
        ["No further action", "0.25", "0.05 to 0.45", "higher threshold than England", "none in the data", "0"],
    ]
    # The England report has no "this LA" table.
    assert [i for i, _ in thresholds_section(folders.thresholds).lead_tables] == []


# --- funding -------------------------------------------------------------------------------------
def test_headlines_beside_the_published_figures(folders):
    headlines = extra_table(funding_section(folders.funding), "funding-headlines")
    assert [row[:4] for row in cells(headlines)] == [
        # (-44.1 - -48) / 48 = +8.1% of the published figure.
        ["Real-terms change in spend, 2010-11 to 2019-20, England", "-44.1%", "-48.0%", "8%"],
        # (1.97 - 1.93) / 1.93 = +2.1%.
        ["Cost of restoring 2010-11 real spend per child, a year", "£1.97bn", "£1.93bn", "2%"],
    ]
    assert cells(headlines)[0][4] == "Change in summed real spend"


def test_ranked_spend_change_per_child_and_the_las_rank(folders):
    section = funding_section(folders.funding, focus=HARTLEPOOL)
    spend = chart(section, "funding-spend-change")
    # Per child in 2019-20: 250,000 / 1,000 = £250 (-50%), 1,000,000 / 2,000 = £500 (+25%), 120,000 / 500 = £240 (-20%).
    assert cells(spend.table) == [
        ["Hartlepool (this report's LA)", "£500", "£250", "-50.0%", "£250,000"],
        ["Redcar and Cleveland", "£300", "£240", "-20.0%", "£30,000"],
        ["Middlesbrough", "£400", "£500", "25.0%", "-£200,000"],
    ]
    assert any("the 1st largest fall of 3 LAs" in p for p in section.paragraphs)


def test_allocation_against_current_spend_ranked_largest_loss_first(folders):
    allocation = chart(funding_section(folders.funding), "funding-allocation")
    # Change / current: -10/90 = -11.1%, -10/110 = -9.1%, +20/100 = +20.0%. Pot: 100 + 120 + 80 = £300.
    assert cells(allocation.table) == [
        ["Redcar and Cleveland", "26.667%", "£80", "£90", "-£10", "-11.1%"],
        ["Hartlepool", "33.333%", "£100", "£110", "-£10", "-9.1%"],
        ["Middlesbrough", "40.000%", "£120", "£100", "+£20", "20.0%"],
    ]
    assert "a pot of £300" in allocation.description
    assert "1 LAs gain" in allocation.summary


# --- what-if -------------------------------------------------------------------------------------
def test_whatif_change_with_its_interval(folders):
    section = whatif_section(folders.whatif)
    [projected] = section.charts
    assert projected.title == "Projected change by scenario, 2028-29"
    assert cells(projected.table) == [
        ["Step-down raised to 40%: Referrals, 2028-29", "1,000", "950", "-50", "-80 to -20", "children"],
        [
            "Step-down raised to 40%: Cost, 2028-29",
            "£2,000,000",
            "£1,900,000",
            "-£100,000",
            "-£150,000 to -£50,000",
            "pounds (2023-24 prices)",
        ],
    ]
    # As a share of the baseline: -50 / 1,000 = -5.0% (-8.0% to -2.0%); -100,000 / 2,000,000 = -5.0% (-7.5% to -2.5%).
    assert "Referrals · Step-down raised to 40%: -5.0% (interval -8.0% to -2.0%)" in projected.summary
    assert "Cost · Step-down raised to 40%: -5.0% (interval -7.5% to -2.5%)" in projected.summary


def test_an_interval_of_the_projected_figure_becomes_one_of_the_change(tmp_path):
    folder = made.write_folder(
        tmp_path / "whatif",
        {
            "whatif.csv": "scenario,measure,year,baseline,projected,change,ci_lower,ci_upper,unit\n"
            "reach_6pct,cin,2029,1000,950,-50,920,980,children\n"
        },
    )
    [projected] = whatif_section(folder).charts
    # 920 and 980 hold the projected 950, not the change -50: less the baseline, -80 to -20.
    assert cells(projected.table)[0][4] == "-80 to -20"
    assert "interval of the projected figure" in projected.table.caption


# --- which sections, and errors -------------------------------------------------------------------
def test_sections_not_given_are_listed_with_the_command_that_makes_them(folders):
    sections, missing = build_analyses(AnalysisFolders(evaluation=folders.evaluation))
    assert [s.id for s in sections] == ["evaluation"]
    assert [m.id for m in missing] == ["thresholds", "funding", "whatif"]
    assert "earlyhelp fund --out DIR" in missing[1].how and "--funding DIR" in missing[1].how


def test_a_folder_that_is_not_an_analysis_output_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="has no estimates.csv"):
        build_analyses(AnalysisFolders(evaluation=tmp_path / "empty"))
    with pytest.raises(UsageError, match="--thresholds .*no such folder"):
        build_analyses(AnalysisFolders(thresholds=tmp_path / "missing"))
    made.write_folder(tmp_path / "odd", {"whatif.csv": "scenario,measure\na,b\n"})
    with pytest.raises(DataError, match="missing column"):
        build_analyses(AnalysisFolders(whatif=tmp_path / "odd"))


def test_rendered_page_has_every_section_its_charts_and_its_files(published_csv, folders, tmp_path):
    index = render_report(published_csv, tmp_path / "site", la=HARTLEPOOL, analyses=folders)
    tree = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    assert [s.get("data-analysis") for s in tree.xpath("//section[@data-analysis]")] == [
        "evaluation",
        "thresholds",
        "funding",
        "whatif",
    ]
    assert tree.xpath("//*[@id='analyses-missing']") == []
    for chart_id in made.ANALYSIS_CHARTS:
        [figure] = tree.xpath(f"//figure[@data-chart='{chart_id}']")
        [svg] = figure.xpath(".//*[local-name()='svg']")
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.xpath(f".//*[@id='{title_id}']")[0].text_content().strip()
        assert svg.xpath(f".//*[@id='{desc_id}']")[0].text_content().strip()
        assert figure.xpath(".//table/caption"), chart_id
        for suffix in ("svg", "png"):
            assert (tmp_path / "site" / "charts" / f"{chart_id}.{suffix}").stat().st_size > 1000
    assert (tmp_path / "site" / "data" / "funding" / "allocation.csv").read_text() == made.ALLOCATION
    assert (tmp_path / "site" / "data" / "evaluation" / "estimates.csv").read_text() == made.ESTIMATES


def test_default_page_says_plainly_which_analyses_are_absent(england_site: Path):
    tree = lxml.html.fromstring(england_site.read_text(encoding="utf-8"))
    assert tree.xpath("//section[@data-analysis]") == []
    listed = [li.get("data-missing") for li in tree.xpath("//*[@id='analyses-missing']//li")]
    assert listed == ["evaluation", "thresholds", "funding", "whatif"]


# --- the real commands' outputs on tiny synthetic England (slow) ----------------------------------
@pytest.fixture(scope="module")
def tiny_england(tmp_path_factory) -> Path:
    from earlyhelp.synth import generate

    root = tmp_path_factory.mktemp("tiny")
    generate(root / "data", scale="tiny", seed=2026, fmt="parquet")
    return root / "data"


@pytest.mark.slow
def test_real_thresholds_and_fund_folders_render_as_sections(published_csv, tiny_england, tmp_path):
    from earlyhelp.funding import run as fund
    from earlyhelp.thresholds import run as thresholds

    thresholds(tiny_england, tmp_path / "thresholds")
    (tmp_path / "funding").mkdir()
    fund(tmp_path / "funding")
    folders = AnalysisFolders(thresholds=tmp_path / "thresholds", funding=tmp_path / "funding")
    index = render_report(published_csv, tmp_path / "site", la=HARTLEPOOL, analyses=folders)
    tree = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    charts = {f.get("data-chart") for f in tree.xpath("//figure[@data-chart]")}
    decisions = {
        line.split(",")[1] for line in (tmp_path / "thresholds" / "threshold_funnel.csv").read_text().split()[1:]
    }
    assert decisions and {f"thresholds-funnel-{d.replace('_', '-')}" for d in decisions} <= charts
    assert {"thresholds-caterpillar", "funding-spend-change", "funding-allocation"} <= charts
    # One row per LA of England in the allocation table, one per headline in the summary table.
    assert len(tree.xpath("//table[@data-table='funding-allocation']/tbody/tr")) == 151
    headlines = (tmp_path / "funding" / "funding_summary.csv").read_text().count("\n") - 1
    assert len(tree.xpath("//table[@data-table='funding-headlines']/tbody/tr")) == headlines
    assert [li.get("data-missing") for li in tree.xpath("//*[@id='analyses-missing']//li")] == ["evaluation", "whatif"]


@pytest.mark.slow
def test_real_evaluate_folder_renders_as_a_section(tiny_england, tmp_path):
    from earlyhelp.evaluate import evaluate

    evaluate(tiny_england, tmp_path / "evaluation")
    section = evaluation_section(tmp_path / "evaluation")
    assert [c.id for c in section.charts] == ["evaluation-forest", "evaluation-km"]
    forest = chart(section, "evaluation-forest")
    assert forest.drawn and cells(forest.table)[0][0] == "Re-referral within 12 months"


def test_cli_options_add_the_sections_and_name_a_missing_folder(published_csv, folders, tmp_path, capsys, monkeypatch):
    from .test_report import run_cli

    code, _, err = run_cli(
        capsys,
        monkeypatch,
        *("--indicators", str(published_csv.parent), "--out", str(tmp_path / "site")),
        *("--funding", str(folders.funding), "--whatif", str(folders.whatif)),
    )
    assert code == 0, err
    tree = lxml.html.fromstring((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert [s.get("data-analysis") for s in tree.xpath("//section[@data-analysis]")] == ["funding", "whatif"]
    code, out, err = run_cli(
        capsys,
        monkeypatch,
        *("--indicators", str(published_csv.parent), "--out", str(tmp_path / "other")),
        *("--evaluation", str(tmp_path / "no-such-folder")),
    )
    assert code == 2 and "--evaluation" in err and "no such folder" in err
    assert "Traceback" not in err + out


def test_an_la_without_a_published_index_is_said_to_have_none(folders):
    section = thresholds_section(folders.thresholds, focus="E06000004")  # Stockton-on-Tees: not in the folder
    assert section.lead_tables == []
    assert any(p.startswith("Stockton-on-Tees has no published threshold index") for p in section.paragraphs)


def test_an_la_report_gets_its_own_funding_figures_in_one_table(folders):
    section = funding_section(folders.funding, focus=HARTLEPOOL)
    own = extra_table(section, "funding-this-la")
    # Hartlepool's rows of the two ranked tables: £500 -> £250 per child (-50%); £100 against £110 (-9.1%).
    assert cells(own) == [
        ["2010-11 per child", "£500"],
        ["2019-20 per child", "£250"],
        ["Change", "-50.0%"],
        ["Cost a year of restoring 2010-11 per child", "£250,000"],
        ["Share", "33.333%"],
        ["Allocation", "£100"],
        ["Current spend", "£110"],
        ["Change", "-£10"],
        ["Change (%)", "-9.1%"],
    ]
    assert [i for i, _ in funding_section(folders.funding).lead_tables] == ["funding-headlines"]


@pytest.mark.slow
def test_real_whatif_folder_renders_as_a_section(tiny_england, tmp_path):
    from earlyhelp.cli import COMMANDS

    if "whatif" not in COMMANDS:
        pytest.skip("`earlyhelp whatif` is not in this installation yet")
    from earlyhelp.cli import main

    main.main(
        ["whatif", "--data", str(tiny_england), "--out", str(tmp_path / "whatif"), "--replicates", "20"],
        standalone_mode=False,
    )
    [projected] = whatif_section(tmp_path / "whatif").charts
    rows = (tmp_path / "whatif" / "whatif.csv").read_text().count("\n") - 1
    assert projected.drawn and len(projected.table.rows) == rows
    # The interval read is the file's own interval of the change (whatif.md says so).
    assert "(95% interval of the change)" in projected.table.caption
