"""Every text the bot shows, in one place (Russian)."""

from __future__ import annotations

from monitoring.campaigns import STATE_TITLES
from storage.privacy import ROLE_NAMES

ROLE_TITLES = ROLE_NAMES  # the access log names roles the same way

# The command menu of each role (setMyCommands per chat) and of strangers (default scope).
COMMANDS = {
    None: [("start", "Начать"), ("help", "Что умеет бот")],
    "teacher": [("surveys", "Мои анкеты"), ("help", "Справка"), ("mydata", "Мои данные")],
    "deputy": [("surveys", "Анкета школы"), ("missing", "Кто не ответил: напомнить, вернуть, пригласить"),
               ("card", "Карточка школы"), ("help", "Справка"), ("mydata", "Мои данные")],
    "coordinator": [
        ("summary", "Сводка по муниципалитету"),
        ("report", "Справка рабочей группы в Word"),
        ("campaigns", "Кампании: срок, закрыть, открыть, вернуть анкету"),
        ("newcampaign", "Открыть новую кампанию"),
        ("calendar", "Календарь мониторинга на учебный год"),
        ("surveys", "Анкета муниципалитета"),
        ("setchat", "Назначить группу чатом координаторов"),
        ("help", "Справка"),
        ("mydata", "Мои данные"),
    ],
    "admin": [
        ("summary", "Сводка"),
        ("report", "Справка в Word"),
        ("campaigns", "Кампании"),
        ("newcampaign", "Новая кампания"),
        ("calendar", "Календарь мониторинга"),
        ("surveys", "Анкеты"),
        ("help", "Справка"),
        ("mydata", "Мои данные"),
    ],
    # groups: only what works there (the coordinators' chat)
    "group": [
        ("summary", "Сводка по муниципалитету (для координаторов)"),
        ("report", "Справка рабочей группы в Word (для координаторов)"),
        ("help", "Что бот умеет в группе"),
    ],
    "group_admin": [
        ("summary", "Сводка по муниципалитету (для координаторов)"),
        ("report", "Справка рабочей группы в Word (для координаторов)"),
        ("setchat", "Назначить эту группу чатом координаторов"),
        ("help", "Что бот умеет в группе"),
    ],
}

HELP = {
    None: (
        "Это ШНОР-монитор — бот муниципального мониторинга школ.\n\n"
        "Чтобы начать, откройте ссылку-приглашение, которую прислал муниципальный координатор "
        "или заместитель директора вашей школы."
    ),
    "teacher": (
        "Вы отвечаете на короткую анкету педагога (около двух минут) раз в период.\n\n"
        "/surveys — открытые анкеты: начать или продолжить с того места, где остановились\n"
        "/whoami — кем вы зарегистрированы\n"
        "/mydata — что бот хранит о вас; /forget — удалить ваши данные\n\n"
        "Ответы сохраняются сразу. До срока сдачи отправленную анкету можно изменить."
    ),
    "deputy": (
        "Вы заполняете анкету школы и получаете напоминания о сроках.\n\n"
        "/surveys — анкета школы за период: начать, продолжить или изменить до срока\n"
        "/missing — педагоги школы: кто не зарегистрировался, не начал, не отправил анкету; напомнить одному или всем "
        "(не чаще раза в день каждому), вернуть отправленную анкету на доработку с комментарием, переслать "
        "приглашение для педагогов\n"
        "/card — карточка школы: показатели, баллы, что набрало 0 и что сделать (и файлы Excel и Word)\n"
        "/whoami — кем вы зарегистрированы\n"
        "/mydata — что бот хранит о вас; /forget — удалить ваши данные"
    ),
    "coordinator": (
        "Вы заполняете анкету муниципалитета и следите за мониторингом.\n\n"
        "/summary — сводка: заполнение, статусы школ, показатели с баллами, Excel и диаграмма; "
        "/summary 2025-2026 — за прошлый период\n"
        "/report — аналитическая справка рабочей группы в Word: показатели за все периоды, школы, "
        "идентификация и проект решений («Решили»); /report 2025-2026 — за прошлый период\n"
        "/campaigns — кампании с заполнением: продлить срок, закрыть досрочно, открыть снова; вернуть анкету "
        "школы на доработку с комментарием\n"
        "/newcampaign — открыть кампанию кнопками: анкета, кому, период, срок\n"
        "/calendar — календарь мониторинга на учебный год: что и когда откроется, что открыто, пропущено, "
        "просрочено; сдвинуть или пропустить пункт; /calendar 2027-2028 — другой год\n"
        "/setchat — в группе координаторов: назначить её чатом, где работает /summary\n"
        "/surveys — анкета муниципалитета\n"
        "/whoami — кем вы зарегистрированы\n"
        "/mydata — что бот хранит о вас; /forget — удалить ваши данные\n\n"
        "Кампании, сводка и анкета — здесь, в чате. Реестр школ, статусы школ и ссылки-приглашения загружает "
        "администратор системы на сервере (команда shnor, порядок — в README)."
    ),
}
HELP["admin"] = HELP["coordinator"]
HELP_GROUP = (
    "В группе бот работает как чат координаторов муниципалитета:\n\n"
    "/setchat — назначить эту группу чатом координаторов (отправляет координатор)\n"
    "/summary — сводка по муниципалитету: текст, Excel и диаграмма (для координаторов); "
    "/summary 2025-2026 — за прошлый учебный год\n"
    "/report — аналитическая справка рабочей группы в Word (для координаторов); /report 2025-2026 — за прошлый год\n"
    "/help — эта справка\n\n"
    "Сюда же приходят ход рассылок, заполнение перед сроком, итог кампаний и сообщения календаря мониторинга. "
    "Анкеты, кампании и карточка школы — в личном чате с ботом."
)

