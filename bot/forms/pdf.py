"""A filled form as an A4 PDF, with the form font embedded so that every Vietnamese letter shows
on any phone, made on the server with fpdf2 (pure Python, no office suite, no network).

Long values wrap at word boundaries onto the next lines; nothing is cut. A value left blank
prints as a dotted line to the right margin, for the desk to write by hand.
"""

from __future__ import annotations

import sys
from datetime import datetime

from bot.lazy_imports import LAZY_IMPORTS

# fpdf2 imports numpy whenever it can, only to speed up images, of which the forms have none;
# numpy (installed for the /thongke chart) would otherwise add 11 MB to the resident memory of
# every bot process, most of which never draws a chart (bench/RESULTS.md, memory).
# This module is imported on first use, from a worker thread: `LAZY_IMPORTS` keeps a chart's
# import of numpy out of the moment it is hidden.
with LAZY_IMPORTS:
    _NUMPY_ALREADY_LOADED = "numpy" in sys.modules
    if not _NUMPY_ALREADY_LOADED:
        sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` fail, for fpdf
    try:
        from fpdf import FPDF
        from fpdf.enums import Align, XPos, YPos
    finally:
        if not _NUMPY_ALREADY_LOADED:
            del sys.modules["numpy"]

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
from dialogs.glyphs import FONT_FILES

FAMILY = "form"
SIZE = 12.5
SMALL = 10
LEADING = 6.0  # mm between lines at 12.5 pt
MARGINS = (25.0, 15.0, 18.0)  # left, top, right in mm: a Vietnamese administrative page
BOX = 3.4  # mm
SIGNING_SPACE = 20.0  # mm left empty above a signer's printed name
NOTE_LEADING = 5.0
CREATED = datetime(2026, 1, 1)
"""A fixed creation date, so that the same answers always give the same bytes (and one stored file)."""


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in FONT_FILES.items():
            self.add_font(FAMILY, style, str(path))
        self.set_margins(*MARGINS)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_creation_date(CREATED)
        self.c_margin = 0
        self.add_page()

    def use(self, style: str = "", size: float = SIZE) -> None:
        self.set_font(FAMILY, style, size)

    def centred(self, text: str, style: str = "", size: float = SIZE) -> None:
        self.use(style, size)
        self.multi_cell(0, LEADING, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def dots(self) -> None:
        """Dots from here to the right margin (or a whole line when little room is left)."""
        self.use()
        room = self.w - self.r_margin - self.get_x()
        if room < 20:
            self.ln(LEADING)
            room = self.w - self.r_margin - self.l_margin
        self.write(LEADING, "." * int(room / self.get_string_width(".")))


def _header(pdf: _Page, form: FilledForm) -> None:
    if form.reference:
        pdf.use("I", SMALL)
        pdf.multi_cell(0, 5, form.reference, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    pdf.centred(MOTTO, "B")
    pdf.centred(MOTTO_LINE, "B")
    width = pdf.get_string_width(MOTTO_LINE)
    pdf.line((pdf.w - width) / 2, pdf.get_y() + 0.5, (pdf.w + width) / 2, pdf.get_y() + 0.5)
    pdf.ln(8)
    pdf.centred(form.title, "B", 14)
    pdf.ln(2)
    if form.addressee:
        pdf.centred(form.addressee)
    pdf.ln(3)


def _line(pdf: _Page, line: Line) -> None:
    pdf.use()
    pdf.write(LEADING, f"{line.label}: ")
    if line.value:
        pdf.use("B")
        pdf.write(LEADING, line.value)
    else:
        pdf.dots()
    pdf.ln(LEADING)


def _boxes(pdf: _Page, boxes: Boxes) -> None:
    pdf.use()
    if boxes.label:
        pdf.write(LEADING, boxes.label + "  ")
    for label, ticked in boxes.boxes:
        if pdf.get_x() + BOX + pdf.get_string_width(label) + 8 > pdf.w - pdf.r_margin:
            pdf.ln(LEADING)
        x, y = pdf.get_x(), pdf.get_y() + (LEADING - BOX) / 2
        pdf.rect(x, y, BOX, BOX)
        if ticked:
            pdf.use("B", SMALL)
            pdf.set_xy(x, y - 0.3)
            pdf.cell(BOX, BOX + 0.6, "X", align=Align.C)
            pdf.use()
        pdf.set_xy(x + BOX + 1.5, y - (LEADING - BOX) / 2)
        pdf.write(LEADING, label + "     ")
    pdf.ln(LEADING)


def _grid(pdf: _Page, grid: Grid) -> None:
    pdf.use()
    label_width = 0.34
    rest = (1 - label_width) / len(grid.columns)
    widths = (label_width, *(rest,) * len(grid.columns))
    with pdf.table(col_widths=widths, line_height=LEADING, padding=1.2, first_row_as_headings=True,
                   text_align=(Align.L, *(Align.L,) * len(grid.columns))) as table:
        heading = table.row()
        heading.cell("")
        for column in grid.columns:
            heading.cell(column, align=Align.C)
        for label, cells in grid.rows:
            row = table.row()
            row.cell(label)
            for cell in cells:
                row.cell(cell or "")
    pdf.ln(2)


def _signers(pdf: _Page, place_date: str, signers: tuple[Signer, ...]) -> None:
    """The place and date line and the signers, kept together on one page."""
    pdf.ln(3)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(len(signers), 2)
    if pdf.will_page_break(3 * LEADING + 2 * NOTE_LEADING + SIGNING_SPACE):
        pdf.add_page()
    if place_date:
        pdf.use("I")
        room = max(width, pdf.get_string_width(place_date) + 2)
        pdf.set_x(pdf.w - pdf.r_margin - room)
        pdf.multi_cell(room, LEADING, place_date, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y()
    first = pdf.l_margin if len(signers) > 1 else pdf.w - pdf.r_margin - width
    for index, signer in enumerate(signers):
        x = first + index * width
        pdf.set_xy(x, top)
        pdf.use("B")
        pdf.multi_cell(width, LEADING, signer.caption, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.use("I", SMALL)
        pdf.multi_cell(width, NOTE_LEADING, signer.note, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(pdf.get_y() + SIGNING_SPACE)
        pdf.set_x(x)
        pdf.use("B")
        pdf.multi_cell(width, LEADING, signer.name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)


def render_pdf(form: FilledForm) -> bytes:
    pdf = _Page()
    pdf.set_title(form.title)
    _header(pdf, form)
    for block in form.blocks:
        match block:
            case Line():
                _line(pdf, block)
            case Title():
                pdf.ln(1)
                pdf.use("B")
                pdf.multi_cell(0, LEADING, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            case Boxes():
                _boxes(pdf, block)
            case Text() if block.text:
                pdf.use()
                pdf.multi_cell(0, LEADING, block.text, align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            case Text():
                pdf.dots()
                pdf.ln(LEADING)
            case Grid():
                _grid(pdf, block)
    if form.closing:
        pdf.ln(2)
        pdf.use("I")
        pdf.multi_cell(0, LEADING, form.closing, align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _signers(pdf, form.place_date, form.signers)
    return bytes(pdf.output())
