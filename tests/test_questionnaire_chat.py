"""The questionnaire in chat, end to end through the fake Bot API."""

from __future__ import annotations

from sqlalchemy import select

from monitoring.campaigns import responses_of_campaign
from storage.models import Answer, Response
from tests.harness import BotRunner, User, register


async def _answers(session_factory, campaign_id: int) -> dict[str, dict]:
    async with session_factory() as session:
        return await responses_of_campaign(session, campaign_id)


def _labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def _response(session_factory, campaign_id: int) -> Response:
    async with session_factory() as session:
        return await session.scalar(select(Response).where(Response.campaign_id == campaign_id))


async def test_teacher_answers_the_whole_pack(runner, api, world, session_factory):
    teacher = await register(runner, 1001, world.invites["teacher:0"])
    assert "осталось 10 вопросов" in teacher.last and "Ваша должность" in teacher.last
    assert "Назад" not in " ".join(teacher.buttons())

    # typing what no button says: one line why, and the question again under it (nothing stored)
    reply = await teacher.send("повар")
    assert reply.startswith("⚠️ Не понял ответ «повар»: напишите номер варианта (от 1 до 4)") and "Ваша должность" in reply
    assert teacher.buttons()[0] == "1. Учитель"
    question_id = api.current_message(1001)["message_id"]
    sent, calls = len(api.bot_messages(1001)), len(api.calls)
    await teacher.press("Учитель")
    # the pressed question becomes the next one in place: no new message, one edit and the callback's answer
    assert len(api.bot_messages(1001)) == sent and api.current_message(1001)["message_id"] == question_id
    assert sorted(method for method, _ in api.calls[calls:]) == ["answerCallbackQuery", "editMessageText"]

    assert "осталось 9 вопросов" in teacher.last and "предметы" in teacher.last
    await teacher.press("Математика")
    await teacher.press("Русский язык")
    await teacher.press("Математика")  # toggled off again
    assert "☑ 1. Русский язык и литература" in teacher.buttons() and "☐ 2. Математика" in teacher.buttons()
    await teacher.press("Готово")

    # diagnostics and, on the same screen, which kinds: «Да ✔» needs a kind, «Нет» needs none and says what it denies
    assert "диагностике" in teacher.last and "Если да — какие дефициты" in teacher.last
    assert "Нет, не участвовал(а)" in teacher.buttons()
    answer = await teacher.press("Да ✔")  # nothing selected for a required follow-up
    assert "хотя бы один" in answer.get("text", "")
    await teacher.press("Методические")
    await teacher.press("Да ✔")

    await teacher.press("Нет, ИОМ у меня нет", exact=True)  # has_iom: no -> iom_state is not asked
    assert "В каких методических объединениях" in teacher.last and "осталось 6 вопросов" in teacher.last
    # Back goes to has_iom, showing the current answer; change it to yes with its state in one press
    await teacher.press("Назад")
    assert "ИОМ" in teacher.last and "Сейчас ответ: <b>Нет</b>" in teacher.last and "осталось 7 вопросов" in teacher.last
    assert "2. Да: Реализуется" in teacher.buttons()
    await teacher.press("Да: Реализуется")

    # the three associations on one screen: each stored as «да» or «нет»
    old_button = api.find_button(1001, "Во всех трёх", exact=True)  # kept for later
    await teacher.press("Во всех трёх", exact=True)
    assert "осталось 5 вопросов" in teacher.last
    await teacher.press("Наставник")  # support received: its form on the same screen
    await teacher.press("Да ✔")
    assert "Если да — вы выступали" in teacher.last  # quality events, with its follow-up beside it
    assert teacher.buttons()[:3] == ["1. Да: выступал(а) или публиковал(ась)", "2. Да: без выступлений и публикаций",
                                     "Нет, не участвовал(а)"]
    await teacher.press("Да: без выступлений и публикаций")
    await teacher.press("Нет", exact=True)  # internship elsewhere
    await teacher.press("Нет", exact=True)  # internship municipal
    await teacher.press("Да", exact=True)  # courses: the last question

    review = teacher.last
    assert "проверьте ответы" in review
    assert "Учитель" in review and "Наставник" in review
    assert "Наставник" in review

    stored = (await _answers(session_factory, world.campaigns["teacher"].id))
    answers = next(iter(stored.values()))
    assert answers["position"] == "teacher"
    assert answers["subjects"] == ["russian"]
    assert answers["diagnostics_kinds"] == ["methodical"]
    assert answers["has_iom"] == "yes" and answers["iom_state"] == "in_progress"
    assert answers["quality_events"] == "yes" and answers["events_productive"] == "no"
    assert answers["support_forms"] == ["mentor"] and answers["courses"] == "yes"
    assert (answers["network_association"], answers["rma_member"], answers["mmo_member"]) == ("yes", "yes", "yes")
    assert (await _response(session_factory, world.campaigns["teacher"].id)).status == "draft"

    # edit from the review screen: support -> no drops its forms
    edit_buttons = [b for b in teacher.buttons() if b.startswith("✏️")]
    assert len(edit_buttons) == len([line for line in review.split("\n") if line[:1].isdigit()])
    support_number = next(line.split(".")[0] for line in review.split("\n") if "поддержку" in line)
    await teacher.press(f"✏️ {support_number}", exact=True)
    assert "поддержку" in teacher.last
    await teacher.press("Нет, не получал(а)", exact=True)
    assert "проверьте ответы" in teacher.last and "больше не нужны" in teacher.last
    answers = next(iter((await _answers(session_factory, world.campaigns["teacher"].id)).values()))
    assert "support_forms" not in answers and answers["support_received"] == "no"

    review_id = api.current_message(1001)["message_id"]
    thanks = await teacher.press("Отправить")
    assert thanks["text"] == "Спасибо! Анкета отправлена ✅"  # the callback's answer; the review shows it sent
    review_message = api.chat(1001).messages[review_id]
    assert "анкета отправлена ✅" in review_message["text"] and "Отправить ✅" not in _labels(review_message)
    # and the respondent's copy comes under it (tests/test_copy.py)
    assert teacher.last.startswith("<b>📄 Копия ваших ответов: «Анкета педагога»") and teacher.buttons() == ["Скачать копию (Word)"]
    response = await _response(session_factory, world.campaigns["teacher"].id)
    assert response.status == "submitted" and response.submitted_at is not None

    # an old button of a finished question changes nothing and gets a short notice
    old_message, data = old_button
    notice = await teacher.press_data(old_message, data)
    assert "неактуален" in notice["text"]
    assert (await _response(session_factory, world.campaigns["teacher"].id)).status == "submitted"

    # reopening: the list offers to change it until the deadline
    await teacher.send("/surveys")
    assert "отправлена" in teacher.last
    await teacher.press("Изменить: Анкета педагога")
    assert "анкета отправлена ✅" in teacher.last and "Отправить" not in " ".join(teacher.buttons())


