"""Hand-built EHLD returns for tests: write only the columns a case needs, the rest get defaults."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from earlyhelp.spec.model import TABLES

# Defaults for required columns that a case does not care about.
DEFAULTS: dict[str, dict[str, Any]] = {
    "children": {"birth_month": "2012-01", "sex": "F"},
    "referrals": {"referral_source": "1A", "referral_nfa": "false"},
    "cp_plans": {"initial_category": "NEG", "referral_id": "R0"},
    "looked_after_episodes": {
        "reason_new_episode": "S",
        "legal_status": "C2",
        "category_of_need": "N1",
        "placement": "U1",
    },
    "early_help_episodes": {
        "family_id": "F1",
        "request_source": "family",
        "lead_agency": "la_family_support",
        "service_level": "targeted_early_help",
    },
    "family_goals": {"outcome_heading": "health", "identified_by": "jointly"},
    "spend": {"early_intervention": "true"},
}


class Return:
    """A tiny EHLD return for one or more LAs."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self._counter = 0

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        row = {**DEFAULTS.get(table, {}), **values}
        unknown = set(row) - set(TABLES[table].column_names)
        assert not unknown, f"{table} has no columns {unknown}"
        self.rows.setdefault(table, []).append(row)
        return row

    def la(
        self,
        la_code: str,
        region_code: str = "E12000001",
        *,
        period_start: str = "2019-04-01",
        period_end: str = "2020-03-31",
        extract_date: str = "2021-06-30",
        population: dict[int, int] | None = None,
        name: str | None = None,
    ) -> None:
        self.add(
            "local_authorities",
            la_code=la_code,
            la_name=name or f"LA {la_code}",
            region_code=region_code,
            region_name=f"Region {region_code}",
        )
        self.add(
            "returns", la_code=la_code, period_start=period_start, period_end=period_end, extract_date=extract_date
        )
        for year, children in (population or {}).items():
            self.add("population", la_code=la_code, year=year, children_0_17=children)

    def referral(
        self, la: str, child: str, date: str, *, nfa: bool = False, closed: str | None = None, reason: str | None = None
    ) -> str:
        referral_id = self._next("R")
        self.add(
            "referrals",
            la_code=la,
            child_id=child,
            referral_id=referral_id,
            referral_date=date,
            referral_nfa="true" if nfa else "false",
            closure_date=closed or "",
            closure_reason=reason or "",
        )
        return referral_id

    def early_help(
        self,
        la: str,
        child: str,
        start: str,
        end: str | None = None,
        *,
        end_reason: str | None = None,
        request: str | None = None,
    ) -> str:
        episode_id = self._next("E")
        self.add(
            "early_help_episodes",
            la_code=la,
            child_id=child,
            episode_id=episode_id,
            start_date=start,
            end_date=end or "",
            end_reason=end_reason or "",
            request_date=request or "",
        )
        return episode_id

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for table, rows in self.rows.items():
            columns = [c for c in TABLES[table].column_names if any(c in r for r in rows)]
            with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                for row in rows:
                    writer.writerow({c: row.get(c, "") for c in columns})
        return folder
