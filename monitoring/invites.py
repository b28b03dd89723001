"""Invites as a printable Word file (`shnor invites --out`): a page a school with whom each link is for, its
Telegram and MAX deep links with their QR codes, and how a teacher registers. Schools print it or mail it on.

The links are made by storage.accounts.start_link, the invites by storage.registry.create_invite; the QR codes by
segno (pure Python, writes PNG itself), error correction M: a printed code still reads with a crease or a stain.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno

from storage.accounts import CHANNEL_TITLES
from storage.wording import plural

ROLE_HEADINGS = {
    "deputy": "Для заместителя директора по УВР",
    "teacher": "Для педагогов школы",
    "coordinator": "Для муниципальных координаторов",
}
def teacher_steps(channels: Sequence[str]) -> tuple[str, ...]:
    """How a teacher registers, for the messengers whose links the page has."""
    both = len(channels) > 1
    scan = ("Наведите камеру телефона на QR-код мессенджера, которым пользуетесь (" +
            " или ".join(CHANNEL_TITLES[c] for c in channels) + "), или откройте ссылку под ним." if both else
            "Наведите камеру телефона на QR-код или откройте ссылку под ним.")
    press = {"telegram": "«Запустить»", "max": "«Начать»"}
    start = ("В открывшемся чате с ботом нажмите " +
             (f"{press['telegram']} (в MAX — {press['max']})." if both else f"{press[channels[0]]}."))
    return (
        scan,
        start,
        "Прочитайте согласие на обработку персональных данных и нажмите «Согласен».",
        "Напишите фамилию, имя и отчество полностью, например: Иванова Мария Петровна.",
        "Сразу откроется анкета педагога — около двух минут. Ответы сохраняются сразу; продолжить с того же места "
        "можно в любой момент командой /surveys.",
    )


DEPUTY_NOTE = (
    "Заместитель директора регистрируется по своей ссылке так же, а педагогам передаёт их ссылку: эту страницу "
    "(распечатанной или файлом) или сообщение из команды /missing, кнопка «Приглашение для педагогов». Ссылка "
    "заместителя — только для заместителей: педагог, зарегистрированный по ней, получит анкету школы, а не свою."
)
COORDINATOR_NOTE = (
    "Координатор регистрируется по ссылке так же: согласие на обработку персональных данных, затем ФИО. "
    "Сводки, справка и кампании — в личном чате с ботом, команда /help."
)
QR_WIDTH_MM = 40


@dataclass(frozen=True, slots=True)
class Link:
    channel: str  # "telegram" | "max"
    url: str


@dataclass(frozen=True, slots=True)
class Block:
    """One invite on a page: whom it is for, its link in each channel, until when and for how many people."""

    role: str
    links: tuple[Link, ...]
    expires: str  # «06.01.2027»
    max_uses: int


@dataclass(frozen=True, slots=True)
class Page:
    title: str  # the school's full name (or the municipality's, for the coordinators' page)
    blocks: tuple[Block, ...]


def qr_code(url: str) -> segno.QRCode:
    """The QR code of a link (the one function the file and its test both use)."""
    return segno.make_qr(url, error="m")


def qr_png(url: str, scale: int = 8) -> bytes:
    """The QR code as a black-on-white PNG, `scale` pixels a module, the standard four-module quiet zone."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def uses_text(n: int) -> str:
    return f"по ней могут зарегистрироваться до {n} {plural(n, 'человека', 'человек', 'человек')}"


def invites_docx(municipality: str, pages: Sequence[Page], made: str) -> bytes:
    """The file: A4, ГОСТ Р 7.0.97 margins, a page per `pages` item (each after the first starts a new page).
    `made` is when it was made, in the municipality's words («07.12.2026»)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(20), Mm(10)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(0)
    doc.core_properties.title = f"Приглашения в ШНОР-монитор: {municipality}"

    def paragraph(text: str = "", *, size: float | None = None, bold: bool = False, before: float = 0,
                  after: float = 0, align: int | None = None) -> object:
        p = doc.add_paragraph()
        p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(after)
        if align is not None:
            p.alignment = align
        if text:
            run = p.add_run(text)
            run.bold = bold
            if size:
                run.font.size = Pt(size)
        return p

    for number, page in enumerate(pages):
        head = paragraph(f"Приглашение в ШНОР-монитор · {municipality} · {made}", size=10)
        head.paragraph_format.page_break_before = number > 0
        paragraph(page.title, size=14, bold=True, before=6, after=6)
        for block in page.blocks:
            heading = paragraph(ROLE_HEADINGS[block.role], size=13, bold=True, before=10, after=4)
            heading.paragraph_format.keep_with_next = True
            table = doc.add_table(rows=1, cols=len(block.links))
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, link in zip(table.rows[0].cells, block.links, strict=True):
                cell.width = Mm(170 / len(block.links))
                title = cell.paragraphs[0]
                title.alignment = WD_ALIGN_PARAGRAPH.CENTER
                title.add_run(CHANNEL_TITLES[link.channel]).bold = True
                picture = cell.add_paragraph()
                picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
                picture.add_run().add_picture(io.BytesIO(qr_png(link.url)), width=Mm(QR_WIDTH_MM))
                text = cell.add_paragraph()
                text.alignment = WD_ALIGN_PARAGRAPH.CENTER
                text.add_run(link.url).font.size = Pt(8)
            paragraph(f"Ссылка действует до {block.expires}; {uses_text(block.max_uses)}.", size=11, before=4)
        roles = {block.role for block in page.blocks}
        if "teacher" in roles:
            paragraph("Как зарегистрироваться педагогу", size=13, bold=True, before=12, after=4)
            channels = [link.channel for link in page.blocks[0].links]
            for step, text in enumerate(teacher_steps(channels), start=1):
                paragraph(f"{step}. {text}", size=11, after=2)
        if "deputy" in roles:
            paragraph(DEPUTY_NOTE, size=11, before=8)
        if "coordinator" in roles:
            paragraph(COORDINATOR_NOTE, size=11, before=8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
