"""The portal's FastAPI application: ``create_app(settings)``.

Server-rendered pages on the GOV.UK Design System (govuk-frontend's CSS and the
govuk-frontend-jinja macros); no page needs JavaScript. Every form carries a CSRF token; every
page that shows an LA's data asks :mod:`earlyhelp.web.access`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware.sessions import SessionMiddleware

from earlyhelp.warehouse.identity import PARTNER_SOURCES
from earlyhelp.web import access
from earlyhelp.web.access import Principal
from earlyhelp.web.analyses import read_headline_estimates, read_thresholds
from earlyhelp.web.auth import (
    SignIn,
    audit,
    end_session,
    new_csrf_token,
    principal,
    same_token,
    session_user,
    start_session,
    user_named,
)
from earlyhelp.web.database import make_engine, migrate, session_factory
from earlyhelp.web.models import AuditEvent, Finding, Submission, User
from earlyhelp.web.results import la_name, read_dashboard, warm_up
from earlyhelp.web.settings import Settings
from earlyhelp.web.storage import Storage, safe_filename
from earlyhelp.web.worker import PARTNER_TABLES, Worker, holds_identities, make_huey

ACCEPTED_SUFFIXES = (".zip", ".xml", ".csv", ".xlsx", ".xlsm", ".ods", ".parquet")
LA_CODE = re.compile(r"^E\d{8}$")
SHOWN_PER_RULE = 20
STATIC = Path(__file__).parent / "static"


class SignInRequired(Exception):
    """Raised by :func:`signed_in` for a request without a (still valid) session."""


def _environment() -> Environment:
    loader = ChoiceLoader(
        [
            PackageLoader("earlyhelp.web", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    )
    environment = Environment(
        loader=loader, autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )
    # (field id, message) pairs -> the error summary's list, each linked to its field.
    environment.globals["errors_as_list"] = lambda errors: [
        {"text": text, "href": f"#{field}"} for field, text in errors
    ]
    environment.globals["error_for"] = lambda errors, name: next(
        (text for field, text in errors if field == name), None
    )
    return environment


def proxy_user_name(request: Request) -> str | None:
    """The user name an authenticating proxy put in the trusted header, when that mode is on and
    the request comes from a trusted proxy's address; None otherwise (the header is ignored)."""
    settings: Settings = request.app.state.settings
    if not settings.trusted_user_header:
        return None
    if not settings.is_trusted_proxy(request.client.host if request.client else None):
        return None
    name = request.headers.get(settings.trusted_user_header, "").strip()
    return name or None


def signed_in(request: Request) -> Principal:
    """The signed-in user (a route dependency); :class:`SignInRequired` without a valid session."""
    token = request.session.get("session")
    proxied = proxy_user_name(request)
    user = None
    # The server-side row, not the cookie's signature, decides: a session signed out (or of a
    # user since disabled) is refused even when a copy of its cookie is replayed.
    with request.app.state.sessions() as session:
        if isinstance(token, str) and token:
            user = session_user(session, token)
        found = principal(user) if user is not None else None
    if proxied is not None and (found is None or found.username.lower() != proxied.lower()):
        found = _sign_in_from_proxy(request, proxied)
    if found is None:
        request.session.clear()
        raise SignInRequired
    request.state.user = found
    return found


def _sign_in_from_proxy(request: Request, username: str) -> Principal:
    """A new session for the portal user the proxy named (roles and LAs from the portal's own
    table); 403 for a name the portal does not know or has disabled. Audited either way."""
    settings: Settings = request.app.state.settings
    with request.app.state.sessions.begin() as session:
        user = user_named(session, username)
        if user is None:
            audit(session, "sign-in", None, outcome="proxy-unknown")
            refused = True
        else:
            audit(session, "sign-in", user.id, outcome="proxy")
            token = start_session(session, user.id, settings.session_hours)
            found = principal(user)
            refused = False
    if refused:
        request.session.clear()
        raise HTTPException(status_code=403, detail="unknown-user")
    request.session.clear()
    request.session["session"] = token
    request.session["csrf"] = new_csrf_token()
    return found


