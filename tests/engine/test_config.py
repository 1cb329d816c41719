"""EngineConfig: one memory limit, threads and spill folder, read from EARLYHELP_* settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earlyhelp.engine import EngineConfig
from earlyhelp.engine import config as config_module
from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.errors import UsageError

SRC = Path(__file__).resolve().parents[2] / "src" / "earlyhelp"


def test_settings_are_read_from_the_environment(tmp_path):
    config = EngineConfig.from_env(
        {
            "EARLYHELP_MEMORY_LIMIT": "1500MB",
            "EARLYHELP_THREADS": "3",
            "EARLYHELP_TEMP_DIR": str(tmp_path),
            "EARLYHELP_SPARK_MASTER": "spark://cluster:7077",
            "EARLYHELP_SPARK_MEMORY": "8G",
        }
    )
    assert config == EngineConfig(1_500_000_000, 3, tmp_path, "spark://cluster:7077", "8g")
    # A GiB is 1024**3 bytes, as DuckDB reads it.
    assert EngineConfig.from_env({"EARLYHELP_MEMORY_LIMIT": "2GiB"}).memory_limit == 2 * 1024**3


def test_defaults_are_half_the_ram_capped_at_3_gb(monkeypatch):
    monkeypatch.setattr(config_module, "physical_memory", lambda: 4 * 10**9)
    monkeypatch.setattr(config_module, "available_cpus", lambda: 6)
    small = EngineConfig.from_env({})
    assert small.memory_limit == 2 * 10**9
    assert (small.threads, small.temp_dir, small.spark_master) == (6, None, "local[6]")
    assert small.spark_memory == f"{2 * 10**9 // 2**20}m"  # half the RAM under the 4 GiB cap
    monkeypatch.setattr(config_module, "physical_memory", lambda: 64 * 2**30)
    large = EngineConfig.from_env({})
    assert (large.memory_limit, large.spark_memory) == (3 * 10**9, "4096m")
    # Where the system does not say how much RAM there is, the cap is the default.
    monkeypatch.setattr(config_module, "physical_memory", lambda: None)
    assert EngineConfig.from_env({}).memory_limit == 3 * 10**9


def test_stages_take_their_share_of_the_one_limit():
    config = EngineConfig(3 * 10**9, 2)
    assert config.duckdb_memory_limit() == "3000MB"
    assert config.duckdb_memory_limit("link") == "2000MB"
    assert config.duckdb_memory_limit("load") == "1000MB"
    assert config.duckdb_memory_limit("validate_keys") == "600MB"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EARLYHELP_MEMORY_LIMIT", "lots", "must be an amount of memory"),
        ("EARLYHELP_MEMORY_LIMIT", "3 parsecs", "must be an amount of memory"),
        ("EARLYHELP_MEMORY_LIMIT", "10MB", "too little"),
        ("EARLYHELP_THREADS", "0", "whole number of threads"),
        ("EARLYHELP_THREADS", "two", "whole number of threads"),
        ("EARLYHELP_TEMP_DIR", "/no/such/folder", "not an existing folder"),
        ("EARLYHELP_SPARK_MASTER", "my laptop", "Spark master URL"),
        ("EARLYHELP_SPARK_MEMORY", "4 gigs", "JVM memory size"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_it(name, value, message):
    with pytest.raises(UsageError, match=message) as raised:
        EngineConfig.from_env({name: value})
    assert name in raised.value.message


def test_connections_are_bounded_by_the_config(tmp_path):
    config = EngineConfig(3 * 10**9, 1)
    con = duckdb_connection(config=config, stage="validate_keys", spill=tmp_path, keep_insertion_order=False)
    try:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('threads', 'temp_directory', 'preserve_insertion_order', 'memory_limit')"
            ).fetchall()
        )
    finally:
        con.close()
    assert settings["threads"] == "1"
    assert settings["temp_directory"] == str(tmp_path)
    assert settings["preserve_insertion_order"] == "false"
    # DuckDB shows 600 MB as MiB: 600e6 / 2**20 = 572.2.
    assert settings["memory_limit"] == "572.2 MiB"


def test_connections_and_sessions_are_made_only_by_the_engine_layer():
    pattern = re.compile(r"duckdb\.connect\(|SparkSession\.builder")
    outside = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] != "engine"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert outside == []
    # The test can fail: the engine layer itself is found.
    assert pattern.search((SRC / "engine" / "connect.py").read_text())
