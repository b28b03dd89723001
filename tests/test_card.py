"""The school card for a coordinator: /card's paged school picker through the fake Telegram, the card and its
Word file of any school of the municipality, the refusals; `shnor card` for one school and for every school.
The deputy's own card is tests/test_summary.py::test_card_for_the_deputy_only."""

from __future__ import annotations

import asyncio
import io

import docx
from sqlalchemy import select

from bot import cli
from bot.callbacks import CardAction, CardCb
from bot.features.documents import CARD_PAGE
from storage.models import AccessLog, School
from tests.harness import register
from tests.test_summary import AFTER, _fill

EXTRA = 23  # schools added to the world's two: 25, two pages of the picker


async def _more_schools(session_factory, world) -> None:
    async with session_factory() as session:
        session.add_all(School(municipality_id=world.municipality.id, name=f"МОУ Школа № {n:02d}", short_name=f"Школа {n:02d}")
                        for n in range(1, EXTRA + 1))
        await session.commit()


def _paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs if p.text.strip()]


async def test_a_coordinator_picks_a_school_and_gets_its_card(runner, api, world, session_factory, clock):
    await _fill(session_factory, world)
    await _more_schools(session_factory, world)
    clock.now = AFTER(clock)  # the campaigns are over: every point is decided
    coordinator = await register(runner, 5101, world.invites["coordinator"], "Координаторова Ольга Николаевна")

    assert await coordinator.send("/card") == "Карточка какой школы? Школ в муниципалитете: 25. Карточку в Word можно " \
                                               "передать заместителю директора."
    first = coordinator.buttons()
    assert len(first) == CARD_PAGE + 1 and first[:3] == ["СОШ 1", "Ключевская ООШ", "Школа 01"]  # by full name
    assert first[-1] == "Далее →"
    await coordinator.press("Далее →")
    assert coordinator.buttons() == [f"Школа {n:02d}" for n in range(19, EXTRA + 1)] + ["← Назад"]  # the same message
    await coordinator.press("← Назад")
    assert coordinator.buttons()[0] == "СОШ 1"

    sent = len(coordinator.texts)
    await coordinator.press("СОШ 1", exact=True)
    text = "\n".join(coordinator.texts[sent:])
    assert "Карточка школы: МАОУ СОШ № 1" in text and "<b>Главное</b>" in text
    assert "педагоги ответили 2 из 4 заявленных; анкета школы отправлена. Данные неполные" in text
    assert coordinator.buttons() == ["Скачать Excel", "Скачать Word", "← Другая школа"]
    await coordinator.press("Скачать Word")
    document = api.last_message(5101)
    assert document["document"]["file_name"] == "Карточка_СОШ_1_2026-2027.docx"
    paragraphs = _paragraphs(document["_upload"]["content"])
    assert paragraphs[0] == "Карточка школы: МАОУ СОШ № 1 — данные неполные"  # 2 of 4 teachers answered
    assert paragraphs[1] == "Тестовский городской округ; 2026-2027 учебный год; статус: ШНРО, 500+"
    assert paragraphs[2].endswith("педагоги ответили 2 из 4 заявленных; анкета школы отправлена. Данные неполные: "
                                  "ответили менее 90 % педагогов.")
    assert not any("/card" in p or "в боте" in p for p in paragraphs)  # no bot words in what is handed on
    await coordinator.press("← Другая школа")
    assert coordinator.buttons()[0] == "СОШ 1" and coordinator.buttons()[-1] == "Далее →"

    async with session_factory() as session:
        logged = [(row.action, row.detail) for row in await session.scalars(select(AccessLog).order_by(AccessLog.id))]
    assert logged == [("card", "МАОУ СОШ № 1; период 2026-2027"), ("card_docx", "МАОУ СОШ № 1; период 2026-2027")]


async def test_the_card_is_refused_to_others(runner, api, world, session_factory, clock):
    """A teacher gets no card; a deputy gets only their own school's, whatever button they forge; a coordinator's
    picker is a coordinator's only."""
    await _fill(session_factory, world)
    clock.now = AFTER(clock)
    coordinator = await register(runner, 5201, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/card")
    await coordinator.press("СОШ 1", exact=True)
    teacher = await register(runner, 5202, world.invites["teacher:0"])
    assert "доступна заместителям директора" in await teacher.send("/card")
    other = await register(runner, 5203, world.invites["deputy:1"], "Другая Анна Ивановна")
    message, data = api.find_button(5201, "Скачать Word")
    assert "не ваши" in (await other.press_data(message, data))["text"]  # another school's file
    s1 = world.schools[0].id
    assert "не ваши" in (await other.press_data(message, CardCb(a=CardAction.SHOW, school=s1).pack()))["text"]
    assert "доступна заместителям" in (await teacher.press_data(message, CardCb(a=CardAction.PAGE).pack()))["text"]
    async with session_factory() as session:
        assert [row.action for row in await session.scalars(select(AccessLog))] == ["card"]  # the coordinator's only


async def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_shnor_card_for_one_school_and_for_all(world, session_factory, database_url, clock, monkeypatch, capsys, tmp_path):
    await _fill(session_factory, world)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(cli.common, "clock", clock)
    municipality = str(world.municipality.id)

    out = tmp_path / "one.docx"
    code, printed, _ = await _cli(capsys, "card", "--municipality", municipality, "--school", "СОШ 1", "--out", str(out))
    assert code == 0 and printed.strip() == f"Карточка школы «МАОУ СОШ № 1» за период 2026-2027: {out}"
    paragraphs = _paragraphs(out.read_bytes())
    assert paragraphs[0] == "Карточка школы: МАОУ СОШ № 1 — данные неполные"  # the campaigns still collect
    assert "сбор открыт до " in paragraphs[2]
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    folder = tmp_path / "карточки"
    code, printed, _ = await _cli(capsys, "card", "--municipality", municipality, "--all", "--out", str(folder),
                                  "--period", "2026/27")
    assert code == 0 and printed.strip() == f"Карточки школ за период 2026-2027: 2 файлов в папке {folder}"
    assert sorted(p.name for p in folder.iterdir()) == ["Карточка_Ключевская_ООШ_2026-2027.docx",
                                                         "Карточка_СОШ_1_2026-2027.docx"]
    assert _paragraphs((folder / "Карточка_Ключевская_ООШ_2026-2027.docx").read_bytes())[0].startswith(
        "Карточка школы: МКОУ Ключевская ООШ")

    code, _, error = await _cli(capsys, "card", "--municipality", municipality)
    assert code == 1 and error.strip() == "Ошибка: Укажите одну школу (--school) или все школы (--all)."
    code, _, error = await _cli(capsys, "card", "--municipality", municipality, "--school", "Лицей 7")
    assert code == 1 and "не найдена" in error
    async with session_factory() as session:
        logged = [row.action for row in await session.scalars(select(AccessLog))]
    assert logged == ["card_docx"] * 3  # one school, then two
