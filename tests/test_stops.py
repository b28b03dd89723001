"""Where people stop, through the bot: teachers answer and leave at different screens on the test's clock; the
answer path records each one's last screen and each answer's seconds (migration 0016), the database counts them
(scoring.data.stop_counts) and the coordinator's /summary names the questions that lose more than a tenth, its
workbook has the sheet «Где останавливаются»."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from monitoring import returns
from scoring.data import stop_counts
from scoring.stops import REVIEW, pack_stops
from storage.models import Answer, Response
from storage.registry import get_person
from tests.harness import register


async def _teacher(runner, user_id: int, world, name: str):
    return await register(runner, user_id, world.invites["teacher:0"], name)


async def test_where_teachers_stop(runner, api, world, clock, session_factory):
    # Т1 sends it, 20 s a screen; Т2 stops at the diagnostics after 30 s on the first question; Т3 answers the
    # diagnostics after 45 s, goes back to it and leaves; Т4 reaches the review and does not send; Т5 never answers.
    first = await _teacher(runner, 3001, world, "Первая Анна Ивановна")
    clock.advance(seconds=20)
    await first.press("Другое")
    for label in ("Нет, не участвовал(а)", "Нет, ИОМ у меня нет", "Ни в каких", "Нет, не получал(а)"):
        clock.advance(seconds=20)
        await first.press(label, exact=True)
    clock.advance(seconds=20)
    await first.press("Да: без выступлений и публикаций")
    for _ in range(3):
        clock.advance(seconds=20)
        await first.press("Нет", exact=True)
    await first.press("Отправить")

    second = await _teacher(runner, 3002, world, "Вторая Бэлла Ивановна")
    clock.advance(seconds=30)
    await second.press("Другое")

    third = await _teacher(runner, 3003, world, "Третья Вера Ивановна")
    await third.press("Другое")
    clock.advance(seconds=45)
    await third.press("Нет, не участвовал(а)", exact=True)  # diagnostics
    await third.press("Назад")
    assert "диагностике" in third.last

    fourth = await _teacher(runner, 3004, world, "Четвёртая Галина Ивановна")
    await fourth.press("Другое")
    for label in ("Нет, не участвовал(а)", "Нет, ИОМ у меня нет", "Ни в каких", "Нет, не получал(а)"):
        await fourth.press(label, exact=True)
    await fourth.press("Да: без выступлений и публикаций")
    for _ in range(3):
        await fourth.press("Нет", exact=True)
    assert "проверьте ответы" in fourth.last

    await _teacher(runner, 3005, world, "Пятая Дина Ивановна")

    async with session_factory() as session:
        screens = dict((await session.execute(select(Response.person_id, Response.screen))).all())
        seconds = {(rid, q): s for rid, q, s in await session.execute(select(Answer.response_id, Answer.question, Answer.seconds))}
        counts = await stop_counts(session, world.municipality.id, "2026-2027")
    assert sorted(screens.values()) == sorted(["diagnostics", "diagnostics", ":review", ":review", "position"])
    first_response = next(rid for rid, q in seconds if q == "quality_events" and seconds[(rid, q)] == 20)
    assert seconds[(first_response, "events_productive")] is None  # the follow-up was answered on its question's screen

    teacher = next(pack_stops(c) for c in counts if c.key == "teacher")
    rows = {row.name: row for row in teacher.rows}
    assert (teacher.started, teacher.submitted, teacher.unknown) == (5, 1, 0)
    assert (rows["position"].reached, rows["position"].stopped) == (5, 1)
    assert (rows["diagnostics"].reached, rows["diagnostics"].stopped) == (4, 2)  # Т3 answered it and went back: once
    assert (rows["has_iom"].reached, rows["has_iom"].stopped) == (2, 0)
    assert (rows[REVIEW].reached, rows[REVIEW].stopped) == (2, 1)
    # position: 20 (Т1), 30 (Т2), 0 (Т3, Т4): the lower median of 0, 0, 20, 30 is 0; diagnostics: 20, 45, 0 -> 20
    assert (rows["position"].median, rows["position"].timed) == (0, 4)
    assert (rows["diagnostics"].median, rows["diagnostics"].timed) == (20, 3)
    assert (rows["events_productive"].reached, rows["events_productive"].timed) == (2, 0)

    coordinator = await register(runner, 3010, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/summary")
    said = "\n".join(m.get("text", "") for m in api.bot_messages(3010))
    assert "<b>Где останавливаются</b>" in said
    assert ("• Анкета педагога: «Ваша должность» — остановились 1 из 5 дошедших (20,0 %); медиана времени на вопросе "
            "0 с (по 4 ответам)") in said
    assert ("• Анкета педагога: «В этом учебном году вы участвовали в диагностике профессиональных дефицитов?» — "
            "остановились 2 из 4 дошедших (50,0 %); медиана времени на вопросе 20 с (по 3 ответам)") in said
    assert "• Анкета педагога: «Проверка ответов (не нажали «Отправить»)» — остановились 1 из 2 дошедших (50,0 %)" in said
    assert "«Вы входите в региональное сетевое" not in said  # nobody stopped there: no line
    workbook = next(m for m in api.bot_messages(3010) if "document" in m)
    book = openpyxl.load_workbook(io.BytesIO(workbook["_upload"]["content"]))
    sheet = list(book["Где останавливаются"].iter_rows(values_only=True))
    assert sheet[2] == ("Анкета педагога", 1, "Ваша должность", 5, 1, 0.2, 0, 4)
    assert ("Анкета педагога", None, "Проверка ответов (не нажали «Отправить»)", 2, 1, 0.5, None, None) in sheet
    school = [row for row in sheet if row[0] == "Анкета школы"]
    assert school and all(row[3] == 0 for row in school)  # nobody began it: reached by none, no share

    # a questionnaire returned for rework went through every screen: its draft is not a stop at the review
    deputy = await register(runner, 3011, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    async with session_factory() as session:
        await returns.return_response(session, await get_person(session, deputy.id), first_response, "Уточните ИОМ", clock.now)
        await session.commit()
        again = next(pack_stops(c) for c in await stop_counts(session, world.municipality.id, "2026-2027") if c.key == "teacher")
    assert (again.started, again.submitted) == (5, 1)
    assert [(r.name, r.reached, r.stopped) for r in again.rows] == [(r.name, r.reached, r.stopped) for r in teacher.rows]
