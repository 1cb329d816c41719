"""Passwords (argon2), sign-in with rate limiting, users, CSRF tokens and the audit log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from earlyhelp.errors import UsageError
from earlyhelp.web.access import Principal, check_role
from earlyhelp.web.models import AuditEvent, SignInFailure, User, UserSession

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Checked against when the user name is unknown, so a wrong name costs the same time as a wrong
# password: one per hasher, made with the hasher's own cost.
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    if id(HASHER) not in _DUMMY_HASHES:
        _DUMMY_HASHES[id(HASHER)] = HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[id(HASHER)]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return HASHER.hash(password)


def add_user(session: Session, username: str, password: str, role: str, la_codes: list[str]) -> User:
    """Create a user (a :class:`UsageError` for a taken name, a bad role or LA list)."""
    username = username.strip()
    if not username:
        raise UsageError("A user needs a name.")
    check_role(role, la_codes)
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())) is not None:
        raise UsageError(f"There is already a user called {username}.")
    user = User(username=username, password_hash=hash_password(password), role=role, la_codes=",".join(la_codes))
    session.add(user)
    session.flush()
    return user


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, tuple(user.la_code_list))


def audit(
    session: Session,
    action: str,
    user_id: int | None,
    *,
    la_code: str = "",
    submission_id: int | None = None,
    outcome: str = "ok",
) -> None:
    """Record one event (committed by the caller's transaction)."""
    session.add(
        AuditEvent(user_id=user_id, action=action, la_code=la_code, submission_id=submission_id, outcome=outcome)
    )


# Many people may share one address (an office behind one gateway), so an address gets this
# many times the attempts one user name gets.
ADDRESS_FACTOR = 10


class SignIn:
    """Checks a user name and password, refusing after too many recent failures for the name or
    for the client's address (the window and count are in :class:`Settings`)."""

    def __init__(self, attempts: int, window_minutes: int):
        self.attempts = attempts
        self.window = timedelta(minutes=window_minutes)

    def _keys(self, username: str, client: str) -> list[str]:
        return [f"user:{username.strip().lower()}", f"client:{client}"]

    def locked(self, session: Session, username: str, client: str) -> bool:
        since = datetime.now(UTC) - self.window
        for key in self._keys(username, client):
            recent = session.scalar(
                select(func.count())
                .select_from(SignInFailure)
                .where(SignInFailure.key == key, SignInFailure.at >= since)
            )
            if (recent or 0) >= self.attempts:
                return True
        return False

    def check(self, session: Session, username: str, password: str, client: str) -> User | None:
        """The user, or None (a failure is counted). Call :meth:`locked` first."""
        user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
        stored = user.password_hash if user is not None and user.active else _dummy_hash()
        try:
            HASHER.verify(stored, password)
            good = user is not None and bool(user.active)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            good = False
        if not good or user is None:
            for key in self._keys(username, client):
                session.add(SignInFailure(key=key))
            return None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        session.execute(delete(SignInFailure).where(SignInFailure.key == self._keys(username, client)[0]))
        return user


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user_id: int, hours: int) -> str:
    """A new server-side session for the user; returns the token the cookie carries (only its
    hash is stored). Expired sessions are swept out on the way."""
    moment = datetime.now(UTC)
    session.execute(delete(UserSession).where(UserSession.expires_at <= moment))
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user_id,
            created_at=moment,
            expires_at=moment + timedelta(hours=hours),
        )
    )
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active user whose unexpired session this token is, else None."""
    return session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _token_hash(token),
            UserSession.expires_at > datetime.now(UTC),
            User.active == 1,
        )
    )


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def user_named(session: Session, username: str) -> User | None:
    """The active user of this name (any case), else None."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    return user if user is not None and user.active else None


def disable_user(session: Session, username: str) -> User:
    """Stop a user signing in and end every session they have (a :class:`UsageError` if unknown)."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise UsageError(f"There is no user called {username}.")
    user.active = 0
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user