NOT_REGISTERED = (
    "Вы ещё не зарегистрированы. Откройте ссылку-приглашение, которую прислал координатор "
    "или заместитель директора вашей школы."
)
INVITE_PROBLEMS = {
    "unknown": "Ссылка-приглашение не найдена. Проверьте, что скопировали её целиком, или попросите новую у координатора.",
    "expired": "Срок действия этой ссылки-приглашения истёк. Попросите новую у координатора.",
    "used_up": "По этой ссылке-приглашению уже зарегистрировались все, для кого она выдана. Попросите новую у координатора.",
    "linked_here": ("Эта ссылка подключает к записи второй мессенджер, а в этом мессенджере запись уже подключена. "
                    "Откройте ссылку в другом мессенджере."),
}
CONSENT_INTRO = (
    "Здравствуйте! Вы регистрируетесь как <b>{role}</b>{where}.\n\n"
    "Прежде чем вы напишете своё ФИО, прочитайте согласие на обработку персональных данных (ниже) "
    "и нажмите «Согласен» или «Не согласен»."
)
CONSENT_DECLINED = (
    "Без согласия на обработку персональных данных бот не может вас зарегистрировать, и ничего о вас не сохранено. "
    "Если передумаете, снова откройте ссылку-приглашение."
)
CONSENT_STALE = "Эта кнопка уже неактуальна."
CONSENT_FIRST = "Сначала нужно согласие на обработку персональных данных: снова откройте ссылку-приглашение."
BTN_CONSENT_YES = "Согласен"
BTN_CONSENT_NO = "Не согласен"
ASK_FULL_NAME = (
    "Спасибо. Вы регистрируетесь как <b>{role}</b>{where}.\n\n"
    "Напишите, пожалуйста, ваши фамилию, имя и отчество полностью, например: Иванова Мария Петровна."
)
ALREADY_REGISTERED = "Вы уже зарегистрированы: {who}. Если это ошибка, напишите координатору."
REGISTERED = "Готово, {name}! Вы зарегистрированы: {who}."
STARTING = (
    "Начнём: «{title}», срок до {deadline}. Ответы сохраняются сразу; продолжить с того же места "
    "можно в любой момент командой /surveys."
)
WHOAMI = "Вы: {name}\nРоль: {who}"

NO_CAMPAIGNS = "Сейчас открытых анкет для вас нет. Бот напишет, когда появится новая."
CAMPAIGNS_HEADER = "Ваши анкеты:"
CAMPAIGN_LINE = {
    "new": "• {title} — не начата, срок до {deadline}",
    "draft": "• {title} — начата, срок до {deadline}",
    "submitted": "• {title} — ✅ отправлена (можно изменить до {deadline})",
}
CAMPAIGN_BUTTON = {"new": "Начать: {title}", "draft": "Продолжить: {title}", "submitted": "Изменить: {title}"}

