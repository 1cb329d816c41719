"""The spec is the base layer: no module of ``earlyhelp.spec`` imports another stage.

Read from the source with ``ast``, so an import inside a function (made late to dodge a cycle)
counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import earlyhelp
import earlyhelp.spec

PACKAGE = Path(earlyhelp.__file__).parent
# The stages are earlyhelp's subpackages; its single modules (errors, privacy, ...) are shared helpers.
STAGES = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def _earlyhelp_imports(source: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in modules if m.split(".")[0] == "earlyhelp"}


def test_the_stages_are_found():
    assert {"spec", "validate", "formats", "engine"} <= STAGES


def test_spec_imports_no_other_stage():
    spec_files = sorted(Path(earlyhelp.spec.__file__).parent.glob("*.py"))
    assert spec_files
    leaks = {
        f"{source.name}: {module}"
        for source in spec_files
        for module in _earlyhelp_imports(source)
        if len(module.split(".")) > 1 and module.split(".")[1] in STAGES - {"spec"}
    }
    assert leaks == set()


def test_the_check_sees_a_late_import(tmp_path):
    source = tmp_path / "leaky.py"
    source.write_text("def f():\n    from earlyhelp.validate.report import ValidationReport\n")
    assert "earlyhelp.validate.report" in _earlyhelp_imports(source)
