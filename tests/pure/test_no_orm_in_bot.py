"""No ORM lookup in the bot layer: features, runners and adapters ask the services (storage, surveys, monitoring,
scoring), which take the session and ids; the rules (who may see what) live there too.

What counts as a lookup: `select(...)` (and importing sqlalchemy's `select`), any `.execute(...)`, `.scalar(...)`
or `.scalars(...)`, and `<...session>.get(<id>)`. The few places of bot/ that are storage adapters themselves are
listed below, each with why; a listed place that no longer looks anything up fails too (a stale entry would let the
next lookup there pass unseen).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = {"execute", "scalar", "scalars"}

# a file, or a folder ending in "/": the bot's storage adapters
ALLOWED: dict[str, str] = {
    "bot/fsm_storage.py": "the conversation storage (aiogram's FSM storage over the FsmRecord table)",
    "bot/unit_of_work.py": "the unit of work: the update's inbox mark and the SQLite lock's retry",
    "bot/scale.py": "the leader's PostgreSQL advisory lock, on a connection of its own",
    "bot/cli/": "the command line, the operators' tool (its own transaction helper, bot/cli/common.py)",
}


def lookups(source: str) -> list[tuple[int, str]]:
    """(line, code) of every ORM lookup in the source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy") \
                and any(alias.name == "select" for alias in node.names):
            found.append((node.lineno, "import select"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(func, ast.Attribute):
            receiver = ast.unparse(func.value)
            if func.attr in RUNS or func.attr == "select" or (
                    func.attr == "get" and receiver.lower().endswith("session") and _is_model_get(node)):
                found.append((node.lineno, ast.unparse(node)))
    return found


def _is_model_get(call: ast.Call) -> bool:
    """`session.get(Model, id)`: a mapped class first (an HTTP session's `get(url)` is not a lookup)."""
    return len(call.args) >= 2 and isinstance(call.args[0], ast.Name) and call.args[0].id[:1].isupper()


def _allowed(file: str) -> bool:
    return any(file == place or (place.endswith("/") and file.startswith(place)) for place in ALLOWED)


def strays(file: str, source: str) -> list[str]:
    return [] if _allowed(file) else [f"{file}:{line}: {code}" for line, code in lookups(source)]


def _sources() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in sorted((ROOT / "bot").rglob("*.py"))}


def test_no_orm_lookup_in_the_bot_layer() -> None:
    found = [stray for file, source in _sources().items() for stray in strays(file, source)]
    assert found == [], ("an ORM lookup in bot/: move it into the service that owns the data "
                         "(tests/pure/test_no_orm_in_bot.py ALLOWED lists the storage adapters):\n" + "\n".join(found))


def test_every_allowed_place_still_looks_up() -> None:
    sources = _sources()
    for place, why in ALLOWED.items():
        files = [f for f in sources if f == place or (place.endswith("/") and f.startswith(place))]
        assert files, f"{place} is gone ({why})"
        assert any(lookups(sources[f]) for f in files), f"{place} looks nothing up now ({why}): drop it from ALLOWED"


FEATURE = '''
from bot.context import Context

async def feature(ctx: Context) -> None:
    names = {{}}.get("x")
    value = update_session.get()
    {planted}
    async with http_session.get(url, params={{"marker": 1}}) as response:  # an HTTP call, not a lookup
        pass
'''


@pytest.mark.parametrize("planted", [
    "municipality = await ctx.session.get(Municipality, ctx.person.municipality_id)",
    "school = await session.get(School, 1)",
    "rows = await ctx.session.execute(text('SELECT 1'))",
    "owner = await session.scalar(query)",
    "people = list(await session.scalars(query))",
    "query = select(Municipality)",
    "query = sa.select(Municipality)",
    "from sqlalchemy import func, select",
])
def test_a_planted_lookup_is_found(planted: str) -> None:
    found = strays("bot/features/documents.py", FEATURE.format(planted=planted))
    assert len(found) == 1 and found[0].startswith("bot/features/documents.py:7: "), found


def test_what_is_not_a_lookup_passes() -> None:
    assert strays("bot/features/documents.py", FEATURE.format(planted="pass")) == []
    assert strays("bot/fsm_storage.py", FEATURE.format(planted="await session.get(FsmRecord, key)")) == []
    assert strays("bot/cli/setup.py", FEATURE.format(planted="await session.scalar(query)")) == []
    # a folder's entry covers its files only, not a file whose name merely starts like it
    assert strays("bot/cli_extra.py", FEATURE.format(planted="await session.scalar(query)")) != []
