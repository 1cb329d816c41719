"""Link secrets: too short or too guessable ones are refused before any work, with how to make one."""

from __future__ import annotations

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.privacy import SECRET_VARIABLE, estimated_bits, link_secret


@pytest.mark.parametrize(
    ("secret", "bits"),
    [
        ("a" * 16, 0.0),  # one character: no uncertainty at all
        ("ab" * 8, 16.0),  # two equally likely characters: 1 bit each
        ("0123456789abcdef", 64.0),  # 16 distinct: log2(16) = 4 bits each
    ],
)
def test_estimated_bits_by_hand(secret, bits):
    assert estimated_bits(secret) == pytest.approx(bits)


@pytest.mark.parametrize("weak", ["a" * 16, " " * 16, "abababababababab", "password12345678"])
def test_a_guessable_secret_is_refused_with_how_to_make_one(monkeypatch, weak):
    monkeypatch.setenv(SECRET_VARIABLE, weak)
    with pytest.raises(UsageError) as raised:
        link_secret()
    assert "too easy to guess" in raised.value.message
    assert "secrets.token_hex" in (raised.value.hint or "")
    assert weak not in raised.value.message + (raised.value.hint or "")  # the secret is never echoed


def test_a_short_secret_is_refused(monkeypatch):
    monkeypatch.setenv(SECRET_VARIABLE, "Zq8#")
    with pytest.raises(UsageError, match="at least 16 characters"):
        link_secret()


def test_a_random_secret_is_accepted(monkeypatch):
    import secrets

    token = secrets.token_hex(32)
    monkeypatch.setenv(SECRET_VARIABLE, token)
    assert link_secret() == token.encode()