SignedIn = Annotated[Principal, Depends(signed_in)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The portal. ``settings`` defaults to :meth:`Settings.from_env`."""
    settings = settings or Settings.from_env()
    engine = make_engine(str(settings.database_url))
    migrate(engine)
    sessions = session_factory(engine)
    storage = Storage(settings.data_dir)
    # Every web process enqueues; only a consumer (here when worker_threads, else `serve`'s
    # worker process) takes tasks.
    worker = Worker(
        sessions,
        storage,
        make_huey(settings),
        poll_seconds=settings.worker_poll_seconds,
        link_secret=settings.link_secret,
    )
    sign_in_checker = SignIn(settings.sign_in_attempts, settings.sign_in_window_minutes)
    templates = Jinja2Templates(env=_environment())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.worker_threads:
            worker.start(settings.worker_threads)
        results = storage.data_dir / "results"
        published = (
            {p.name: storage.published(p.name) for p in results.iterdir() if LA_CODE.match(p.name)}
            if results.exists()
            else {}
        )
        threading.Thread(target=warm_up, args=(published,), name="earlyhelp-warm-up", daemon=True).start()
        try:
            yield
        finally:
            worker.stop()
            engine.dispose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.worker = worker
    app.state.storage = storage
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key,
        session_cookie="earlyhelp_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    frontend = settings.frontend_dir()
    app.mount("/assets", StaticFiles(directory=frontend / "assets"), name="assets")
    app.mount("/govuk", StaticFiles(directory=frontend), name="govuk")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        # A body larger than any upload allowed is refused before it is read (browsers send its
        # length); what arrives without one is checked once received.
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_upload_bytes + 1024 * 1024:
            return Response("The file is too big.", status_code=413, media_type="text/plain")
        response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith(("/la/", "/admin", "/home")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # ------------------------------------------------------------------ helpers
    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = new_csrf_token()
            request.session["csrf"] = token
        return str(token)

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.update(request=request, csrf_token=csrf_token(request), user=getattr(request.state, "user", None))
        return templates.TemplateResponse(request, template, context, status_code=status_code)

    async def checked_form(request: Request) -> Any:
        """The posted form, once its CSRF token matches the session's (else 403)."""
        form = await request.form(max_files=1, max_fields=20)
        if not same_token(request.session.get("csrf"), str(form.get("csrf_token") or "")):
            raise HTTPException(status_code=403, detail="csrf")
        return form

    def la_for(user: Principal, la_code: str, *, submit: bool = False) -> str:
        """The LA code, if this user may see it (submit: may submit for it); 404 otherwise, so a
        user cannot even learn which LAs have data."""
        allowed = access.may_read_submissions(user, la_code) if submit else access.may_view_la(user, la_code)
        if not LA_CODE.match(la_code) or not allowed:
            raise HTTPException(status_code=404)
        return la_code

    def submission_for(user: Principal, la_code: str, submission_id: int) -> Submission:
        la_for(user, la_code, submit=True)
        with sessions() as session:
            submission = session.get(Submission, submission_id)
        if (
            submission is None
            or submission.la_code != la_code
            or not access.may_read_submission(user, la_code, submission.kind)
        ):
            raise HTTPException(status_code=404)
        return submission

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, _error: SignInRequired) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, error: HTTPException) -> Response:
        titles = {
            403: "Your request could not be checked",
            404: "Page not found",
            405: "Page not found",
            413: "The file is too big",
        }
        title = titles.get(error.status_code, "Sorry, there is a problem with the service")
        reason = error.detail if error.detail == "unknown-user" else ""
        if reason:
            title = "You do not have an account for this service"
        return render(
            request, "error.html", status_code=error.status_code, title=title, status=error.status_code, reason=reason
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # The type only: a message may quote data.
        logging.getLogger(__name__).error("%s %s failed (%s)", request.method, request.url.path, type(error).__name__)
        return render(
            request, "error.html", status_code=500, title="Sorry, there is a problem with the service", status=500
        )

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse)
    def start(request: Request) -> Response:
        target = "/home" if request.session.get("session") or proxy_user_name(request) else "/sign-in"
        return RedirectResponse(target, status_code=303)

    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in_page(request: Request) -> Response:
        return render(request, "sign_in.html", errors=[], username="")

    # argon2 is slow and memory-hungry by design: a few checks at a time, off the event loop.
    password_checks = threading.BoundedSemaphore(2)

    def check_credentials(username: str, password: str, client: str) -> tuple[str, str]:
        """("ok", the new session's token), or ("locked" or "failed", ""); audited either way."""
        with password_checks, sessions.begin() as session:
            if sign_in_checker.locked(session, username, client):
                audit(session, "sign-in", None, outcome="locked")
                return "locked", ""
            user = sign_in_checker.check(session, username, password, client)
            if user is None:
                audit(session, "sign-in", None, outcome="failed")
                return "failed", ""
            audit(session, "sign-in", user.id)
            return "ok", start_session(session, user.id, settings.session_hours)

    @app.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        form = await checked_form(request)
        username = str(form.get("username") or "")
        password = str(form.get("password") or "")
        client = request.client.host if request.client else "unknown"
        errors = []
        if not username:
            errors.append(("username", "Enter your user name"))
        if not password:
            errors.append(("password", "Enter your password"))
        if errors:
            return render(request, "sign_in.html", status_code=400, errors=errors, username=username)
        outcome, token = await run_in_threadpool(check_credentials, username, password, client)
        if outcome == "locked":
            return render(
                request,
                "sign_in.html",
                status_code=429,
                errors=[("username", "There have been too many attempts to sign in. Wait 15 minutes and try again")],
                username=username,
            )
        if outcome != "ok":
            return render(
                request,
                "sign_in.html",
                status_code=400,
                errors=[("username", "Enter a correct user name and password")],
                username=username,
            )
        # A fresh session on sign-in: nothing from before it (a fixed session id) carries over.
        request.session.clear()
        request.session["session"] = token
        request.session["csrf"] = new_csrf_token()
        return RedirectResponse("/home", status_code=303)

    @app.post("/sign-out")
    async def sign_out(request: Request, user: SignedIn) -> Response:
        await checked_form(request)

        token = str(request.session.get("session") or "")

        def record() -> None:
            with sessions.begin() as session:
                end_session(session, token)
                audit(session, "sign-out", user.user_id)

        await run_in_threadpool(record)
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)

    def visible_las(user: Principal) -> list[str]:
        """The LAs whose dashboards the user may see (a national analyst: every LA with results)."""
        if user.role == access.NATIONAL_ANALYST:
            results = storage.data_dir / "results"
            codes = sorted(p.name for p in results.iterdir() if LA_CODE.match(p.name)) if results.exists() else []
        else:
            codes = list(user.la_codes)
        return [code for code in codes if access.may_view_la(user, code)]

    @app.get("/home", response_class=HTMLResponse)
    def home(request: Request, user: SignedIn) -> Response:
        las = [
            {"code": code, "name": la_name(code), "submit": access.may_submit(user, code)} for code in visible_las(user)
        ]
        return render(request, "home.html", las=las, audit=access.may_read_audit(user), overview=len(las) > 1)

    @app.get("/overview", response_class=HTMLResponse)
    def overview(request: Request, user: SignedIn, indicator: str | None = None) -> Response:
        """One indicator across every LA the user may see (a partnership's, or England's for a
        national analyst), each LA's latest year, beside its region and England."""
        from earlyhelp.indicators.definitions import INDICATORS

        names = {i.name: i.label for i in INDICATORS}
        chosen = indicator if indicator in names else "re_referral_pct"
        rows = []
        for code in visible_las(user):
            board = read_dashboard(storage.published(code), code)
            found = next((r for r in board.rows if r.indicator == chosen), None) if board else None
            if board is not None and found is not None:
                rows.append({"code": code, "name": board.la_name, "year": board.year_label, "row": found})
        return render(
            request,
            "overview.html",
            rows=rows,
            indicators=list(names.items()),
            chosen=chosen,
            label=names[chosen],
        )

    @app.get("/la/{la_code}", response_class=HTMLResponse)
    def dashboard(request: Request, la_code: str, user: SignedIn, year: str | None = None) -> Response:
        la_for(user, la_code)
        # Published, disclosure-controlled figures: not a record-level read, so not audited.
        board = read_dashboard(storage.published(la_code), la_code, year)
        return render(
            request,
            "dashboard.html",
            la_code=la_code,
            name=board.la_name if board else la_name(la_code),
            board=board,
            submit=access.may_submit(user, la_code),
            thresholds=read_thresholds(storage.thresholds(la_code), la_code),
            estimates=read_headline_estimates(storage.estimates(la_code)),
        )

    @app.get("/la/{la_code}/submissions", response_class=HTMLResponse)
    def submissions(request: Request, la_code: str, user: SignedIn) -> Response:
        la_for(user, la_code, submit=True)
        rows = recent_submissions(la_code, user)
        return render(
            request,
            "submissions.html",
            la_code=la_code,
            name=la_name(la_code),
            submissions=rows,
            errors=[],
            partner_tables=PARTNER_TABLES if user.role == access.PARTNER_SUBMITTER else None,
            partner_sources=PARTNER_SOURCES,
        )

    def recent_submissions(la_code: str, user: Principal) -> list[Submission]:
        query = select(Submission).where(Submission.la_code == la_code)
        if user.role == access.PARTNER_SUBMITTER:
            query = query.where(Submission.kind.in_(access.PARTNER_KINDS))
        with sessions() as session:
            rows = session.scalars(query.order_by(Submission.id.desc()).limit(50)).all()
        return [row for row in rows if access.may_read_submission(user, la_code, row.kind)]

    def store_upload(la_code: str, user: Principal, upload: UploadFile) -> int:
        """Record the submission, keep its file, then queue it: the worker never sees a
        submission without its whole file. The row says ``queued`` before huey is told, so a
        process that dies between the two leaves a row the consumer enqueues itself."""
        filename = safe_filename(upload.filename or "upload")
        kind = "return"
        if user.role == access.PARTNER_SUBMITTER:
            # A partner agency adds its outcomes or identity records; it cannot replace the return.
            identities = holds_identities(upload.filename or "", upload.file)
            kind = access.PARTNER_IDENTITIES if identities else access.PARTNER_OUTCOMES
        with sessions.begin() as session:
            submission = Submission(
                la_code=la_code,
                user_id=user.user_id,
                filename=filename,
                kind=kind,
                status="storing",
                stage="Receiving the file",
            )
            session.add(submission)
            session.flush()
            submission_id = submission.id
        target = storage.upload_path(submission_id, filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        upload.file.seek(0)
        with open(target, "wb") as handle:
            shutil.copyfileobj(upload.file, handle, length=1024 * 1024)
        with sessions.begin() as session:
            stored = session.get(Submission, submission_id)
            assert stored is not None
            stored.status, stored.stage = "queued", "Waiting to start"
            audit(session, "submit", user.user_id, la_code=la_code, submission_id=submission_id)
        worker.enqueue_quietly(submission_id)
        return submission_id

    @app.post("/la/{la_code}/submissions", response_class=HTMLResponse)
    async def submit(request: Request, la_code: str, user: SignedIn) -> Response:
        la_for(user, la_code, submit=True)
        form = await checked_form(request)
        upload = form.get("return_file")
        errors = []
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.append(("return_file", "Select a return to upload"))
        elif not upload.filename.lower().endswith(ACCEPTED_SUFFIXES):
            errors.append(("return_file", "The selected file must be a zip, XML, CSV, Parquet or Excel workbook"))
        elif upload.size is not None and upload.size > settings.max_upload_bytes:
            errors.append(
                (
                    "return_file",
                    f"The selected file must be smaller than {settings.max_upload_bytes // 1024 // 1024} MB",
                )
            )
        if errors:
            rows = await run_in_threadpool(recent_submissions, la_code, user)
            return render(
                request,
                "submissions.html",
                status_code=400,
                la_code=la_code,
                name=la_name(la_code),
                submissions=rows,
                errors=errors,
                partner_tables=PARTNER_TABLES if user.role == access.PARTNER_SUBMITTER else None,
                partner_sources=PARTNER_SOURCES,
            )
        assert isinstance(upload, UploadFile) and upload.filename
        submission_id = await run_in_threadpool(store_upload, la_code, user, upload)
        return RedirectResponse(f"/la/{la_code}/submissions/{submission_id}", status_code=303)

    @app.get("/la/{la_code}/submissions/{submission_id}", response_class=HTMLResponse)
    def submission_page(
        request: Request, la_code: str, submission_id: int, user: SignedIn, updates: str | None = None
    ) -> Response:
        submission = submission_for(user, la_code, submission_id)
        with sessions.begin() as session:
            findings = session.scalars(
                select(Finding).where(Finding.submission_id == submission_id).order_by(Finding.id)
            ).all()
            if findings:
                # Findings point at lines of a return: a record-level read.
                audit(session, "read-findings", user.user_id, la_code=la_code, submission_id=submission_id)
        groups = group_findings(findings)
        checking = submission.status in ("queued", "running", "storing")
        refresh = settings.progress_refresh_seconds if checking and updates != "off" else None
        page = render(
            request,
            "submission.html",
            la_code=la_code,
            name=la_name(la_code),
            submission=submission,
            groups=groups,
            checking=checking,
            refresh=refresh,
        )
        if refresh:
            # A Refresh header, not a <meta> refresh: the page itself offers "Stop updating this
            # page" at its top (WCAG 2.2.1, a time limit the user can turn off), which a checker
            # reading a <meta> tag cannot see, and it keeps the markup free of timed reloads.
            page.headers["Refresh"] = str(refresh)
        return page

    @app.get("/la/{la_code}/submissions/{submission_id}/problems.csv")
    def problems_csv(request: Request, la_code: str, submission_id: int, user: SignedIn) -> Response:
        submission_for(user, la_code, submission_id)
        with sessions.begin() as session:
            findings = session.scalars(
                select(Finding).where(Finding.submission_id == submission_id).order_by(Finding.id)
            ).all()
            audit(session, "download-problems", user.user_id, la_code=la_code, submission_id=submission_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["rule", "rule_title", "severity", "breaches_of_rule", "where", "problem", "how_to_fix"])
        for finding in findings:
            writer.writerow(
                [
                    spreadsheet_safe(cell)
                    for cell in (
                        finding.rule_id,
                        finding.rule_title,
                        finding.severity,
                        finding.rule_count,
                        finding.location,
                        finding.message,
                        finding.hint,
                    )
                ]
            )
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="submission-{submission_id}-problems.csv"'},
        )

    @app.get("/admin/audit", response_class=HTMLResponse)
    def audit_log(request: Request, user: SignedIn) -> Response:
        if not access.may_read_audit(user):
            raise HTTPException(status_code=404)
        with sessions() as session:
            events = session.execute(
                select(AuditEvent, User.username)
                .outerjoin(User, User.id == AuditEvent.user_id)
                .order_by(AuditEvent.id.desc())
                .limit(500)
            ).all()
            total = session.scalar(select(func.count()).select_from(AuditEvent))
        return render(request, "audit.html", events=events, total=total)

    return app


def spreadsheet_safe(cell: object) -> object:
    """A cell a spreadsheet will not run as a formula (a message may quote a cell of the return)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def app_from_environment() -> FastAPI:
    """The app of one of several web processes (``earlyhelp serve --web-processes``): settings
    from the environment, and no worker of its own (``serve`` runs that once, beside them)."""
    return create_app(Settings.from_env(worker_threads=0))


def group_findings(findings: Any) -> list[dict[str, Any]]:
    """Findings by rule, errors first, each rule with its first :data:`SHOWN_PER_RULE` places."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        group = groups.setdefault(
            finding.rule_id,
            {
                "rule_id": finding.rule_id,
                "title": finding.rule_title,
                "severity": finding.severity,
                "count": finding.rule_count,
                "items": [],
            },
        )
        if len(group["items"]) < SHOWN_PER_RULE:
            group["items"].append(finding)
    ordered = sorted(groups.values(), key=lambda g: g["severity"] != "error")
    for number, group in enumerate(ordered, start=1):
        group["anchor"] = f"rule-{number}"
        group["more"] = group["count"] - len(group["items"])
    return ordered
