"""The one clock of a process.

Every "now" the product reads (a record's timestamp, a deadline, a reminder falling due, the inbox's
24-hour bound, a link's hour) comes from the clock the application is given: `system_clock` in a
running bot or command, a controllable clock in the tests. No model column has a time default and no
function below the entry points reads the wall clock itself: tests/test_one_clock.py holds it.

Durations (a rate limit's pause, a cache's age, a poll's interval) are measured on the event loop's
monotonic clock; they are not dates and are not read from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The process's real time, timezone-aware UTC: the clock a running bot or command is given."""
    return dt.datetime.now(dt.UTC)
