"""People's words, not codes (issue 22, item 8): /campaigns, the new-campaign check and the command line say whom a
campaign asks, when its reminders go and its deadline once, with no offsets, roles, keys, zone names or ISO dates;
invites are a printable Word file, a page a school with its links and their QR codes; nobody registers until the
consent can name its operator."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image
from sqlalchemy import select

from bot import cli
from monitoring.campaigns import close_campaign, create_campaign
from monitoring.invites import qr_code
from scoring.service import import_statuses
from storage.importers import StatusRow
from storage.models import Campaign, Invite, Municipality, Person
from surveys.loader import load_pack
from tests.harness import BotRunner, User, register

# what a person must never read: reminder offsets, role / audience / status keys, zone names, ISO dates, «для: все»
CODES = re.compile(r"\b(\d+[dh]|morning|teacher|deputy|coordinator|school|municipality|shnro|shnsu|risk_zone)\b"
                   r"|Asia/|Europe/|\d{4}-\d{2}-\d{2}|для:")


def codes_in(text: str) -> list[str]:
    return [m.group(0) for m in CODES.finditer(text)]


async def _cli(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, list(argv)) == 0, (argv, capsys.readouterr().err)
    return capsys.readouterr().out


async def test_campaigns_say_whom_when_and_the_deadline_once_in_words(runner: BotRunner, world, session_factory, clock):
    coordinator = await register(runner, 8101, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        await import_statuses(session, municipality, "2027-2028", [StatusRow(2, "СОШ 1", True, False, True, False)])
        # to come: a filtered teacher campaign with its own reminders and quiet hours
        later = await create_campaign(
            session, municipality=municipality, survey=load_pack("teacher"), period="2027-2028",
            opens_at=clock.now + dt.timedelta(days=3), deadline=clock.now + dt.timedelta(days=20),
            status_filter="shnro,risk_zone", offsets="5d,12h,morning", quiet_hours="22:00-07:30", now=clock.now,
        )
        # over by the time of the listing: last year's school questionnaire, due in an hour
        over = await create_campaign(session, municipality=municipality, survey=load_pack("school"), period="2025-2026",
                                     deadline=clock.now + dt.timedelta(hours=1), now=clock.now)
        await close_campaign(session, await session.get(Campaign, world.campaigns["school"].id), clock.now)
        await session.commit()
    clock.advance(hours=2)

    await coordinator.send("/campaigns")
    listing = coordinator.last
    assert codes_in(listing) == [], listing
    items = {int(m.group(1)): m.group(0) for m in re.finditer(r"№(\d+)\. .*?(?=\n\n№|\Z)", listing, re.S)}
    assert len(items) == 5
    for item in items.values():
        assert len(re.findall(r"[Сс]рок (до|был до|прошёл) ", item)) == 1, item  # the deadline, once
    teacher = items[world.campaigns["teacher"].id]
    assert teacher.splitlines() == [
        f"№{world.campaigns['teacher'].id}. <b>Анкета педагога</b> (2026-2027), для всех педагогов",
        "Идёт, срок до 07.12.2026 10:00 (UTC+5): осталось 14 дней",
        teacher.splitlines()[2],
        "Напоминания: за 7 дней, за 3 дня, за день до срока и утром в день срока; с 21:00 до 08:00 сообщения не "
        "отправляются.",
    ]
    assert teacher.splitlines()[2].startswith("Заполнение: ")
    assert items[later.id].splitlines()[:2] == [
        f"№{later.id}. <b>Анкета педагога</b> (2027-2028), для педагогов школ ШНРО и зоны риска",
        "Откроется 26.11.2026 10:00, срок до 13.12.2026 10:00 (UTC+5)",
    ]
    assert items[later.id].endswith("Напоминания: за 5 дней, за 12 часов до срока и утром в день срока; с 22:00 до "
                                    "07:30 сообщения не отправляются.")
    assert items[over.id].splitlines()[:2] == [f"№{over.id}. <b>Анкета школы</b> (2025-2026), для всех школ",
                                               "Срок прошёл 23.11.2026 11:00 (UTC+5)"]
    closed = items[world.campaigns["school"].id]
    assert closed.splitlines()[1] == "Закрыта 23.11.2026 10:00; срок был до 07.12.2026 10:00 (UTC+5)"
    assert "Напоминания" not in closed and "Напоминания" not in items[over.id]  # none go any more
    assert "для муниципалитета" in items[world.campaigns["municipality"].id]

    # the new campaign's check
    await coordinator.send("/newcampaign")
    await coordinator.press("Анкета школы")
    await coordinator.press("Только зона риска")
    await coordinator.press("2027-2028")
    await coordinator.send("20.12.2026")
    check = coordinator.last
    assert codes_in(check) == [], check
    assert "<b>Анкета школы</b>, для школ зоны риска\nПериод: 2027-2028\nСрок: до 20.12.2026 18:00 (UTC+5)\n" in check


async def test_the_command_line_speaks_the_same_words(world, database_url, clock, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_USERNAME", "shnor_test_bot")
    monkeypatch.setattr(cli.common, "clock", clock)
    m = str(world.municipality.id)
    opened = await _cli(capsys, "campaign", "open", "--municipality", m, "--pack", "school", "--period", "2027-2028",
                        "--deadline", "15.12.2026", "--offsets", "7d,1d")
    assert opened.splitlines() == [
        "Кампания №4: «Анкета школы», период 2027-2028, для всех школ, срок до 15.12.2026 18:00 (UTC+5).",
        "Напоминания: за 7 дней, за день до срока; с 21:00 до 08:00 сообщения не отправляются.",
    ]
    listing = await _cli(capsys, "campaign", "list", "--municipality", m)
    assert "\tАнкета педагога\t2026-2027\tдля всех педагогов\tсрок до 07.12.2026 10:00 (UTC+5)\tидёт\t" in listing
    invites = await _cli(capsys, "invites", "--municipality", m, "--role", "deputy")
    assert invites.startswith("Приглашения для заместителей директоров по УВР в Telegram, действуют до 23.12.2026 "
                              "(30 дней):\n")
    validated = await _cli(capsys, "survey", "validate", str(Path(__file__).parents[1] / "surveys/packs/teacher.yaml"))
    assert validated.startswith("«Анкета педагога» — анкета педагогов, версия ")  # (its key is what --pack takes)
    for out in (opened, listing, invites):
        assert codes_in(out) == [], out


async def test_nobody_registers_until_the_operator_is_named(runner: BotRunner, world, session_factory, database_url,
                                                            monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    coordinator = await register(runner, 8301, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    async with session_factory() as session:
        (await session.get(Municipality, world.municipality.id)).pd_operator = None  # no body name either
        await session.commit()

    teacher = User(runner, 8302)
    reply = await teacher.send(f"/start {world.invites['teacher:0'].token}")
    assert reply == ("Регистрация откроется, когда управление образования укажет оператора персональных данных: без него "
                     "согласие на обработку данных дать нельзя. Откройте эту же ссылку позже или напишите координатору.")
    assert teacher.buttons() == [] and "Согласие" not in " ".join(teacher.texts)
    other = User(runner, 8303)  # a coordinator's invite also says what the administrator runs
    reply = await other.send(f"/start {world.invites['coordinator'].token}")
    assert reply.endswith(f'Оператора указывает администратор системы на сервере: shnor municipality privacy '
                          f'{world.municipality.id} --operator "Управление образования … (ИНН …)"')
    async with session_factory() as session:
        assert [p.full_name for p in await session.scalars(select(Person))] == ["Координаторова Ольга Николаевна"]
        assert (await session.get(Invite, world.invites["teacher:0"].id)).uses == 0
    # the coordinator registered before sees why in /campaigns
    assert "⚠️ Регистрация по приглашениям закрыта: не указан оператор персональных данных" in await coordinator.send("/campaigns")

    await _cli(capsys, "municipality", "privacy", str(world.municipality.id), "--operator",
               "Управление образования Администрации Тестовского городского округа")
    shown = await teacher.send(f"/start {world.invites['teacher:0'].token}")
    assert "Оператор персональных данных: Управление образования Администрации Тестовского городского округа." in shown
    await teacher.press("Согласен", exact=True)
    await teacher.send("Учителева Анна Петровна")
    assert any(t.startswith("Готово, Анна Петровна!") for t in teacher.texts)
    assert "Регистрация по приглашениям закрыта" not in await coordinator.send("/campaigns")


def _pages(document) -> list[list[object]]:
    """The body's paragraphs and tables, split where a paragraph starts a new page."""
    pages: list[list[object]] = []
    for item in document.iter_inner_content():
        starts = isinstance(item, Paragraph) and item.paragraph_format.page_break_before
        if not pages or starts:
            pages.append([])
        pages[-1].append(item)
    return pages


