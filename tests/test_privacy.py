"""Personal data: the access log of summaries, cards and exports, `shnor audit`, the consent's operator
and purposes per municipality, and the consent kept (as withdrawn) when a person is forgotten."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot import cli
from storage.models import AccessLog, Consent, Municipality
from tests.conftest import START
from tests.harness import User, register


async def _cli(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, list(argv)) == 0, argv
    return capsys.readouterr().out


async def test_who_saw_what_is_logged_and_printed(runner, api, world, session_factory, database_url, clock, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(cli.common, "clock", clock)  # the command line's entries on the test's clock
    teacher = await register(runner, 4101, world.invites["teacher:0"])
    deputy = await register(runner, 4102, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    coordinator = await register(runner, 4103, world.invites["coordinator"], "Координаторова Ольга Николаевна")

    assert "только муниципальным координаторам" in await teacher.send("/summary")  # refused: nothing was seen
    assert "доступна заместителям" in await teacher.send("/card")
    async with session_factory() as session:
        assert list(await session.scalars(select(AccessLog))) == []

    await coordinator.send("/summary")
    assert "Сводка ШНОР" in " ".join(coordinator.texts)
    await deputy.send("/card")
    await deputy.press("Скачать Excel", exact=True)
    await deputy.press("Скачать Word", exact=True)
    await coordinator.send("/report")  # the meeting's details first, then the protocol
    await coordinator.press("Сформировать протокол")
    assert api.last_message(4103)["document"]["file_name"].endswith(".docx")
    clock.advance(days=2)
    await _cli(capsys, "export", "--municipality", str(world.municipality.id), "--out", str(tmp_path / "answers.xlsx"))

    out = await _cli(capsys, "audit", "--municipality", "Тестовский городской округ")
    lines = out.splitlines()
    assert lines[0] == "Журнал доступа к данным «Тестовский городской округ», время UTC+5: записей 6."
    rows = [line.split("\t") for line in lines[1:]]
    deputy_is = "Заместителева Ирина Олеговна, заместитель директора по УВР, МАОУ СОШ № 1"
    coordinator_is = "Координаторова Ольга Николаевна, муниципальный координатор"
    assert [r[1:3] for r in rows[:5]] == [
        [coordinator_is, "сводка"], [deputy_is, "карточка школы"], [deputy_is, "карточка школы, .xlsx"],
        [deputy_is, "карточка школы, .docx"], [coordinator_is, "отчёт, .docx"],
    ]
    assert rows[0][0] == "23.11.2026 10:00"  # the bot's clock, in the municipality's time
    assert rows[0][3] == "период 2026-2027; личный чат" and rows[1][3] == "МАОУ СОШ № 1; период 2026-2027"
    assert rows[5][1].startswith("командная строка shnor, пользователь ОС ") and rows[5][2] == "выгрузка ответов, .xlsx"
    assert rows[5][3].startswith("все периоды; ответов 0; файл ")

    # a day filter; a person forgotten later is shown as forgotten (the record of what was seen stays)
    await deputy.send("/forget")
    await deputy.press("Да, удалить", exact=True)
    out = await _cli(capsys, "audit", "--municipality", str(world.municipality.id), "--since", "24.11.2026")
    assert out.splitlines()[0].endswith("с 24.11.2026, время UTC+5: записей 1.") and "выгрузка ответов" in out
    out = await _cli(capsys, "audit", "--municipality", str(world.municipality.id))
    assert out.count("(данные удалены), заместитель директора по УВР, МАОУ СОШ № 1\tкарточка школы") == 3
    assert "Заместителева" not in out
    # the consent stays as the operator's record, marked withdrawn when the person asked to be forgotten
    async with session_factory() as session:
        consents = (await session.execute(select(Consent.accepted_at, Consent.withdrawn_at).order_by(Consent.id))).all()
    assert [withdrawn for _, withdrawn in consents] == [None, clock.now, None]
    assert {accepted for accepted, _ in consents} == {START}


async def test_the_consent_names_the_municipalitys_operator_and_purposes(runner, world, session_factory, database_url,
                                                                         monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    shown = await User(runner, 4201).send(f"/start {world.invites['teacher:0'].token}")
    # the operator's name stays as it is written (nominative), on a line of its own
    assert "\n\nОператор персональных данных: Управление образования Администрации Тестовского городского округа.\n\n" in shown
    assert "даю оператору согласие на обработку моих персональных данных" in shown
    out = await _cli(capsys, "municipality", "privacy", str(world.municipality.id),
                     "--operator", "Управление образования Администрации г. Тестовска (ИНН 6600000000)",
                     "--purposes", "мониторинг ШНОР и ШНСУ")
    assert "Оператор персональных данных: Управление образования Администрации г. Тестовска (ИНН 6600000000)." in out
    assert out.rstrip().endswith("Регистрация по приглашениям открыта.")
    user = User(runner, 4202)
    shown = await user.send(f"/start {world.invites['teacher:0'].token}")
    assert "Оператор персональных данных: Управление образования Администрации г. Тестовска (ИНН 6600000000)." in shown
    assert "Цели обработки: мониторинг ШНОР и ШНСУ." in shown
    assert shown.startswith("Согласие на обработку персональных данных") and shown in out
    # an empty value goes back to the education body of the municipality's documents (a requisite) ...
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        municipality.body_name = "Муниципальное казённое учреждение «Управление образования Тестовского округа»"
        await session.commit()
    await _cli(capsys, "municipality", "privacy", str(world.municipality.id), "--operator", "")
    shown = await User(runner, 4203).send(f"/start {world.invites['teacher:0'].token}")
    assert "Оператор персональных данных: Муниципальное казённое учреждение «Управление образования Тестовского округа»." in shown
    # ... and with neither, nobody registers: the command says so and what to run
    async with session_factory() as session:
        (await session.get(Municipality, world.municipality.id)).body_name = None
        await session.commit()
    out = await _cli(capsys, "municipality", "privacy", str(world.municipality.id))
    assert out.startswith("Не указан оператор персональных данных муниципалитета «Тестовский городской округ»: пока его "
                          "нет, бот никого не регистрирует.")
    assert f'shnor municipality privacy {world.municipality.id} --operator "Управление образования … (ИНН …)"' in out
