"""The background worker: validates and loads submissions off the request path.

The queue is huey's (https://huey.readthedocs.io): a ``SqliteHuey`` file beside the portal's
SQLite database by default, or huey's SQL storage (peewee) in the portal's PostgreSQL database
when ``EARLYHELP_DATABASE_URL`` names one. A request stores the upload, marks its
``submissions`` row ``queued`` and enqueues the submission's number; a huey consumer (threads of
the web process from ``create_app``, or a process of its own from ``earlyhelp serve``) runs
:meth:`Worker.check`, which reads the upload (a zip is unpacked safely; CIN census XML, SSDA903
and SSD files go through ``earlyhelp.formats.ingest``; an EHLD workbook or folder is read as it
is), validates it with ``earlyhelp.validate``, and loads an accepted return into the LA's own
DuckDB warehouse with ``earlyhelp.warehouse.load_return``, which is all or nothing and journals
its commits. Then it recomputes the LA's published indicators.

The row, not huey, is the record of a submission's state: huey takes a task off its queue before
running it, so a task whose process dies is gone from huey. A task therefore first claims its row
(``queued`` to ``running``, one conditional UPDATE), and a consumer starting up puts every row
left ``running`` back to ``queued`` and enqueues every ``queued`` row that huey does not hold (a
duplicate finds its row claimed and does nothing). A load cut off is finished or undone by
``load_return``'s own recovery. Run one consumer per data folder: rows left ``running`` are taken
to be orphans, and loads to one LA are serialised only within a consumer.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import threading
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from huey import Huey, SqliteHuey, crontab
from huey.consumer import Consumer, ConsumerStopped
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from earlyhelp.errors import EarlyhelpError
from earlyhelp.validate.report import ValidationReport
from earlyhelp.web.access import PARTNER_IDENTITIES, PARTNER_OUTCOMES
from earlyhelp.web.models import Finding, Submission
from earlyhelp.web.settings import Settings
from earlyhelp.web.storage import Storage, safe_filename, write_atomically

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_UNZIPPED_BYTES = 2 * 1024 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
# Findings kept per rule for the page and the CSV (the counts are always complete).
FINDINGS_PER_RULE = 1000
QUEUE_NAME = "earlyhelp"
QUEUE_FILE = "queue.sqlite3"
# A graceful stop waits this long for a check under way before leaving it to the next start.
SHUTDOWN_SECONDS = 60


class Rejected(Exception):
    """The return cannot be accepted; ``outcome`` says why in words for the submitter."""

    def __init__(self, outcome: str, findings: list[Finding] | None = None, format_name: str = ""):
        super().__init__(outcome)
        self.outcome = outcome
        self.findings = findings or []
        self.format_name = format_name


def queue_file(settings: Settings) -> Path:
    """The embedded queue's SQLite file: beside the portal's SQLite database, else in the data folder."""
    url = str(settings.database_url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.split("///", 1)[1]).parent / QUEUE_FILE
    return settings.data_dir / QUEUE_FILE


def make_huey(settings: Settings) -> Huey:
    """huey on SQLite (a file of its own) by default; in the portal's database when that is PostgreSQL."""
    url = str(settings.database_url)
    if url.startswith("postgresql"):
        from huey.contrib.sql_huey import SqlHuey

        return SqlHuey(QUEUE_NAME, results=False, database=_peewee_database(url))
    path = queue_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)


def _peewee_database(url: str) -> Any:
    """The peewee database (psycopg 3) for the SQLAlchemy URL the portal uses, with its query
    options (a ``search_path`` among them) passed on to the connection."""
    from peewee import PostgresqlDatabase
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    options: dict[str, Any] = {key: value for key, value in parsed.query.items() if isinstance(value, str)}
    return PostgresqlDatabase(
        parsed.database,
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        **options,
    )


class EmbeddedConsumer(Consumer):
    """huey's consumer inside another program's process: the web server owns its signals."""

    def _set_signal_handlers(self) -> None:
        pass


