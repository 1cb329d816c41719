"""Errors a user can act on. The CLI prints them as one plain message, never a traceback."""

from __future__ import annotations


class EarlyhelpError(Exception):
    """A problem with the user's input or environment, explained in plain English.

    ``exit_code`` follows the CLI convention: 1 when the data has errors, 2 for a usage problem.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(EarlyhelpError):
    exit_code = 2


class DataError(EarlyhelpError):
    exit_code = 1
