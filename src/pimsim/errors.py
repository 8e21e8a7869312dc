"""The one error type users see (a clean, one-line message and exit code 2), and the one warning."""

from __future__ import annotations


class PimsimError(Exception):
    """Bad input: printed as one line ``where: key.path: what was expected``.

    ``where`` is a file name (or another source such as ``--set``), ``key`` a
    dotted key path or ``line N``; either may be empty.
    """

    exit_code = 2

    def __init__(self, message: str, where: str = "", key: str = "") -> None:
        self.message = message
        self.where = where
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.where, self.key, self.message) if p]
        return ": ".join(parts)


class PimsimWarning(UserWarning):
    """Input that is valid but probably not what was meant (the CLI prints ``pimsim: warning: ...``,
    once per process)."""
