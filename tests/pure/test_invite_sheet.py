"""The printable invites (monitoring.invites) without a database: a page a school, the links of the messengers the
installation has, the instruction speaking of those only."""

from __future__ import annotations

import io

import docx
from docx.text.paragraph import Paragraph

from monitoring.invites import Block, Link, Page, invites_docx


def test_a_telegram_only_file_has_a_page_a_school_and_speaks_of_telegram_only() -> None:
    pages = [Page(f"МОУ СОШ № {n}", (
        Block("deputy", (Link("telegram", f"https://t.me/b_bot?start=D{n}"),), "06.01.2027", 3),
        Block("teacher", (Link("telegram", f"https://t.me/b_bot?start=T{n}"),), "06.01.2027", 21),
    )) for n in range(1, 4)]
    document = docx.Document(io.BytesIO(invites_docx("Тестовский округ", pages, "07.12.2026")))
    starts = [p.text for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert len(starts) == 2 and all(s.startswith("Приглашение в ШНОР-монитор · Тестовский округ") for s in starts)
    assert len(document.tables) == 6 and all(len(t.rows[0].cells) == 1 for t in document.tables)
    assert [t.rows[0].cells[0].paragraphs[2].text for t in document.tables[:2]] == [
        "https://t.me/b_bot?start=D1", "https://t.me/b_bot?start=T1"]
    text = "\n".join(p.text for p in document.iter_inner_content() if isinstance(p, Paragraph))
    assert "MAX" not in text and "нажмите «Запустить»." in text
    assert "по ней могут зарегистрироваться до 21 человека." in text and "до 3 человек." in text
    assert len(document.inline_shapes) == 6
