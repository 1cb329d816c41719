"""Settings as data: scales, planted effects and the behavioural parameters of synthetic England.

Everything the simulation assumes is a field here, so a user (or a test) can change one number and
see what follows, and ``truth/effects.json`` can record exactly what was planted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from earlyhelp.errors import UsageError
from earlyhelp.spec.periods import is_time_period, start_year

if TYPE_CHECKING:
    from earlyhelp.synth.identities import FaultRateOverride


@dataclass(frozen=True)
class Scale:
    name: str
    # None = every LA of the panel; otherwise these ONS codes.
    la_codes: tuple[str, ...] | None
    # Share of each LA's real child population simulated (1.0 = full size).
    population_fraction: float
    description: str


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        "tiny",
        ("E06000001", "E06000017", "E08000029"),
        0.05,
        "three LAs (Hartlepool, Rutland, Solihull) at 5% of their size: a few thousand children",
    ),
    "la": Scale("la", ("E06000015",), 1.0, "one LA (Derby) at full size"),
    "region": Scale(
        "region",
        None,
        1.0,
        "every LA of the North East region at full size",
    ),
    "england": Scale("england", None, 1.0, "every upper-tier LA in England at full size"),
}
REGION_SCALE_CODE = "E12000001"


def scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise UsageError(f"Unknown scale {name!r}.", hint=f"Choose one of: {', '.join(SCALES)}.") from None


@dataclass(frozen=True)
class StepDownEffect:
    """Effect of stepping down to early help after an assessment closed below the threshold.

    Risk ratios on the probability of a new referral within 12 months and 12-24 months after
    closure, and on the chance that such a referral is an escalation (an episode of need).
    Each is multiplied by the modifier of the child's primary need and deprivation group and
    capped at 1 (early help never raises risk here).
    """

    re_referral_rr_12m: float = 0.70
    re_referral_rr_24m: float = 0.85
    escalation_rr: float = 0.80
    # Multipliers on (1 - rr): >1 means a bigger benefit for that group.
    benefit_by_need: dict[str, float] = field(
        default_factory=lambda: {
            "N0": 1.0,
            "N1": 0.6,
            "N2": 0.8,
            "N3": 1.2,
            "N4": 1.5,
            "N5": 1.3,
            "N6": 1.1,
            "N7": 1.4,
            "N8": 0.9,
            "N9": 1.0,
        }
    )
    # IDACI decile groups: 1-3 most deprived, 4-7, 8-10 least deprived.
    benefit_by_deprivation: dict[str, float] = field(
        default_factory=lambda: {
            "most_deprived_1_3": 0.7,
            "middle_4_7": 1.0,
            "least_deprived_8_10": 1.3,
        }
    )


@dataclass(frozen=True)
class SpendEffect:
    """LA-level effect of preventative (early intervention) spend per child on older children
    entering care: extra care starts per 100,000 children aged 16-17 for each 10 pounds per child
    (real terms, 2021-22 prices) cut since 2010-11. Default: Bennett et al. (2021), 1.9."""

    extra_starts_per_100k_16_17_per_10_pounds_cut: float = 1.9
    base_time_period: int = 201011


@dataclass(frozen=True)
class ThresholdEffect:
    """Planted LA thresholds: each LA gets a log-odds shift theta (normal scores spread by
    ``la_sigma``, placed by the seed) added to its front door's no-further-action and
    assessed-not-in-need decisions and taken from its CIN plan and child protection plan decisions,
    so a positive theta is a higher threshold. When planted, these decisions start from one rate
    for all the LAs simulated together (their mean) instead of each LA's real rate, so LAs differ
    in them only by case mix and theta: a known answer for `earlyhelp thresholds`. Opt-in: the
    default 0 plants nothing and leaves synthetic England byte for byte as it was (and calibrated
    to the published LA rates)."""

    la_sigma: float = 0.0
    # Per-LA shifts given by the user (ONS code -> log-odds), instead of drawn ones; LAs not
    # named get 0. Set from an effects file (``thresholds.planted``).
    planted: dict[str, float] = field(default_factory=dict)

    @property
    def is_planted(self) -> bool:
        return self.la_sigma > 0 or any(value != 0 for value in self.planted.values())


@dataclass(frozen=True)
class StepDownSelection:
    """How children are chosen for step-down: the odds rise by exp(``latent_risk``) per unit of the
    child's latent risk (unrecorded, truth/children.latent_risk), which confounds any comparison
    that cannot see it. ``share`` is the base chance. Defaults: what synthetic England has always
    done; they are written to effects.json only when changed."""

    latent_risk: float = 0.3
    # Centres exp(latent_risk * risk) so that the mean chance stays near ``share``.
    centring: float = -0.045
    # Selection on what the child's record shows (log-odds; 0 by default): known to children's
    # social care before, per IDACI decile below the middle (5.5 - decile), and per unit of the
    # primary need's severity. Deprivation and need are in the returns, so a world that selects
    # only on them (latent_risk 0, known_to_csc 0) has no unmeasured confounding and tests whether
    # the estimators recover a planted effect when their assumption holds
    # (benchmarks/effects/observed_selection.json). "Known before" includes the burn-in years
    # before the returns begin, so the returns record it only in part.
    known_to_csc: float = 0.0
    deprivation: float = 0.0
    need_severity: float = 0.0


@dataclass(frozen=True)
class ServiceTypeEffect:
    """Planted effects of the early help service a stepped-down family mainly receives.

    ``re_referral_rr``: service type -> risk ratio multiplying the step-down risk ratios (12 and
    24 months) when that is the family's main service; ``mix``: the shares with which main
    services are drawn for step-downs (a type with no effect listed has ratio 1). Empty (the
    default) plants nothing and draws nothing."""

    re_referral_rr: dict[str, float] = field(default_factory=dict)
    mix: dict[str, float] = field(default_factory=dict)

    @property
    def is_planted(self) -> bool:
        return bool(self.re_referral_rr)


@dataclass(frozen=True)
class PartnerOutcomeEffect:
    """Planted effects of step-down on the linked partner outcomes in the 12 months after the
    closure: rate ratios on sessions of school missed, emergency attendances and police
    notifications. 1 (the default) plants nothing."""

    school_absence_rr: float = 1.0
    emergency_attendance_rr: float = 1.0
    police_notification_rr: float = 1.0

    @property
    def is_planted(self) -> bool:
        return any(value != 1.0 for value in asdict(self).values())


@dataclass(frozen=True)
class Behaviour:
    """Calibrated behavioural parameters (see docs/synth.md, "Calibration")."""

    burn_in_years: int = 3
    follow_up_months: int = 15
    # Co-referred siblings among new referrals.
    sibling_co_referral: float = 0.18
    twin_share: float = 0.03
    # Re-referral after closure: (within 12 months, 12-24 months, later) probabilities.
    re_referral_after_nfa: tuple[float, float, float] = (0.345, 0.09, 0.10)
    re_referral_after_not_in_need: tuple[float, float, float] = (0.225, 0.09, 0.10)
    re_referral_after_in_need: tuple[float, float, float] = (0.25, 0.09, 0.10)
    # New referral after a community early help episode closed (not stepped up).
    referral_after_early_help: tuple[float, float, float] = (0.09, 0.05, 0.06)
    move_la_share: float = 0.03
    # Early help.
    step_down_share: float = 0.125
    step_down_recorded_rc9: float = 0.8
    step_down_after_cin: float = 0.10
    eh_median_days: float = 190.0
    eh_sigma: float = 0.55
    eh_family_extra_children: float = 0.55
    eh_reach_first: float = 3.1
    eh_reach_last: float = 4.3
    # Community early help is topped up to reach x this (episodes are counted by open days).
    eh_fill: float = 1.04
    eh_reach_la_sigma: float = 0.68
    eh_reach_deprivation_weight: float = 0.2
    # LA community reach is kept within this range (%, at the 2019-20 national level).
    eh_reach_la_range: tuple[float, float] = (0.6, 14.5)
    # Episodes of need.
    cin_median_days: float = 58.0
    cin_sigma: float = 1.0
    s47_share: float = 0.42
    # 278 (was 265) since plans end with their episode at the 18th birthday (CIN rule 8565):
    # the cut took about 4.5% off the plans open at 31 March, a 5% longer median restores it.
    cp_median_days: float = 278.0
    cp_sigma: float = 0.6
    cla_median_days: float = 420.0
    cla_sigma: float = 1.1
    cin_plan_share: float = 0.7
    # Calibration multipliers (fitted once at England scale; docs/synth.md).
    referral_fill: float = 1.0
    risk_weight: float = 0.35


@dataclass(frozen=True)
class SynthSettings:
    scale: Scale
    first_year: int  # financial year start, e.g. 2015 for 201516
    last_year: int
    seed: int = 0
    step_down: StepDownEffect = field(default_factory=StepDownEffect)
    spend: SpendEffect = field(default_factory=SpendEffect)
    behaviour: Behaviour = field(default_factory=Behaviour)
    threshold: ThresholdEffect = field(default_factory=ThresholdEffect)
    selection: StepDownSelection = field(default_factory=StepDownSelection)
    service_types: ServiceTypeEffect = field(default_factory=ServiceTypeEffect)
    partner_outcomes: PartnerOutcomeEffect = field(default_factory=PartnerOutcomeEffect)
    # Overrides of synth.identities.FaultRates for the identity records (e.g. NO_IDENTITY_FAULTS
    # for records with no planted typos, swaps or missing values).
    identity_faults: dict[str, FaultRateOverride] = field(default_factory=dict)

    def with_changes(self, **changes) -> SynthSettings:
        return replace(self, **changes)

    def effects_document(self) -> dict:
        document = {
            "step_down": asdict(self.step_down),
            "spend": asdict(self.spend),
            "behaviour": asdict(self.behaviour),
            "identity_faults": dict(self.identity_faults),
        }
        # Only when planted or changed, so that the default effects.json is unchanged.
        if self.threshold.is_planted:
            document["threshold"] = asdict(self.threshold)
        if self.selection != StepDownSelection():
            document["step_down_selection"] = asdict(self.selection)
        if self.service_types.is_planted:
            document["service_types"] = asdict(self.service_types)
        if self.partner_outcomes.is_planted:
            document["partner_outcomes"] = asdict(self.partner_outcomes)
        return document


# Identity records exactly as true as the people behind them: every identifier present and right.
# Partner coverage, moves between LAs and shared addresses stay (they are facts, not faults).
NO_IDENTITY_FAULTS: dict[str, FaultRateOverride] = {
    "nhs_missing": {source: 0.0 for source in ("la_csc", "la_early_help", "health", "education", "police", "housing")},
    "nhs_mistyped": 0.0,
    "nhs_mistyped_health": 0.0,
    "nickname": 0.0,
    "forename_typo": 0.0,
    "forename_missing": 0.0,
    "surname_change": 0.0,
    "surname_typo": 0.0,
    "surname_missing": 0.0,
    "dob_swap": 0.0,
    "dob_typo": 0.0,
    "dob_missing": 0.0,
    "sex_unknown": 0.0,
    "sex_wrong": 0.0,
    "postcode_moved": 0.0,
    "postcode_missing": 0.0,
    "postcode_typo": 0.0,
    "upn_mistyped": 0.0,
}


def parse_years(text: str | tuple[int, int]) -> tuple[int, int]:
    """'201516:201920' or (201516, 201920) -> (2015, 2019) financial-year start years."""
    if isinstance(text, tuple):
        parts = [str(p) for p in text]
    else:
        parts = str(text).split(":")
        if len(parts) == 1:
            parts = parts * 2
    if len(parts) != 2:
        raise UsageError(f"--years {text!r} should look like 201516:201920.")
    years = []
    for part in parts:
        part = part.strip()
        if not is_time_period(part):
            raise UsageError(
                f"{part!r} is not a financial year.",
                hint="Write financial years as six digits, e.g. 201516 for April 2015 to March 2016.",
            )
        years.append(start_year(int(part)))
    first, last = years
    if first > last:
        raise UsageError(f"--years {text}: the first year is after the last.")
    if first < 2013 or last > 2021:
        raise UsageError(
            f"--years {text}: the real reference panel supports 201314 to 202122.",
            hint="Synthetic years need real rates (and three earlier years of burn-in from 201011).",
        )
    return first, last