async def test_editing_a_submitted_questionnaire_never_asks_for_a_missing_submit(runner, api, world, session_factory):
    """An edit that keeps the questionnaire complete keeps it submitted and says so; one that adds
    questions makes it a draft and says why; the counter «Вопрос N из M» never runs past M, and
    when M changes the teacher is told why."""
    import re

    teacher = await register(runner, 1050, world.invites["teacher:0"])
    await teacher.press("Другое")  # no subjects
    assert "После этого ответа часть вопросов не нужна." in teacher.last  # the count drops by two: said why
    await teacher.press("Нет, не участвовал(а)", exact=True)  # diagnostics
    await teacher.press("Нет, ИОМ у меня нет", exact=True)  # ИОМ
    await teacher.press("Ни в каких", exact=True)  # network, РМА, ММО
    await teacher.press("Нет, не получал(а)", exact=True)  # support
    await teacher.press("Да: без выступлений и публикаций")  # quality events and its follow-up in one press
    for _ in range(3):  # internships, courses
        await teacher.press("Нет", exact=True)
    await teacher.press("Отправить")

    def counters() -> list[int]:  # every count of questions left the teacher was shown, edits or not
        sent = [p.get("text", "") for m, p in api.calls if m in ("sendMessage", "editMessageText") and int(p["chat_id"]) == 1050]
        return [1 if m == "последний вопрос" else int(m.split()[1]) for t in sent
                for m in re.findall(r"осталось \d+ вопрос\w*|последний вопрос", t)]

    # going forward the count only goes down, by one a screen (by two where «Другое» ruled out the subjects)
    assert counters() == [10, 8, 7, 6, 5, 4, 3, 2, 1], counters()

    await teacher.send("/surveys")
    await teacher.press("Изменить: Анкета педагога")
    review = teacher.last
    network = next(line.split(".")[0] for line in review.split("\n") if "сетевое" in line)
    await teacher.press(f"✏️ {network}", exact=True)
    assert "сетевое" in teacher.last and teacher.buttons()[:2] == ["Да", "Нет"]  # one question of the checklist, alone
    await teacher.press("Да", exact=True)
    assert "Изменение сохранено, анкета остаётся отправленной." in teacher.last
    assert "анкета отправлена ✅" in teacher.last and "Отправить ✅" not in teacher.buttons()
    response = await _response(session_factory, world.campaigns["teacher"].id)
    assert response.status == "submitted"
    # typing at the submitted review: no «нажмите Отправить» where there is no such button
    reply = await teacher.send("ещё что-то")
    assert reply.startswith("⚠️ Анкета уже отправлена") and "«Отправить»" not in reply

    review = teacher.last  # the review again, under the line about the typed text
    support = next(line.split(".")[0] for line in review.split("\n") if "поддержку" in line)
    await teacher.press(f"✏️ {support}", exact=True)
    await teacher.send("да")  # typed: support received, and now «в какой форме» is asked on its own
    assert "появились новые вопросы: ответьте на них и отправьте анкету снова" in teacher.last
    assert "В какой форме" in teacher.last
    assert (await _response(session_factory, world.campaigns["teacher"].id)).status == "draft"
    await teacher.press("Тьютор")
    await teacher.press("Готово")
    assert "проверьте ответы" in teacher.last and "Отправить ✅" in teacher.buttons()
    await teacher.press("Отправить")
    assert (await _response(session_factory, world.campaigns["teacher"].id)).status == "submitted"
    assert counters()[-1] == 1  # «в какой форме» was the one question left


