"""The ``earlyhelp`` command. Each pipeline stage owns its subcommand in ``<stage>/cli.py``.

Subcommands are imported only when run, so ``earlyhelp --help`` is instant and a stage's heavy
dependencies (Spark, Splink) load only for the command that needs them.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from earlyhelp import __version__
from earlyhelp.errors import EarlyhelpError

# name -> (module:attribute, one-line help shown by `earlyhelp --help`), in pipeline order, then look-ups.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("earlyhelp.validate.cli:validate", "Check EHLD files against every rule of the spec."),
    "load": ("earlyhelp.warehouse.cli:load", "Load validated EHLD returns into a DuckDB warehouse."),
    "synth": ("earlyhelp.synth.cli:synth", "Write a calibrated synthetic England (or --check one)."),
    "ingest": ("earlyhelp.formats.cli:ingest", "Read CIN census XML, SSDA903 or SSD files into EHLD tables."),
    "export": ("earlyhelp.formats.cli:export", "Write EHLD data as CIN census XML or SSDA903 files."),
    "link": ("earlyhelp.link.cli:link", "Link identity records into one pseudonymous person_id."),
    "indicators": ("earlyhelp.indicators.cli:indicators", "Compute every outcomes-framework indicator."),
    "report": ("earlyhelp.report.cli:report", "Write the static report site with charts and tables."),
    "neighbours": (
        "earlyhelp.compare.cli:neighbours",
        "List an LA's statistical neighbours (by code, number or name).",
    ),
    "fund": ("earlyhelp.funding.cli:fund", "Real-terms early intervention spend and a grant formula."),
    "thresholds": ("earlyhelp.thresholds.cli:thresholds", "A case-mix-adjusted threshold index per LA."),
    "evaluate": ("earlyhelp.evaluate.cli:evaluate", "Estimate the effect of step-down to early help (ATT)."),
    "journeys": ("earlyhelp.journeys.cli:journeys", "Children's journeys: transitions and time to re-referral."),
    "whatif": ("earlyhelp.whatif.cli:whatif", "Project what more early help would change, with intervals."),
    "serve": ("earlyhelp.web.cli:serve", "Run the portal: submit returns, fix problems, see results."),
    "users": ("earlyhelp.web.cli:users", "Manage the portal's accounts (users add ...)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, short_help = COMMANDS[name]
        module_name, attribute = target.split(":")
        try:
            command = getattr(importlib.import_module(module_name), attribute)
        except ModuleNotFoundError as error:
            # Only the stage's own module missing means "not in this installation"; anything
            # else it fails to import is a real fault and must not hide behind that message.
            if os.environ.get("EARLYHELP_DEBUG") or not _is_part_of(error.name, module_name):
                raise

            # A stage not built yet still shows in --help, and says so when run.
            @click.command(name=name, help=short_help, context_settings={"ignore_unknown_options": True})
            @click.argument("args", nargs=-1, type=click.UNPROCESSED)
            def unavailable(args: tuple[str, ...]) -> None:
                raise EarlyhelpError(f"`earlyhelp {name}` is not available in this installation.")

            return unavailable
        command.short_help = command.short_help or short_help
        return command


def _is_part_of(missing: str | None, module_name: str) -> bool:
    """Is the missing module ``module_name`` itself or one of its parent packages?"""
    return bool(missing) and (module_name == missing or module_name.startswith(f"{missing}."))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="earlyhelp")
@click.option("-v", "--verbose", count=True, help="More log detail (never identifiers).")
def main(verbose: int) -> None:
    """earlyhelp: see, link and evaluate early help for children in England.

    Stages run in this order: validate/load or ingest the data (or make synthetic data with
    synth), link it, compute the indicators, and publish the report.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def run() -> None:
    """Console-script entry point: user errors become one clear message, never a traceback."""
    try:
        # Outside standalone mode click returns a subcommand's ctx.exit(code) instead of exiting.
        returned = main.main(standalone_mode=False)
    except EarlyhelpError as error:
        click.secho(f"Error: {error.message}", fg="red", err=True)
        if error.hint:
            click.echo(f"Hint: {error.hint}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`earlyhelp validate ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
    except OSError as error:
        # Files a user named that cannot be written or read: a usage problem, said plainly.
        where = f" {error.filename}" if error.filename else ""
        reason = error.strerror or type(error).__name__
        click.secho(f"Error: cannot use{where}: {reason}.", fg="red", err=True)
        click.echo(
            "Hint: check that the path exists, is the kind expected (a folder or a file) and that you may write there.",
            err=True,
        )
        sys.exit(2)
    except Exception as error:
        if os.environ.get("EARLYHELP_DEBUG"):
            raise
        click.secho(
            f"Error: earlyhelp stopped unexpectedly ({type(error).__name__}). "
            "Run again with EARLYHELP_DEBUG=1 for the technical detail, and report it.",
            fg="red",
            err=True,
        )
        sys.exit(3)
    sys.exit(returned if isinstance(returned, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
