"""The respondent's copy (surveys.respondent_copy, surveys.copy_docx) end to end: the message after «Отправить»,
the Word file on its button and on /copy, who may have it, in Telegram and in the strict fake MAX."""

from __future__ import annotations

import io

import docx

from tests.harness import register, register_max, snapshot

TEACHER = "Иванова Мария Петровна"
COPY_MESSAGE = """<b>📄 Копия ваших ответов: «Анкета педагога», период 2026-2027</b>
Иванова Мария Петровна, СОШ 1 — анкета отправлена ✅ 23.11.2026 10:04 (UTC+5)

1. Ваша должность
<b>— Другое</b>
2. В этом учебном году вы участвовали в диагностике профессиональных дефицитов?
<b>— Нет</b>
3. У вас есть индивидуальный образовательный маршрут (ИОМ) или программа профессионального развития?
<b>— Нет</b>
4. Вы входите в региональное сетевое методическое объединение учителей-предметников?
<b>— Нет</b>
5. Вы входите в региональный методический актив (РМА)?
<b>— Нет</b>
6. Вы участвуете в работе муниципального методического объединения (ММО, РМО, ГМО)?
<b>— Нет</b>
7. В этом учебном году вы получали консультативную, методическую или другую поддержку по повышению качества образования?
<b>— Нет</b>
8. В этом учебном году вы участвовали в федеральных, региональных или муниципальных мероприятиях по повышению качества образования?
<b>— Да</b>
9. Вы выступали на этих мероприятиях (доклад, мастер-класс) или публиковались?
<b>— без выступлений и публикаций</b>
10. В этом учебном году вы проходили стажировку в другом муниципалитете или регионе?
<b>— Нет</b>
11. В этом учебном году вы проходили стажировку на муниципальной стажировочной площадке?
<b>— Нет</b>
12. В этом учебном году вы прошли курсы повышения квалификации?
<b>— Нет</b>

Файл Word с этими ответами, который школа может хранить, — кнопкой ниже или командой /copy."""


def _rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


async def _short_path(person, clock) -> None:
    """A teacher's questionnaire with «нет» wherever it can be: 10 screens, 20 seconds on each after the first."""
    await person.press("Другое")  # position: other, so the subjects are not asked
    for label in ("Нет, не участвовал(а)", "Нет, ИОМ у меня нет", "Ни в каких", "Нет, не получал(а)",
                  "Да: без выступлений и публикаций", "Нет", "Нет", "Нет"):  # diagnostics .. courses
        clock.advance(seconds=20)
        await person.press(label, exact=label == "Нет")


def _document(message: dict) -> docx.Document:
    return docx.Document(io.BytesIO(message["_upload"]["content"]))


async def test_the_teacher_gets_a_copy_and_its_word_file(runner, api, world, clock, session_factory):
    teacher = await register(runner, 1001, world.invites["teacher:0"], TEACHER)
    await _short_path(teacher, clock)
    clock.advance(minutes=1, seconds=20)
    await teacher.press("Отправить")
    assert teacher.last == COPY_MESSAGE  # one message, a line a question and a line an answer
    assert teacher.buttons() == ["Скачать копию (Word)"]
    assert "МАОУ" not in teacher.last  # the chat says the school's short name; the legal one is the document's

    clock.advance(minutes=5)
    await teacher.press("Скачать копию (Word)")
    sent = api.last_message(1001)
    assert sent["document"]["file_name"] == "Копия_Анкета_педагога_2026-2027_Иванова_Мария_Петровна_СОШ_1.docx"
    assert sent["caption"] == ("Копия анкеты «Анкета педагога» за 2026-2027, отправленной 23.11.2026 10:04 (UTC+5): "
                               "файл, который школа может хранить.")
    document = _document(sent)
    assert document.paragraphs[0].text == "Копия анкеты «Анкета педагога»"
    particulars = dict(_rows(document.tables[0]))
    response_id = particulars["Номер анкеты в системе"]
    assert particulars == {
        "Муниципалитет": "Тестовский городской округ", "Образовательная организация": "МАОУ СОШ № 1",
        "Педагог": TEACHER, "Анкета": "Анкета педагога, версия 2026.4", "Период (учебный год)": "2026-2027",
        "Отправлена": "23.11.2026 10:04 (UTC+5)", "Номер анкеты в системе": response_id,
        "Копия сформирована": "23.11.2026 10:09 (UTC+5)",
    }
    answers = _rows(document.tables[1])
    assert answers[0] == ["№", "Вопрос", "Ответ"] and len(answers) == 13
    assert answers[1] == ["1", "Ваша должность", "Другое"]
    assert answers[9] == ["9", "Вы выступали на этих мероприятиях (доклад, мастер-класс) или публиковались?",
                          "без выступлений и публикаций"]
    assert [row[2] for row in answers[1:]] == [line.removeprefix("<b>— ").removesuffix("</b>")
                                               for line in COPY_MESSAGE.split("\n") if line.startswith("<b>— ")]

    # /copy: the questionnaire sent last, the same file
    await teacher.send("/copy")
    again = api.last_message(1001)
    assert again["document"]["file_name"] == sent["document"]["file_name"]
    assert _rows(_document(again).tables[1]) == answers

    # an answer changed after sending, the questionnaire still sent: the file says when it changed
    clock.advance(hours=2)
    await teacher.send("/surveys")
    await teacher.press("Изменить: Анкета педагога")
    network = next(line.split(".")[0] for line in teacher.last.split("\n") if "сетевое" in line)
    await teacher.press(f"✏️ {network}", exact=True)  # the network association, alone
    await teacher.press("Да", exact=True)
    assert "анкета остаётся отправленной" in teacher.last
    review = teacher.last
    await teacher.send("/copy")
    changed = _document(api.last_message(1001))
    assert dict(_rows(changed.tables[0]))["Изменена после отправки"] == "23.11.2026 12:09 (UTC+5)"
    assert _rows(changed.tables[1])[4][2] == "Да"

    # a change that asks new questions makes it a draft: no copy until it is sent again
    support = next(line.split(".")[0] for line in review.split("\n") if "поддержку" in line)
    await teacher.press(f"✏️ {support}", exact=True)  # support received
    await teacher.send("да")  # its form is asked now
    assert "появились новые вопросы" in teacher.last
    note = await teacher.press("Скачать копию (Word)")
    assert note["text"] == "Эта анкета сейчас не отправлена: копия будет, когда вы её отправите." and note["show_alert"]
    files = sum("document" in m for m in api.bot_messages(1001))
    assert (await teacher.send("/copy")) == "У вас пока нет отправленных анкет: копия появится, когда вы отправите анкету."
    assert sum("document" in m for m in api.bot_messages(1001)) == files
    await teacher.press("Тьютор")
    await teacher.press("Готово")
    await teacher.press("Отправить")
    assert "• Тьютор" in teacher.last and teacher.last.startswith("<b>📄 Копия ваших ответов: ")


