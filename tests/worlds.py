"""Small worlds for tests and benchmarks, bulk-inserted: not the product's demo (scoring.demo)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import now_of
from storage.models import Municipality, Person, Role, School


async def one_school_with_teachers(
    session: AsyncSession, name: str, teachers: int, first_user_id: int, **municipality: Any
) -> tuple[Municipality, School]:
    """A municipality (UTC) with one school of `teachers` registered teachers, Telegram ids from first_user_id.

    The smallest world for tests and benchmarks; the people are bulk-inserted (35,000 for the reminders bench).
    """
    place = Municipality(name=name, timezone="UTC", **municipality)
    session.add(place)
    await session.flush()
    school = School(municipality_id=place.id, name="Школа", short_name="Ш")
    session.add(school)
    await session.flush()
    now = now_of(session)
    rows = [{"tg_user_id": first_user_id + n, "chat_id": first_user_id + n, "full_name": f"Учитель {n}",
             "role": Role.TEACHER.value, "municipality_id": place.id, "school_id": school.id, "unreachable": False,
             "registered_at": now} for n in range(teachers)]
    for start in range(0, len(rows), 5000):
        await session.execute(insert(Person), rows[start : start + 5000])
    return place, school
