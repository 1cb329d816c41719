"""Click options and input checks that several ``earlyhelp`` subcommands share, so each says them once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from earlyhelp.errors import UsageError
from earlyhelp.output_folder import moved_path

F = TypeVar("F", bound=Callable[..., Any])

# earlyhelp.engine.ENGINES, spelled out so that `--help` does not import the engine layer (pyarrow);
# tests/test_earlyhelp_command.py checks that the two agree.
ENGINE_CHOICES = ("duckdb", "spark")

FOLDER_HINT = "For a folder of EHLD files, use --data DIR."


def path_option(*param_decls: str, **attrs: Any) -> Callable[[F], F]:
    """A click option whose value is a :class:`~pathlib.Path`."""
    return click.option(*param_decls, type=click.Path(path_type=Path), **attrs)


def data_option(help: str) -> Callable[[F], F]:
    return path_option("--data", "data", default=None, help=help)


def warehouse_input_option(f: F) -> F:
    """``--warehouse``, the other input of a command that takes ``--data`` too."""
    return path_option(
        "--warehouse", default=None, help="A DuckDB warehouse written by `earlyhelp load` (instead of --data)."
    )(f)


def data_or_warehouse(data_help: str) -> Callable[[F], F]:
    """``--data`` and ``--warehouse``, the two ways to give a command its EHLD input
    (check them with :func:`existing_input`)."""

    def decorate(f: F) -> F:
        return data_option(data_help)(warehouse_input_option(f))

    return decorate


def out_option(help: str) -> Callable[[F], F]:
    return path_option("--out", "out", required=True, help=help)


def force_option(command: str, help: str | None = None) -> Callable[[F], F]:
    """``--force``: write into a used ``--out`` folder (see :mod:`earlyhelp.output_folder`)."""
    return click.option(
        "--force",
        is_flag=True,
        help=help
        or "Write into a folder that already holds files: replaces only the files an earlier "
        f"`earlyhelp {command}` wrote there, never anyone else's.",
    )


def engine_option(help: str) -> Callable[[F], F]:
    return click.option("--engine", type=click.Choice(ENGINE_CHOICES), default="duckdb", show_default=True, help=help)


def suppression_threshold_option(help: str, value_type: Any = int) -> Callable[[F], F]:
    return click.option("--suppression-threshold", type=value_type, default=5, show_default=True, help=help)


# earlyhelp.reference.LA_FORMS, spelled out so that `--help` does not import the reference data
# (pandas); tests/reference/test_la_option.py checks that the two agree.
LA_FORMS = "an ONS code (E06000001), a DfE LA number (805) or a name (Hartlepool)"


def la_option(*param_decls: str, help: str, required: bool = False, unlisted_codes: bool = False) -> Callable[[F], F]:
    """An option naming a local authority, in any form :func:`earlyhelp.reference.resolve_la`
    reads; the command receives its ONS code. An unknown or ambiguous LA is a usage error
    (exit 2) listing the closest LAs. ``unlisted_codes``: also take a well-formed ONS code that
    the package's LA table does not hold (for commands that only label data with it)."""

    def to_ons_code(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from earlyhelp.reference import resolve_la

        return resolve_la(value, allow_unlisted_code=unlisted_codes)

    return click.option(
        *param_decls,
        default=None,
        required=required,
        metavar="LA",
        callback=to_ons_code,
        help=f"{help} Give {LA_FORMS}; any case, '&' or 'and'.",
    )


def one_input(data: Path | None, warehouse: Path | None) -> Path:
    """The one of ``--data`` and ``--warehouse`` given; a usage error unless exactly one is."""
    if (data is None) == (warehouse is None):
        raise UsageError("Give exactly one of --data DIR or --warehouse FILE.")
    source = data if data is not None else warehouse
    assert source is not None  # exactly one of the two, checked above
    return source


def existing_input(data: Path | None, warehouse: Path | None, folder_hint: str = FOLDER_HINT) -> Path:
    """:func:`one_input`, which must also be an existing folder (``--data``) or file (``--warehouse``)."""
    source = one_input(data, warehouse)
    if data is not None and not data.is_dir():
        raise UsageError(
            f"--data takes a folder, but {data} is not one.", hint="For a warehouse file, use --warehouse FILE."
        )
    if warehouse is not None and not warehouse.is_file():
        raise UsageError(f"--warehouse takes a file, but {warehouse} is not one.", hint=folder_hint)
    return source


def echo_files(paths: Iterable[Path], staging: Path, out: Path) -> None:
    """List, indented, where the files a command wrote into ``staging`` now are in ``out``."""
    for path in paths:
        click.echo(f"  {moved_path(path, staging, out)}")
