"""The Early Help Linked Dataset (EHLD) as data: every table, column, type, code list and flag.

This is the one place the record model of ``shared/spec/dataset.md`` is written down in code.
Loaders, validators, synthetic data, readers/writers of DfE formats and the docs read it from
here; nothing else restates it.

Conventions that the spec leaves open and that every stage follows:

* ``required`` columns must be present in the file and non-empty on every row; optional columns
  may be absent (read as empty) or empty.
* ``child_id`` is the LA case-management person id, shared by the LA's social care and early
  help records. It is written LA-prefixed by every writer in this project so that it is unique
  nationally as well as within the LA.
* The identity record of an analytic child is the ``person_identifiers`` row with ``source``
  ``la_csc`` (or ``la_early_help`` for a child known only to early help) whose
  ``source_record_id`` equals the ``child_id``. That is how ``earlyhelp link`` carries the
  ``person_id`` into the analytic zone.
* Partner outcome tables are keyed by ``person_id``. Before linkage that column holds the
  partner's own ``source_record_id``; ``earlyhelp link`` rewrites it to the linked ``person_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from earlyhelp.spec import codes

ColumnType = Literal["text", "code", "date", "month", "bool", "int", "float"]
Zone = Literal["identity", "analytic", "partner", "reference", "linkage"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True
    codes: tuple[str, ...] | None = None
    # Several codes in one cell, separated by this character (assessment factors).
    multi_separator: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    # Direct identifiers: never copied out of the identity zone, masked in every message.
    identifier: bool = False
    # A date on which something happened to the child: must not be after the return's
    # extract_date.
    event: bool = False
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB_TYPES[self.type]


_DUCKDB_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "month": "VARCHAR",
    "date": "DATE",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
}


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    zone: Zone
    columns: tuple[Column, ...]
    # Columns whose combination is unique (e.g. an id unique within the LA).
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    # (start, end) pairs where end, when present, must not be before start.
    date_order: tuple[tuple[str, str], ...] = ()
    description: str = ""
    _index: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._index[name]

    def has_column(self, name: str) -> bool:
        return name in self._index

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def has_la_code(self) -> bool:
        return "la_code" in self._index


def _c(name: str, type_: ColumnType, required: bool = True, **kw) -> Column:
    return Column(name, type_, required, **kw)


def _la() -> Column:
    return _c("la_code", "text", description="ONS code of the local authority")


def _child() -> Column:
    return _c("child_id", "text", description="LA case-management person id (pseudonymous)")


def _fk_referral() -> ForeignKey:
    return ForeignKey(("la_code", "child_id", "referral_id"), "referrals", ("la_code", "child_id", "referral_id"))


def _fk_child() -> ForeignKey:
    return ForeignKey(("la_code", "child_id"), "children", ("la_code", "child_id"))


def _fk_episode() -> ForeignKey:
    return ForeignKey(("la_code", "episode_id"), "early_help_episodes", ("la_code", "episode_id"))


def _fk_return() -> ForeignKey:
    return ForeignKey(("la_code",), "returns", ("la_code",))


TABLES_IN_ORDER: tuple[Table, ...] = (
    # ---------------------------------------------------------------- identity zone
    Table(
        "person_identifiers",
        "identity",
        (
            _c("source", "code", codes=codes.SOURCES),
            _c("source_record_id", "text"),
            _la(),
            _c("nhs_number", "text", False, identifier=True, description="10 digits with a mod-11 check digit"),
            _c("upn", "text", False, identifier=True, description="13 characters with a DfE check letter"),
            _c("forename", "text", False, identifier=True),
            _c("surname", "text", False, identifier=True),
            _c("date_of_birth", "date", False, identifier=True),
            _c("sex", "code", codes=codes.SEX),
            _c("postcode", "text", False, identifier=True),
        ),
        unique=(("source", "source_record_id"),),
        description="One row per record per source agency. Used only by linkage.",
    ),
    Table(
        "episode_postcodes",
        "identity",
        (
            _la(),
            _child(),
            _c("start_date", "date", description="SSDA903 DECOM: with la_code and child_id, the episode"),
            _c("home_postcode", "text", False, identifier=True, description="SSDA903 HOME_POST"),
            _c("placement_postcode", "text", False, identifier=True, description="SSDA903 PL_POST"),
            _c(
                "mother_child_dob",
                "date",
                False,
                identifier=True,
                description="SSDA903 MC_DOB: the date of birth of the child's own first child (on each of her episodes)",
            ),
        ),
        unique=(("la_code", "child_id", "start_date"),),
        description="The identifiers an SSDA903 return holds per episode. Joined back only to write SSDA903.",
    ),
    # ---------------------------------------------------------------- linkage output
    Table(
        "person_link",
        "linkage",
        (
            _c("source", "code", codes=codes.SOURCES),
            _c("source_record_id", "text"),
            _c("person_id", "text"),
            _c("match_weight", "float", False),
            _c("match_probability", "float", False, minimum=0, maximum=1),
            _c("method", "code", codes=codes.LINK_METHOD),
        ),
        unique=(("source", "source_record_id"),),
        description="Written by `earlyhelp link`: each identity record's pseudonymous person.",
    ),
    # ---------------------------------------------------------------- analytic: social care
    Table(
        "children",
        "analytic",
        (
            _la(),
            _child(),
            _c("person_id", "text", False, description="empty until linked"),
            _c("birth_month", "month", description="YYYY-MM"),
            _c("sex", "code", codes=codes.SEX),
            _c("ethnicity", "code", False, codes=codes.ETHNICITY),
            _c("disabled", "bool", False),
            _c("idaci_decile", "int", False, minimum=1, maximum=10, description="1 = most deprived"),
            _c("family_id", "text", False),
            _c("mother", "bool", False, description="SSDA903 MOTHER: whether the child is a mother"),
        ),
        unique=(("la_code", "child_id"),),
        foreign_keys=(_fk_return(),),
    ),
    Table(
        "referrals",
        "analytic",
        (
            _la(),
            _child(),
            _c("referral_id", "text"),
            _c("referral_date", "date", event=True),
            _c("referral_source", "code", codes=codes.REFERRAL_SOURCE),
            _c("primary_need", "code", False, codes=codes.PRIMARY_NEED),
            _c("referral_nfa", "bool"),
            _c("closure_date", "date", False, event=True),
            _c("closure_reason", "code", False, codes=codes.CLOSURE_REASON),
        ),
        unique=(("la_code", "referral_id"),),
        foreign_keys=(_fk_child(), _fk_return()),
        date_order=(("referral_date", "closure_date"),),
        description="A CIN episode: a referral to children's social care and what followed.",
    ),
    Table(
        "assessments",
        "analytic",
        (
            _la(),
            _child(),
            _c("referral_id", "text"),
            _c("assessment_id", "text"),
            _c("start_date", "date", event=True),
            _c("authorisation_date", "date", False, event=True),
            _c("factors", "code", False, codes=codes.ASSESSMENT_FACTORS, multi_separator="|"),
        ),
        unique=(("la_code", "assessment_id"),),
        foreign_keys=(_fk_referral(), _fk_return()),
        date_order=(("start_date", "authorisation_date"),),
    ),
    Table(
        "cin_plans",
        "analytic",
        (
            _la(),
            _child(),
            _c("referral_id", "text"),
            _c("start_date", "date", event=True),
            _c("end_date", "date", False, event=True),
        ),
        foreign_keys=(_fk_referral(), _fk_return()),
        date_order=(("start_date", "end_date"),),
    ),
    Table(
        "s47_enquiries",
        "analytic",
        (
            _la(),
            _child(),
            _c("referral_id", "text"),
            _c("start_date", "date", event=True),
            _c("icpc_date", "date", False, event=True),
            _c("icpc_not_required", "bool", False),
        ),
        foreign_keys=(_fk_referral(), _fk_return()),
        date_order=(("start_date", "icpc_date"),),
    ),
    Table(
        "cp_plans",
        "analytic",
        (
            _la(),
            _child(),
            _c("referral_id", "text"),
            _c("start_date", "date", event=True),
            _c("end_date", "date", False, event=True),
            _c("initial_category", "code", codes=codes.CP_CATEGORY),
            _c("previous_plans", "int", False, minimum=0),
        ),
        foreign_keys=(_fk_referral(), _fk_return()),
        date_order=(("start_date", "end_date"),),
    ),
    Table(
        "looked_after_episodes",
        "analytic",
        (
            _la(),
            _child(),
            _c("start_date", "date", event=True, description="SSDA903 DECOM"),
            _c("reason_new_episode", "code", codes=codes.REASON_NEW_EPISODE),
            _c("legal_status", "code", codes=codes.LEGAL_STATUS),
            _c("category_of_need", "code", codes=codes.CLA_CATEGORY_OF_NEED),
            _c("placement", "code", codes=codes.PLACEMENT),
            _c("end_date", "date", False, event=True, description="SSDA903 DEC"),
            _c("reason_ceased", "code", False, codes=codes.REASON_CEASED),
            _c("placement_provider", "code", False, codes=codes.PLACE_PROVIDER, description="SSDA903 PLACE_PROVIDER"),
            _c(
                "reason_place_change",
                "code",
                False,
                codes=codes.REASON_PLACE_CHANGE,
                description="SSDA903 REASON_PLACE_CHANGE, on the episode that ends in a change of placement",
            ),
            _c(
                "urn",
                "text",
                False,
                description="SSDA903 URN: Ofsted URN of the placement; SC999999 or XXXXXXX as SSDA903 allows",
            ),
        ),
        foreign_keys=(_fk_child(), _fk_return()),
        date_order=(("start_date", "end_date"),),
    ),
    # ---------------------------------------------------------------- analytic: early help
    Table(
        "early_help_episodes",
        "analytic",
        (
            _la(),
            _child(),
            _c("family_id", "text", description="siblings share it"),
            _c("episode_id", "text"),
            _c("request_date", "date", False, event=True),
            _c("start_date", "date", event=True),
            _c("end_date", "date", False, event=True),
            _c("request_source", "code", codes=codes.REQUEST_SOURCE),
            _c("lead_agency", "code", codes=codes.AGENCY),
            _c("service_level", "code", codes=codes.SERVICE_LEVEL),
            _c("end_reason", "code", False, codes=codes.EH_END_REASON),
        ),
        unique=(("la_code", "episode_id"),),
        foreign_keys=(_fk_child(), _fk_return()),
        date_order=(("start_date", "end_date"), ("request_date", "start_date")),
    ),
    Table(
        "early_help_services",
        "analytic",
        (
            _la(),
            _c("episode_id", "text"),
            _c("service_type", "code", codes=codes.SERVICE_TYPE),
            _c("provider_agency", "code", codes=codes.AGENCY),
            _c("start_date", "date", event=True),
            _c("end_date", "date", False, event=True),
        ),
        foreign_keys=(_fk_episode(), _fk_return()),
        date_order=(("start_date", "end_date"),),
    ),
    Table(
        "family_goals",
        "analytic",
        (
            _la(),
            _c("episode_id", "text"),
            _c("goal_id", "text"),
            _c("outcome_heading", "code", codes=codes.OUTCOME_HEADING),
            _c("identified_by", "code", codes=codes.GOAL_IDENTIFIED_BY),
            _c("start_score", "int", False, minimum=0, maximum=10),
            _c("end_score", "int", False, minimum=0, maximum=10),
            _c("status", "code", False, codes=codes.GOAL_STATUS),
        ),
        unique=(("la_code", "goal_id"),),
        foreign_keys=(_fk_episode(), _fk_return()),
    ),
    # ---------------------------------------------------------------- partner outcomes
    Table(
        "school_attendance",
        "partner",
        (
            _c("person_id", "text"),
            _c("academic_year", "int", minimum=1990, maximum=2100),
            _c("sessions_possible", "int", minimum=0),
            _c("sessions_missed", "int", minimum=0),
        ),
    ),
    Table(
        "health_events",
        "partner",
        (
            _c("person_id", "text"),
            _c("event_date", "date"),
            _c("event_type", "code", codes=codes.HEALTH_EVENT_TYPE),
        ),
    ),
    Table(
        "police_notifications",
        "partner",
        (
            _c("person_id", "text"),
            _c("event_date", "date"),
            _c("event_type", "code", codes=codes.POLICE_EVENT_TYPE),
        ),
    ),
    # ---------------------------------------------------------------- reference tables
    Table(
        "local_authorities",
        "reference",
        (_la(), _c("la_name", "text"), _c("region_code", "text"), _c("region_name", "text")),
        unique=(("la_code",),),
    ),
    Table(
        "population",
        "reference",
        (_la(), _c("year", "int", minimum=1990, maximum=2100), _c("children_0_17", "int", minimum=0)),
        unique=(("la_code", "year"),),
    ),
    Table(
        "deprivation",
        "reference",
        (_la(), _c("idaci_score", "float", minimum=0, maximum=1)),
        unique=(("la_code",),),
    ),
    Table(
        "spend",
        "reference",
        (
            _la(),
            _c("time_period", "int", minimum=199091, maximum=210001),
            _c("line", "text"),
            _c("gross_spend", "float", description="pounds, cash terms"),
            _c("early_intervention", "bool"),
        ),
        unique=(("la_code", "time_period", "line"),),
    ),
    Table(
        "deflators",
        "reference",
        (_c("time_period", "int", minimum=199091, maximum=210001), _c("index", "float", minimum=0)),
        unique=(("time_period",),),
    ),
    Table(
        "returns",
        "reference",
        (
            _la(),
            _c("period_start", "date"),
            _c("period_end", "date"),
            _c("extract_date", "date"),
        ),
        unique=(("la_code",),),
        date_order=(("period_start", "period_end"), ("period_start", "extract_date")),
        description="One row per LA; bounds every follow-up window.",
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in TABLES_IN_ORDER}

ANALYTIC_TABLES = tuple(t.name for t in TABLES_IN_ORDER if t.zone == "analytic")
IDENTITY_COLUMNS = frozenset(c.name for t in TABLES_IN_ORDER for c in t.columns if c.identifier)


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"{name!r} is not an EHLD table; the tables are: {known}") from None
