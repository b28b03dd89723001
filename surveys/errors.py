"""Domain errors: raised by the use cases, rendered in one place for every channel (bot.pipeline).

The message is Russian and meant for the person who acted.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the person may not do now; nothing was changed."""

    def __init__(self, message: str, *, alert: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.alert = alert  # shown as a dialog, not a passing note


class Refused(DomainError):
    """A stale or foreign button, a closed campaign, a question that cannot be skipped."""


class BadInput(DomainError):
    """What was typed does not fit the question: shown as a prompt to answer again."""


class AnswerError(BadInput):
    """The respondent's input does not fit the question; the message is shown to them in Russian."""


class ServiceError(Refused):
    """An admin action that cannot be done; the message is Russian (shown as a dialog in the chat)."""

    def __init__(self, message: str, *, alert: bool = True) -> None:
        super().__init__(message, alert=alert)
