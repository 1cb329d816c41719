"""Who may do what: the five roles and the one place each permission is decided.

Every route that touches an LA's data asks :func:`may_view_la` or :func:`may_submit` here, so
the route sweep in ``tests/web/test_route_sweep.py`` tests one rule, not one rule per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from earlyhelp.errors import UsageError

LA_ANALYST = "la_analyst"
PARTNER_SUBMITTER = "partner_submitter"
PARTNERSHIP_VIEWER = "partnership_viewer"
NATIONAL_ANALYST = "national_analyst"
ADMIN = "admin"

# role -> what it is for (shown by `earlyhelp users add --help` and the users page).
ROLES: dict[str, str] = {
    LA_ANALYST: "an LA's analyst: submits its returns and sees its results (exactly one LA)",
    PARTNER_SUBMITTER: "a partner agency (health, schools, police): submits for the LAs of its partnership",
    PARTNERSHIP_VIEWER: "a safeguarding partnership: sees the results of its LAs",
    NATIONAL_ANALYST: "sees every LA's published (disclosure-controlled) results; submits nothing",
    ADMIN: "manages the service and reads the audit log; sees no LA's submissions",
}
ROLES_WITH_LAS = {LA_ANALYST, PARTNER_SUBMITTER, PARTNERSHIP_VIEWER}
# The kind of submission a partner submitter makes (an LA analyst's is a "return").
PARTNER_OUTCOMES = "partner_outcomes"
# A partner's identity extract (person_identifiers, for linkage): read back only by partners.
PARTNER_IDENTITIES = "partner_identities"
PARTNER_KINDS = (PARTNER_OUTCOMES, PARTNER_IDENTITIES)
ONS_LA_CODE = re.compile(r"^E0[6-9]\d{6}$")


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the routes see them."""

    user_id: int
    username: str
    role: str
    la_codes: tuple[str, ...]


def check_role(role: str, la_codes: list[str]) -> None:
    """A role with the LAs it needs: one for an LA analyst, at least one for partners, none otherwise."""
    if role not in ROLES:
        raise UsageError(f"{role!r} is not a role.", hint=f"Choose one of: {', '.join(ROLES)}.")
    for code in la_codes:
        if not ONS_LA_CODE.match(code):
            raise UsageError(f"{code!r} is not an English LA's ONS code.", hint="For example E06000001.")
    if role == LA_ANALYST and len(la_codes) != 1:
        raise UsageError("An LA analyst belongs to exactly one LA.", hint="Give one --la CODE.")
    if role in ROLES_WITH_LAS and not la_codes:
        raise UsageError(f"A {role} needs the LAs it covers.", hint="Give --la CODE once per LA.")
    if role not in ROLES_WITH_LAS and la_codes:
        raise UsageError(f"A {role} is not tied to LAs.", hint="Leave out --la.")


def may_submit(user: Principal, la_code: str) -> bool:
    return user.role in (LA_ANALYST, PARTNER_SUBMITTER) and la_code in user.la_codes


def may_read_submissions(user: Principal, la_code: str) -> bool:
    """Submissions and their findings are record-level (lines of a return): only those who submit
    for the LA see them."""
    return may_submit(user, la_code)


def may_read_submission(user: Principal, la_code: str, kind: str) -> bool:
    """One submission of the LA: a partner agency sees only partner extracts, not the LA's own
    returns (their findings point at lines of the LA's records); the LA's analysts do not see a
    partner's identity extract (its findings point at lines of identity records)."""
    if not may_read_submissions(user, la_code):
        return False
    if user.role == PARTNER_SUBMITTER:
        return kind in PARTNER_KINDS
    return kind != PARTNER_IDENTITIES


def may_view_la(user: Principal, la_code: str) -> bool:
    """The LA's dashboard (published, disclosure-controlled figures only)."""
    if user.role == NATIONAL_ANALYST:
        return True
    return user.role in ROLES_WITH_LAS and la_code in user.la_codes


def may_read_audit(user: Principal) -> bool:
    return user.role == ADMIN