class Worker:
    """The checks a huey consumer runs, and the recovery a consumer does when it starts."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        storage: Storage,
        huey: Huey,
        poll_seconds: float = 1.0,
        link_secret: str | None = None,
    ):
        self.sessions = sessions
        self.link_secret = link_secret
        self.storage = storage
        self.huey = huey
        self.poll_seconds = poll_seconds
        self._la_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._task = huey.task(name="check_submission")(self.check)
        # A row whose enqueue was lost (a web process killed between marking it queued and
        # enqueuing it) is found within a minute, not only at the next start.
        huey.periodic_task(crontab(), name="enqueue_lost_submissions")(self.enqueue_missing)
        self._consumer: Consumer | None = None
        self._supervisor: threading.Thread | None = None
        self._starts = 0
        self._running_guard = threading.Lock()

    # ------------------------------------------------------------------ queueing
    def enqueue(self, submission_id: int) -> None:
        """Hand a ``queued`` submission to huey."""
        self._task(submission_id)

    def enqueue_quietly(self, submission_id: int) -> None:
        """:meth:`enqueue` from a request: a queue that cannot be reached loses nothing (the row
        says ``queued``, and the consumer enqueues such rows itself), so the request goes on."""
        try:
            self.enqueue(submission_id)
        except Exception as error:
            log.warning("A submission could not be enqueued now (%s); the worker will find it", type(error).__name__)
        finally:
            # Request threads are many: none keeps a queue connection open.
            self.huey.storage.close()

    def pending(self) -> set[int]:
        """The submissions huey holds a check for."""
        return {task.args[0] for task in self.huey.pending() if task.name == "check_submission" and task.args}

    def enqueue_missing(self) -> int:
        """Enqueue every ``queued`` submission huey holds no check for; how many."""
        with self.sessions() as session:
            queued = session.scalars(
                select(Submission.id).where(Submission.status == "queued").order_by(Submission.id)
            ).all()
        held = self.pending() if queued else set()
        missing = [number for number in queued if number not in held]
        for number in missing:
            self.enqueue(number)
        return len(missing)

    # ------------------------------------------------------------------ running
    def recover(self) -> None:
        """What a consumer does before it takes a task: rows of checks cut off go back in the
        queue (or fail), and every queued row is in huey's queue."""
        self.requeue_interrupted()
        self.enqueue_missing()

    def consumer(self, threads: int, embedded: bool) -> Consumer:
        kind = EmbeddedConsumer if embedded else Consumer
        return kind(
            self.huey,
            workers=threads,
            worker_type="thread",
            periodic=True,
            initial_delay=min(0.1, self.poll_seconds),
            max_delay=self.poll_seconds,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )

    def start(self, threads: int = 1) -> None:
        """A huey consumer in threads of this process (``create_app``). An app whose lifespan is
        entered twice (two test clients) keeps one consumer until the last stop."""
        with self._running_guard:
            self._starts += 1
            if self._consumer is not None:
                return
            self.recover()
            consumer = self._consumer = self.consumer(threads, embedded=True)
            consumer.start()
            self._supervisor = threading.Thread(
                target=supervise, args=(consumer, lambda: True), name="earlyhelp-queue", daemon=True
            )
            self._supervisor.start()

    def stop(self) -> None:
        with self._running_guard:
            self._starts = max(self._starts - 1, 0)
            if self._starts:
                return
            consumer, supervisor = self._consumer, self._supervisor
            self._consumer = self._supervisor = None
        if consumer is not None:
            consumer.stop(graceful=True)
        if supervisor is not None:
            supervisor.join(timeout=5)
        self.huey.storage.close()

    def requeue_interrupted(self) -> None:
        """Jobs left ``running`` by a process that died go back in the queue (or fail after
        :data:`MAX_ATTEMPTS`, so a return that kills the worker cannot kill it for ever)."""
        with self.sessions.begin() as session:
            session.execute(
                update(Submission)
                .where(Submission.status == "running", Submission.attempts >= MAX_ATTEMPTS)
                .values(
                    status="failed",
                    stage="Stopped",
                    outcome="The check was interrupted too often; nothing was stored. Please submit again.",
                )
            )
            session.execute(
                update(Submission)
                .where(Submission.status == "running")
                .values(status="queued", stage="Waiting to start again")
            )
            # An upload cut off while its file was being written was never queued: say so.
            session.execute(
                update(Submission)
                .where(Submission.status == "storing")
                .values(
                    status="failed",
                    stage="Stopped",
                    outcome="The upload was interrupted; nothing was stored. Please submit again.",
                )
            )

    def claim(self, submission_id: int) -> bool:
        """``queued`` to ``running``: only one claimant can win, so a check enqueued twice runs once."""
        with self.sessions.begin() as session:
            won = session.execute(
                update(Submission)
                .where(Submission.id == submission_id, Submission.status == "queued")
                .values(
                    status="running",
                    stage="Reading the files",
                    started_at=datetime.now(UTC),
                    attempts=Submission.attempts + 1,
                )
            )
            return bool(won.rowcount == 1)  # type: ignore[attr-defined]

    def check(self, submission_id: int) -> bool:
        """The huey task: claim the submission and process it; False when it was not ``queued``."""
        try:
            if not self.claim(submission_id):
                return False
            self.process(submission_id)
            return True
        except Exception as error:
            # Not huey's log of the exception: its message may quote the data. The row stays
            # as it was left, and the next start (or the minute's sweep, if queued) takes it up.
            log.error("The worker could not check a submission (%s)", type(error).__name__)
            return False

    # ------------------------------------------------------------------ one submission
    def _stage(self, submission_id: int, stage: str) -> None:
        with self.sessions.begin() as session:
            session.execute(update(Submission).where(Submission.id == submission_id).values(stage=stage))

    def _finish(
        self,
        submission_id: int,
        status: str,
        outcome: str,
        *,
        errors: int = 0,
        warnings: int = 0,
        findings: list[Finding] | None = None,
        format_name: str | None = None,
    ) -> None:
        with self.sessions.begin() as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None
            session.query(Finding).filter(Finding.submission_id == submission_id).delete()
            for finding in findings or []:
                finding.submission_id = submission_id
                session.add(finding)
            submission.status = status
            submission.stage = {"accepted": "Accepted", "rejected": "Not accepted", "failed": "Stopped"}[status]
            submission.outcome = outcome
            submission.error_count = errors
            submission.warning_count = warnings
            if format_name is not None:
                submission.detected_format = format_name
            submission.finished_at = datetime.now(UTC)

    def _validated(
        self, submission_id: int, folder: Path, format_name: str, noun: str
    ) -> tuple[ValidationReport, list[Finding]]:
        """Every rule over ``folder``: the report and its findings (warnings only), or Rejected
        with them all."""
        from earlyhelp.validate import validate_paths

        self._stage(submission_id, "Checking every rule")
        try:
            report = validate_paths([folder])
        except EarlyhelpError as error:
            raise Rejected(error.message, format_name=format_name) from None
        findings = findings_of(report)
        if not report.ok:
            errors = report.error_count
            raise Rejected(
                f"The {noun} has {errors:,} error{'s' if errors != 1 else ''}, so nothing was stored.",
                findings,
                format_name,
            )
        return report, findings

    def la_lock(self, la_code: str) -> threading.Lock:
        with self._locks_guard:
            return self._la_locks[la_code]

    def process(self, submission_id: int) -> None:
        with self.sessions() as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None
            la_code, filename, kind = submission.la_code, submission.filename, submission.kind
        work = self.storage.submission_dir(submission_id) / "work"
        shutil.rmtree(work, ignore_errors=True)
        try:
            if kind == PARTNER_IDENTITIES:
                outcome, counts, format_name, findings = self._check_and_store_identities(
                    submission_id, la_code, filename, work
                )
            else:
                outcome, counts, format_name, findings = self._check_and_load(
                    submission_id, la_code, filename, work, partner=kind == PARTNER_OUTCOMES
                )
        except Rejected as rejection:
            errors = sum(1 for f in rejection.findings if f.severity == "error")
            total_errors = (
                sum({f.rule_id: f.rule_count for f in rejection.findings if f.severity == "error"}.values()) or errors
            )
            self._finish(
                submission_id,
                "rejected",
                rejection.outcome,
                errors=total_errors,
                findings=rejection.findings,
                format_name=rejection.format_name,
            )
        except Exception as error:
            # Never the message: it may quote a cell. The type is enough to look into it.
            log.error("Submission %s stopped unexpectedly (%s)", submission_id, type(error).__name__)
            self._finish(
                submission_id,
                "failed",
                "An unexpected problem stopped the check, and nothing was stored. Please try again, or contact the service team.",
            )
        else:
            self._finish(
                submission_id, "accepted", outcome, warnings=counts, findings=findings, format_name=format_name
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _check_and_load(
        self, submission_id: int, la_code: str, filename: str, work: Path, *, partner: bool = False
    ) -> tuple[str, int, str, list[Finding]]:
        from earlyhelp.validate.engine import collect_files
        from earlyhelp.validate.report import ValidationReport
        from earlyhelp.warehouse import ReturnRejected, load_return
        from earlyhelp.warehouse.identity import has_partner_identities
        from earlyhelp.warehouse.load import return_la_codes

        upload = self.storage.upload_path(submission_id, filename)
        if partner:
            ehld, format_name = self._as_partner_extract(upload, work, la_code), "Partner outcomes"
        else:
            ehld, format_name = self._as_ehld(upload, work, la_code)
        report, findings = self._validated(submission_id, ehld, format_name, "return")
        files = collect_files([ehld], ValidationReport())
        if "returns" in files:
            codes = return_la_codes(files)
            if codes != [la_code]:
                raise Rejected(
                    f"This return is for {', '.join(codes) or 'no LA'}; here you can submit only for {la_code}, so nothing was stored.",
                    findings,
                    format_name,
                )
        self._stage(submission_id, "Storing the return")
        with self.la_lock(la_code):
            try:
                load_return(
                    [ehld],
                    self.storage.warehouse(la_code),
                    identity_warehouse=self.storage.identity_warehouse(la_code),
                    report=report,
                )
            except ReturnRejected as rejected:
                raise Rejected(rejected.message, findings_of(rejected.report), format_name) from None
            except EarlyhelpError as error:
                raise Rejected(error.message, findings, format_name) from None
            linked = ""
            if has_partner_identities(self.storage.identity_warehouse(la_code), la_code):
                # The load brought the children's or the partner's own ids back: link them again.
                linked = " " + self._link(submission_id, la_code)
            self._stage(submission_id, "Working out the indicators")
            publish_results(self.storage, la_code)
        warnings = report.warning_count
        words = f" with {warnings:,} warning{'s' if warnings != 1 else ''}" if warnings else ""
        replaces = (
            "they replace the earlier partner outcomes of the same tables for this LA"
            if partner
            else "it replaces any earlier return for the same period"
        )
        return (
            f"The {'extract' if partner else 'return'} was accepted{words} and stored; {replaces}.{linked}",
            warnings,
            format_name,
            findings,
        )

    def _check_and_store_identities(
        self, submission_id: int, la_code: str, filename: str, work: Path
    ) -> tuple[str, int, str, list[Finding]]:
        """A partner's ``person_identifiers``: validated, stored in the LA's identity warehouse
        (never the analytic one), then linked so the LA's children and the partner's outcomes
        get their ``person_id``. The outcome and the log give counts, never a record."""
        from earlyhelp.validate.engine import collect_files
        from earlyhelp.validate.report import ValidationReport
        from earlyhelp.warehouse import load_partner_identities

        format_name = "Partner identity records"
        source = work / "identities"
        _unpack_partner_upload(self.storage.upload_path(submission_id, filename), source)
        files = collect_files([source], ValidationReport())
        others = sorted(set(files) - {IDENTITY_TABLE})
        if others or IDENTITY_TABLE not in files:
            raise Rejected(
                f"An identity extract holds only {IDENTITY_TABLE}"
                + (f"; this one also holds {', '.join(others)}" if others else "")
                + ", so nothing was stored. Send partner outcomes in a separate upload.",
                format_name=format_name,
            )
        report, findings = self._validated(submission_id, source, format_name, "extract")
        self._stage(submission_id, "Storing the identity records")
        with self.la_lock(la_code):
            try:
                stored = load_partner_identities(
                    files[IDENTITY_TABLE],
                    self.storage.identity_warehouse(la_code),
                    la_code,
                    warehouse=self.storage.warehouse(la_code),
                )
            except EarlyhelpError as error:
                raise Rejected(error.message, findings, format_name) from None
            linked = self._link(submission_id, la_code)
            if linked.startswith(LINKED):
                # Partner outcomes now count for the LA's children they belong to.
                self._stage(submission_id, "Working out the indicators")
                publish_results(self.storage, la_code)
        records = sum(stored.rows.values())
        sources = ", ".join(stored.rows)
        warnings = report.warning_count
        words = f" with {warnings:,} warning{'s' if warnings != 1 else ''}" if warnings else ""
        return (
            f"The identity extract was accepted{words} and stored: {records:,} {sources} "
            f"record{'s' if records != 1 else ''}, which replace the earlier {sources} records for this LA. "
            f"{linked}",
            warnings,
            format_name,
            findings,
        )

    def _link(self, submission_id: int, la_code: str) -> str:
        """Link the LA's identity records (the caller holds the LA's lock); a sentence saying
        what happened, for the submission's page. Stored identities stay stored if it fails."""
        from earlyhelp.link.warehouse import link_warehouse
        from earlyhelp.privacy import link_secret

        try:
            link_secret(self.link_secret)
        except EarlyhelpError:
            return (
                "They have not been linked yet: the service has no valid linkage key (EARLYHELP_LINK_SECRET). "
                "Ask the service team to set it; the records are kept and linked at the next identity extract."
            )
        if not self.storage.warehouse(la_code).exists():
            # Nothing yet to give a person_id to; loading the LA's return links them.
            return "They will be linked when the LA's return is loaded."
        self._stage(submission_id, "Linking records")
        try:
            result = link_warehouse(
                self.storage.warehouse(la_code),
                self.storage.identity_warehouse(la_code),
                self.storage.link_dir(la_code),
                secret=self.link_secret,
            )
        except Exception as error:
            # Never the message: it may quote an identity record.
            log.error("Linking an LA's records stopped unexpectedly (%s)", type(error).__name__)
            return (
                "They have not been linked: linking stopped unexpectedly. The records are kept; "
                "contact the service team."
            )
        updates = result.analytic_updates
        outcomes = sum(updates.get(table, 0) for table in PARTNER_TABLES)
        return (
            f"{LINKED} {result.records:,} identity records into {result.persons:,} people; "
            f"{updates.get('children', 0):,} children and {outcomes:,} partner outcome rows now carry a linked person."
        )

    def _as_partner_extract(self, upload: Path, work: Path, la_code: str) -> Path:
        """An EHLD folder of the partner's tables and the LA's loaded ``returns`` row.

        Partner outcomes are keyed by ``person_id`` and have no ``la_code``: the LA's latest
        loaded period (its ``returns`` row) says which LA they belong to and, being a period the
        warehouse already holds, leaves the LA's own tables exactly as they are (a table without
        a file is kept; the warehouse replaces only the partner tables given, for this LA).
        """
        from earlyhelp.engine.connect import duckdb_connection
        from earlyhelp.validate.engine import collect_files
        from earlyhelp.validate.report import ValidationReport
        from earlyhelp.warehouse.periods import PERIODS_TABLE

        source = work / "partner"
        _unpack_partner_upload(upload, source)
        files = collect_files([source], ValidationReport())
        others = sorted(set(files) - set(PARTNER_TABLES))
        if others or not files:
            raise Rejected(
                f"A partner extract holds only {', '.join(PARTNER_TABLES)}"
                + (f"; this one also holds {', '.join(others)}" if others else "; this one holds none of them")
                + ", so nothing was stored.",
                format_name="Partner outcomes",
            )
        period = None
        warehouse = self.storage.warehouse(la_code)
        if warehouse.exists():
            with self.la_lock(la_code), duckdb_connection(warehouse, read_only=True) as con:
                if con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [PERIODS_TABLE]
                ).fetchone()[0]:  # type: ignore[index]
                    period = con.execute(
                        f"SELECT period_start, period_end, extract_date FROM {PERIODS_TABLE} "
                        "WHERE la_code = ? ORDER BY period_end DESC LIMIT 1",
                        [la_code],
                    ).fetchone()
        if period is None:
            raise Rejected(
                "There is no return for this LA yet, and partner outcomes are added to the LA's return, "
                "so nothing was stored. Ask the LA to submit its return first.",
                format_name="Partner outcomes",
            )
        start, end, extract = (value.isoformat() for value in period)
        (source / "returns.csv").write_text(
            f"la_code,period_start,period_end,extract_date\n{la_code},{start},{end},{extract}\n", encoding="utf-8"
        )
        return source

    def _as_ehld(self, upload: Path, work: Path, la_code: str) -> tuple[Path, str]:
        """An EHLD folder or workbook from the upload, and the name of the format it came in."""
        from earlyhelp.formats import FormatError, detect, ingest

        work.mkdir(parents=True, exist_ok=True)
        if upload.suffix.lower() in (".xlsx", ".xlsm", ".ods"):
            return upload, "EHLD workbook"
        if upload.suffix.lower() == ".zip":
            source = work / "unpacked"
            unpack_zip(upload, source)
        else:
            source = work / "single"
            source.mkdir()
            shutil.copy2(upload, source / upload.name)
        try:
            groups = detect([source])
        except EarlyhelpError as error:
            raise Rejected(error.message) from None
        names = ", ".join(group.format for group in groups)
        if all(group.format == "ehld" for group in groups):
            return source, "EHLD tables"
        try:
            return ingest([source], work / "ehld", la_code=la_code), names
        except FormatError as error:
            findings = [
                Finding(
                    rule_id=issue.rule or "format",
                    rule_title="The file cannot be read",
                    severity="error",
                    rule_count=1,
                    location=f"{issue.file}, {issue.location}".strip(", "),
                    message=issue.message,
                    hint=error.hint or "",
                )
                for issue in error.issues
            ]
            for finding in findings:
                finding.rule_count = len(error.issues)
            raise Rejected(
                f"The {names} file(s) could not be read: {len(error.issues)} problem(s), so nothing was stored.",
                findings,
                names,
            ) from None
        except EarlyhelpError as error:
            raise Rejected(error.message, format_name=names) from None


