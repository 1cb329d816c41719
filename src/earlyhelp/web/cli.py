"""``earlyhelp serve`` (the portal) and ``earlyhelp users add`` (its accounts)."""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
from pathlib import Path

import click

from earlyhelp.web.access import ROLES
from earlyhelp.web.settings import Settings

DATA_DIR_HELP = "The portal's data folder (its SQLite file, uploads and warehouses); EARLYHELP_DATA_DIR."


def _settings(data_dir: Path | None, **overrides: object) -> Settings:

    return Settings.from_env(data_dir, **overrides)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help=DATA_DIR_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load tiny synthetic England and demo users first (a demo data folder).")
@click.option(
    "--web-processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Web server processes (sessions are cookies and limits are in the database, so any process serves anyone).",
)
def serve(data_dir: Path | None, host: str, port: int, demo: bool, web_processes: int) -> None:
    """Run the portal: sign in, submit returns, fix problems, see results.

    On loopback the session cookie works over plain HTTP; on any other address it is sent over
    HTTPS only, so put the portal behind a TLS-terminating proxy (which may also do single
    sign-on with OIDC: see docs/web.md).
    """
    import uvicorn

    from earlyhelp.web.app import create_app

    if demo and data_dir is None:
        data_dir = Path("earlyhelp-portal-demo")
    # The worker (a huey consumer) runs in a process of its own (below), not in the web
    # process's threads; the web processes only enqueue.
    settings = _settings(data_dir, secure_cookies=not _is_loopback(host), worker_threads=0, worker_poll_seconds=0.5)
    app = create_app(settings)
    if demo:
        from earlyhelp.web.demo import DEMO_PASSWORD, load_demo

        click.echo("Loading tiny synthetic England into the demo portal...")
        users = load_demo(app.state.sessions, app.state.storage)
        click.echo(f"Demo users (password for each: {DEMO_PASSWORD}):")
        for username, role, las in users:
            click.echo(f"  {username:<22} {role:<20} {las}")
    from earlyhelp.web.worker import run_forever

    worker = multiprocessing.get_context("spawn").Process(
        target=run_forever, args=(settings, os.getpid()), name="earlyhelp-worker", daemon=True
    )
    worker.start()
    click.echo(f"The portal is at http://{host}:{port}/ (data in {settings.data_dir}). Ctrl+C stops it.")
    try:
        if web_processes == 1:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        else:
            # Each process builds its app from the environment: the same folder, database and key.
            os.environ.update(
                EARLYHELP_DATA_DIR=str(settings.data_dir.resolve()),
                EARLYHELP_DATABASE_URL=str(settings.database_url),
                EARLYHELP_SECRET_KEY=settings.signing_key,
                EARLYHELP_WEB_ASSETS=str(settings.assets_dir.resolve()),
                EARLYHELP_INSECURE_COOKIES="0" if settings.secure_cookies else "1",
            )
            uvicorn.run(
                "earlyhelp.web.app:app_from_environment",
                factory=True,
                workers=web_processes,
                host=host,
                port=port,
                log_level="warning",
            )
    finally:
        worker.terminate()
        worker.join(timeout=30)


@click.group()
def users() -> None:
    """Manage the portal's accounts."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice(list(ROLES)), help="; ".join(f"{k}: {v}" for k, v in ROLES.items())
)
@click.option("--la", "la_codes", multiple=True, help="An LA's ONS code the role covers (repeat for several).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help=DATA_DIR_HELP)
@click.password_option(help="Asked for when not given (at least 12 characters).")
def add(username: str, role: str, la_codes: tuple[str, ...], data_dir: Path | None, password: str) -> None:
    """Create a portal user with a role (and the LAs it covers)."""
    from earlyhelp.web.auth import add_user
    from earlyhelp.web.database import make_engine, migrate, session_factory

    settings = _settings(data_dir)
    engine = make_engine(str(settings.database_url))
    try:
        migrate(engine)
        with session_factory(engine).begin() as session:
            add_user(session, username, password, role, list(la_codes))
    finally:
        engine.dispose()
    click.echo(f"Added {username} ({role}{': ' + ', '.join(la_codes) if la_codes else ''}).")


@users.command("disable")
@click.argument("username")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help=DATA_DIR_HELP)
def disable(username: str, data_dir: Path | None) -> None:
    """Stop a user signing in, and end every session they have now (copied cookies included)."""
    from earlyhelp.web.auth import disable_user
    from earlyhelp.web.database import make_engine, migrate, session_factory

    settings = _settings(data_dir)
    engine = make_engine(str(settings.database_url))
    try:
        migrate(engine)
        with session_factory(engine).begin() as session:
            disable_user(session, username)
    finally:
        engine.dispose()
    click.echo(f"Disabled {username}; their sessions have ended.")
