"""What the people in a test did, in order: a failing journey test shows its last steps (tests/conftest.py adds
them to the report), and `step` names the part of the journey an assertion belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

STEPS: list[str] = []


def did(who: str, what: str) -> None:
    STEPS.append(f"{who}: {what}")


@contextmanager
def step(name: str) -> Iterator[None]:
    """A named part of a journey: an assertion that fails inside it says which one."""
    STEPS.append(f"— {name}")
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"[шаг «{name}»] {exc}") from exc
