"""Validate EHLD returns against every rule of the specification.

>>> from earlyhelp.validate import validate_paths
>>> report = validate_paths([Path("my_return")])
>>> report.ok, report.summary()
"""

from earlyhelp.validate.engine import validate_paths
from earlyhelp.validate.report import DEFAULT_DETAIL_LIMIT, Finding, ValidationReport
from earlyhelp.validate.rules import RULES, RULES_IN_ORDER, Rule, require_every_rule_found

# The engine has imported every module with checks, so every rule's check is registered by now.
require_every_rule_found()

__all__ = [
    "DEFAULT_DETAIL_LIMIT",
    "RULES",
    "RULES_IN_ORDER",
    "Finding",
    "Rule",
    "ValidationReport",
    "validate_paths",
]