def _modules(png: bytes, size: int, scale: int = 8, border: int = 4) -> list[list[int]]:
    """The dark (1) and light (0) modules of a QR code picture, read at each module's centre."""
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == ((size + 2 * border) * scale,) * 2
    return [[int(image.getpixel(((x + border) * scale + scale // 2, (y + border) * scale + scale // 2)) < 128)
             for x in range(size)] for y in range(size)]


async def test_invites_file_a_page_a_school_with_its_links_and_qr_codes(runner: BotRunner, world, session_factory,
                                                                        database_url, clock, monkeypatch, capsys,
                                                                        tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_USERNAME", "shnor_test_bot")
    monkeypatch.setenv("MAX_BOT_USERNAME", "shnor_max_bot")
    monkeypatch.setattr(cli.common, "clock", clock)
    out = tmp_path / "приглашения.docx"
    said = await _cli(capsys, "invites", "--municipality", str(world.municipality.id), "--out", str(out))
    assert said.startswith(f"Приглашения: {out} — 2 страницы (по странице на школу): ссылки для заместителей "
                           "директоров по УВР и для педагогов в Telegram и MAX с QR-кодами")
    before = out.read_bytes()  # an existing file is not written over without --force
    assert await asyncio.to_thread(cli.main, ["invites", "--municipality", str(world.municipality.id), "--out", str(out)]) == 1
    assert f"Файл {out} уже есть" in capsys.readouterr().err and out.read_bytes() == before

    async with session_factory() as session:
        made = {(i.school_id, i.role): i for i in await session.scalars(
            select(Invite).where(Invite.id.not_in([i.id for i in world.invites.values()])))}
    assert len(made) == 4 and {i.max_uses for (_, role), i in made.items() if role == "deputy"} == {3}
    document = docx.Document(str(out))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm), round(section.left_margin.mm)) == (210, 297, 20)
    pages = _pages(document)
    by_name = sorted(world.schools, key=lambda s: s.name)
    assert len(pages) == len(by_name) == 2
    for page, school in zip(pages, by_name, strict=True):
        text = "\n".join(item.text for item in page if isinstance(item, Paragraph))
        assert text.splitlines()[1] == school.name
        assert "Для заместителя директора по УВР" in text and "Для педагогов школы" in text
        assert "Как зарегистрироваться педагогу" in text and "Ссылка действует до 23.12.2026" in text
        assert "(Telegram или MAX)" in text and "нажмите «Запустить» (в MAX — «Начать»)" in text
        assert codes_in(text) == [], text
        tables = [item for item in page if isinstance(item, Table)]
        assert len(tables) == 2  # the deputy's links, then the teachers'
        for table, role in zip(tables, ("deputy", "teacher"), strict=True):
            token = made[(school.id, role)].token
            cells = table.rows[0].cells
            assert [c.paragraphs[0].text for c in cells] == ["Telegram", "MAX"]
            links = [c.paragraphs[2].text for c in cells]
            assert links == [f"https://t.me/shnor_test_bot?start={token}", f"https://max.ru/shnor_max_bot?start={token}"]
            for cell, link in zip(cells, links, strict=True):
                blip = cell._tc.xpath(".//a:blip/@r:embed")
                png = document.part.related_parts[blip[0]].blob
                code = qr_code(link)
                size = code.symbol_size(border=0)[0]
                assert _modules(png, size) == [list(row) for row in code.matrix]  # the picture is this link's code

    # the file's teacher link registers a teacher of its school
    teacher = User(runner, 8401)
    await teacher.send(f"/start {made[(world.schools[1].id, 'teacher')].token}")
    assert any(f"регистрируетесь как <b>педагог</b>, {world.schools[1].short_name}" in t for t in teacher.texts)
