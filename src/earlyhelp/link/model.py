"""The Splink 5 model: comparisons, blocking and training, written down as data.

Two models share one vocabulary:

* ``earlyhelp`` (used by ``earlyhelp link``): names compared with nickname and spelling-variant
  groups, dates of birth with a day/month-swap level, NHS numbers trusted only when valid and not
  vetoed by the deterministic step, and blocking rules that skip pairs the deterministic step
  already linked and pairs the source constraints forbid (two health records, two records of
  one LA);
* ``baseline``: the same comparisons without nicknames or date swaps, on raw NHS numbers, with
  plain blocking (what you get from Splink out of the box). The benchmark runs both side by side.

Spelling similarity uses Levenshtein distance rather than Jaro-Winkler: DuckDB's built-in and
Splink's Spark Jaro-Winkler differ slightly at thresholds, and the two engines must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.comparison_library import CustomComparison

ModelKind = Literal["earlyhelp", "baseline"]

# Columns of link_records that Splink reads (and nothing else: no raw identifiers it does not use).
SPLINK_COLUMNS = (
    "unique_id",
    "source",
    "constraint_group",
    "forename_std",
    "forename_groups",
    "forename_block",
    "surname_std",
    "surname_tokens",
    "surname_block",
    "dob_str",
    "dob_swapped",
    "birth_year",
    "sex",
    "postcode_std",
    "postcode_sector",
    "postcode_district",
    "nhs_raw",
    "nhs_valid",
    "nhs_det",
    "upn_valid",
    "name_key",
    "name_key_no_dob",
    "la_code",
)


def _named(level, label: str):
    return level.configure(label_for_charts=label)


def _null(column: str):
    return cll.NullLevel(column)


def _else():
    return _named(cll.ElseLevel(), "different")


def _forename(nicknames: bool) -> CustomComparison:
    levels = [
        _null("forename_std"),
        _named(cll.ExactMatchLevel("forename_std").configure(tf_adjustment_column="forename_std"), "exact"),
    ]
    if nicknames:
        levels.append(_named(cll.ArrayIntersectLevel("forename_groups", 1), "nickname or variant"))
    levels += [
        _named(cll.LevenshteinLevel("forename_std", 1), "one letter differs"),
        _named(cll.LevenshteinLevel("forename_std", 2), "two letters differ"),
        _else(),
    ]
    return CustomComparison(levels, "forename", "Forename")


def _surname() -> CustomComparison:
    return CustomComparison(
        [
            _null("surname_std"),
            _named(cll.ExactMatchLevel("surname_std").configure(tf_adjustment_column="surname_std"), "exact"),
            _named(cll.LevenshteinLevel("surname_std", 1), "one letter differs"),
            _named(cll.ArrayIntersectLevel("surname_tokens", 1), "shares a surname part"),
            _named(cll.LevenshteinLevel("surname_std", 2), "two letters differ"),
            _else(),
        ],
        "surname",
        "Surname",
    )


def _date_of_birth(swaps: bool) -> CustomComparison:
    levels = [_null("dob_str"), _named(cll.ExactMatchLevel("dob_str"), "exact")]
    if swaps:
        levels.append(cll.CustomLevel("dob_swapped_l = dob_str_r", "day and month swapped"))
    levels += [
        _named(cll.LevenshteinLevel("dob_str", 1), "one character differs"),
        _named(cll.LevenshteinLevel("dob_str", 2), "two characters differ"),
        _else(),
    ]
    return CustomComparison(levels, "dob", "Date of birth")


def _postcode() -> CustomComparison:
    return CustomComparison(
        [
            _null("postcode_std"),
            _named(cll.ExactMatchLevel("postcode_std").configure(tf_adjustment_column="postcode_std"), "exact"),
            _named(cll.ExactMatchLevel("postcode_sector"), "same sector"),
            _named(cll.ExactMatchLevel("postcode_district"), "same district"),
            _else(),
        ],
        "postcode",
        "Postcode",
    )


def _nhs_number(trusted_column: str) -> CustomComparison:
    return CustomComparison(
        [
            _null("nhs_raw"),
            _named(cll.ExactMatchLevel(trusted_column), "exact"),
            _named(cll.LevenshteinLevel("nhs_raw", 2), "one or two digits differ"),
            _else(),
        ],
        "nhs_number",
        "NHS number",
    )


def _simple(column: str, name: str) -> CustomComparison:
    return CustomComparison([_null(column), _named(cll.ExactMatchLevel(column), "exact"), _else()], name, name)


# Pairs the deterministic step already joined, and pairs the source constraints rule out, are
# never compared: the first are settled, the second can never be in one cluster.
_SETTLED_OR_FORBIDDEN = (
    " AND coalesce(l.nhs_det, '~l') <> coalesce(r.nhs_det, '~r')"
    " AND coalesce(l.constraint_group, '~l') <> coalesce(r.constraint_group, '~r')"
)


def _rule(*columns: str, earlyhelp: bool) -> str:
    sql = " AND ".join(f"l.{c} = r.{c}" for c in columns)
    return sql + (_SETTLED_OR_FORBIDDEN if earlyhelp else "")


def blocking_rules(kind: ModelKind) -> list[str]:
    """Rules that generate the pairs to score; none joins on one shared-address postcode alone."""
    earlyhelp = kind == "earlyhelp"
    forename = "forename_block" if earlyhelp else "forename_std"
    rules = [
        _rule(forename, "dob_str", earlyhelp=earlyhelp),
        _rule("surname_block", "dob_str", earlyhelp=earlyhelp),
        _rule("upn_valid", earlyhelp=earlyhelp),
        _rule(forename, "surname_block", "birth_year", earlyhelp=earlyhelp),
        _rule("postcode_std", forename, earlyhelp=earlyhelp),
        _rule("nhs_raw", earlyhelp=earlyhelp),
    ]
    if earlyhelp:
        # Records the rules above miss: a record with no date of birth is compared with every
        # record of its forename group and surname (each way round, as Splink compares only
        # l.unique_id < r.unique_id); a date of birth and a postcode in common catch a surname
        # change together with a missing or mistyped forename. Neither key makes a large block
        # (a date of birth is missing on few records; a postcode holds few birthdays).
        rules += [
            "l.name_key_no_dob = r.name_key" + _SETTLED_OR_FORBIDDEN,
            "l.name_key = r.name_key_no_dob" + _SETTLED_OR_FORBIDDEN,
            _rule("dob_str", "postcode_std", earlyhelp=True),
        ]
    return rules


def settings(kind: ModelKind = "earlyhelp", trained: dict | None = None) -> SettingsCreator:
    """The Splink settings of ``kind``; with ``trained`` (a saved model), its parameters.

    A saved model is applied to freshly built comparisons rather than loaded as Splink
    settings, because Splink writes SQL in the dialect it was trained in: this way a model
    trained on DuckDB scores identically on Spark.
    """
    earlyhelp = kind == "earlyhelp"
    comparisons = [
        _forename(nicknames=earlyhelp),
        _surname(),
        _date_of_birth(swaps=earlyhelp),
        _postcode(),
        _nhs_number("nhs_valid" if earlyhelp else "nhs_raw"),
        _simple("upn_valid", "upn"),
        _simple("sex", "sex"),
    ]
    if earlyhelp:
        # The local authority the record was made in: most children's records are all in one
        # LA, so two records of one common name and birthday in two LAs are usually two children
        # (a child who moved keeps an NHS number, a UPN or a postcode history to link on).
        comparisons.append(_simple("la_code", "la"))
    prior = 1e-6  # one child has about three records among millions
    if trained is not None:
        _apply_trained(comparisons, trained)
        prior = float(trained["probability_two_random_records_match"])
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[*comparisons],  # a new list: Splink's parameter is a list of creators or dicts
        blocking_rules_to_generate_predictions=[CustomRule(rule) for rule in blocking_rules(kind)],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,  # gamma levels for the borderline review
        additional_columns_to_retain=["source", "constraint_group"],
        max_iterations=20,
    )


class ModelMismatch(ValueError):
    """A saved model whose comparisons are not the ones this version of earlyhelp builds."""


def _apply_trained(comparisons: list[CustomComparison], trained: dict) -> None:
    saved = {c.get("output_column_name"): c for c in trained.get("comparisons", [])}
    names = {comparison.create_output_column_name() for comparison in comparisons}
    for comparison in comparisons:
        name = comparison.create_output_column_name()
        saved_levels = saved.get(name, {}).get("comparison_levels", [])
        if len(saved_levels) != comparison.num_levels:
            raise ModelMismatch(
                f"comparison {name!r} has {len(saved_levels)} levels in the model file, {comparison.num_levels} here"
            )
        null_here = [bool(level.is_null_level) for level in comparison.create_comparison_levels()]
        if [bool(level.get("is_null_level")) for level in saved_levels] != null_here:
            raise ModelMismatch(f"comparison {name!r} has its null levels elsewhere in the model file")
        trained_levels = [level for level in saved_levels if not level.get("is_null_level")]
        # One m and one u per non-null level, in order; where the file has no value, None leaves
        # the level at Splink's default.
        comparison.configure(
            m_probabilities=[level.get("m_probability") for level in trained_levels],
            u_probabilities=[level.get("u_probability") for level in trained_levels],
        )
    if set(saved) != names:
        raise ModelMismatch("the model file compares different fields")


@dataclass(frozen=True)
class Training:
    """How the model is trained: u by random sampling, m by EM on capped blocked pairs."""

    u_max_pairs: float = 3e6
    # small extracts sample fewer pairs (u_pairs_per_record each, at least u_min_pairs): the
    # estimate settles long before the cap, and a demo should not wait for 3 million pairs
    u_pairs_per_record: float = 20
    u_min_pairs: float = 2e5
    em_max_pairs: float = 3e5
    em_blocking: tuple[tuple[str, ...], ...] = (("nhs_valid",), ("dob_str",))
    seed: int = 1
    prior_rules: tuple[str, ...] = field(default=("l.nhs_valid = r.nhs_valid",))
    prior_recall: float = 0.7


def train(linker, n_records: int, training: Training = Training()) -> None:
    """Estimate the prior, u (random sampling) and m (EM on capped pairs) in place."""
    linker.training.estimate_probability_two_random_records_match(
        list(training.prior_rules), recall=training.prior_recall
    )
    u_pairs = min(training.u_max_pairs, max(training.u_min_pairs, training.u_pairs_per_record * n_records))
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=training.seed)
    for columns in training.em_blocking:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*columns),
            max_pairs=training.em_max_pairs,
            estimate_without_term_frequencies=True,
        )


def save_model(linker, path: Path) -> None:
    linker.misc.save_model_to_json(str(path), overwrite=True)


def load_model_dict(path: Path) -> dict:
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))