async def test_only_the_respondent_gets_the_copy(runner, api, world, clock, session_factory):
    """Another teacher (of the same school), a deputy and a coordinator press a teacher's button: refused, nothing sent."""
    teacher = await register(runner, 1101, world.invites["teacher:0"], TEACHER)
    await _short_path(teacher, clock)
    await teacher.press("Отправить")
    message, data = api.find_button(1101, "Скачать копию (Word)")
    for user_id, invite, name in ((1102, "teacher:0", "Петрова Анна Сергеевна"), (1103, "deputy:0", "Заместителева Ирина Олеговна"),
                                  (1104, "coordinator", "Координаторова Ольга Николаевна")):
        other = await register(runner, user_id, world.invites[invite], name)
        before, sent = await snapshot(session_factory), len(api.bot_messages(user_id))
        note = await other.press_data(message, data)
        assert note["text"] == "Эта анкета вам недоступна." and note["show_alert"], name
        assert len(api.bot_messages(user_id)) == sent and await snapshot(session_factory) == before
    stranger = await other.press_data(message, "cp:999999")
    assert stranger["text"] == "Эта анкета вам недоступна."
    assert "нет отправленных анкет" in await other.send("/copy")  # the coordinator sent no municipal questionnaire


async def test_the_school_questionnaire_copy_is_for_its_deputies(runner, api, world, clock):
    deputy = await register(runner, 1201, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    await deputy.send("42")
    await deputy.press("Да", exact=True)  # quality programme
    await deputy.press("Рисков не выявлено", exact=True)  # the three risks on one screen
    for _ in range(9):  # analytic report .. practices events
        await deputy.press("Да", exact=True)
    await deputy.press("Отправить")  # the comment, asked on the review, left out
    assert deputy.last.startswith("<b>📄 Копия ваших ответов: «Анкета школы», период 2026-2027</b>\n"
                                  "СОШ 1 — анкета отправлена ✅ 23.11.2026 10:00 (UTC+5); отправил(а) Заместителева "
                                  "Ирина Олеговна, заместитель директора по УВР\n")
    assert "1. Сколько педагогических работников" in deputy.last and "<b>— 42</b>" in deputy.last
    assert "Комментарий" not in deputy.last  # not answered: not in the copy

    second = await register(runner, 1202, world.invites["deputy:0"], "Вторая Анна Ивановна")
    await second.send("/copy")
    document = _document(api.last_message(1202))
    particulars = dict(_rows(document.tables[0]))
    assert particulars["Образовательная организация"] == "МАОУ СОШ № 1" and "Педагог" not in particulars
    assert particulars["Отправил(а)"] == "Заместителева Ирина Олеговна, заместитель директора по УВР"
    assert [row[2] for row in _rows(document.tables[1])[1:6]] == ["42", "Да", "Нет", "Нет", "Нет"]  # the risks: «нет» each

    other_school = await register(runner, 1203, world.invites["deputy:1"], "Ключевская Ольга Петровна")
    message, data = api.find_button(1201, "Скачать копию (Word)")
    assert (await other_school.press_data(message, data))["text"] == "Эта анкета вам недоступна."
    teacher = await register(runner, 1204, world.invites["teacher:0"], TEACHER)
    assert (await teacher.press_data(message, data))["text"] == "Эта анкета вам недоступна."


async def test_the_copy_in_max(max_runner, max_api, world, clock):
    teacher = await register_max(max_runner, 1301, world.invites["teacher:0"], TEACHER)
    await _short_path(teacher, clock)
    clock.advance(minutes=1, seconds=20)
    answer = await teacher.press("Отправить")
    assert answer["notification"] == "Спасибо! Анкета отправлена ✅"
    assert teacher.last == COPY_MESSAGE and teacher.buttons() == ["Скачать копию (Word)"]
    await teacher.press("Скачать копию (Word)")
    [sent] = max_api.files(teacher.chat_id)
    assert sent["name"] == "Копия_Анкета_педагога_2026-2027_Иванова_Мария_Петровна_СОШ_1.docx"
    assert sent["caption"].startswith("Копия анкеты «Анкета педагога» за 2026-2027, отправленной 23.11.2026 10:04 (UTC+5)")
    document = docx.Document(io.BytesIO(sent["content"]))
    assert dict(_rows(document.tables[0]))["Педагог"] == TEACHER
    await teacher.send("/copy")
    assert [f["name"] for f in max_api.files(teacher.chat_id)] == [sent["name"]] * 2