QUESTION_HEADER = "<i>{survey}</i> · Вопрос {position} из {total}"
CURRENT_ANSWER = "Сейчас ответ: <b>{value}</b>"
TYPE_PROMPTS = {
    "integer": "Напишите число сообщением.",
    "decimal": "Напишите число сообщением.",
    "percent": "Напишите процент числом, например 45.",
    "text": "Напишите ответ сообщением.",
    "date": "Напишите дату в виде ДД.ММ.ГГГГ.",
    "file": "Пришлите файл документом.",
    "multiple": "Отметьте подходящие варианты и нажмите «Готово».",
}
ANSWERED = "{label}\n— <b>{value}</b>"
REVIEW_HEADER = "<b>{survey}</b>: проверьте ответы."
REVIEW_SUBMITTED = "<b>{survey}</b>: анкета отправлена ✅\nИзменить ответы можно до {deadline}."
REVIEW_FOOTER_DRAFT = "Если всё верно, нажмите «Отправить». Чтобы исправить ответ, нажмите его номер."
REVIEW_FOOTER_SUBMITTED = "Чтобы изменить ответ, нажмите его номер."
SUBMITTED = "Спасибо! Анкета отправлена ✅"
REPROMPT = "⚠️ {error}"
NOT_NOW = "Сейчас я жду ответа кнопкой или текстом. Чтобы выбрать анкету, нажмите /surveys."
NOT_TEXT = "Ответьте, пожалуйста, текстом или кнопкой под вопросом."
UNKNOWN_INPUT = "Не понял. Чтобы открыть анкеты, нажмите /surveys, справка — /help."
PRIVATE_ONLY = "Анкеты заполняются в личном чате с ботом."
PRIVATE_COMMAND = "Эта команда работает только в личном чате с ботом."
PRIVATE_BUTTON = "Кампаниями управляют только в личном чате с ботом. Ничего не изменено."
ERROR = "Что-то пошло не так. Ваши сохранённые ответы на месте; попробуйте ещё раз или нажмите /surveys."

MYDATA_NOBODY = "О вас ничего не хранится: вы не зарегистрированы."
MYDATA_HEADER = "<b>Что бот хранит о вас</b>"
MYDATA_FOOTER = (
    "Ваши ответы видят заместитель директора вашей школы (кто не ответил) и муниципальные координаторы "
    "(в сводках); в выгрузках ответов вы обозначены номером, не ФИО. Удалить свои данные — /forget."
)
FORGET_ASK = (
    "Удалить ваши персональные данные? Будут удалены ФИО и идентификаторы Telegram, бот перестанет вам писать. "
    "Отправленные вами анкеты останутся в обезличенном счёте школы. Чтобы снова пользоваться ботом, понадобится "
    "новая ссылка-приглашение."
)
BTN_FORGET_YES = "Да, удалить"
FORGET_CANCELLED = "Ничего не удалено."
FORGOTTEN = "Ваши персональные данные удалены. Спасибо, что участвовали в мониторинге."
COORDINATORS_ONLY = "Эта команда доступна только муниципальным координаторам."
DEPUTIES_ONLY = "Карточка школы доступна заместителям директора, зарегистрированным от школы."
NOT_YOURS = "Это не ваши данные."
SETCHAT_IN_GROUP = "Отправьте /setchat в группе координаторов, куда добавлен бот."
SETCHAT_DONE = "Этот чат назначен чатом координаторов: {municipality}. Здесь работают /summary и /report."
SUMMARY_WORKBOOK = "Сводка в Excel: показатели муниципалитета и школ, идентификация, динамика, ответы."
SUMMARY_CHART = "Баллы школ и муниципальные доли против порогов."
SUMMARY_DYNAMICS = "Доли педагогов по периодам против порогов."
CARD_WORKBOOK = "Карточка школы в Excel: {school}, период {period}."
CARD_DOCUMENT = "Карточка школы в Word (одна страница): {school}, период {period} и прошлый."
REPORT_DOCUMENT = (
    "Аналитическая справка в Word за период {period} (показатели за {periods}). Проверьте и дополните раздел "
    "«Решили» — это проект, составленный по данным."
)
BTN_CARD_XLSX = "Скачать Excel"
BTN_CARD_DOCX = "Скачать Word"