PARTNER_TABLES = ("health_events", "school_attendance", "police_notifications")
PARTNER_FORMATS = (
    "A partner extract is a zip of CSV or Parquet files named after its tables, or one such file, "
    "so nothing was stored."
)


IDENTITY_TABLE = "person_identifiers"
LINKED = "Linked:"


def _unpack_partner_upload(upload: Path, into: Path) -> None:
    """A partner's zip unpacked, or its one CSV or Parquet file, in ``into``."""
    if upload.suffix.lower() == ".zip":
        unpack_zip(upload, into)
    elif upload.suffix.lower() in (".csv", ".parquet"):
        into.mkdir(parents=True)
        shutil.copy2(upload, into / upload.name)
    else:
        raise Rejected(PARTNER_FORMATS)


def holds_identities(name: str, data: IO[bytes]) -> bool:
    """Whether a partner's upload is an identity extract: a ``person_identifiers`` file, or a zip
    holding one (its directory alone is read). Anything else is taken for partner outcomes, whose
    check refuses what is not theirs."""
    stem = Path(name).stem.lower()
    if Path(name).suffix.lower() != ".zip":
        return stem == IDENTITY_TABLE
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as bundle:
            return any(Path(member).stem.lower() == IDENTITY_TABLE for member in bundle.namelist())
    except zipfile.BadZipFile:
        return False
    finally:
        data.seek(0)


