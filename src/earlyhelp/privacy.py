"""Pseudonyms and masking. Identifiers stay in the identity zone; this is how they leave it.

Pseudonyms are HMAC-SHA256 keyed hashes. The key comes from the environment variable
``EARLYHELP_LINK_SECRET`` and is never written to disk, logs or outputs by this package.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from earlyhelp.errors import UsageError

SECRET_VARIABLE = "EARLYHELP_LINK_SECRET"
MINIMUM_SECRET_LENGTH = 16


def link_secret() -> bytes:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if len(secret) < MINIMUM_SECRET_LENGTH:
        raise UsageError(
            f"Set the environment variable {SECRET_VARIABLE} to a secret of at least "
            f"{MINIMUM_SECRET_LENGTH} characters before linking.",
            hint="Keep it outside the repository, e.g. in your organisation's secret store; "
            "the same secret gives the same pseudonyms next time.",
        )
    return secret.encode("utf-8")


def keyed_hash(value: str, secret: bytes, *, prefix: str = "", length: int = 20) -> str:
    """A stable pseudonym for ``value`` under ``secret`` (hex, ``length`` characters)."""
    digest = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def mask(value: object) -> str:
    """What an identifier looks like in a message: its shape, never its content."""
    text = "" if value is None else str(value)
    if not text:
        return "(empty)"
    return f"<{len(text)} character{'' if len(text) == 1 else 's'}, masked>"
