from __future__ import annotations

import pytest

from .inputs import Seed, build_seeds


@pytest.fixture(scope="session")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Seed]]:
    return build_seeds(tmp_path_factory.mktemp("fuzz-seeds"))
