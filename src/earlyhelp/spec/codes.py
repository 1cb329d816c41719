"""Code lists of the Early Help Linked Dataset (``docs/spec/dataset.md``).

Codes are the CIN census / SSDA903 codes wherever those exist; the CIN lists come from the
DfE CIN census XML schema (2026 collection) and the looked-after lists from the SSDA903 2024
schema. Early help codes are the EHLD's own.
"""

from __future__ import annotations

SOURCES = ("la_csc", "la_early_help", "health", "education", "police", "housing")

SEX = ("M", "F", "U")

ETHNICITY = (
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)

REFERRAL_SOURCE = (
    "1A",
    "1B",
    "1C",
    "1D",
    "2A",
    "2B",
    "3A",
    "3B",
    "3C",
    "3D",
    "3E",
    "3F",
    "4",
    "5A",
    "5B",
    "5C",
    "5D",
    "6",
    "7",
    "8",
    "9",
    "10",
)

PRIMARY_NEED = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")

CLOSURE_REASON = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9")
CLOSED_AFTER_ASSESSMENT_NFA = "RC8"
CLOSED_AFTER_ASSESSMENT_TO_EARLY_HELP = "RC9"

ASSESSMENT_FACTORS = (
    "1A",
    "1B",
    "1C",
    "2A",
    "2B",
    "2C",
    "3A",
    "3B",
    "3C",
    "4A",
    "4B",
    "4C",
    "5A",
    "5B",
    "5C",
    "6A",
    "6B",
    "6C",
    "7A",
    "8B",
    "8C",
    "8D",
    "8E",
    "8F",
    "9A",
    "10A",
    "11A",
    "12A",
    "13A",
    "14A",
    "15A",
    "16A",
    "17A",
    "18A",
    "18B",
    "18C",
    "19A",
    "19B",
    "19C",
    "20",
    "21",
    "22A",
    "23A",
    "24A",
)

CP_CATEGORY = ("NEG", "PHY", "SAB", "EMO", "MUL")

# SSDA903 episode codes.
REASON_NEW_EPISODE = ("S", "L", "P", "T", "U", "B")
STARTED_PERIOD_OF_CARE = "S"
LEGAL_STATUS = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3")
CLA_CATEGORY_OF_NEED = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
PLACEMENT = (
    "A3",
    "A4",
    "A5",
    "A6",
    "H5",
    "K1",
    "K2",
    "P1",
    "P2",
    "P3",
    "R1",
    "R2",
    "R3",
    "R5",
    "S1",
    "T0",
    "T1",
    "T2",
    "T3",
    "T4",
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "Z1",
)
REASON_CEASED = (
    "X1",
    "E11",
    "E12",
    "E2",
    "E3",
    "E4A",
    "E4B",
    "E13",
    "E41",
    "E45",
    "E46",
    "E47",
    "E48",
    "E5",
    "E6",
    "E7",
    "E9",
    "E14",
    "E15",
    "E16",
    "E17",
    "E8",
)
# SSDA903 PLACE_PROVIDER (csc-validator-be-903 rule 178) and REASON_PLACE_CHANGE (rule 1009).
PLACE_PROVIDER = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
REASON_PLACE_CHANGE = (
    "CARPL",
    "CLOSE",
    "ALLEG",
    "STAND",
    "APPRR",
    "CREQB",
    "CREQO",
    "CHILD",
    "LAREQ",
    "PLACE",
    "CUSTOD",
    "OTHER",
)

# Early help (EHLD's own codes).
REQUEST_SOURCE = (
    "family",
    "school",
    "early_years",
    "health",
    "police",
    "housing",
    "voluntary",
    "csc_step_down",
    "other",
)
AGENCY = (
    "la_family_support",
    "school",
    "early_years",
    "health",
    "voluntary",
    "police",
    "housing",
    "youth_service",
    "other",
)
SERVICE_LEVEL = ("targeted_early_help", "family_help")
EH_END_REASON = (
    "outcomes_achieved",
    "step_up_to_social_care",
    "family_declined",
    "moved_away",
    "transferred",
    "other",
)
SERVICE_TYPE = (
    "parenting_programme",
    "family_support_worker",
    "mental_health",
    "domestic_abuse",
    "substance_use",
    "housing_support",
    "financial_support",
    "youth_work",
    "send_support",
    "school_attendance",
    "early_years",
    "health_visiting",
    "other",
)
# The ten Supporting Families headline outcomes.
OUTCOME_HEADING = (
    "education",
    "early_years",
    "health",
    "substance_use",
    "family_relationships",
    "safety_from_abuse",
    "crime",
    "domestic_abuse",
    "housing",
    "financial_stability",
)
GOAL_IDENTIFIED_BY = ("family", "practitioner", "jointly")
GOAL_STATUS = ("met", "partly_met", "not_met", "withdrawn")

HEALTH_EVENT_TYPE = ("emergency_attendance", "injury_admission", "mental_health_referral")
POLICE_EVENT_TYPE = ("domestic_abuse", "missing_episode", "arrest")

LINK_METHOD = ("nhs_number", "probabilistic")