BTN_YES = "Да"
BTN_NO = "Нет"
BTN_DONE = "Готово ✔"
BTN_BACK = "← Назад"
BTN_SKIP = "Пропустить"
BTN_KEEP = "Оставить как есть"
BTN_SUBMIT = "Отправить ✅"
BTN_CHECKED = "☑ "
BTN_UNCHECKED = "☐ "


def deadline_text(deadline, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return deadline.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")

# --- campaigns and reminders ---------------------------------------------------------------

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

CAMPAIGNS_EMPTY = "Кампаний ещё нет. Откройте первую кнопкой ниже."
CAMPAIGN_LIST_HEADER = "<b>Кампании муниципалитета</b>"
CAMPAIGN_ITEM = (
    "№{id}. <b>{title}</b> ({period}), для: {audience}\n"
    "{state}; срок до {deadline}\n"
    "Заполнение: {completion}\n"
    "Напоминания: {offsets}; тихие часы {quiet} ({tz})"
)
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
NEW_CONFIRM = (
    "Проверьте:\n<b>{title}</b>, для: {audience}\nПериод: {period}\nСрок: до {deadline} ({tz})\n"
    "Напоминания: за 7, 3 и 1 день и утром в день срока; тихие часы 21:00-08:00.\n"
    "При открытии все адресаты получат уведомление с кнопкой."
)
CAMPAIGN_OPENED = "Кампания №{id} «{title}» открыта. Уведомления уходят адресатам; ход рассылки — в чате координаторов."
NEW_CANCELLED = "Отменено."
NEW_STALE = "Эта кнопка уже неактуальна: начните заново командой /newcampaign."

# --- the deputy chases their school (/missing) ----------------------------------------------

MISSING_DEPUTIES_ONLY = "Команда /missing — для заместителей директора, зарегистрированных от школы: кто из педагогов не ответил."
MISSING_HEADER = "<b>{school}</b>: кто из педагогов не ответил"
MISSING_NO_CAMPAIGN = (
    "Сейчас нет открытой анкеты педагога для вашей школы — напоминать не о чем. "
    "Пригласить педагогов в бота можно кнопкой «Приглашение для педагогов»."
)
MISSING_CAMPAIGN = (
    "<b>{title}</b> ({period}), {left}\n"
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
    "«{title}» ({period}): кому напомнить? Не ответили: {n}. Каждому — не чаще одного напоминания в день "
    "(по календарю {tz}); ✓ — напоминание на {day} уже есть."
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
        "По этой ссылке можно зарегистрироваться ещё {left} раз(а), до {expires}."
    ),
    "max": (
        "Перешлите сообщение выше педагогам, которые ещё не зарегистрировались (или скопируйте приглашение кнопкой "
        "ниже и вставьте в чат с ними). По этой ссылке можно зарегистрироваться ещё {left} раз(а), до {expires}."
    ),
}
BTN_SHARE_INVITE = "📤 Отправить педагогам"
BTN_COPY_INVITE = "📋 Скопировать приглашение"
INVITE_NONE = (
    "У вашей школы нет действующего приглашения для педагогов: срок приглашений истёк или по ним уже "
    "зарегистрировались все. Новое выпускает администратор системы (команда shnor invites --role teacher "
    "--school …) — попросите муниципального координатора прислать вам ссылку."
)
CHASE_PRIVATE = "Это работает только в личном чате с ботом. Ничего не изменено."

# --- returning a questionnaire for correction -----------------------------------------------

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
RETURN_CONFIRM = "Вернуть на доработку {what} с комментарием:\n<i>{comment}</i>\nУведомление получат: {recipients}."
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
RETURNED_NOTICE = (
    "↩️ {what} «{title}» (период {period}) вернули на доработку.\n"
    "Кто вернул: {by}\n"
    "Комментарий: <i>{comment}</i>\n"
    "Исправьте ответы и отправьте анкету снова — {left}. Пока она не отправлена, в сводке её нет."
)
RETURNED_TOO_LATE = "\nПриём ответов уже завершён: чтобы отправить анкету, напишите координатору."
BTN_OPEN_RETURNED = "Открыть анкету"

# --- the monitoring calendar ----------------------------------------------------------------

CALENDAR_HEADER = "📅 Календарь мониторинга «{municipality}», {period} (время {tz})"
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
    return [CALENDAR_HEADER.format(municipality=view.municipality.name, period=view.period, tz=tz), state]


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
