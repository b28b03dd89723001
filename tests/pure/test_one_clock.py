"""The one clock (storage.clock): nothing in the product reads the wall clock on its own."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from storage.db import CLOCK, _stamp
from storage.models import Base, Municipality, Person, Role

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "surveys", "scoring", "storage")
# (path, call): the only places allowed to read the wall clock, and why
ALLOWED = {
    ("storage/clock.py", "dt.datetime.now"): "the one clock itself",
    # the `limits` library keeps its moving window in Unix time: its reset time becomes a wait here
    ("bot/scale.py", "time.time"): "a rate limiter's window, a duration",
    # a data migration run once, when a database made before it is upgraded: that moment's school year
    ("storage/migrations/versions/0005_facts_of_a_period.py", "dt.datetime.now"): "an upgrade of existing data",
}
WALL_CLOCK = {"now", "utcnow", "today", "time", "time_ns", "localtime", "gmtime"}
OWNERS = {"datetime", "date", "dt.datetime", "dt.date", "time", "datetime.datetime", "datetime.date"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def wall_clock_reads() -> list[tuple[str, int, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                target = node.func if isinstance(node, ast.Call) else None
                # a call (datetime.now()) or a function handed on to be called later (default_factory=date.today)
                if target is None and isinstance(node, ast.keyword):
                    target = node.value
                if not isinstance(target, ast.Attribute):
                    continue
                name = _dotted(target)
                owner, _, attr = name.rpartition(".")
                if attr in WALL_CLOCK and owner in OWNERS and (relative, name) not in ALLOWED:
                    found.append((relative, node.lineno if hasattr(node, "lineno") else target.lineno, name))
    return found


def test_nothing_in_the_product_reads_the_wall_clock_on_its_own() -> None:
    assert wall_clock_reads() == [], "read the time from the clock the application is given (storage.clock)"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The check above is only as good as its parser: it sees a call and a function handed on."""
    tree = ast.parse("import datetime as dt\nx = dt.datetime.now(dt.UTC)\nf(default_factory=dt.date.today)\n")
    calls = [_dotted(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    handed = [_dotted(k.value) for k in ast.walk(tree) if isinstance(k, ast.keyword)]
    assert "dt.datetime.now" in calls and "dt.date.today" in handed


def test_no_column_has_a_time_default() -> None:
    """A computed column default or onupdate would be called with no clock at all (a database's now() too)."""
    for table in Base.metadata.tables.values():
        for column in table.columns:
            timed = column.type.python_type in (dt.datetime, dt.date)
            for hook in (column.default, column.onupdate):
                assert hook is None or hook.is_scalar or not timed, f"{table.name}.{column.name} has a computed default"
            for hook in (column.server_default, column.server_onupdate):
                text = str(getattr(hook, "arg", "")).lower()
                assert hook is None or not any(w in text for w in ("now", "current_", "localtime")), (
                    f"{table.name}.{column.name} takes the database's time")


def test_rows_are_stamped_by_the_sessions_clock_and_refused_without_one() -> None:
    at = dt.datetime(2031, 2, 3, 4, 5, tzinfo=dt.UTC)
    session = Session(info={CLOCK: lambda: at})
    person = Person(full_name="Иванова Анна", role=Role.TEACHER.value, municipality_id=1)
    given = Municipality(name="М", timezone="UTC", created_at=at - dt.timedelta(days=9))
    session.add_all([person, given])
    _stamp(session, None, None)
    assert person.registered_at == at
    assert given.created_at == at - dt.timedelta(days=9)  # a timestamp given is kept

    clockless = Session()
    clockless.add(Person(full_name="Петров Пётр", role=Role.TEACHER.value, municipality_id=1))
    with pytest.raises(RuntimeError, match="without a clock"):
        _stamp(clockless, None, None)
