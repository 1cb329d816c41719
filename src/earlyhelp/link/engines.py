"""The Splink backends ``earlyhelp link`` can run on (kept light: the CLI imports it)."""

ENGINES = ("duckdb", "spark")
