"""Texts of the monitoring calendar (/calendar, `shnor calendar`), and of the second channel."""

from __future__ import annotations

from monitoring.campaigns import STATE_TITLES
from storage.wording import zone_label

CALENDAR_HEADER = "📅 Календарь мониторинга «{municipality}», {period} (время {zone})"
CALENDAR_MADE = "План составлен {made}. Бот открывает анкеты в эти дни сам, с уведомлениями и напоминаниями."
CALENDAR_NOT_PLANNED = (
    "План на {period} не составлен — ниже календарь методики. Пока плана нет, бот ничего не открывает сам, "
    "а о каждой анкете, чья дата прошла, а кампании нет, один раз пишет в чат координаторов."
)
CALENDAR_ENDED_NOT_PLANNED = "Учебный год {period} закончился, плана на него не было — ниже календарь методики."
CALENDAR_FOOTER = (
    "Каждая анкета открывается один раз за учебный год: сводка считает ответы всех кампаний анкеты за период "
    "вместе, и вторая кампания посчитала бы педагога дважды. Поэтому второй месяц мониторинга — напоминание "
    "координаторам."
)
CALENDAR_CLI_FOOTER = "Сдвинуть или пропустить пункт: /calendar в личном чате с ботом или shnor calendar shift|skip."
CALENDAR_PLANNED_NOW = "План на {period} составлен: пунктов {added} (анкет {campaigns}, напоминаний {tasks})."
CALENDAR_PLANNED_AGAIN = "План на {period} уже был составлен {made}: ничего не изменено."
CALENDAR_PLANNED_MORE = "План на {period} уже был составлен {made}; добавлены новые пункты календаря: {added}."
CALENDAR_WHAT = {"campaign": "«{pack_title}»", "task": "Напоминание координаторам"}
CALENDAR_STATUS = {
    ("planned", "campaign"): "📅 откроется по плану",
    ("planned", "task"): "📅 напоминание запланировано",
    ("due", "campaign"): "⏳ открывается — при ближайшей проверке календаря",
    ("due", "task"): "⏳ напоминание уходит — при ближайшей проверке календаря",
    ("failing", "campaign"): "⚠️ не открылась: {error}. Бот пробует снова; устраните причину или сдвиньте (пропустите) пункт",
    ("overdue", "campaign"): "⚠️ не открыта, а срок прошёл или почти прошёл: сдвиньте на новую дату или пропустите",
    ("overdue", "task"): "⚠️ не отправлено, срок прошёл",
    ("duplicate", "campaign"): "↪ не откроется: кампания №{campaign} этой анкеты за {period} уже есть (открыта вручную)",
    ("opened", "campaign"): "✅ открыта по календарю: кампания №{campaign}, {campaign_state}",
    ("existing", "campaign"): "↪ не открывалась: кампания №{campaign} этой анкеты за {period} уже была (открыта вручную) — "
                              "вторая не открывается",
    ("skipped", "campaign"): "⏭ пропущена ({changed})",
    ("skipped", "task"): "⏭ пропущено ({changed})",
    ("done", "task"): "✅ напоминание отправлено {changed}",
    ("missed", "campaign"): "⚠️ не открыта: {error}. Можно сдвинуть на новую дату",
    ("missed", "task"): "— не отправлено: {error}",
    ("not_planned", "campaign"): "план не составлен",
    ("not_planned", "task"): "план не составлен",
    ("not_planned_past", "campaign"): "⚠️ дата прошла, а кампании этой анкеты за {period} нет",
    ("not_planned_existing", "campaign"): "кампания №{campaign} этой анкеты за {period} есть ({campaign_state})",
}
CALENDAR_SHIFTED_FROM = " (сдвинута с {planned})"
BTN_CALENDAR_SHIFT = "{n}: сдвинуть"
BTN_CALENDAR_SKIP = "{n}: пропустить"
BTN_CALENDAR_PLAN = "Составить план на {period}"
BTN_CALENDAR_SKIP_YES = "Да, пропустить"
CALENDAR_PRIVATE = "Календарь мониторинга меняют только в личном чате с ботом: там и нажмите /calendar. Ничего не изменено."
CALENDAR_SHIFT_ASK = (
    "{what} ({title}): сейчас {opens}, срок до {deadline}.\n"
    "На какую дату сдвинуть? Напишите дату и время, например {example} (дата без времени — {hour}). "
    "Срок сдвинется вместе с ней."
)
CALENDAR_SHIFTED = "Пункт {n} сдвинут: {what} — {opens}, срок до {deadline}."
CALENDAR_SKIP_ASK = (
    "Пропустить пункт {n}: {what} ({title}), {opens}?\n"
    "{consequence} Вернуть пункт можно, сдвинув его на новую дату."
)
CALENDAR_SKIP_CONSEQUENCE = {
    "campaign": "Календарь не откроет эту анкету за {period}; открыть её можно будет вручную (/newcampaign).",
    "task": "Напоминание не придёт.",
}
CALENDAR_SKIPPED = "Пункт {n} пропущен: {what}."
CALENDAR_NOT_SKIPPED = "Пункт {n} не пропущен."
CALENDAR_SHIFT_CANCELLED = "Пункт не сдвинут."
CALENDAR_STALE = "Этот пункт календаря уже неактуален: откройте календарь заново командой /calendar."