async def test_restart_in_the_middle_continues_at_the_next_question(api, database_url, clock, world, session_factory):
    first = BotRunner(api, database_url, clock)
    await first.start()
    teacher = await register(first, 1100, world.invites["teacher:1"])
    await teacher.press("Другое")  # position other: subjects are not asked
    await teacher.press("Нет, не участвовал(а)", exact=True)  # diagnostics
    assert "ИОМ" in teacher.last
    await first.stop()

    second = BotRunner(api, database_url, clock)  # a new bot and dispatcher, state only in the database
    await second.start()
    try:
        teacher.runner = second
        await teacher.press("Да: Разработан")  # the button of the message sent before the restart
        assert "методических объединениях" in teacher.last
        await teacher.send("/surveys")
        await teacher.press("Продолжить: Анкета педагога")
        assert "методических объединениях" in teacher.last and "осталось 6 вопросов" in teacher.last
        answers = next(iter((await _answers(session_factory, world.campaigns["teacher"].id)).values()))
        assert answers == {"position": "other", "diagnostics": "no", "has_iom": "yes", "iom_state": "developed"}
    finally:
        await second.stop()


async def test_deputy_answers_the_school_pack(runner, world, session_factory):
    """A school outside the risk zone is never asked the four risk-zone questions (S2.6.1-S2.6.4)."""
    deputy = await register(runner, 1200, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    assert "педагогических работников" in deputy.last
    for bad in ["0", "сорок", "40.5", "1001"]:
        assert (await deputy.send(bad)).startswith("⚠️"), bad
    await deputy.send("42")
    await deputy.press("Да", exact=True)   # quality programme
    assert "Какие риски выявлены в школе?" in deputy.last  # the three risks on one screen
    await deputy.press("Нет устойчивого доступа к интернету")
    await deputy.press("Готово")
    for _ in range(9):                     # analytic report .. practices events
        await deputy.press("Да", exact=True)
    # the comment is asked on the review screen: typed there, or left out
    assert "проверьте ответы" in deputy.last and "Комментарий для муниципального координатора" in deputy.last
    assert "Пропустить" not in deputy.buttons()
    assert not any("ресурсных дефицитов" in t or "ликвидации риска" in t for t in deputy.texts)
    await deputy.send("Комментарий с <b>разметкой</b> и =HYPERLINK(\"x\")")
    assert "проверьте ответы" in deputy.last and "&lt;b&gt;разметкой&lt;/b&gt;" in deputy.last
    await deputy.press("Отправить")

    stored = await _answers(session_factory, world.campaigns["school"].id)
    assert list(stored) == [f"school:{world.schools[0].id}"]
    answers = stored[f"school:{world.schools[0].id}"]
    assert answers["ped_workers"] == 42
    assert (answers["risk_internet"], answers["risk_computers"], answers["risk_staff"]) == ("yes", "no", "no")
    assert not {"deficit_assessment", "internet_risk_removed", "computers_risk_removed", "staff_risk_removed"} & set(answers)
    assert answers["comment"] == "Комментарий с <b>разметкой</b> и =HYPERLINK(\"x\")"

    # the second deputy of the same school sees the same (submitted) school questionnaire
    other = await register(runner, 1201, world.invites["deputy:0"], "Вторая Анна Ивановна")
    assert "✅ отправлена" in other.last


async def test_a_risk_zone_school_reports_a_risk_it_removed(runner, world, session_factory):
    """Seed 000 asks S2.6.1-S2.6.4 of every risk-zone school, whatever it answered about the risks."""
    from scoring.service import import_statuses
    from storage.importers import StatusRow
    from storage.models import Municipality

    async with session_factory() as session:
        await import_statuses(session, await session.get(Municipality, world.municipality.id), "2026-2027",
                              [StatusRow(2, "Ключевская ООШ", False, False, True, False)])
        await session.commit()
    deputy = await register(runner, 1210, world.invites["deputy:1"], "Зонова Ирина Олеговна")
    await deputy.send("12")
    await deputy.press("Да", exact=True)  # quality programme
    await deputy.press("Выявлены все три")  # all three risks identified this year
    for _ in range(9):
        await deputy.press("Нет", exact=True)
    assert "оценки ресурсных дефицитов" in deputy.last and "в зоне риска" in deputy.last and "осталось 4 вопроса" in deputy.last
    await deputy.press("Да", exact=True)
    assert "ликвидации риска «нет устойчивого доступа к интернету»" in deputy.last
    assert "Пропустить" not in deputy.buttons()  # asked, not optional
    await deputy.press("Да", exact=True)  # the internet risk was removed
    await deputy.press("Нет", exact=True)
    await deputy.press("Да", exact=True)
    answers = (await _answers(session_factory, world.campaigns["school"].id))[f"school:{world.schools[1].id}"]
    assert (answers["risk_internet"], answers["internet_risk_removed"], answers["computers_risk_removed"]) == ("yes", "yes", "no")
    assert answers["deficit_assessment"] == "yes" and answers["staff_risk_removed"] == "yes"


async def test_stranger_cannot_press_buttons_or_answer(runner, api, world, session_factory):
    teacher = await register(runner, 1300, world.invites["teacher:0"])
    message, data = api.find_button(1300, "Учитель")
    # another registered teacher forges the callback of someone else's response
    intruder = await register(runner, 1301, world.invites["teacher:1"], "Чужой Иван Иванович")
    notice = await intruder.press_data(message, data)
    assert "недоступна" in notice["text"]
    stranger = User(runner, 1302)
    notice = await stranger.press_data(message, data)
    assert "не зарегистрированы" in notice["text"]
    # forged payloads: question that does not exist, garbage
    notice = await teacher.press_data(message, data.replace(":0:p:", ":99:p:"))
    assert "неактуален" in notice["text"]
    notice = await teacher.press_data(message, "q:abc")
    assert "неактуальна" in notice["text"]
    async with session_factory() as session:
        assert (await session.scalar(select(Answer.id))) is None


async def test_a_file_answer_in_chat(runner, api, world, session_factory):
    """A questionnaire of the municipality's own with a file question (the packs ask for none)."""
    from monitoring.campaigns import open_campaign
    from surveys.loader import build_survey

    probe = build_survey({"id": "probe", "title": "Проба", "audience": "teacher", "questions": [
        {"name": "certificate", "type": "file", "label": "Приложите удостоверение", "required": False},
        {"name": "hours", "type": "integer", "label": "Сколько часов?", "min": 1, "max": 2000},
    ]}, "probe")
    async with session_factory() as session:
        from storage.models import Municipality

        campaign = await open_campaign(session, municipality=await session.get(Municipality, world.municipality.id), survey=probe,
                                       period="2026-2027", deadline=world.campaigns["teacher"].deadline, now=runner.clock())
        await session.commit()
    teacher = await register(runner, 1300, world.invites["teacher:0"])
    assert "Ваши анкеты:" in teacher.last  # two open: the list, nothing started by itself
    await teacher.press("Начать: Проба")
    await teacher.send("вот файл")
    assert teacher.last.startswith("⚠️ Пришлите файл")
    await teacher.send_document("FILE-ABC", "удостоверение.pdf")
    assert "Сколько часов" in teacher.last
    await teacher.press("Назад")
    assert "файл «удостоверение.pdf»" in teacher.last
    await teacher.press("Оставить как есть")
    for bad, expected in [("14ч. 50%", "целое число"), ("abc", "целое число"), ("-5", "от 1 до 2000"), ("5000", "от 1 до 2000")]:
        reply = await teacher.send(bad)
        assert reply.startswith("⚠️") and expected in reply, (bad, reply)
    await teacher.send("72")
    assert "проверьте ответы" in teacher.last and "файл «удостоверение.pdf»" in teacher.last and "72" in teacher.last
    answers = next(iter((await _answers(session_factory, campaign.id)).values()))
    assert answers == {"certificate": {"file_id": "FILE-ABC", "file_name": "удостоверение.pdf"}, "hours": 72}
