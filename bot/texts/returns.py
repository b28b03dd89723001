"""Texts of returning a questionnaire for correction."""

from __future__ import annotations

from surveys.screens import Rich, italic, lines, plain

BTN_RETURN_SCHOOL = "№{id}: вернуть анкету школы"
RETURN_PICK_SCHOOL = "Кампания №{id} «{title}» ({period}): анкету какой школы вернуть на доработку? Отправили: {n}."
RETURN_NO_SCHOOLS = "Кампания №{id} «{title}» ({period}): ни одна школа ещё не отправила анкету — возвращать нечего."
RETURN_PICK_TEACHER = "«{title}» ({period}): анкету какого педагога вернуть на доработку? Отправили: {n}."
RETURN_NO_TEACHERS = "«{title}» ({period}): никто из педагогов школы ещё не отправил анкету — возвращать нечего."
RETURN_WHAT = {"person": "анкету педагога {label}", "school": "анкету школы «{label}»"}
RETURN_ASK = (
    "Вернуть на доработку {what} («{title}», {period}).\n"
    "Напишите одним сообщением, что нужно исправить (от {min} до {max} знаков). Адресат получит ваш комментарий и "
    "кнопку, которая откроет анкету. Пока анкету не отправят снова, в сводке её нет; срок приёма — до {deadline}."
)


def return_confirm(*, what: str, comment: str, recipients: str) -> Rich:
    return lines(f"Вернуть на доработку {what} с комментарием:", italic(comment), f"Уведомление получат: {recipients}.")


BTN_RETURN_YES = "Да, вернуть"
RETURN_DONE = (
    "↩️ Вернули на доработку {what}. Уведомление уйдёт {when}. Пока анкету не отправят снова, она не учитывается "
    "в сводке; история возвратов — на листе «Заполнение» сводки в Excel."
)
RETURN_CANCELLED = "Возврат отменён, анкета не изменена."
RETURN_STALE = "Эта кнопка уже неактуальна: выберите анкету заново. Ничего не изменено."
RETURN_NOT_TEXT = "Напишите комментарий текстом, одним сообщением (или нажмите «Отмена»)."
RETURN_HOW_TO_CANCEL = "Передумали возвращать анкету — нажмите «Отмена» под просьбой написать комментарий."
RETURNED_WHAT = {"person": "Вашу анкету", "school": "Анкету вашей школы"}


def returned_notice(*, what: str, title: str, period: str, by: str, comment: str, left: str, **_: object) -> Rich:
    return lines(
        f"↩️ {what} «{title}» (период {period}) вернули на доработку.",
        f"Кто вернул: {by}",
        plain("Комментарий: ") + italic(comment),
        f"Исправьте ответы и отправьте анкету снова — {left}. Пока она не отправлена, в сводке её нет.",
    )


RETURNED_TOO_LATE = "\nПриём ответов уже завершён: чтобы отправить анкету, напишите координатору."
BTN_OPEN_RETURNED = "Открыть анкету"
