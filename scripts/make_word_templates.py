"""Writes the Word templates of the protocol (with its appendix, the analytical report) and the card:
scoring/templates/protocol.docx and card.docx.

    python scripts/make_word_templates.py

The templates are files a municipality restyles in Word without code (fonts, margins, the title
block, the signature, the styles «Таблица ШНОР», «Текст таблицы», «Шапка таблицы»); this script
only made their first version. Run it again only to start over: it overwrites the files.

They follow ГОСТ Р 7.0.97-2025 for the parts a template holds: A4, margins 30/10/20/20 mm, Times
New Roman 14 pt text and 12 pt tables (the standard's 12-14 pt; no style is smaller, the unused
built-in ones included), 1.25 cm first-line indent, page numbers at the top centre from the second
page on. The protocol is portrait; its appendix starts a section of its own (a new page, numbered from 1,
no number on its first page), whose sections 2 and 3 (the tables over every period) are a landscape
section (the same margins), so that up to four periods fit at 12 pt. The card, one page handed to the deputy, is
12 pt throughout with margins of 20/10/10/10 mm: the weakest school's card (every indicator over four
periods, its actions ranked) fits one page. scoring/word.py sizes the tables' columns to the section
they are in. The {{ ... }} and {%p ... %} tags are docxtpl's (Jinja2): keep them when
restyling.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parents[1] / "scoring" / "templates"
FONT = "Times New Roman"
SMALLEST = 12  # pt: ГОСТ Р 7.0.97-2025 asks for 12-14 pt


def _font(style, size: float, bold: bool = False) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font would win
        fonts.attrib.pop(qn(attr), None)
    p_pr = style.element.pPr
    if p_pr is not None:
        for border in p_pr.findall(qn("w:pBdr")):  # the default Title's rule under it
            p_pr.remove(border)


def _page_number(paragraph) -> None:
    """A PAGE field."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _table_style(document, name: str, size: float) -> None:
    style = document.styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.base_style = document.styles["Table Grid"]
    _font(style, size)
    tbl_pr = style.element.find(qn("w:tblPr"))
    if tbl_pr is None:
        tbl_pr = OxmlElement("w:tblPr")
        style.element.append(tbl_pr)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{side}")
        for key, value in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "000000")):
            border.set(qn(f"w:{key}"), value)
        borders.append(border)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, width in (("left", "57"), ("right", "57")):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), width)
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tbl_pr.append(margins)