def findings_of(report: ValidationReport) -> list[Finding]:
    from earlyhelp.validate.rules import RULES

    counts = report.summary()
    findings = []
    for finding in report.sorted_findings():
        findings.append(
            Finding(
                rule_id=finding.rule_id,
                rule_title=RULES[finding.rule_id].title,
                severity=finding.severity,
                rule_count=counts.get(finding.rule_id, 1),
                location=finding.location(),
                message=finding.message,
                hint=finding.hint or "",
            )
        )
    return findings


def unpack_zip(archive: Path, into: Path) -> None:
    """Unpack an uploaded zip without trusting it: no paths outside ``into``, no links, a cap on
    members and on unpacked size (a zip bomb stops early)."""
    into.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise Rejected(f"The zip holds more than {MAX_ZIP_MEMBERS} files.")
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise Rejected("The zip unpacks to more than 2 GB.")
            used: set[str] = set()
            for member in members:
                name = safe_filename(member.filename)
                if name.startswith("__MACOSX") or Path(member.filename).name.startswith("._"):
                    continue
                if name in used:
                    raise Rejected(f"The zip holds two files called {name}; put one return in each zip.")
                used.add(name)
                with bundle.open(member) as source, open(into / name, "wb") as target:
                    shutil.copyfileobj(source, target, length=1024 * 1024)
    except zipfile.BadZipFile:
        raise Rejected("The file is not a zip that can be opened.") from None
    if not used:
        raise Rejected("The zip holds no files.")


