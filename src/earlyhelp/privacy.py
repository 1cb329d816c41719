"""Pseudonyms and masking. Identifiers stay in the identity zone; this is how they leave it.

Pseudonyms are HMAC-SHA256 keyed hashes. The key comes from the environment variable
``EARLYHELP_LINK_SECRET`` and is never written to disk, logs or outputs by this package.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections import Counter

from earlyhelp.errors import UsageError

SECRET_VARIABLE = "EARLYHELP_LINK_SECRET"
MINIMUM_SECRET_LENGTH = 16
# Anyone holding the secret can recompute every pseudonym from an identity list, so a guessable one
# undoes the pseudonymisation. 64 bits is what 16 distinct random characters give.
MINIMUM_SECRET_BITS = 64
HOW_TO_MAKE_ONE = (
    'make one with: python3 -c "import secrets; print(secrets.token_hex(32))", keep it outside the '
    "repository (e.g. in your organisation's secret store); the same secret gives the same pseudonyms next time"
)


def estimated_bits(secret: str) -> float:
    """A generous estimate of a secret's entropy: its length times the Shannon entropy of its own
    character frequencies. Repeats and small alphabets score low (16 'a's: 0 bits); it cannot see
    dictionary words, so it is a floor check, not a strength meter."""
    if not secret:
        return 0.0
    n = len(secret)
    per_character = -sum(count / n * math.log2(count / n) for count in Counter(secret).values())
    return n * per_character


def link_secret(secret: str | None = None) -> bytes:
    """The pseudonym key: ``secret`` when a program holds it in its own settings (the portal),
    else ``EARLYHELP_LINK_SECRET``; refused when missing or guessable."""
    secret = os.environ.get(SECRET_VARIABLE, "") if secret is None else secret
    if len(secret) < MINIMUM_SECRET_LENGTH:
        raise UsageError(
            f"Set the environment variable {SECRET_VARIABLE} to a secret of at least "
            f"{MINIMUM_SECRET_LENGTH} characters before linking.",
            hint=HOW_TO_MAKE_ONE[0].upper() + HOW_TO_MAKE_ONE[1:] + ".",
        )
    bits = estimated_bits(secret)
    if bits < MINIMUM_SECRET_BITS:
        # The estimate is about the secret; saying it is no leak, but the secret itself is never shown.
        raise UsageError(
            f"The secret in {SECRET_VARIABLE} is too easy to guess (about {bits:.0f} bits of entropy; "
            f"at least {MINIMUM_SECRET_BITS} are needed): it repeats characters or uses too few different ones.",
            hint=HOW_TO_MAKE_ONE[0].upper() + HOW_TO_MAKE_ONE[1:] + ".",
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
