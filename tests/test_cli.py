"""The admin command line, run as a real process (`python -m bot ...`)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl


def _schools_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["Название", "Краткое название", "Сельская"])
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_municipality_schools_campaign_and_invites(shnor, tmp_path: Path) -> None:
    added = shnor("municipality", "add", "Сысертский ГО", "--tz", "Asia/Yekaterinburg").stdout
    assert "Муниципалитет №1 «Сысертский ГО» создан, часовой пояс Asia/Yekaterinburg (UTC+5)." in added
    assert "Следующий шаг — оператор персональных данных" in added and "shnor municipality privacy 1 --operator" in added
    assert "уже есть" in shnor("municipality", "add", "Сысертский ГО", ok=False).stderr
    assert "Неизвестный часовой пояс" in shnor("municipality", "add", "Другой", "--tz", "Mars/Olympus", ok=False).stderr

    bad = _schools_xlsx(
        tmp_path / "bad.xlsx",
        [["МАОУ СОШ № 1", "СОШ 1", "нет"], ["", "пусто", "да"], ["МАОУ СОШ № 1", "дубль", "нет"], ["МКОУ ООШ", "ООШ", "может"]],
    )
    err = shnor("schools", "import", "--municipality", "Сысертский ГО", str(bad), ok=False).stderr
    assert "строка 3: пустая ячейка: Название" in err
    assert "строка 4: школа «МАОУ СОШ № 1» уже есть в строке 2" in err
    assert "строка 5: в столбце «Сельская»" in err
    assert shnor("schools", "list", "--municipality", "Сысертский ГО").stdout == ""  # nothing half-imported

    good = _schools_xlsx(tmp_path / "good.xlsx", [["МАОУ СОШ № 1", "СОШ 1", "нет"], ["МКОУ Патрушевская СОШ", "Патрушевская СОШ", "да"]])
    assert "добавлено 2, обновлено 0" in shnor("schools", "import", "--municipality", "1", str(good)).stdout
    assert "добавлено 0, обновлено 0" in shnor("schools", "import", "--municipality", "1", str(good)).stdout
    listing = shnor("schools", "list", "--municipality", "1").stdout
    lines = {line.split("\t")[3]: line.split("\t")[1:3] for line in listing.splitlines()}
    assert lines == {"МАОУ СОШ № 1": ["СОШ 1", "городская"], "МКОУ Патрушевская СОШ": ["Патрушевская СОШ", "сельская"]}

    out = shnor("campaign", "open", "--municipality", "1", "--pack", "teacher", "--period", "2026-2027", "--deadline", "2099-12-15 18:00").stdout
    assert out.startswith("Кампания №1: «Анкета педагога», период 2026-2027, для всех педагогов, срок до 15.12.2099 18:00 (UTC+5).")
    assert "уже открыта" in shnor(
        "campaign", "open", "--municipality", "1", "--pack", "teacher", "--period", "2026-2027", "--deadline", "2099-12-16", ok=False
    ).stderr
    assert "уже прошёл" in shnor(
        "campaign", "open", "--municipality", "1", "--pack", "school", "--period", "2026-2027", "--deadline", "2020-01-01", ok=False
    ).stderr
    assert "Нет анкеты" in shnor(
        "campaign", "open", "--municipality", "1", "--pack", "nosuch", "--period", "2027-2028", "--deadline", "2099-01-01", ok=False
    ).stderr
    # a period is a school year: typed freely, stored one way, or refused in Russian
    refused = shnor("campaign", "open", "--municipality", "1", "--pack", "school", "--period", "весна 2027",
                    "--deadline", "2099-01-01", ok=False).stderr
    assert "Ошибка: параметр --period: Период «весна 2027» не похож на учебный год. Напишите так: 2026-2027." in refused
    out = shnor("campaign", "open", "--municipality", "1", "--pack", "school", "--period", "2027/28 уч. год",
                "--deadline", "2099-01-01").stdout
    assert "период 2027-2028" in out and "01.01.2099 18:00" in out  # a date alone: 18:00, as in the chat
    assert "Анкета педагога\t2026-2027" in shnor("campaign", "list", "--municipality", "1").stdout

    # no invite before the consent can name its operator: nobody could register by it
    refused = shnor("invites", "--municipality", "1", "--role", "teacher", ok=False).stderr
    assert "Не указан оператор персональных данных «Сысертский ГО»" in refused
    assert 'shnor municipality privacy 1 --operator "Управление образования … (ИНН …)"' in refused
    shnor("municipality", "privacy", "1", "--operator", "Управление образования Администрации Сысертского городского округа")
    invites = shnor("invites", "--municipality", "1", "--role", "teacher").stdout
    assert invites.startswith("Приглашения для педагогов в Telegram, действуют до ")
    links = re.findall(r"https://t\.me/shnor_test_bot\?start=([A-Za-z0-9_\-]+)", invites)
    assert len(links) == 2 and len(set(links)) == 2 and all(len(t) >= 20 for t in links)
    assert "СОШ 1" in invites
    one = shnor("invites", "--municipality", "1", "--role", "deputy", "--school", "СОШ 1", "--max-uses", "2").stdout
    assert len(re.findall(r"\?start=", one)) == 1 and "регистраций: 2" in one
    coordinator = shnor("invites", "--municipality", "1", "--role", "coordinator").stdout
    assert "Сысертский ГО\thttps://t.me/shnor_test_bot?start=" in coordinator
    assert "не найдена" in shnor("invites", "--municipality", "1", "--school", "Нет такой", ok=False).stderr
    ambiguous = shnor("invites", "--municipality", "1", "--school", "СОШ", ok=False).stderr
    assert "подходит к нескольким школам" in ambiguous and "СОШ 1" in ambiguous and "Патрушевская СОШ" in ambiguous
    assert len(re.findall(r"\?start=", shnor("invites", "--municipality", "1", "--school", "патрушевская").stdout)) == 1


def test_a_registry_with_any_bad_row_imports_nothing(shnor, tmp_path: Path) -> None:
    shnor("municipality", "add", "Сысертский ГО")
    bad = _schools_xlsx(tmp_path / "bad.xlsx", [
        ["МАОУ СОШ № 1", "СОШ 1", "нет"],
        ["МАОУ СОШ № 2", "СОШ 1", "нет"],  # the same short name
        ["МАОУ СОШ № 3", "", "нет"],  # an empty required cell
        ["МАОУ  сош № 1", "СОШ один", "нет"],  # the same name but for case and spaces
        ["Итого: 3 школы", None, None],  # a footer
    ])
    err = shnor("schools", "import", "--municipality", "1", str(bad), ok=False).stderr
    assert "строка 3: краткое название «СОШ 1» уже есть в строке 2" in err
    assert "строка 4: пустая ячейка: Краткое название" in err
    assert "строка 5: школа «МАОУ сош № 1» уже есть в строке 2" in err
    assert "строка 6: похоже на строку итогов («Итого: 3 школы»)" in err
    assert shnor("schools", "list", "--municipality", "1").stdout == ""
    shnor("schools", "import", "--municipality", "1", str(_schools_xlsx(tmp_path / "a.xlsx", [["МАОУ СОШ № 1", "СОШ 1", "нет"]])))
    clash = _schools_xlsx(tmp_path / "clash.xlsx", [["МАОУ Гимназия № 2", "СОШ 1", "нет"], ["маоу сош №\u200b 1", "С1", "нет"]])
    err = shnor("schools", "import", "--municipality", "1", str(clash), ok=False).stderr
    assert "строка 2: краткое название «СОШ 1» уже у школы «МАОУ СОШ № 1»" in err
    assert "строка 3: «маоу сош №\u200b 1» отличается от школы «МАОУ СОШ № 1» только регистром" in err
    assert len(shnor("schools", "list", "--municipality", "1").stdout.splitlines()) == 1


def test_survey_validate(shnor, tmp_path: Path) -> None:
    out = shnor("survey", "validate", str(Path(__file__).parents[1] / "surveys" / "packs" / "teacher.yaml")).stdout
    assert out.startswith("«Анкета педагога» — анкета педагогов, версия ") and "; ключ анкеты: teacher\n" in out and "has_iom [yesno, обязательный, переносится из прошлого периода]" in out and "iom_state [single, обязательный, если ${has_iom} = 'yes', переносится из прошлого периода, на экране предыдущего вопроса, в листе «Развитие педагогов»]" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: X\naudience: teacher\nquestions:\n  - {name: a, type: numbr, label: A}\n", encoding="utf-8")
    err = shnor("survey", "validate", str(bad), ok=False).stderr
    assert "вопрос «a», поле «type»" in err


def test_run_without_token_explains(shnor) -> None:
    err = shnor("run", ok=False).stderr
    assert "Не задан BOT_TOKEN" in err


def test_demo_writes_a_report_without_telegram(shnor, tmp_path: Path) -> None:
    out = shnor("demo", "--out", str(tmp_path / "demo")).stdout
    assert "Сводка ШНОР: Демонстрационный городской округ, период 2025-2026" in out
    assert "<b>" not in out
    workbook = openpyxl.load_workbook(tmp_path / "demo" / "demo_report.xlsx", read_only=True)
    assert "Динамика" in workbook.sheetnames
    dynamics = list(workbook["Динамика"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert dynamics[2:] == ("2023-2024", "2024-2025", "2025-2026", "Изменение к 2024-2025")
    matrix = [r for r in workbook["Показатели школ"].iter_rows(min_row=4, values_only=True) if len(r) > 1 and r[0] and r[1]]
    assert len(matrix) == 20
    # the charts beside the workbook: the shares (two), the dynamics (three periods), then the schools
    charts = sorted((tmp_path / "demo").glob("chart_*.png"), key=lambda p: int(p.stem.split("_")[1]))
    assert len(charts) >= 4 and [p.name for p in charts] == [f"chart_{n}.png" for n in range(1, len(charts) + 1)]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in charts)
    assert "Баллы школ за период 2025-2026" in out and str(charts[-1]) in out.splitlines()[-2]


def test_imports_identify_and_summary(shnor, tmp_path: Path) -> None:
    shnor("municipality", "add", "Саянский район", "--tz", "Asia/Krasnoyarsk")
    shnor("schools", "import", "--municipality", "1", str(_schools_xlsx(tmp_path / "s.xlsx", [["МБОУ Агинская СОШ № 1", "Агинская 1", "да"]])))
    wb = openpyxl.Workbook()
    wb.active.append(["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+"])
    wb.active.append(["Агинская 1", "да", "нет", "нет", "да"])
    wb.save(tmp_path / "statuses.xlsx")
    assert "укажите --period" in shnor("import", "statuses", "--municipality", "1", str(tmp_path / "statuses.xlsx"), ok=False).stderr.lower()
    assert "Загружено строк: 1" in shnor("import", "statuses", "--municipality", "1", "--period", "2025-2026", str(tmp_path / "statuses.xlsx")).stdout
    wb = openpyxl.Workbook()
    wb.active.append(["Школа", "Год", "Процедура", "Предмет", "Класс", "Средний балл школы", "Средний балл региона"])
    for year in (2024, 2026):
        wb.active.append(["Агинская 1", year, "ОГЭ", "математика", 9, 40, 50])
    wb.save(tmp_path / "exams.xlsx")
    assert "Загружено строк: 2" in shnor("import", "exams", "--municipality", "1", str(tmp_path / "exams.xlsx")).stdout
    out = shnor("identify", "--municipality", "1", "--period", "2025-2026", "--method", "criteria").stdout
    assert "двенадцать критериев" in out and "зона риска 1" in out
    out = shnor("summary", "--municipality", "1", "--out", str(tmp_path / "r" / "report.xlsx")).stdout
    assert "период 2025-2026" in out
    assert (tmp_path / "r" / "report.xlsx").exists() and (tmp_path / "r" / "chart_1.png").exists()
    out = shnor("report", "--municipality", "1", "--period", "2025/26", "--out", str(tmp_path / "r" / "протокол.docx")).stdout
    assert "Протокол заседания рабочей группы с аналитической справкой за 2025-2026" in out and "школ в приложении: 1" in out
    assert "оставлены для заполнения от руки" in out and "--meeting" in out
    assert "Не заданы реквизиты органа управления образованием" in out and "shnor municipality requisites 1 --body \"" in out
    import docx

    document = docx.Document(tmp_path / "r" / "протокол.docx")
    text = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2" and p.text.startswith("3.")]
    assert headings == ["3.1. МБОУ Агинская СОШ № 1"]
    assert "Метод идентификации: двенадцать критериев." in text
    assert document.tables[-1].rows[0].cells[1].text == "Число критериев"  # each school's criteria met
    assert any(t.startswith("Не заданы реквизиты органа управления образованием") for t in text)

    # the requisites, stored once; the meeting from a file
    out = shnor("municipality", "requisites", "Саянский район", "--body", "Управление образования администрации Саянского района",
                "--head-title", "Начальник Управления образования", "--head-name", "И.И. Иванова", "--complete-at", "80").stdout
    assert "Орган управления образованием: Управление образования администрации Саянского района" in out
    assert "Адрес: не задано" in out and "менее 80 % педагогов" in out
    assert "Руководитель: И.И. Иванова" in shnor("municipality", "requisites", "1").stdout
    assert "от 1 до 100" in shnor("municipality", "requisites", "1", "--complete-at", "0", ok=False).stderr
    (tmp_path / "заседание.yaml").write_text("номер: 4\nдата: 25.05.2026\nместо: кабинет № 5\nсекретарь: А.А. Петрова\n"
                                             "присутствовали:\n  - Петрова А.А., специалист\n", encoding="utf-8")
    out = shnor("report", "--municipality", "1", "--period", "2025-2026", "--meeting", str(tmp_path / "заседание.yaml"),
                "--decisions", "--out", str(tmp_path / "r" / "п4.docx")).stdout
    assert "оставлены для заполнения" not in out and "Не заданы реквизиты" not in out
    text = [p.text for p in docx.Document(tmp_path / "r" / "п4.docx").paragraphs]
    assert "25.05.2026 г.\t№ 4" in text and "Петрова А.А., специалист." in text
    assert text[1] == "Начальник Управления образования"
    assert any(t.startswith("заседания муниципальной рабочей группы Управления образования администрации Саянского района")
               and t.endswith("в Саянском районе") for t in text)
    (tmp_path / "плохое.yaml").write_text("номер: 4\nкогда: завтра\n", encoding="utf-8")
    bad = shnor("report", "--municipality", "1", "--meeting", str(tmp_path / "плохое.yaml"), ok=False).stderr
    assert "неизвестный ключ «когда»" in bad
    assert "За период 2030-2031 данных нет" in shnor("report", "--municipality", "1", "--period", "2030-2031", ok=False).stderr


def test_campaign_options_extend_close_reopen(shnor, tmp_path: Path) -> None:
    shnor("municipality", "add", "Саянский район", "--tz", "Asia/Krasnoyarsk")
    shnor("schools", "import", "--municipality", "1", str(_schools_xlsx(tmp_path / "s.xlsx", [["МБОУ Агинская СОШ № 1", "Агинская 1", "да"]])))
    empty = shnor("campaign", "open", "--municipality", "1", "--pack", "school", "--period", "2098-2099",
                  "--deadline", "2099-03-01 18:00", "--audience", "shnro,risk_zone", ok=False).stderr
    assert "Адресатов нет: школ со статусом «ШНРО» или «зона риска» за период 2098-2099 нет" in empty
    assert "shnor import statuses --period 2098-2099" in empty
    wb = openpyxl.Workbook()
    wb.active.append(["Школа", "ШНРО", "ШНСУ", "Зона риска"])
    wb.active.append(["Агинская 1", "нет", "нет", "да"])
    wb.save(tmp_path / "statuses.xlsx")
    shnor("import", "statuses", "--municipality", "1", "--period", "2098/99", str(tmp_path / "statuses.xlsx"))
    out = shnor("campaign", "open", "--municipality", "1", "--pack", "school", "--period", "2098-2099",
                "--deadline", "2099-03-01 18:00", "--audience", "shnro,risk_zone", "--offsets", "5d,12h,morning",
                "--quiet", "22:00-07:30").stdout
    assert "для школ ШНРО и зоны риска, срок до 01.03.2099 18:00 (UTC+7)" in out
    assert "Напоминания: за 5 дней, за 12 часов до срока и утром в день срока; с 22:00 до 07:30 сообщения не отправляются." in out
    bad = shnor("campaign", "open", "--municipality", "1", "--pack", "teacher", "--period", "2098-2099",
                "--deadline", "2099-03-01 18:00", "--offsets", "soon", ok=False).stderr
    assert "Непонятное напоминание «soon»" in bad
    bad = shnor("campaign", "open", "--municipality", "1", "--pack", "teacher", "--period", "2098-2099",
                "--deadline", "2099-03-01 18:00", "--audience", "good", ok=False).stderr
    assert "Неизвестный статус «good»" in bad
    assert "продлена до 10.03.2099 18:00" in shnor("campaign", "extend", "--municipality", "1", "--id", "1", "--deadline", "2099-03-10 18:00").stdout
    earlier = shnor("campaign", "extend", "--municipality", "1", "--id", "1", "--deadline", "2099-03-05", ok=False).stderr
    assert "не позже нынешнего (10.03.2099 18:00)" in earlier
    assert "закрыта" in shnor("campaign", "close", "--municipality", "1", "--id", "1").stdout
    assert "уже закрыта" in shnor("campaign", "close", "--municipality", "1", "--id", "1", ok=False).stderr
    assert "снова открыта" in shnor("campaign", "reopen", "--municipality", "1", "--id", "1").stdout
    assert "нет" in shnor("campaign", "close", "--municipality", "1", "--id", "99", ok=False).stderr