def publish_results(storage: Storage, la_code: str) -> None:
    """Compute the LA's indicators from its warehouse and keep the published (disclosure-controlled)
    table, the only figures the dashboards read."""
    import pyarrow.csv as pacsv

    from earlyhelp.indicators import compute

    result = compute(storage.warehouse(la_code), None)
    buffer = io.BytesIO()
    pacsv.write_csv(result.published, buffer)
    write_atomically(storage.published(la_code), buffer.getvalue())


def supervise(consumer: Consumer, go_on: Callable[[], bool]) -> None:
    """huey's consumer loop (it restarts a worker thread that died) while ``go_on()`` holds and
    the consumer has not been stopped; then a graceful stop."""
    checked = time.monotonic()
    try:
        while go_on():
            checked = consumer.loop(checked)
    except ConsumerStopped:
        return
    consumer.stop(graceful=True)


def run_forever(settings: Settings, parent_pid: int | None = None) -> None:
    """The worker as a process of its own (``earlyhelp serve`` starts one beside the web process,
    so validating and loading never compete with pages for the interpreter): a huey consumer
    with one worker thread. It stops when ``parent_pid`` is no longer its parent (an orphaned
    worker must not outlive its server), at SIGINT once the check under way is done, and at
    SIGTERM at once (huey's signals; the check cut off is taken up again at the next start)."""
    from earlyhelp.web.database import make_engine, session_factory

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Pages come first: the worker yields the processor to the web process, and DuckDB in it
    # keeps to one thread unless EARLYHELP_THREADS says otherwise.
    os.environ.setdefault("EARLYHELP_THREADS", "1")
    try:
        os.nice(5)
    except OSError:
        pass
    engine = make_engine(str(settings.database_url))
    worker = Worker(
        session_factory(engine),
        Storage(settings.data_dir),
        make_huey(settings),
        settings.worker_poll_seconds,
        link_secret=settings.link_secret,
    )
    try:
        worker.recover()
        consumer = worker.consumer(1, embedded=False)
        consumer.start()
        supervise(consumer, lambda: parent_pid is None or os.getppid() == parent_pid)
    finally:
        worker.huey.storage.close()
        engine.dispose()
