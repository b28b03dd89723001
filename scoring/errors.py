"""The scoring module's user-facing error, importable without its report libraries."""

from __future__ import annotations


class ScoringError(ValueError):
    """A user-facing problem (Russian message)."""