def _styles(document, body: float, table: float) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, body)
    normal.paragraph_format.first_line_indent = Cm(1.25)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name, size, space in (("Title", body, 0), ("Heading 1", body, 12), ("Heading 2", body, 10)):
        style = styles[name]
        _font(style, size, bold=True)
        style.paragraph_format.first_line_indent = Cm(0) if name == "Title" else Cm(1.25)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if name == "Title" else WD_ALIGN_PARAGRAPH.LEFT
        style.paragraph_format.space_before = Pt(space)
        style.paragraph_format.space_after = Pt(6 if space else 0)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.line_spacing = 1.0
    for name, bold, align in (("Текст таблицы", False, WD_ALIGN_PARAGRAPH.LEFT), ("Шапка таблицы", True, WD_ALIGN_PARAGRAPH.CENTER)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _font(style, table, bold=bold)
        style.paragraph_format.first_line_indent = Cm(0)
        style.paragraph_format.alignment = align
        style.paragraph_format.line_spacing = 1.0
    item = styles.add_style("Пункт", WD_STYLE_TYPE.PARAGRAPH)  # a numbered decision, a list item
    item.base_style = normal
    item.paragraph_format.space_after = Pt(3)
    note = styles.add_style("Примечание", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    _font(note, table)
    note.paragraph_format.first_line_indent = Cm(0)
    note.paragraph_format.space_before = Pt(3)
    note.paragraph_format.space_after = Pt(6)
    _table_style(document, "Таблица ШНОР", table)


def _smallest(document, body: float) -> None:
    """No text smaller than 12 pt, whatever style a municipality picks in Word: the document defaults
    are the body size, and the built-in styles python-docx's blank document brings along (Caption 9 pt,
    Heading 8 and 9, Macro Text 10 pt, Body Text 3 8 pt) are raised to 12 pt."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag in ("w:sz", "w:szCs"):
        size = r_pr.find(qn(tag))
        if size is None:
            size = OxmlElement(tag)
            r_pr.append(size)
        size.set(qn("w:val"), str(int(body * 2)))
    for size in styles.iter(qn("w:sz"), qn("w:szCs")):
        if int(size.get(qn("w:val"))) < SMALLEST * 2:
            size.set(qn("w:val"), str(SMALLEST * 2))
    for rel_id, rel in list(document.part.rels.items()):  # Word 2010's stale copy of the styles (11 pt, Calibri)
        if rel.reltype.endswith("/stylesWithEffects"):
            document.part.drop_rel(rel_id)


def _page(document, *, numbered: bool) -> None:
    section = document.sections[0]
    _portrait(section)
    section.left_margin, section.right_margin = Mm(30), Mm(10)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.header_distance = section.footer_distance = Mm(10)
    if numbered:
        section.different_first_page_header_footer = True  # ГОСТ: no number on the first page
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Cm(0)
        _page_number(paragraph)


def _portrait(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)


def _section(document, *, landscape: bool) -> None:
    """A new section from a new page: landscape for the wide tables, portrait after them. The margins
    stay as they are (30 mm on the left), the page number goes on (the header is the first section's)
    and is shown on the section's first page too."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        _portrait(section)
    section.different_first_page_header_footer = False
    for numbering in section._sectPr.findall(qn("w:pgNumType")):  # copied from the section before: numbering goes on
        section._sectPr.remove(numbering)


def _p(document, text: str, style: str | None = None, *, center: bool = False, right: bool = False):
    paragraph = document.add_paragraph(text, style=style)
    if center or right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.first_line_indent = Cm(0)
    return paragraph


def _extra_styles(document, body: float) -> None:
    """The protocol's own paragraph styles: the approval block and the appendix's label at the right
    («Гриф»), the date and number on one line («Дата и номер»), a line to write on («Строка»), a signature
    («Подпись»), a paragraph kept with the table after it («Перед таблицей»), a warning in bold («Важное»), the
    protocol's parts («Присутствовали:», «Повестка.», «Выступили:», «Решили:» — «Часть протокола»)."""
    styles = document.styles
    normal = styles["Normal"]

    def add(name: str, *, indent: float | None = None, left: float = 0, align=WD_ALIGN_PARAGRAPH.LEFT, keep: bool = False,
            bold: bool = False, before: float = 0):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _font(style, body, bold=bold)
        style.paragraph_format.first_line_indent = Cm(indent) if indent is not None else Cm(0)
        style.paragraph_format.left_indent = Mm(left)
        style.paragraph_format.alignment = align
        style.paragraph_format.keep_with_next = keep
        style.paragraph_format.space_before = Pt(before)
        return style

    add("Гриф", left=85)
    add("Реквизит")
    add("Список", indent=1.25)
    dated = add("Дата и номер", before=12)
    dated.paragraph_format.tab_stops.add_tab_stop(Mm(170), WD_TAB_ALIGNMENT.RIGHT)
    add("Строка", before=4)
    signature = add("Подпись", before=24, keep=True)
    signature.paragraph_format.tab_stops.add_tab_stop(Mm(106), WD_TAB_ALIGNMENT.LEFT)
    signature.paragraph_format.tab_stops.add_tab_stop(Mm(170), WD_TAB_ALIGNMENT.RIGHT)
    add("Перед таблицей", indent=1.25, align=WD_ALIGN_PARAGRAPH.JUSTIFY, keep=True)
    add("Важное", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, before=6)
    add("Часть протокола", indent=1.25, keep=True, bold=True, before=6)


LINE = "_" * 66  # a line to write on, the text's width at 14 pt


def _appendix_section(document) -> None:
    """The appendix from a new page, numbered from 1 again, with no number on its first page."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _portrait(section)
    section.different_first_page_header_footer = True
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    section._sectPr.append(numbering)


def protocol_template() -> Document:
    document = Document()
    _styles(document, body=14, table=12)
    _extra_styles(document, body=14)
    _smallest(document, body=14)
    _page(document, numbered=True)
    document.core_properties.title = "Протокол заседания муниципальной рабочей группы ШНОР"
    # the protocol
    _p(document, "{{ approve }}", "Гриф")
    _p(document, "{{ head_title }}", "Гриф")
    _p(document, "")
    _p(document, "____________ {{ head_name }}", "Гриф")
    _p(document, "{{ approve_date }}", "Гриф")
    _p(document, "{%p if no_requisites %}")
    _p(document, "{{ no_requisites }}", "Важное")
    _p(document, "{%p endif %}")
    _p(document, "")
    _p(document, "{{ protocol_title }}", "Title")
    _p(document, "{{ protocol_subtitle }}", center=True)
    _p(document, "{{ meeting_date }}\t{{ meeting_number }}", "Дата и номер")
    _p(document, "{{ meeting_place }}", "Реквизит")
    _p(document, "{%p if place_blank %}")
    _p(document, LINE, "Строка")
    _p(document, "{%p endif %}")
    _p(document, "{%p if incomplete %}")
    _p(document, "{{ protocol_state }}", "Важное")
    _p(document, "{%p endif %}")
    _p(document, "{%p if chair_line %}")
    _p(document, "{{ chair_line }}", "Реквизит")
    _p(document, "{%p endif %}")
    _p(document, "{%p if secretary_line %}")
    _p(document, "{{ secretary_line }}", "Реквизит")
    _p(document, "{%p endif %}")
    _p(document, "{{ present }}", "Часть протокола")
    _p(document, "{%p for line in attendees %}")
    _p(document, "{{ line }}", "Список")
    _p(document, "{%p endfor %}")
    _p(document, "{%p if not attendees %}")
    for _ in range(4):
        _p(document, LINE, "Строка")
    _p(document, "{%p endif %}")
    _p(document, "{{ agenda_title }}", "Часть протокола")
    _p(document, "{%p for item in agenda %}")
    _p(document, "{{ loop.index }}. {{ item }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p for item in heard %}")
    _p(document, "{{ item.line }}", "Перед таблицей")
    _p(document, "{%p if item.blank %}")
    _p(document, LINE, "Строка")
    _p(document, "{%p endif %}")
    _p(document, "{%p if not item.findings %}")
    _p(document, LINE, "Строка")
    _p(document, LINE, "Строка")
    _p(document, "{%p endif %}")
    _p(document, "{%p for line in item.findings %}")
    _p(document, "{{ line }}")
    _p(document, "{%p endfor %}")
    _p(document, "{%p if item.findings %}")
    _p(document, "{{ dynamics_intro }}", "Перед таблицей")
    _p(document, "{{p protocol_dynamics }}")
    _p(document, "{{ details }}")
    _p(document, "{%p endif %}")
    _p(document, "{%p if item.note %}")
    _p(document, "{{ item.note }}")
    _p(document, "{%p endif %}")
    _p(document, "{%p endfor %}")
    _p(document, "{{ spoke }}", "Часть протокола")
    for _ in range(3):
        _p(document, LINE, "Строка")
    _p(document, "{{ decided }}", "Часть протокола")
    _p(document, "{%p for decision in decisions %}")
    _p(document, "{{ loop.index }}. {{ decision }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p if not decisions %}")
    for _ in range(3):
        _p(document, LINE, "Строка")
    _p(document, "{%p endif %}")
    _p(document, "{%p if chair_sign %}")
    _p(document, "{{ chair_sign }}\t________\t{{ chair_name }}", "Подпись")
    _p(document, "{%p endif %}")
    _p(document, "{{ secretary_sign }}\t________\t{% if secretary_name %}{{ secretary_name }}{% else %}______________{% endif %}",
       "Подпись")
    # the appendix: the title page, where to find each school, section 1
    _appendix_section(document)
    _p(document, "{{ appendix_label }}", "Гриф")
    _p(document, "{{ appendix_of }}", "Гриф")
    _p(document, "")
    _p(document, "{%p if body_name %}")
    _p(document, "{{ body_name }}", center=True)
    _p(document, "{%p endif %}")
    _p(document, "{{ municipality }}", center=True)
    _p(document, "")
    _p(document, "{{ title }}", "Title")
    _p(document, "{{ subtitle }}", center=True)
    _p(document, "{{ period_line }}", center=True)
    _p(document, "{%p if incomplete %}")
    _p(document, "{{ state_line }}", "Важное")
    _p(document, "{%p else %}")
    _p(document, "{{ state_line }}", center=True)
    _p(document, "{%p endif %}")
    _p(document, "{{ contents_title }}", "Heading 1")
    _p(document, "{{ contents_intro }}", "Перед таблицей")
    _p(document, "{{p contents_table }}")
    _p(document, "{{ legend_title }}", "Heading 2")
    _p(document, "{{ legend }}")
    _p(document, "{{ sections.overview }}", "Heading 1")
    _p(document, "{%p for paragraph in overview %}")
    _p(document, "{{ paragraph }}")
    _p(document, "{%p endfor %}")
    _section(document, landscape=True)  # sections 2 and 3: the tables with a column per period
    _p(document, "{{ sections.municipal }}", "Heading 1")
    _p(document, "{{ municipal_intro }}", "Перед таблицей")
    _p(document, "{{p municipal_table }}")
    _p(document, "{{ sections.dynamics }}", "Heading 2")
    _p(document, "{{ dynamics_appendix_intro }}", "Перед таблицей")
    _p(document, "{{p dynamics_table }}")
    _p(document, "{{ sections.schools }}", "Heading 1")
    _p(document, "{{ schools_intro }}")
    _p(document, "{%p for school in schools %}")
    _p(document, "{{ school.number }}. {{ school.name }}", "Heading 2")
    _p(document, "{{ school.line }}", "Перед таблицей")
    _p(document, "{{p school.table }}")
    _p(document, "{%p for line in school.notes %}")
    _p(document, "{{ line }}")
    _p(document, "{%p endfor %}")
    _p(document, "{%p for line in school.zeros %}")
    _p(document, "{{ line }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p endfor %}")
    _section(document, landscape=False)
    _p(document, "{{ sections.identification }}", "Heading 1")
    _p(document, "{%p for line in identification %}")
    _p(document, "{{ line }}")
    _p(document, "{%p endfor %}")
    _p(document, "{{p identification_table }}")
    _p(document, "{%p for line in identification_notes %}")
    _p(document, "{{ line }}", "Примечание")
    _p(document, "{%p endfor %}")
    _p(document, "{{ sections.development }}", "Heading 1")
    _p(document, "{{ development_intro }}", "Перед таблицей")
    _p(document, "{{p development_table }}")
    _p(document, "{%p if decision_lists %}")
    _p(document, "{{ sections.decisions }}", "Heading 1")
    _p(document, "{{ decisions_intro }}", "Перед таблицей")
    _p(document, "{{p decisions_table }}")
    _p(document, "{%p endif %}")
    return document


def card_template() -> Document:
    """The school card: one page at 12 pt up to four periods (scoring/card.py fills it). The actions come first
    in full width paragraphs, the periods table after them; headings and items keep little space around."""
    document = Document()
    _styles(document, body=12, table=12)
    _smallest(document, body=12)
    _page(document, numbered=False)
    # a card is handed on, not filed: one page at 12 pt, so 10 mm at the top and the bottom
    document.sections[0].top_margin = document.sections[0].bottom_margin = Mm(10)
    document.sections[0].left_margin = Mm(20)
    styles = document.styles
    heading = styles["Heading 2"]
    heading.paragraph_format.first_line_indent = Cm(0)
    heading.paragraph_format.space_before = Pt(4)
    heading.paragraph_format.space_after = Pt(0)
    item = styles["Пункт"]
    item.paragraph_format.first_line_indent = Cm(0)
    item.paragraph_format.space_after = Pt(0)
    item.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT  # short items: no stretched spaces
    note = styles["Примечание"]
    note.paragraph_format.space_before = Pt(2)
    note.paragraph_format.space_after = Pt(0)
    note.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    document.core_properties.title = "Карточка школы ШНОР"
    _p(document, "{{ title }}", "Title")
    _p(document, "{{ subtitle }}", center=True)
    _p(document, "{{ state }}", "Примечание")
    _p(document, "{{ total }}", "Примечание")
    _p(document, "{%p if main %}")
    _p(document, "{{ main_heading }}", "Heading 2")
    _p(document, "{%p for line in main %}")
    _p(document, "{{ line }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p endif %}")
    _p(document, "{%p if rest or named %}")
    _p(document, "{{ rest_heading }}", "Heading 2")
    _p(document, "{%p for line in rest %}")
    _p(document, "{{ line }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p if named %}")
    _p(document, "{{ named }}", "Пункт")
    _p(document, "{%p endif %}")
    _p(document, "{%p endif %}")
    _p(document, "{%p if municipality %}")
    _p(document, "{{ municipality_heading }}", "Heading 2")
    _p(document, "{%p for line in municipality %}")
    _p(document, "{{ line }}", "Пункт")
    _p(document, "{%p endfor %}")
    _p(document, "{%p endif %}")
    _p(document, "{%p for line in notes %}")
    _p(document, "{{ line }}", "Примечание")
    _p(document, "{%p endfor %}")
    _p(document, "{{p table }}")
    _p(document, "{{ legend }}", "Примечание")
    return document


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    protocol_template().save(OUT / "protocol.docx")
    card_template().save(OUT / "card.docx")
    print(f"Шаблоны записаны: {OUT / 'protocol.docx'}, {OUT / 'card.docx'}")


if __name__ == "__main__":
    main()
