"""Small hand-made output folders of evaluate, thresholds, fund and whatif, for the report's analysis
sections. Every figure is chosen so the expected table cells can be worked out by hand (the tests
say how). LAs: Hartlepool (E06000001, the LA report's focus), Middlesbrough (E06000002), Redcar and
Cleveland (E06000003)."""

from __future__ import annotations

from pathlib import Path

from earlyhelp.report import AnalysisFolders

HARTLEPOOL, MIDDLESBROUGH, REDCAR = "E06000001", "E06000002", "E06000003"
# Every chart the four sections draw from these folders.
ANALYSIS_CHARTS = (
    "evaluation-forest",
    "evaluation-km",
    "thresholds-caterpillar",
    "thresholds-funnel-nfa",
    "funding-spend-change",
    "funding-allocation",
    "whatif-change",
)

NAIVE = "naive (unadjusted difference)"
IPW = "IPW (ATT weights, logistic propensity)"
AIPW = "AIPW (doubly robust; logistic propensity and outcome)"
AIPW_LINEAR = "AIPW (doubly robust; logistic propensity, linear outcome)"
COX = "Cox (covariate-adjusted, LA strata, family-clustered errors)"
PANEL = "two-way fixed effects (PanelOLS), errors clustered by LA"

ESTIMATES = f"""analysis,outcome,subgroup,estimand,estimate,ci_lower,ci_upper,n_treated,n_comparison,method,true_value
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_difference,-0.1000,-0.2000,0.0000,40,160,{NAIVE},-0.0500
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_ratio,0.6000,0.4000,0.9000,40,160,{NAIVE},0.8000
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_difference,-0.0600,-0.1150,-0.0050,40,160,"{IPW}",-0.0500
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_ratio,0.7500,0.5500,1.0200,40,160,"{IPW}",0.8000
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_difference,-0.0550,-0.1000,-0.0100,40,160,"{AIPW}",-0.0500
step_down_vs_no_early_help,re_referral_12m,all,ATT_risk_ratio,0.7700,0.5800,1.0100,40,160,"{AIPW}",0.8000
step_down_vs_no_early_help,re_referral_24m,all,hazard_ratio,0.8000,0.6500,0.9800,40,160,"{COX}",
step_down_vs_no_early_help,re_referral_24m,all,ATT_risk_difference,c,c,c,c,c,{NAIVE},c
step_down_vs_no_early_help,re_referral_24m,all,ATT_risk_ratio,c,c,c,c,c,{NAIVE},c
step_down_vs_no_early_help,escalation_12m,all,ATT_risk_difference,-0.0300,-0.0800,0.0200,40,160,{NAIVE},
step_down_vs_no_early_help,escalation_12m,all,ATT_risk_ratio,,,,40,160,{NAIVE},
la_panel_real,care_16_17,all,panel_coefficient,2.5194,-2.6635,7.7022,1483,149,"{PANEL}",
step_down_partner_outcomes,police_notifications_12m,all,ATT_mean_difference,-0.0200,-0.0400,0.0000,40,160,{NAIVE},-0.0100
step_down_partner_outcomes,police_notifications_12m,all,ATT_rate_ratio,0.7000,0.5000,0.9800,40,160,{NAIVE},0.8000
step_down_partner_outcomes,police_notifications_12m,all,ATT_rate_ratio,0.8200,0.6100,1.1000,40,160,"{AIPW_LINEAR}",0.8000
"""

BALANCE = """covariate,mean_treated,mean_comparison,mean_comparison_weighted,smd_before,smd_after
prior_referrals,0.5,0.6,0.55,-0.0500,0.1200
age,10.5,9.0,10.4,0.3000,0.0200
"""

KM = """group,day,share
stepped down,0,1.0
stepped down,100,0.9
stepped down,400,0.8
closed with no early help,0,1.0
closed with no early help,50,0.85
closed with no early help,700,0.6
"""

THRESHOLD_INDEX = f"""la_code,decision,index,ci_lower,ci_upper
{MIDDLESBROUGH},threshold,-0.2000,-0.4500,0.0500
{HARTLEPOOL},threshold,0.3000,0.1000,0.5000
{REDCAR},threshold,-0.6000,-0.9000,-0.3000
{HARTLEPOOL},nfa,0.2500,0.0500,0.4500
"""

THRESHOLD_NEIGHBOURS = f"""la_code,decision,neighbours_mean_index,n_neighbours
{HARTLEPOOL},threshold,-0.4000,2
{MIDDLESBROUGH},threshold,-0.1500,2
{REDCAR},threshold,0.0500,2
{HARTLEPOOL},nfa,,0
"""

THRESHOLD_FUNNEL = f"""la_code,decision,at_risk,observed_pct,expected_pct,adjusted_pct,england_pct
{HARTLEPOOL},nfa,400,20.0,20.0,20.0,20.0
{MIDDLESBROUGH},nfa,400,30.0,20.0,30.0,20.0
{REDCAR},nfa,100,12.0,20.0,12.0,20.0
"""

R_SQUARED = """source,measure,model,r_squared,n_las
real panel 202122,cin_rate,deprivation,0.3600,147
real panel 202122,cin_rate,deprivation_and_demand,0.7600,147
"""

FUNDING_SUMMARY = """measure,value,unit,published_value,source,method
ei_real_change_pct_201011_201920,-44.1,percent,-48.0,Webb (2024) LA panel; Action for Children (2022),Change in summed real spend
restore_201011_per_child_cost_pounds,1970000000,pounds a year,1930000000,Webb (2024) LA panel; Action for Children (2022),2010-11 spend per child x 2019-20 children - 2019-20 spend
"""

ALLOCATION = f"""la_code,share,amount,current_spend,change
{HARTLEPOOL},0.333333,100,110,-10
{MIDDLESBROUGH},0.4,120,100,20
{REDCAR},0.266667,80,90,-10
"""

RESTORE = f"""la_code,ei_real_per_child_201011,children_0_17_2019,ei_spend_real_201920,restore_cost_pounds
{HARTLEPOOL},500,1000,250000,250000
{MIDDLESBROUGH},400,2000,1000000,-200000
{REDCAR},300,500,120000,30000
"""

WHATIF = """scenario,measure,year,baseline,projected,change,ci_lower,ci_upper,unit
step_down_40,referrals,202829,1000,950,-50,-80,-20,children
step_down_40,cost_pounds,202829,2000000,1900000,-100000,-150000,-50000,pounds (2023-24 prices)
"""


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write(root: Path) -> AnalysisFolders:
    return AnalysisFolders(
        evaluation=write_folder(
            root / "evaluation", {"estimates.csv": ESTIMATES, "balance.csv": BALANCE, "km.csv": KM}
        ),
        thresholds=write_folder(
            root / "thresholds",
            {
                "threshold_index.csv": THRESHOLD_INDEX,
                "threshold_neighbours.csv": THRESHOLD_NEIGHBOURS,
                "threshold_funnel.csv": THRESHOLD_FUNNEL,
                "la_r_squared.csv": R_SQUARED,
            },
        ),
        funding=write_folder(
            root / "funding",
            {"funding_summary.csv": FUNDING_SUMMARY, "allocation.csv": ALLOCATION, "restore_cost_by_la.csv": RESTORE},
        ),
        whatif=write_folder(root / "whatif", {"whatif.csv": WHATIF}),
    )
