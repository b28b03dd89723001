"""Imports through the database and the command line: a refused file changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scoring.service import import_statuses
from storage.importers import ImportFailed, SchoolRow, read_statuses
from storage.models import ExamResult, Municipality, RegionalGroup, School, SchoolStatus
from storage.registry import add_schools
from tests.pure.test_workbooks import GOOD, SHEET, _book, _part, _rezip


async def test_ambiguous_school_names(session_factory, world, tmp_path: Path) -> None:
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        # a registry from before the rule: one school's short name is another's full name
        session.add(School(municipality_id=municipality.id, name="Ключевская ООШ", short_name="ООШ Ключи", rural=True))
        await session.commit()
        rows = read_statuses(_book(tmp_path / "статусы.xlsx", [["ключевская  ООШ", "да", "нет", "нет", "нет"]]))
        with pytest.raises(ImportFailed, match="строка 2: «ключевская ООШ» подходит к нескольким школам реестра: «Ключевская ООШ» "
                                               r"\(кратко «ООШ Ключи»\); «МКОУ Ключевская ООШ» \(кратко «Ключевская ООШ»\); "
                                               "напишите полное название школы"):
            await import_statuses(session, municipality, "2026-2027", rows)
        await session.rollback()
        # and the registry import no longer lets such a pair in
        municipality = await session.get(Municipality, world.municipality.id)
        with pytest.raises(ImportFailed) as info:
            await add_schools(session, municipality, [SchoolRow("СОШ 1", "Первая", False, row=2),
                                                      SchoolRow("МАОУ Гимназия", "МАОУ СОШ № 1", False, row=3)], "2026-2027")
        message = str(info.value)
        assert "строка 2: название «СОШ 1» — краткое название школы «МАОУ СОШ № 1»" in message
        assert "строка 3: краткое название «МАОУ СОШ № 1» — название другой школы реестра («МАОУ СОШ № 1»)" in message
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(SchoolStatus)) == 0
        assert await session.scalar(select(func.count()).select_from(School)) == 3


async def test_refused_imports_change_nothing(shnor, session_factory, world, tmp_path: Path) -> None:
    import asyncio

    async def counts() -> tuple[int, int, int, int]:
        async with session_factory() as session:
            return tuple([await session.scalar(select(func.count()).select_from(m)) for m in (SchoolStatus, ExamResult,
                                                                                              RegionalGroup, School)])

    before = await counts()
    mid = str(world.municipality.id)

    def run(*args: str, ok: bool = True):
        return asyncio.to_thread(shnor, *args, ok=ok)

    junk = tmp_path / "статусы.xlsx"
    junk.write_bytes(b"\x80\x00" + os.urandom(5000))  # random, but never read as XML, a zip or an old .xls
    err = (await run("import", "statuses", "--municipality", mid, "--period", "2026-2027", str(junk), ok=False)).stderr
    assert err.startswith(f"Ошибка: Файл {junk} не загружен:\n") and "не книга Excel" in err and "Traceback" not in err

    formula = _book(tmp_path / "формула.xlsx", [GOOD[0], ['="СОШ "&"1"', "да", "нет", "нет", "да"]])
    err = (await run("import", "statuses", "--municipality", mid, "--period", "2026-2027", str(formula), ok=False)).stderr
    assert "строка 3, столбец A («Школа»): формула без вычисленного значения" in err

    bomb = _book(tmp_path / "бомба.xlsx", GOOD)
    _rezip(bomb, {SHEET: _part(bomb).replace(b"</sheetData>", b" " * (3 * 1024 * 1024) + b"</sheetData>")})
    err = (await run("schools", "import", "--municipality", mid, str(bomb), ok=False)).stderr
    assert f"Файл {bomb} не загружен" in err and "сжата в" in err

    unknown = _book(tmp_path / "чужая.xlsx", [GOOD[0], ["Нет такой", "да", "нет", "нет", "да"]])
    err = (await run("import", "statuses", "--municipality", mid, "--period", "2026-2027", str(unknown), ok=False)).stderr
    assert f"Ошибка: Файл {unknown} не загружен:\nстрока 3: школа «Нет такой» не найдена" in err

    assert await counts() == before

    lying = _book(tmp_path / "статусы-ок.xlsx", GOOD)
    _rezip(lying, {SHEET: _part(lying).replace(b'<dimension ref="A1:E3"/>', b'<dimension ref="A1:E2"/>')})
    out = (await run("import", "statuses", "--municipality", mid, "--period", "2026-2027", str(lying))).stdout
    assert "Загружено строк: 2." in out


@pytest.mark.slow
def test_the_file_size_limit_is_a_setting(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = _book(tmp_path / "школы.xlsx", [["МАОУ СОШ № 1", "СОШ 1", "нет"]], header=["Название", "Краткое название", "Сельская"])
    with open(path, "ab") as file:
        file.write(os.urandom(1024 * 1024))
    env = {**os.environ, "IMPORT_MAX_MB": "0.5", "BOT_TOKEN": "", "LOG_LEVEL": "WARNING",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "bot", "schools", "import", "--municipality", "1", str(path)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"Ошибка: Файл {path} не загружен:\nфайл занимает 1,0 МБ, а больше 0,5 МБ не загружается" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before the database was touched
