"""Each rule's check is registered beside it with ``rules.finds``, and only there.

The source of the modules that find breaches is read with ``ast``: a rule id written in a function
that does not declare it (a new ``report.add("...")`` in an undecorated function) fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

# Importing the package imports every check module, so every check is registered.
from earlyhelp.validate import rules

CHECK_MODULES = ("reader", "engine", "checks", "keys")


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    """Module-level functions and methods (nested functions count as part of their parent)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [(f"{node.name}.{sub.name}", sub) for sub in node.body if isinstance(sub, ast.FunctionDef)]
    return found


def _ids_written_in(module_name: str) -> dict[str, set[str]]:
    """Qualified function name -> the rule ids written as text in its body."""
    module = importlib.import_module(f"earlyhelp.validate.{module_name}")
    tree = ast.parse(inspect.getsource(module))
    return {
        name: {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in rules.RULES}
        for name, node in _functions(tree)
    }


def _declared() -> dict[str, set[str]]:
    """Qualified function name -> the rule ids it is registered for."""
    declared: dict[str, set[str]] = {}
    for rule in rules.RULES_IN_ORDER:
        for function in rules.finders(rule.id):
            declared.setdefault(f"{function.__module__}:{function.__qualname__}", set()).add(rule.id)
    return declared


def test_every_rule_has_a_registered_check():
    assert [r.id for r in rules.RULES_IN_ORDER if not rules.finders(r.id)] == []
    rules.require_every_rule_found()  # what `import earlyhelp.validate` runs


def test_every_rule_id_in_the_checks_is_declared_by_its_function():
    declared = _declared()
    for module_name in CHECK_MODULES:
        for name, written in _ids_written_in(module_name).items():
            undeclared = written - declared.get(f"earlyhelp.validate.{module_name}:{name}", set())
            assert not undeclared, f"{module_name}.{name} reports {sorted(undeclared)} without @rules.finds"


def test_every_registered_check_lives_in_a_check_module():
    modules = {name.split(":")[0] for name in _declared()}
    assert modules <= {f"earlyhelp.validate.{m}" for m in CHECK_MODULES}


def test_a_check_for_an_unknown_rule_is_refused_when_it_is_defined():
    with pytest.raises(ValueError, match="not-a-rule"):

        @rules.finds("not-a-rule")
        def check() -> None:  # pragma: no cover - never registered
            pass


def test_a_rule_without_a_check_is_an_error(monkeypatch):
    monkeypatch.setattr(rules, "_FINDERS", {k: v for k, v in rules._FINDERS.items() if k != "value-upn"})
    with pytest.raises(ImportError, match="value-upn"):
        rules.require_every_rule_found()
