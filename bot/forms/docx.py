"""A filled form as an A4 Word document the desk can open, correct and print in Word or
LibreOffice, made with python-docx.

The text asks for Times New Roman (LibreOffice draws it with the metric-compatible Liberation
Serif); a blank value is a tab with a dotted leader to the right margin, so the line stays a
line to write on however the desk edits the text before it.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from dialogs.formfill import (
    MOTTO,
    MOTTO_LINE,
    Boxes,
    FilledForm,
    Grid,
    Line,
    Signer,
    Text,
    Title,
)
from dialogs.glyphs import WORD_FONT_NAME

SIZE = Pt(13)
SMALL = Pt(11)
PAGE = (Mm(210), Mm(297))
MARGINS = (Mm(25), Mm(15), Mm(18), Mm(15))  # left, top, right, bottom
TICKED, EMPTY = "☒", "☐"


def _base(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = PAGE
    section.left_margin, section.top_margin, section.right_margin, section.bottom_margin = MARGINS
    normal = document.styles["Normal"]
    normal.font.name = WORD_FONT_NAME
    normal.font.size = SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), WORD_FONT_NAME)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.space_before = Pt(0)


def _text_width(document: DocxDocument) -> int:
    section = document.sections[0]
    return int(section.page_width - section.left_margin - section.right_margin)


def _paragraph(document: DocxDocument, text: str = "", *, bold: bool = False, italic: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None, size: Pt | None = None) -> Paragraph:
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size is not None:
            run.font.size = size
    return paragraph


def _underline_paragraph(paragraph: Paragraph) -> None:
    """The short rule under "Độc lập - Tự do - Hạnh phúc", as a bottom border of its paragraph."""
    properties = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    border.append(bottom)
    properties.append(border)


def _header(document: DocxDocument, form: FilledForm) -> None:
    if form.reference:
        _paragraph(document, form.reference, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, size=SMALL)
    _paragraph(document, MOTTO, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    motto = _paragraph(document, MOTTO_LINE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    width = Mm(62)
    motto.paragraph_format.left_indent = motto.paragraph_format.right_indent = (_text_width(document) - width) // 2
    _underline_paragraph(motto)
    _paragraph(document)
    _paragraph(document, form.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(14))
    if form.addressee:
        _paragraph(document, form.addressee, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document)


def _line(document: DocxDocument, line: Line) -> None:
    paragraph = _paragraph(document, f"{line.label}: " if line.label else "")
    if line.value:
        paragraph.add_run(line.value).bold = True
        return
    paragraph.paragraph_format.tab_stops.add_tab_stop(_text_width(document), WD_TAB_ALIGNMENT.RIGHT,
                                                      WD_TAB_LEADER.DOTS)
    paragraph.add_run("\t")


def _boxes(document: DocxDocument, boxes: Boxes) -> None:
    text = "     ".join(f"{TICKED if ticked else EMPTY} {label}" for label, ticked in boxes.boxes)
    _paragraph(document, f"{boxes.label}  {text}" if boxes.label else text)


def _grid(document: DocxDocument, grid: Grid) -> None:
    table = document.add_table(rows=1 + len(grid.rows), cols=1 + len(grid.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, column in enumerate(grid.columns, start=1):
        cell = table.cell(0, index)
        cell.text = column
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.paragraphs[0].runs[0].bold = True
    for row_index, (label, cells) in enumerate(grid.rows, start=1):
        table.cell(row_index, 0).text = label
        for column_index, value in enumerate(cells, start=1):
            table.cell(row_index, column_index).text = value
    _paragraph(document)


def _signers(document: DocxDocument, place_date: str, signers: tuple[Signer, ...]) -> None:
    if place_date:
        _paragraph(document, place_date, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    columns = max(len(signers), 2)
    table: Table = document.add_table(rows=1, cols=columns)
    first = 0 if len(signers) > 1 else columns - 1
    for index, signer in enumerate(signers):
        cell = table.cell(0, first + index)
        caption = cell.paragraphs[0]
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption.add_run(signer.caption).bold = True
        note = cell.add_paragraph()
        note.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = note.add_run(signer.note)
        run.italic, run.font.size = True, SMALL
        for _ in range(4):
            cell.add_paragraph()
        name = cell.add_paragraph()
        name.alignment = WD_ALIGN_PARAGRAPH.CENTER
        name.add_run(signer.name).bold = True


def render_docx(form: FilledForm) -> bytes:
    document = Document()
    _base(document)
    document.core_properties.title = form.title
    _header(document, form)
    for block in form.blocks:
        match block:
            case Line():
                _line(document, block)
            case Title():
                _paragraph(document, block.text, bold=True)
            case Boxes():
                _boxes(document, block)
            case Text() if block.text:
                _paragraph(document, block.text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            case Text():
                _line(document, Line("", ""))
            case Grid():
                _grid(document, block)
    if form.closing:
        _paragraph(document, form.closing, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _signers(document, form.place_date, form.signers)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
