"""The questionnaire as a person reads and answers it (surveys.questionnaire and surveys.screens, no chat):
the count of questions left, the carry screen and changing one fact, checklists, the review's comment and
typed answers on every kind of screen."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from surveys.loader import load_pack
from surveys.questionnaire import (
    DRAFT,
    Action,
    CampaignWindow,
    CarryView,
    Kind,
    QuestionView,
    ResponseState,
    ReviewView,
    apply,
)
from surveys.screens import QuestionAction, ReviewAction, screen_of

NOW = dt.datetime(2026, 10, 1, 10, tzinfo=dt.timezone.utc)
ANSWERING = {Kind.PICK, Kind.DONE, Kind.FOLLOW, Kind.FOLLOW_DONE, Kind.SKIP, Kind.CARRY}


def _state(pack: str, previous: dict[str, Any] | None = None, facts: dict[str, Any] | None = None) -> ResponseState:
    survey = load_pack(pack)
    window = CampaignWindow(1, survey.title, "2026-2027", survey.audience.value, NOW - dt.timedelta(days=1),
                            NOW + dt.timedelta(days=10), None, "Asia/Yekaterinburg")
    return ResponseState(1, 0, "x", DRAFT, None, {}, window, survey, facts or {}, previous or {},
                         "2025-2026" if previous else None)


class Person:
    """Presses the buttons of the screen shown and types, as in a chat; every write is kept."""

    def __init__(self, state: ResponseState) -> None:
        self.state = state
        self.step = apply(state, Action(Kind.SHOW), NOW)
        self.writes: list[Any] = []

    @property
    def screen(self):
        return screen_of(self.step.view)

    @property
    def text(self) -> str:
        return self.screen.text.plain_text

    def buttons(self) -> list[str]:
        return [b.label for row in self.screen.buttons for b in row]

    def press(self, label: str, exact: bool = False) -> Person:
        found = [b for row in self.screen.buttons for b in row if (b.label == label if exact else label in b.label)]
        assert found, (label, self.buttons())
        return self.do(self._action(found[-1].action))

    @staticmethod
    def _action(action: Any) -> Action:
        if isinstance(action, QuestionAction):
            return Action(action.kind, action.index, action.choice, action.mask)
        assert isinstance(action, ReviewAction)
        return Action(action.kind, None if action.kind == Kind.BACK else action.index)

    def type(self, text: str) -> Person:
        return self.do(Action(Kind.TEXT, text=text))

    def do(self, action: Action) -> Person:
        self.step = apply(self.state, action, NOW)
        self.state = self.step.state
        if self.step.change is not None:
            self.writes.append(self.step.change)
        return self


def _left(view: Any) -> int | None:
    return view.left if isinstance(view, (QuestionView, CarryView)) else 0 if isinstance(view, ReviewView) else None


@pytest.mark.parametrize(("pack", "facts"), [("teacher", {}), ("school", {"risk_zone": False}), ("school", {"risk_zone": True})])
def test_the_count_of_questions_left_never_grows_and_says_why_it_drops(pack: str, facts: dict[str, Any]) -> None:
    """Random people press random buttons (toggles included) from the first screen to the review: each answer
    takes the count down by one screen, or by more with a line saying part of the questions is not needed."""
    for seed in range(60):
        rng = random.Random(seed)
        person = Person(_state(pack, facts=facts))
        left = _left(person.step.view)
        for _ in range(60):
            if isinstance(person.step.view, ReviewView):
                break
            actions = [b.action for row in person.screen.buttons for b in row
                       if b.action.kind in ANSWERING | {Kind.TOGGLE}]
            if person.step.view.question.type.value == "integer":
                person.type(str(rng.randint(1, 90)))
            else:
                chosen = rng.choice(actions)
                try:
                    person.do(Person._action(chosen))
                except Exception as exc:  # «Да ✔» with nothing ticked for a required follow-up: refused, nothing changed
                    assert "хотя бы один" in str(exc), exc
                    continue
                if chosen.kind == Kind.TOGGLE:
                    assert _left(person.step.view) == left
                    continue
            now = _left(person.step.view)
            assert now <= left - 1, (seed, left, now, person.text)
            if now < left - 1:
                assert "часть вопросов не нужна" in person.text, (seed, person.text)
            left = now
        assert isinstance(person.step.view, ReviewView), seed


def test_the_first_count_is_the_screens_a_new_teacher_sees() -> None:
    person = Person(_state("teacher"))
    assert person.text.startswith("Анкета педагога · осталось 10 вопросов")
    seen = {(type(person.step.view), person.step.view.index)}
    for label in ["Учитель", "Математика", "Готово", "Нет, не участвовал(а)", "Нет, ИОМ у меня нет", "Ни в каких",
                  "Нет, не получал(а)", "Нет, не участвовал(а)", "Нет", "Нет"]:
        person.press(label, exact=label in ("Да", "Нет"))
        if not isinstance(person.step.view, ReviewView):
            seen.add((type(person.step.view), person.step.view.index))  # a screen is its question: a tick stays on it
    assert "последний вопрос" in person.text and len(seen) == 10


LAST_YEAR = {"position": "teacher", "subjects": ["math", "science"], "has_iom": "yes", "iom_state": "in_progress",
             "network_association": "no", "rma_member": "no", "mmo_member": "yes", "diagnostics_kinds": ["methodical"],
             "support_forms": ["mentor"], "events_productive": "no"}


def test_the_carry_screen_lists_each_fact_on_its_line_and_a_list_one_item_a_line() -> None:
    person = Person(_state("teacher", LAST_YEAR))
    assert isinstance(person.step.view, CarryView)
    text = person.text
    assert text.startswith("Анкета педагога · осталось 7 вопросов\n\nКак в прошлом году (2025-2026):\n1. Ваша должность\n   — Учитель\n")
    assert "2. Какие предметы вы преподаёте?\n   — Математика\n   — Физика, химия, биология\n3. " in text
    assert ", ".join(["Математика", "Физика"]) not in text
    assert person.buttons() == ["Без изменений ✔", *[f"✏️ {n}" for n in range(1, 8)]]


def test_changing_one_fact_keeps_the_others_and_asks_just_that_one() -> None:
    person = Person(_state("teacher", LAST_YEAR))
    person.press("✏️ 1", exact=True)  # the position: a specialist this year
    assert "Ваша должность" in person.text and "В прошлом году (2025-2026): Учитель" in person.text
    kept = ("subjects", "has_iom", "iom_state", "network_association", "rma_member", "mmo_member")
    assert person.writes[-1].upsert == tuple((q, LAST_YEAR[q]) for q in kept)  # the other six, stored at once
    person.press("Педагог-психолог")
    # the subjects kept a moment ago no longer apply: removed, and said so
    assert "Ответы, которые больше не нужны, удалены:\n— Какие предметы вы преподаёте?\n" in person.text
    assert person.writes[-1].delete == ("subjects",)
    assert "диагностике" in person.text and person.state.answers["position"] == "specialist"


def test_changing_a_question_with_a_follow_up_asks_both_on_one_screen() -> None:
    person = Person(_state("teacher", LAST_YEAR))
    person.press("✏️ 3", exact=True)  # ИОМ
    assert "iom_state" not in person.state.answers and "has_iom" not in person.state.answers
    assert "В прошлом году (2025-2026): Реализуется" in person.text
    person.press("Да: Выполнен")
    assert (person.state.answers["has_iom"], person.state.answers["iom_state"]) == ("yes", "completed")


def test_the_carry_screen_read_from_typed_text() -> None:
    person = Person(_state("teacher", LAST_YEAR))
    person.type("9")
    assert person.step.change is None and person.text.startswith(
        "⚠️ Напишите «да», если всё как в прошлом году, или номер ответа, который изменился (от 1 до 7).\n\n")
    assert isinstance(person.step.view, CarryView)
    person.type("2")
    assert "Какие предметы" in person.text and "subjects" not in person.state.answers and person.state.answers["mmo_member"] == "yes"
    person.type("2 4 7")  # the subjects typed by number
    assert person.state.answers["subjects"] == ["math", "science", "cs"]
    assert "Сохранено — какие предметы вы преподаёте:\n— Математика\n— Физика, химия, биология\n— Информатика" in person.text

    for odd in ("0010", "²"):  # digits a phone may send: one line and the screen again, never an error
        person = Person(_state("teacher", LAST_YEAR)).type(odd)
        assert person.step.change is None and person.text.startswith("⚠️ Напишите «да», если всё как в прошлом году")

    again = Person(_state("teacher", LAST_YEAR))
    again.type("Без изменений")
    assert again.state.answers["subjects"] == ["math", "science"] and "Сохранено как в прошлом году: 7 ответов." in again.text


def test_a_preselected_follow_up_says_it_is_last_years_and_what_was_kept() -> None:
    person = Person(_state("teacher", LAST_YEAR)).press("Без изменений")
    assert "Если да — какие дефициты диагностировали?\nОтмечено в прошлом году (2025-2026):\n   — Методические" in person.text
    assert "☑ 2. Методические" in person.buttons() and "Нет, не участвовал(а)" in person.buttons()
    person.press("Да ✔")
    assert person.text.startswith("ℹ️ Сохранено — какие дефициты диагностировали:\n— Методические\n\n")


def test_a_checklist_stores_each_question_and_reads_typed_answers() -> None:
    for typed, expected in [("нет", ("no", "no", "no")), ("Ни в каких", ("no", "no", "no")), ("все", ("yes", "yes", "yes")),
                            ("1 3", ("yes", "no", "yes")), ("РМА", ("no", "yes", "no")), ("во всех", ("yes", "yes", "yes"))]:
        person = Person(_state("teacher"))
        person.press("Другое").press("Нет, не участвовал(а)").press("Нет, ИОМ у меня нет")
        assert "В каких методических объединениях" in person.text
        person.type(typed)
        answers = person.state.answers
        assert (answers["network_association"], answers["rma_member"], answers["mmo_member"]) == expected, typed
    person = Person(_state("teacher"))
    person.press("Другое").press("Нет, не участвовал(а)").press("Нет, ИОМ у меня нет").type("5")
    assert person.step.change is None and person.text.startswith("⚠️ Варианта с номером 5 нет: номера от 1 до 3.")


def test_a_deputy_sees_last_years_risks_marked_and_told_what_is_kept() -> None:
    previous = {"ped_workers": 40, "risk_internet": "no", "risk_computers": "no", "risk_staff": "yes", "quality_programme": "yes",
                "leader_support": "no", "shppko": "yes", "wellbeing_monitoring": "yes", "failure_prevention": "yes",
                "tutor_support": "no", "iup": "yes"}
    person = Person(_state("school", previous, {"risk_zone": False}))
    assert isinstance(person.step.view, CarryView) and len(person.step.view.items) == 6
    person.press("Без изменений").type("40")
    assert "Какие риски выявлены в школе?\n\nОтмечено в прошлом году (2025-2026):\n   — Дефицит педагогических кадров" in person.text
    assert "☑ 3. Дефицит педагогических кадров" in person.buttons()
    person.press("Готово")
    assert person.text.startswith("ℹ️ Сохранено — какие риски выявлены в школе:\n— Дефицит педагогических кадров\n\n")
    assert (person.state.answers["risk_internet"], person.state.answers["risk_staff"]) == ("no", "yes")


def test_the_comment_is_typed_on_the_review_and_nothing_reads_twice() -> None:
    person = Person(_state("school", facts={"risk_zone": False}))
    person.type("12").press("Да", exact=True).press("Рисков не выявлено")
    for _ in range(9):
        person.press("Нет", exact=True)
    review = person.text
    assert isinstance(person.step.view, ReviewView) and "✍️ Комментарий для муниципального координатора (по желанию): " in review
    assert "— — " not in review and "Пропустить" not in person.buttons()
    for ahead in ("да", "1", "2, 3"):  # typed ahead, not a comment: refused, nothing stored
        person.type(ahead)
        assert person.step.change is None and "не похоже на комментарий для муниципального координатора" in person.text
    person.type("Справка будет к пятнице")
    assert "Справка будет к пятнице" in person.text and "✍️" not in person.text
    person.type("ещё строка")  # the comment is there: not replaced by whatever is typed next
    assert person.step.change is None and person.text.startswith("⚠️ Все вопросы отвечены")
    assert person.state.answers["comment"] == "Справка будет к пятнице"
    person.type("Отправить ✅")  # the button's own text, copied
    assert person.state.submitted


def test_a_typed_choice_is_said_as_stored() -> None:
    """A word read as an option is said at once, one item a line, so a misreading is seen before the review."""
    person = Person(_state("teacher")).type("педагог")
    assert person.state.answers["position"] == "specialist"
    assert person.text.startswith("ℹ️ Записано — ваша должность:\n— Педагог-психолог, логопед, социальный педагог")
    person = Person(_state("teacher")).type("1").type("математика; физика, химия, биология")
    assert "Записано — какие предметы вы преподаёте:\n— Математика\n— Физика, химия, биология" in person.text
    for odd in ("²", "0"):
        assert Person(_state("teacher")).type(odd).text.startswith("⚠️ ")


def test_a_skipped_answer_reads_once_on_the_review() -> None:
    person = Person(_state("school", facts={"risk_zone": False}))
    person.type("12").press("Да", exact=True).press("Рисков не выявлено")
    for _ in range(9):
        person.press("Нет", exact=True)
    person.type("текст")
    number = next(line.split(".")[0] for line in person.text.split("\n") if line.startswith(tuple("0123456789")) and "Комментарий" in line)
    person.press(f"✏️ {number}", exact=True).press("Пропустить")
    assert "\n   — пропущено\n" in person.text + "\n" and "— — пропущено" not in person.text


def test_a_checklist_screen_is_recorded_as_its_first_question() -> None:
    """Where people stop (response.screen) names questions of the pack: a checklist's screen is its first question."""
    from surveys import store

    person = Person(_state("school", facts={"risk_zone": False}))
    person.type("12").press("Да", exact=True)
    assert person.step.view.checklist is not None and store.screen_name(person.step.view) == "risk_internet"


def test_the_carry_screens_time_goes_with_its_first_fact_only_when_that_fact_is_kept() -> None:
    """The seconds the carry screen was open are recorded with its first question (scoring.stops): when that is the
    fact changed, the first answer written is another's, and the time is left out rather than given to it."""
    kept_first = Person(_state("teacher", LAST_YEAR)).press("✏️ 2", exact=True)
    assert kept_first.writes[-1].upsert[0][0] == "position" and kept_first.writes[-1].timed
    changed_first = Person(_state("teacher", LAST_YEAR)).press("✏️ 1", exact=True)
    assert changed_first.writes[-1].upsert[0][0] == "subjects" and not changed_first.writes[-1].timed
