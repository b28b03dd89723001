"""Texts of campaigns and their reminders."""

from __future__ import annotations

from surveys.screens import Rich, bold, lines, plain

REMINDER_OPEN = (
    "📋 Открыта анкета «{title}» (период {period}).\n"
    "Срок — до {deadline}. Это займёт пару минут; ответы сохраняются сразу."
)
REMINDER_OFFSET = "⏰ Напоминание: анкета «{title}» (период {period}) ждёт ваших ответов — {left}."
REMINDER_DEPUTY = (
    "⏰ {school}, анкета «{title}»: педагоги {completion}; {left}.\n"
    "Ещё не ответили: {names}.\nАнкета школы: {form}."
)
REMINDER_DIGEST_HEADER = "📊 Заполнение «{title}» ({period}): {completion}; {left}."
REMINDER_FINAL_HEADER = "🏁 Приём ответов «{title}» ({period}) завершён. Итог: {completion}."
REOPENED_NOTICE = (
    "🔓 Кампания №{id} «{title}» ({period}) снова открыта: приём ответов продолжается, {left}.\n"
    "Сейчас: {completion}. Напоминания пойдут по расписанию кампании."
)
REMINDER_UNREACHABLE = "Недоступны (заблокировали бота), им ничего не отправляется: {names}."
BTN_START = "Начать анкету"
BTN_CONTINUE = "Продолжить анкету"
PROGRESS = "📨 Рассылка «{title}»: отправлено {done} из {total}"
PROGRESS_DONE = "📨 Рассылка «{title}» завершена: отправлено {sent} из {total}{extra}."
# the rest of a finished mailing, each number exactly what it counts («отправлено»: confirmed by the messenger)
PROGRESS_UNREACHABLE = "недоступны (заблокировали бота или удалили чат): {n}"
PROGRESS_FAILED = "{name} отклонил: {n}"
PROGRESS_SKIPPED = "не понадобилось, уже ответили: {n}"
PROGRESS_ENDED = "не отправлено, кампания закончилась или ушло следующее напоминание: {n}"
PROGRESS_UNCONFIRMED = (
    "не подтверждено ни разу: {n} — {name} не ответил ни на одну попытку до конца кампании, "
    "и неизвестно, дошло ли уведомление"
)
PROGRESS_TWICE = "могло прийти дважды: {n} — {name} не ответил на первую попытку, вторая подтверждена"
PROGRESS_MORE = "могло прийти больше двух раз, до {most}: {n} — {name} не ответил на несколько попыток перед подтверждённой"

CAMPAIGNS_EMPTY = "Кампаний ещё нет. Откройте первую кнопкой ниже."
CAMPAIGN_LIST_HEADER = bold("Кампании муниципалитета")


def campaign_item(*, id: int, title: str, period: str, audience: str, when: str, completion: str,
                  reminders: str | None) -> Rich:
    """A campaign of /campaigns: its questionnaire and whom it asks, when (the deadline once), who has answered and,
    while it is to come or open, its reminders."""
    return lines(
        plain(f"№{id}. ") + bold(title) + f" ({period}), {audience}",
        when,
        f"Заполнение: {completion}",
        *([f"Напоминания: {reminders}."] if reminders else []),
    )


CAMPAIGN_WHEN = {  # by monitoring.campaigns' CampaignState
    "not_yet": "Откроется {opens}, срок до {deadline} ({zone})",
    "open": "Идёт, срок до {deadline} ({zone}): {left}",
    "over": "Срок прошёл {deadline} ({zone})",
    "closed": "Закрыта {closed}; срок был до {deadline} ({zone})",
}
CAMPAIGNS_MORE = "… и ещё {n} более ранних (shnor campaign list в командной строке)."
CAMPAIGNS_PRIVATE = "Кампаниями управляют в личном чате с ботом: там и нажмите /campaigns."
CLOSE_ASK = (
    "Закрыть кампанию №{id} «{title}» ({period}) досрочно?\n"
    "Приём ответов прекратится, итог и сводка уйдут в чат координаторов. Открыть снова можно, пока не прошёл срок."
)
CLOSE_CANCELLED = "Кампания №{id} не закрыта."
BTN_CLOSE_YES = "Да, закрыть"
BTN_NEW_CAMPAIGN = "➕ Новая кампания"
BTN_OPEN_CAMPAIGN = "Открыть кампанию"
BTN_CANCEL = "Отмена"
EXTEND_ASK = "Кампания №{id}: срок сейчас до {deadline}. На сколько продлить?"
EXTENDED = "Кампания №{id} продлена до {deadline}. Напоминания перенесены."
CLOSED = "Кампания №{id} закрыта досрочно. Итог уходит в чат координаторов."
REOPENED = "Кампания №{id} снова открыта."
NEW_PACK = "Новая кампания. Какая анкета?"
NEW_FILTER = "Кому? (для анкеты педагога — педагогам этих школ, для анкеты школы — этим школам)"
FILTER_BUTTONS = {
    None: "Всем школам",
    "shnro": "Только ШНРО",
    "shnsu": "Только ШНСУ",
    "risk_zone": "Только зона риска",
    "shnro,shnsu": "ШНРО и ШНСУ",
}
NEW_PERIOD = "Период — учебный год? Нажмите кнопку или напишите, например 2026-2027."
NEW_DEADLINE = "Срок сдачи? Нажмите кнопку или напишите дату и время: 15.12.2026 18:00 (дата без времени — до 18:00)."
NEW_DEADLINE_PAST = "Эта дата уже прошла. Напишите будущую дату, например 15.12.2026 18:00."


def new_confirm(*, title: str, audience: str, period: str, deadline: str, zone: str, reminders: str) -> Rich:
    return lines(
        "Проверьте:",
        bold(title) + f", {audience}",
        f"Период: {period}",
        f"Срок: до {deadline} ({zone})",
        f"Напоминания: {reminders}.",
        "При открытии все адресаты получат уведомление с кнопкой.",
    )


CAMPAIGN_OPENED = "Кампания №{id} «{title}» открыта. Уведомления уходят адресатам; ход рассылки — в чате координаторов."
NEW_CANCELLED = "Отменено."
NEW_STALE = "Эта кнопка уже неактуальна: начните заново командой /newcampaign."
