"""Secrets and personal data: no token or name in the logs; backup, restore, export; forgetting a person."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.logs import quiet_libraries
from scoring.demo import build_demo
from scoring.service import build_summary
from storage.models import Person, Response, Role
from storage.registry import FORGOTTEN_NAME, forget_person
from tests.conftest import PG_URL, START, free_port
from tests.harness import register

TOKEN = "123456789:AAHsecretPartOfTheTokenThatMustNotLeak"
FORMULA = '=HYPERLINK("http://example.com","нажми")'


@pytest.mark.slow
def test_bot_process_logs_no_token_when_telegram_fails(tmp_path: Path):
    port = free_port()  # nothing listens there: every request fails
    env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": f"http://127.0.0.1:{port}", "LOG_LEVEL": "DEBUG",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", "POLLING_TIMEOUT": "1"}
    log = tmp_path / "bot.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    try:  # until it has tried Telegram (however long a loaded machine takes to start it), or has ended
        for _ in range(600):
            if proc.poll() is not None or "getMe" in log.read_text() or "Telegram" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(20)
    output = log.read_text()
    assert output.strip(), "the bot logged nothing"
    assert "AAHsecretPartOfTheToken" not in output


async def test_names_are_not_logged(runner, world, caplog):
    quiet_libraries()  # as `shnor run` does
    caplog.set_level(logging.DEBUG)
    teacher = await register(runner, 7001, world.invites["teacher:0"], "Секретова Алевтина Игоревна")
    await teacher.send("/whoami")
    assert any("Секретова Алевтина Игоревна" in t for t in teacher.texts)  # the person sees their name; the log does not
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and "Секретова" not in logged and "Алевтина" not in logged


async def test_forgetting_a_person_keeps_the_schools_counts(runner, session_factory, clock):
    async with session_factory() as session:
        municipality = await build_demo(session, schools=3, teachers_per_school=6, periods=("2025-2026",))
        await session.commit()
        before = await build_summary(session, municipality, now=clock.now)
        person = await session.scalar(
            select(Person).join(Response, Response.person_id == Person.id).where(Person.role == Role.TEACHER).limit(1)
        )
        name, tg_user_id = person.full_name, person.tg_user_id
        await forget_person(session, person, START)
        await session.commit()
    async with session_factory() as session:
        after = await build_summary(session, municipality, now=clock.now)
        assert await session.scalar(select(func.count()).where(Person.full_name == name)) == 0
        assert await session.scalar(select(Person).where(Person.tg_user_id == tg_user_id)) is None
        assert (await session.get(Person, person.id)).full_name == FORGOTTEN_NAME
    assert after.completion == before.completion
    assert after.scores.municipal_total == before.scores.municipal_total
    assert [(s.school.id, s.total) for s in after.scores.schools] == [(s.school.id, s.total) for s in before.scores.schools]


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL is backed up with pg_dump (the CLI says so)")
def test_backup_and_restore(shnor, tmp_path: Path):
    shnor("municipality", "add", "Первый ГО", "--tz", "Asia/Yekaterinburg")
    assert "Копия базы" in shnor("backup", str(tmp_path / "copy.sqlite3")).stdout
    assert "уже существует" in shnor("backup", str(tmp_path / "copy.sqlite3"), ok=False).stderr
    shnor("municipality", "add", "Второй ГО", "--tz", "Asia/Yekaterinburg")
    assert "--yes" in shnor("restore", str(tmp_path / "copy.sqlite3"), ok=False).stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    assert "не база SQLite" in shnor("restore", str(junk), "--yes", ok=False).stderr
    assert "Второй ГО" in shnor("municipality", "list").stdout  # a refused restore changed nothing
    assert "восстановлена" in shnor("restore", str(tmp_path / "copy.sqlite3"), "--yes").stdout
    listed = shnor("municipality", "list").stdout
    assert "Первый ГО" in listed and "Второй ГО" not in listed


def test_backup_on_postgresql_points_to_pg_dump(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:1/x", "BOT_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "backup", str(tmp_path / "x")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "pg_dump" in result.stderr


async def test_export_keeps_text_as_text(shnor, session_factory, world, tmp_path: Path):
    async with session_factory() as session:
        person = Person(tg_user_id=7100, chat_id=7100, full_name="Экспортова Анна Ивановна", role=Role.TEACHER,
                        municipality_id=world.municipality.id, school_id=world.schools[0].id)
        session.add(person)
        await session.flush()
        from storage.models import Answer
        response = Response(campaign_id=world.campaigns["teacher"].id, subject=f"person:{person.id}", person_id=person.id,
                            school_id=world.schools[0].id, status="submitted")
        session.add(response)
        await session.flush()
        session.add_all([Answer(response_id=response.id, question="comment", value=FORMULA),
                         Answer(response_id=response.id, question="subjects", value=["math", "russian"]),
                         Answer(response_id=response.id, question="has_iom", value="yes")])
        await session.commit()
    out = tmp_path / "answers.xlsx"
    result = await asyncio.to_thread(shnor, "export", "--municipality", str(world.municipality.id), "--out", str(out))
    assert "Выгружено ответов: 3" in result.stdout
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Ответы педагогов", "Ответы школ", "Ответы муниципалитета", "Коды ответов"]
    sheet = book["Ответы педагогов"]
    heads = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    answer = {h: c for h, c in zip(heads, rows[0])}
    assert answer["comment"].value == FORMULA and answer["comment"].data_type == "s"  # kept, though no question has that name
    assert answer["Какие предметы вы преподаёте?"].value == "Математика; Русский язык и литература"
    assert answer["Школа"].value == "СОШ 1" and answer["Период"].value == "2026-2027" and answer["Роль"].value == "педагог"
    codes = book["Коды ответов"]
    coded = dict(zip([c.value for c in codes[1]], [c.value for c in codes[2]]))
    assert coded["subjects"] == "math;russian" and coded["has_iom"] == "yes" and coded["comment"] == FORMULA
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    assert "Экспортова" not in str([[c.value for c in r] for r in rows])  # respondents by id, not by name
