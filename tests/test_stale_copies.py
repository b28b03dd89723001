"""Two copies of one question (the questionnaire opened twice, or two devices): each acts on what it shows."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Answer
from tests.harness import register


async def test_done_on_an_older_copy_stores_what_that_copy_shows(runner, api, world, session_factory):
    teacher = await register(runner, 8101, world.invites["teacher:0"])
    await teacher.press("Учитель")  # the subjects question (multiple choice) comes next
    first = api.current_message(8101)
    await teacher.send("/surveys")
    await teacher.press("Продолжить: Анкета педагога")  # a second copy of the same question
    second = api.current_message(8101)
    assert first["message_id"] != second["message_id"] and "предметы" in second["text"]

    async def press(message: dict, label: str) -> dict:
        data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if label in b["text"])
        return await teacher.press_data(message, data)

    await press(second, "Математика")  # ticked on the second copy only
    await press(first, "Информатика")  # ticked on the first copy only
    first, second = api.chats[8101].messages[first["message_id"]], api.chats[8101].messages[second["message_id"]]
    assert "☑ 7. Информатика" in str(first["reply_markup"]) and "☑ 2. Математика" not in str(first["reply_markup"])
    assert "☑ 2. Математика" in str(second["reply_markup"]) and "☑ 7. Информатика" not in str(second["reply_markup"])
    await press(first, "Готово")  # the first copy's «Готово» stores the first copy's ticks
    async with session_factory() as session:
        stored = await session.scalar(select(Answer.value).where(Answer.question == "subjects"))
    assert stored == ["cs"]
    notice = await press(second, "Готово")  # the second copy is stale now: refused, nothing changes
    assert "неактуален" in notice["text"]
    async with session_factory() as session:
        assert await session.scalar(select(Answer.value).where(Answer.question == "subjects")) == ["cs"]
