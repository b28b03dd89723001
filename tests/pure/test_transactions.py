"""One transaction rule, enforced: only the owners commit, roll back or open a transaction (`.begin()`).

Services (storage, surveys, monitoring, scoring) write into the session they are given and never
end its transaction; one that must survive a conflict does it in a SAVEPOINT (`begin_nested()`,
allowed anywhere). The owners (bot.unit_of_work tells the story) are listed below, each with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage", "surveys", "monitoring", "scoring")
ENDS = {"commit", "rollback", "begin"}  # begin_nested (a SAVEPOINT inside the caller's transaction) is not an owner's

# (file, function): the owners. A function is its qualified name (Class.method, outer.inner) and covers what
# is nested in it; "*" is the whole file.
OWNERS: dict[tuple[str, str], str] = {
    ("bot/unit_of_work.py", "_once"): "the update's unit of work (bot.pipeline, for every channel)",
    ("bot/unit_of_work.py", "commit_before_reply"): "the unit of work: commit before any reply",
    ("storage/writer.py", "*"): "the group-commit writer (its units in savepoints of its own batches)",
    ("bot/cli/common.py", "with_session"): "the CLI: one transaction per command",
    ("bot/reminders.py", "ReminderRunner"): "the reminders' runner: a transaction per step, never across a send",
    ("bot/calendar_runner.py", "CalendarRunner"): "the calendar's runner: a transaction per item and per notice",
    ("bot/people.py", "People.get"): "an account that writes again is reachable: read before any update's unit of work",
    ("bot/fsm_storage.py", "SQLAlchemyStorage._write"): "conversation state written outside an update",
    ("storage/migrations/env.py", "*"): "Alembic's migration runner",
    ("bot/webapp/server.py", "WebApp._view"): "a dashboard request: the view written to the access log",
}


def _ends(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, enclosing function's qualified name or "", what) of every commit, rollback and begin in the tree."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, f"{scope}.{child.name}" if scope else child.name)
                continue
            if isinstance(child, ast.Attribute) and child.attr in ENDS:
                found.append((child.lineno, scope, f"{ast.unparse(child)}"))
            visit(child, scope)

    visit(tree, "")
    return found


def _owned(file: str, scope: str) -> bool:
    return any(f == file and (name == "*" or scope == name or scope.startswith(name + "."))
               for f, name in OWNERS)


def strays(file: str, source: str) -> list[str]:
    """The commits, rollbacks and begins of this source that are not its owners'."""
    return [f"{file}:{line} {scope or '<module>'}: {what}" for line, scope, what in _ends(ast.parse(source))
            if not _owned(file, scope)]


def _sources() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def test_only_the_owners_end_a_transaction() -> None:
    found = [stray for file, source in _sources().items() for stray in strays(file, source)]
    assert found == [], "a transaction ended outside its owners (tests/pure/test_transactions.py OWNERS):\n" + "\n".join(found)


def test_every_owner_listed_still_owns() -> None:
    """A stale entry would let the next commit in that place pass unseen."""
    sources = _sources()
    for (file, name), why in OWNERS.items():
        assert file in sources, (file, why)
        if name != "*":
            scopes = {scope for _, scope, _ in _ends(ast.parse(sources[file]))}
            assert any(s == name or s.startswith(name + ".") for s in scopes), f"{file}:{name} owns nothing now ({why})"


SERVICE = '''
async def register(session, person):
    session.add(person)
    async with session.begin_nested():
        await session.flush()
    {planted}
'''


@pytest.mark.parametrize("planted", [
    "await session.commit()",
    "await session.rollback()",
    "async with factory.begin() as s: pass",
    "finish = session.commit",  # handed on, to be called elsewhere
])
def test_a_planted_end_is_found(planted: str) -> None:
    found = strays("storage/registry.py", SERVICE.format(planted=planted))
    assert len(found) == 1 and found[0].startswith("storage/registry.py:") and " register: " in found[0]


def test_savepoints_and_owners_pass() -> None:
    assert strays("storage/registry.py", SERVICE.format(planted="pass")) == []
    runner = "class ReminderRunner:\n    async def tick(self):\n        async def inner():\n            await s.commit()\n"
    assert strays("bot/reminders.py", runner) == []
    assert strays("bot/people.py", runner) == ["bot/people.py:4 ReminderRunner.tick.inner: s.commit"]
    # an owner's name does not cover a longer name that merely starts like it
    assert strays("bot/cli.py", "def _with_session_too(s):\n    s.rollback()\n") == ["bot/cli.py:2 _with_session_too: s.rollback"]
    assert strays("monitoring/x.py", "s.commit()\n") == ["monitoring/x.py:1 <module>: s.commit"]