# what the calendar writes in the coordinators' chat (through its outbox, once each)
CALENDAR_OPENED = (
    "📅 Календарь мониторинга, {period}: открыта кампания №{campaign} «{pack_title}» — {title}. "
    "Срок до {deadline}. Уведомления уходят адресатам; заполнение — в /campaigns."
)
CALENDAR_OPENED_LATE = "\nОткрыта с опозданием: по плану — {opens}. Если времени мало, продлите срок в /campaigns."
CALENDAR_EXISTING_NOTICE = (
    "📅 Календарь мониторинга, {period}: на {opens} по плану приходилась «{pack_title}» ({title}), но кампания №{campaign} "
    "этой анкеты за {period} уже есть — вторую календарь не открывает: ответы двух кампаний одного периода "
    "считались бы дважды."
)
CALENDAR_TASK_NOTICE = "🗓 Календарь мониторинга, {period}: {title} — до {deadline}.\n{task}"
CALENDAR_OVERDUE = {
    "no_plan": (
        "⚠️ Календарь мониторинга, {period}: {opens} по методике открывается «{pack_title}» ({title}), но кампании "
        "этой анкеты за {period} нет, а план на учебный год не составлен. Составьте план (/calendar в личном чате "
        "с ботом или shnor calendar plan --municipality {municipality} --year {period}) или откройте кампанию "
        "вручную: /newcampaign."
    ),
    "failed": (
        "⚠️ Календарь мониторинга, {period}: «{pack_title}» ({title}) должна была открыться {opens}, но не открылась: "
        "{error}. Бот пробует снова; устраните причину или сдвиньте (пропустите) пункт в /calendar."
    ),
    "late": (
        "⚠️ Календарь мониторинга, {period}: «{pack_title}» ({title}) должна была открыться {opens}, но не открыта: "
        "{error}; срок по плану — {deadline}. Сдвиньте пункт на новую дату в /calendar или откройте кампанию "
        "вручную: /newcampaign."
    ),
}


def local_time(moment, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def calendar_head(view) -> list[str]:
    """The plan's first lines (plain text): whose, which year, in which time; made when, or not made."""
    tz = view.timezone
    if view.planned:
        state = CALENDAR_MADE.format(made=local_time(view.made_at, tz))
    else:
        state = (CALENDAR_ENDED_NOT_PLANNED if view.ended else CALENDAR_NOT_PLANNED).format(period=view.period)
    first = view.lines[0].opens_at if view.lines else view.made_at
    zone = zone_label(tz, first) if first is not None else tz
    return [CALENDAR_HEADER.format(municipality=view.municipality.name, period=view.period, zone=zone), state]


def calendar_line(line, period: str, timezone: str, *, source: bool = False) -> list[str]:
    """A plan's line as plain text (the CLI prints it, the chat escapes it): when, what, its state, why (and, for
    the CLI, the line of the methodology it comes from)."""
    what = CALENDAR_WHAT[line.kind].format(pack_title=line.pack_title)
    when = f"{local_time(line.opens_at, timezone)} — срок до {local_time(line.deadline, timezone)}"
    status = CALENDAR_STATUS.get((line.status, line.kind), line.status).format(
        campaign=line.campaign_id, period=period, error=(line.error or "").rstrip("."),
        campaign_state=STATE_TITLES[line.campaign_state] if line.campaign_state else "",
        changed=local_time(line.changed_at, timezone) if line.changed_at else "",
    )
    if line.shifted and line.status in ("planned", "due", "failing", "overdue", "skipped", "missed", "opened", "done"):
        status += CALENDAR_SHIFTED_FROM.format(planned=local_time(line.planned_opens_at, timezone))
    out = [f"{line.number}. {when}", f"   {what} — {line.title}", f"   {status}", f"   Зачем: {line.purpose}"]
    if source and line.source:
        out.append(f"   Источник: {line.source}")
    return out


# --- two channels (MAX beside Telegram) ----------------------------------------------------

LINK_ASK = (
    "Чтобы пользоваться ботом и в {other}, откройте эту ссылку там (она действует час и только для вас):\n{link}\n\n"
    "Ваши анкеты и роль будут те же. Если человек подключил оба мессенджера, напоминания приходят в MAX."
)
LINK_NO_OTHER = "Бот работает только в {channel}: подключать нечего."
LINKED = "Готово, {name}! {channel} подключён к вашей записи: {who}. Анкеты и напоминания — те же."
MYDATA_ACCOUNT = {"telegram": "Идентификатор в Telegram: {id}", "max": "Идентификатор в MAX: {id}"}
