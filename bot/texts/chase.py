"""Texts of /missing: the deputy chases their school."""

from __future__ import annotations

from surveys.screens import Rich, bold

MISSING_DEPUTIES_ONLY = "Команда /missing — для заместителей директора, зарегистрированных от школы: кто из педагогов не ответил."


def missing_header(school: str) -> Rich:
    return bold(school) + ": кто из педагогов не ответил"


MISSING_NO_CAMPAIGN = (
    "Сейчас нет открытой анкеты педагога для вашей школы — напоминать не о чем. "
    "Пригласить педагогов в бота можно кнопкой «Приглашение для педагогов»."
)


def missing_campaign(*, title: str, period: str, left: str, **fields: object) -> Rich:
    """A campaign's part of /missing: its title in bold, then MISSING_CAMPAIGN_BODY with `fields`."""
    return bold(title) + f" ({period}), {left}\n" + MISSING_CAMPAIGN_BODY.format(**fields)


MISSING_CAMPAIGN_BODY = (
    "Педагоги: {completion}.\n"
    "{registration}\n"
    "Не начали ({not_started}): {not_started_names}\n"
    "Начали, не отправили ({drafts}): {draft_names}\n"
    "Отправили: {submitted}.\n"
    "Анкета школы: {form}."
)
MISSING_NOT_REGISTERED = (
    "Не зарегистрировались в боте: {n} (школа заявила педагогов: {declared}, зарегистрировано: {registered}) — "
    "перешлите им приглашение."
)
MISSING_ALL_REGISTERED = "Зарегистрированы все заявленные педагоги (заявлено: {declared}, зарегистрировано: {registered})."
MISSING_UNDECLARED = (
    "Сколько педагогов не зарегистрировалось, неизвестно: школа не заявила число педагогов в отправленной анкете "
    "школы (зарегистрировано: {registered})."
)
MISSING_NOBODY = "нет"
MISSING_MARK_NUDGED = "напоминание на {day} есть"
MISSING_MARK_UNREACHABLE = "бот не может написать"
BTN_NUDGE_ALL = "🔔 Напомнить всем, кто не ответил ({n})"
BTN_NUDGE_REST = "🔔 Напомнить, кому можно сегодня ({n} из {m})"  # the others had today's nudge, or cannot be written to
BTN_NUDGE_PICK = "🔔 Напомнить одному…"
BTN_RETURN_PICK = "↩️ Вернуть анкету на доработку…"
BTN_INVITE = "✉️ Приглашение для педагогов"
BTN_NEXT_PAGE = "Далее →"
BTN_PREVIOUS_PAGE = "← Назад"
NUDGE_PICK = (
    "«{title}» ({period}): кому напомнить? Не ответили: {n}. Каждому — не чаще одного напоминания в день; "
    "✓ — напоминание на {day} уже есть."
)
NUDGE_PICK_NOBODY = "«{title}» ({period}): все, кого спрашивали, уже отправили анкету — напоминать некому."
NUDGE_NOW = "сейчас"
NUDGE_LATER = "в {time} (тихие часы {quiet})"
NUDGE_QUEUED = "🔔 Напоминание уйдёт {when}: {names}."
NUDGE_QUEUED_SHORT = "🔔 Напоминание уйдёт {when}; педагогов: {n}."
NUDGE_ALREADY = "Уже есть напоминание на {day}, повторно не отправляется: {names}."
NUDGE_UNREACHABLE = "Бот не может им написать (заблокировали бота или удалили свои данные): {names}."
NUDGE = (
    "🔔 {by}, заместитель директора ({school}), напоминает: анкета «{title}» (период {period}) ждёт ваших ответов — "
    "{left}. Это займёт пару минут; ответы сохраняются сразу."
)
INVITE_FOR_TEACHERS = (
    "Приглашение в ШНОР-монитор для педагогов школы «{school}».\n"
    "Откройте ссылку и запустите бота (кнопка «Запустить» или «Начать»): он зарегистрирует вас и покажет "
    "анкету педагога (около двух минут).\n"
    "{link}\n"
    "Ссылка действует до {expires}."
)
INVITE_FORWARD = {  # by the channel the deputy writes in: how its button passes the invite on
    "telegram": (
        "Перешлите сообщение выше педагогам, которые ещё не зарегистрировались (или нажмите кнопку ниже). "
        "По этой ссылке могут зарегистрироваться ещё {left}, до {expires}."
    ),
    "max": (
        "Перешлите сообщение выше педагогам, которые ещё не зарегистрировались (или скопируйте приглашение кнопкой "
        "ниже и вставьте в чат с ними). По этой ссылке могут зарегистрироваться ещё {left}, до {expires}."
    ),
}
BTN_SHARE_INVITE = "📤 Отправить педагогам"
BTN_COPY_INVITE = "📋 Скопировать приглашение"
INVITE_NONE = (
    "У вашей школы нет действующего приглашения для педагогов: срок приглашений истёк или по ним уже "
    "зарегистрировались все. Новое приглашение выпускает администратор системы: попросите муниципального "
    "координатора прислать вам ссылку или страницу приглашений вашей школы."
)
CHASE_PRIVATE = "Это работает только в личном чате с ботом. Ничего не изменено."
