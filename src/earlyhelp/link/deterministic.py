"""The deterministic step: records that share a valid NHS number are the same child...

...unless their names and dates of birth flatly disagree. A mistyped NHS number that happens to
pass the mod-11 check, or a sibling's number copied onto the wrong record, must not merge two
children: such a record is taken out of the deterministic step (and its NHS number is not
trusted by the probabilistic step either), so the rest of its evidence decides where it goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# A number held by more records than this is a placeholder (e.g. 0000000000 passes mod-11),
# not one child.
MAX_RECORDS_PER_NHS_NUMBER = 25
NAMES_DISAGREE_BELOW = 0.85  # Jaro-Winkler similarity of names in no common variant group


@dataclass(frozen=True)
class DeterministicSummary:
    records_with_valid_nhs: int
    records_linked: int
    records_vetoed: int
    placeholder_numbers: int


def flat_disagreement_sql(left: str = "l", right: str = "r") -> str:
    """True when two records cannot be one child, whatever number they share.

    Flat disagreement is any of: forenames that differ (not a nickname, variant or keying error
    of each other) and start with different letters (a twin's or sibling's number); forenames
    that differ and dates of birth that differ; dates of birth and surnames that both differ.
    A date differs when it is neither equal, nor day/month swapped, nor wrong in only one of
    day, month and year. A surname or a forename alone may change (marriage of a parent,
    adoption, a nickname we do not know); a missing value never disagrees.
    """
    forename = (
        f"({left}.forename_std IS NOT NULL AND {right}.forename_std IS NOT NULL "
        f"AND NOT list_has_any({left}.forename_groups, {right}.forename_groups) "
        f"AND jaro_winkler_similarity({left}.forename_std, {right}.forename_std) < {NAMES_DISAGREE_BELOW})"
    )
    initial = f"(left({left}.forename_std, 1) <> left({right}.forename_std, 1))"
    surname = (
        f"({left}.surname_std IS NOT NULL AND {right}.surname_std IS NOT NULL "
        f"AND NOT list_has_any({left}.surname_tokens, {right}.surname_tokens) "
        f"AND jaro_winkler_similarity({left}.surname_std, {right}.surname_std) < {NAMES_DISAGREE_BELOW})"
    )
    same_parts = (
        f"(CAST(year({left}.dob) = year({right}.dob) AS INTEGER) "
        f"+ CAST(month({left}.dob) = month({right}.dob) AS INTEGER) "
        f"+ CAST(day({left}.dob) = day({right}.dob) AS INTEGER))"
    )
    dob = (
        f"({left}.dob IS NOT NULL AND {right}.dob IS NOT NULL "
        f"AND coalesce({left}.dob_swapped, '') <> {right}.dob_str AND {same_parts} < 2)"
    )
    return f"(({forename} AND ({initial} OR {dob})) OR ({dob} AND {surname}))"


def link_by_nhs_number(con: duckdb.DuckDBPyConnection) -> DeterministicSummary:
    """Add ``nhs_det`` to ``link_records``: the NHS number a record is linked on, or NULL.

    A record is vetoed when it flatly disagrees with more than half of the other records that
    carry its number (so in a pair that disagrees, neither is trusted), or when another record
    of its duplicate-free source carries the same number. A vetoed record's NHS number is
    blanked for the probabilistic step too. Only numbers still held by two or more trusted
    records link.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nhs_placeholders AS
        SELECT nhs_valid FROM link_records WHERE nhs_valid IS NOT NULL
        GROUP BY nhs_valid
        HAVING count(*) > {MAX_RECORDS_PER_NHS_NUMBER} OR nhs_valid = repeat(substr(nhs_valid, 1, 1), 10)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nhs_votes AS
        WITH candidates AS (
            SELECT * FROM link_records
            WHERE nhs_valid IS NOT NULL AND nhs_valid NOT IN (SELECT nhs_valid FROM nhs_placeholders)
        ),
        pairs AS (
            SELECT l.unique_id AS id_l, r.unique_id AS id_r, {flat_disagreement_sql()} AS disagree
            FROM candidates l JOIN candidates r
              ON l.nhs_valid = r.nhs_valid AND l.unique_id < r.unique_id
        ),
        per_record AS (
            SELECT id_l AS unique_id, disagree FROM pairs
            UNION ALL SELECT id_r, disagree FROM pairs
        )
        SELECT unique_id, count(*) AS others, count(*) FILTER (WHERE disagree) AS disagreements
        FROM per_record GROUP BY unique_id
    """)
    # Two records of a duplicate-free source (two health records, two records of one LA) under
    # one number mean the number was copied onto the wrong child: trust neither of them.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE nhs_trust AS
        WITH judged AS (
            SELECT r.unique_id, r.nhs_valid, r.constraint_group,
                   v.disagreements * 2 > v.others AS disagrees
            FROM link_records r JOIN nhs_votes v USING (unique_id)),
        constrained AS (
            SELECT *, disagrees OR (constraint_group IS NOT NULL AND count(*) FILTER (WHERE NOT disagrees)
                      OVER (PARTITION BY nhs_valid, constraint_group) > 1) AS vetoed
            FROM judged)
        SELECT unique_id, vetoed,
               NOT vetoed AND count(*) FILTER (WHERE NOT vetoed) OVER (PARTITION BY nhs_valid) > 1 AS linked
        FROM constrained
    """)
    # Counted before the rewrite below clears the numbers that are not used.
    had_valid_nhs = con.execute("SELECT count(nhs_valid) FROM link_records").fetchall()[0][0]
    con.execute("""
        CREATE OR REPLACE TEMP TABLE link_records_det AS
        SELECT r.* REPLACE (
                   CASE WHEN t.vetoed OR p.nhs_valid IS NOT NULL THEN NULL ELSE r.nhs_raw END AS nhs_raw,
                   CASE WHEN t.vetoed OR p.nhs_valid IS NOT NULL THEN NULL ELSE r.nhs_valid END AS nhs_valid),
               CASE WHEN t.linked AND p.nhs_valid IS NULL THEN r.nhs_valid END AS nhs_det,
               coalesce(t.vetoed, false) AS nhs_vetoed
        FROM link_records r
        LEFT JOIN nhs_trust t USING (unique_id)
        LEFT JOIN nhs_placeholders p ON p.nhs_valid = r.nhs_valid
    """)
    con.execute("DROP TABLE link_records")
    con.execute("ALTER TABLE link_records_det RENAME TO link_records")
    row = con.execute("""
        SELECT count(*) FILTER (WHERE nhs_det IS NOT NULL),
               count(*) FILTER (WHERE nhs_vetoed),
               (SELECT count(*) FROM nhs_placeholders)
        FROM link_records
    """).fetchall()[0]
    con.execute("DROP TABLE nhs_votes")
    con.execute("DROP TABLE nhs_trust")
    return DeterministicSummary(int(had_valid_nhs), *[int(x) for x in row])
