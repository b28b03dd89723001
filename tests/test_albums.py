"""Albums of pictures through Telegram's real client against the fake Bot API: the chat's `photos` and the outlet's
`send_photos` (the reminders' final summary) make media groups Telegram accepts (2-10 photos, the caption on the
first), a single photo alone, and the fake refuses what Telegram refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, Chat, InputMediaPhoto, Message

from bot.chat import albums
from bot.outlet import TelegramOutlet
from bot.sender import Sender
from bot.telegram.chat import TelegramChat
from bot.telegram.dispatcher import create_bot


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def bot(api):
    bot = create_bot(api.token, api.base_url)
    yield bot
    await bot.session.close()


def _chat(bot, chat_id: int) -> TelegramChat:
    message = Message(message_id=1, date=dt.datetime(2026, 12, 7, tzinfo=dt.UTC), chat=Chat(id=chat_id, type="private"))
    return TelegramChat(message.as_(bot), chat_id)


def test_albums_are_evenly_filled_and_never_of_one():
    photos = [(f"{n}.png", b"") for n in range(23)]
    assert [len(a) for a in albums(photos)] == [8, 8, 7]
    assert [len(a) for a in albums(photos[:11])] == [6, 5]
    assert [len(a) for a in albums(photos[:10])] == [10] and [len(a) for a in albums(photos[:1])] == [1]
    assert albums([]) == [] and [n for a in albums(photos) for n, _ in a] == [n for n, _ in photos]


async def test_the_chat_sends_photos_as_albums(api, bot):
    chat = _chat(bot, 701)
    photos = [(f"chart_{n}.png", _png(1080, 1350 - n)) for n in range(1, 12)]
    await chat.photos(photos, "Баллы <школ> & доли")  # plain text: escaped, never read as markup
    groups = api.albums(701)
    assert [len(g) for g in groups] == [6, 5] and not api.html_errors
    assert groups[0][0]["caption"] == "Баллы &lt;школ&gt; &amp; доли"
    assert [m.get("caption") for g in groups for m in g][1:] == [None] * 10  # the caption once, under the first album
    assert [m["_upload"]["filename"] for g in groups for m in g] == [name for name, _ in photos]
    assert [(m["photo"][0]["width"], m["photo"][0]["height"]) for g in groups for m in g] == \
        [(1080, 1350 - n) for n in range(1, 12)]
    await chat.photos(photos[:1], "Одна")
    last = api.last_message(701)
    assert "media_group_id" not in last and last["caption"] == "Одна"  # Telegram's group takes two at least
    assert [c for c, _ in api.calls].count("sendMediaGroup") == 2 and [c for c, _ in api.calls].count("sendPhoto") == 1


async def test_the_outlet_sends_one_album(api, bot):
    outlet = TelegramOutlet(bot, Sender())
    photos = [("chart_1.png", _png(1080, 1200)), ("chart_2.png", _png(1080, 900))]
    first = await outlet.send_photos(702, photos, "Итоги")
    (group,) = api.albums(702)
    assert first == group[0]["message_id"] and group[0]["caption"] == "Итоги" and "caption" not in group[1]
    await outlet.send_photos(702, photos[:1], None)
    assert "media_group_id" not in api.last_message(702)


async def test_the_fake_refuses_what_telegram_refuses(api, bot):
    photo = BufferedInputFile(_png(10, 10), "a.png")
    with pytest.raises(TelegramBadRequest, match="2-10"):
        await bot.send_media_group(703, [InputMediaPhoto(media=photo)])
    with pytest.raises(TelegramBadRequest, match="2-10"):
        await bot.send_media_group(703, [InputMediaPhoto(media=photo) for _ in range(11)])
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_media_group(703, [InputMediaPhoto(media=photo, caption="я" * 1025), InputMediaPhoto(media=photo)])
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_media_group(703, [InputMediaPhoto(media=photo, caption="<x>"), InputMediaPhoto(media=photo)])
    assert api.albums(703) == []
