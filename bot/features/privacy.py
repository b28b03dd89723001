"""What the product holds about a person (/mydata) and forgetting them (/forget)."""

from bot import texts
from bot.callbacks import (
    ForgetCb,
)
from bot.context import Context
from storage.accounts import accounts_of
from storage.privacy import (
    stored_about,
)
from storage.registry import (
    forget_person,
)
from surveys.screens import Rich
from surveys.screens import lines as join_lines

FORGET_ASKED = "Privacy:forget"  # the conversation's step while the confirmation of /forget is shown


async def my_data(ctx: Context) -> None:
    chat, session, person = ctx.chat, ctx.session, ctx.person
    if person is None:
        await chat.say(texts.MYDATA_NOBODY)
        return
    data = await stored_about(session, person)
    tz = data.timezone
    ids = [texts.MYDATA_ACCOUNT[channel].format(id=account_id)
           for channel, (account_id, _, _) in sorted((await accounts_of(session, person)).items())]
    lines: list[Rich | str] = [texts.MYDATA_HEADER, "",
                               f"ФИО: {person.full_name}",
                               f"Роль: {texts.ROLE_TITLES.get(person.role, person.role)}",
                               *([f"Школа: {data.school}"] if data.school else []),
                               f"Муниципалитет: {data.municipality}",
                               *ids,
                               f"Зарегистрирован: {texts.deadline_text(person.registered_at, tz)}"]
    if data.consent is not None:
        lines.append(f"Согласие на обработку данных: дано {texts.deadline_text(data.consent.accepted_at, tz)}, "
                     f"версия {data.consent.version}")
    else:
        lines.append("Согласие на обработку данных: не записано (регистрация до того, как бот стал его спрашивать)")
    if data.responses:
        lines += ["", "Анкеты:"]
        states = {"submitted": "отправлена", "draft": "черновик"}
        lines += [f"• {title} ({period}) — {states.get(status, status)}, ваших ответов: {n}"
                  for title, period, status, n in data.responses]
    lines += ["", texts.MYDATA_FOOTER]
    await chat.say(join_lines(*lines))


async def forget_ask(ctx: Context) -> None:
    if ctx.person is None:
        await ctx.chat.say(texts.MYDATA_NOBODY)
        return
    await ctx.state.set_state(FORGET_ASKED)
    await ctx.chat.say(texts.FORGET_ASK, [[(texts.BTN_FORGET_YES, ForgetCb(ok=True)), (texts.BTN_CANCEL, ForgetCb(ok=False))]])


async def forget_answer(ctx: Context, answer: ForgetCb) -> None:
    """The confirmation of /forget: only while it is the one shown (a button kept from an older /forget, or one
    never shown, deletes nothing)."""
    chat, session, person, state = ctx.chat, ctx.session, ctx.person, ctx.state
    if person is None:
        await chat.ack()
        await chat.drop_buttons()
        await chat.say(texts.MYDATA_NOBODY)
        return
    if await state.get_state() != FORGET_ASKED:
        await chat.ack(texts.FORGET_STALE, alert=True)
        await chat.drop_buttons()
        return
    await chat.ack()
    await chat.drop_buttons()
    if not answer.ok:
        await state.clear()
        await chat.say(texts.FORGET_CANCELLED)
        return
    await forget_person(session, person.id, ctx.now)  # the row read now, in the update's session
    await state.clear()
    ctx.forget_person()
    ctx.services.answering.forget(person_id=person.id)
    await chat.say(texts.FORGOTTEN)
