"""The portal's own records (users, submissions and their findings, the audit log), in SQLAlchemy 2.

The schema is created and changed only by the Alembic migrations in ``migrations/versions``;
``tests/web/test_database.py`` checks that they and these models agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    """One person. ``la_codes``: the LAs the role covers, comma-separated (empty for national
    analysts and admins, who are not tied to LAs)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    la_codes: Mapped[str] = mapped_column(String(2000), default="")
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    @property
    def la_code_list(self) -> list[str]:
        return [code for code in self.la_codes.split(",") if code]


class Submission(Base):
    """One upload, and the record of its check: huey carries the work, and its task claims the
    row from ``queued`` to ``running`` (one UPDATE only one claimant can win) and leaves
    ``accepted``, ``rejected`` or ``failed``. Every upload is kept under the data folder; the
    warehouse keeps every load in its history."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(9))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # "return" (an LA's return) or "partner_outcomes" (a partner agency's extract: health,
    # school and police tables only, added to the LA's loaded return).
    kind: Mapped[str] = mapped_column(String(20), default="return", server_default="return")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stage: Mapped[str] = mapped_column(String(200), default="Waiting to start")
    detected_format: Mapped[str] = mapped_column(String(100), default="")
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    # A sentence for the submitter (never a value from the data).
    outcome: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_submissions_la_code", "la_code"), Index("ix_submissions_status", "status"))


class Finding(Base):
    """One problem the validator (or the format reader) found, as it words it: values that may
    be identifiers are already masked there."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(100))
    rule_title: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(10))
    rule_count: Mapped[int] = mapped_column(Integer, default=1)  # breaches of the rule in all
    location: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_findings_submission", "submission_id"),)


class AuditEvent(Base):
    """Who did what, when: sign-ins, submissions, downloads, record-level reads. ``user_id`` is
    the portal's own number for the person; nothing about a child is ever recorded here."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    la_code: Mapped[str] = mapped_column(String(9), default="")
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(60), default="ok")

    __table_args__ = (Index("ix_audit_events_at", "at"),)


class SignInFailure(Base):
    """A failed sign-in, by user name and by client address, for rate limiting."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "at"),)


class UserSession(Base):
    """A signed-in session, so signing out (or disabling the user) ends it on the server: the
    cookie carries a random token, this table only its SHA-256, and a cookie whose row is gone
    is worth nothing even though its signature is still good."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)
