"""`shnor schools remove`: a school added by mistake goes (with its invites); a school with data stays."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from storage.models import (
    ExamResult,
    Invite,
    Municipality,
    RegionalGroup,
    Response,
    Role,
    School,
    SchoolPeriod,
    SchoolStatus,
)
from storage.registry import (
    RegistryError,
    create_invite,
    find_school,
    remove_school,
    school_data,
)
from tests.harness import register_directly


async def _add_school(session_factory, world, name: str, short: str) -> int:
    async with session_factory() as session:
        school = School(municipality_id=world.municipality.id, name=name, short_name=short, rural=False)
        session.add(school)
        await session.commit()
        return school.id


async def test_a_school_without_data_is_removed_with_its_invites(session_factory, world, clock):
    sid = await _add_school(session_factory, world, "МАОУ СОШ № 99 (ошибка)", "СОШ 99")
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        school = await find_school(session, municipality, "ошибка")  # a part of the name, as invites --school takes it
        assert school.id == sid
        await create_invite(session, role=Role.TEACHER, municipality=municipality, school=school, max_uses=5,
                            valid_for=dt.timedelta(days=3), now=clock.now)
        # «нет» in both internship columns is no data
        session.add(SchoolPeriod(school_id=sid, period="2026-2027", municipal_internship_site=False, regional_internship_site=False))
        await session.flush()
        assert await school_data(session, school) == []
        assert await remove_school(session, school) == 1
        await session.commit()
    async with session_factory() as session:
        assert await session.get(School, sid) is None
        assert await session.scalar(select(func.count()).select_from(Invite).where(Invite.school_id == sid)) == 0
        assert await session.scalar(select(func.count()).select_from(SchoolPeriod).where(SchoolPeriod.school_id == sid)) == 0
        assert await session.scalar(select(func.count()).select_from(School)) == 2  # the others stay


async def test_a_school_with_data_is_refused_saying_what_it_has(session_factory, world):
    sid = world.schools[0].id
    for tg in (9001, 9002):
        await register_directly(session_factory, world, tg)
    async with session_factory() as session:
        session.add_all([
            SchoolStatus(school_id=sid, period="2026-2027", method="regional_lists", shnro=True, shnsu=False, risk_zone=False),
            ExamResult(school_id=sid, year=2026, procedure="ОГЭ", subject="math", grade=9, school_mean=3.5),
            ExamResult(school_id=sid, year=2025, procedure="ОГЭ", subject="math", grade=9, school_mean=3.4),
            RegionalGroup(school_id=sid, period="2026-2027", quality_group=3, isbsh_group=4, pilot=False),
            SchoolPeriod(school_id=sid, period="2026-2027", municipal_internship_site=True, regional_internship_site=False),
        ])
        await session.commit()
    async with session_factory() as session:
        school = await session.get(School, sid)
        with pytest.raises(RegistryError) as info:
            await remove_school(session, school)
        assert str(info.value) == (
            "Школу «СОШ 1» (МАОУ СОШ № 1) удалить нельзя: у школы есть данные: 2 педагога, статусы за 1 период, "
            "2 результата процедур, группы Свердловской области за 1 период, отметки стажировочной площадки за 1 период. "
            "Удалить можно только школу без данных (например, добавленную в реестр по ошибке)."
        )
        await session.rollback()
    async with session_factory() as session:
        assert await session.get(School, sid) is not None


async def test_questionnaires_count_as_data(session_factory, world):
    sid = world.schools[1].id
    async with session_factory() as session:
        session.add(Response(campaign_id=world.campaigns["school"].id, subject=f"school:{sid}", school_id=sid, status="draft"))
        await session.commit()
    async with session_factory() as session:
        assert await school_data(session, await session.get(School, sid)) == ["1 анкета"]


async def test_schools_remove_on_the_command_line(shnor, session_factory, world):
    mid = str(world.municipality.id)
    await register_directly(session_factory, world, 9101)  # a teacher of СОШ 1
    sid = await _add_school(session_factory, world, "МБОУ Лишняя школа", "Лишняя")

    refused = await asyncio.to_thread(shnor, "schools", "remove", "--municipality", mid, "--school", "СОШ 1", ok=False)
    assert refused.stderr == ("Ошибка: Школу «СОШ 1» (МАОУ СОШ № 1) удалить нельзя: у школы есть данные: 1 педагог. "
                              "Удалить можно только школу без данных (например, добавленную в реестр по ошибке).\n")
    ambiguous = await asyncio.to_thread(shnor, "schools", "remove", "--municipality", mid, "--school", "ош", ok=False)
    assert "подходит к нескольким школам" in ambiguous.stderr
    done = await asyncio.to_thread(shnor, "schools", "remove", "--municipality", mid, "--school", "лишняя")
    assert done.stdout == (f"Школа №{sid} «Лишняя» (МБОУ Лишняя школа) удалена из реестра «Тестовский городской округ»; "
                           "её приглашений удалено: 0.\n")
    listing = (await asyncio.to_thread(shnor, "schools", "list", "--municipality", mid)).stdout
    assert "Лишняя" not in listing and "СОШ 1" in listing
