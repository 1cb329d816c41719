"""The package's own copies of the specification stay word for word the same.

``docs/spec/`` is the specification the repository owns; ``src/earlyhelp/spec/docs/`` is the same
text shipped inside the package, so an installed earlyhelp carries its spec. Where the project's
shared folder sits beside the clone (``../shared/spec/``), the copies must equal it too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

SPEC_FILES = ("dataset.md", "indicators.md")
REPOSITORY = Path(__file__).resolve().parents[2]
DOCS_SPEC = REPOSITORY / "docs" / "spec"
SHARED_SPEC = REPOSITORY.parent / "shared" / "spec"


@pytest.mark.parametrize("name", SPEC_FILES)
def test_the_package_ships_the_same_spec_as_docs(name):
    shipped = resources.files("earlyhelp.spec").joinpath("docs", name).read_bytes()
    assert shipped == (DOCS_SPEC / name).read_bytes(), f"src/earlyhelp/spec/docs/{name} differs from docs/spec/{name}"


@pytest.mark.skipif(not SHARED_SPEC.is_dir(), reason=f"no shared spec folder at {SHARED_SPEC} to compare with")
@pytest.mark.parametrize("name", SPEC_FILES)
def test_docs_spec_is_in_step_with_the_shared_spec(name):
    assert (DOCS_SPEC / name).read_bytes() == (SHARED_SPEC / name).read_bytes(), (
        f"docs/spec/{name} differs from {SHARED_SPEC / name}: copy the newer text to both places"
    )


def test_no_spec_file_is_left_out_of_the_copies():
    assert sorted(p.name for p in DOCS_SPEC.glob("*.md")) == sorted(SPEC_FILES)
    if SHARED_SPEC.is_dir():
        assert sorted(p.name for p in SHARED_SPEC.glob("*.md")) == sorted(SPEC_FILES)
