"""The citizen's copy of their data, as a PDF: readable on any phone (Zalo takes PDF files, not
text files), with the form font so every Vietnamese letter shows."""

from __future__ import annotations

from bot.forms.pdf import FPDF, XPos, YPos  # fpdf2 as the forms load it: without numpy
from bot.privacy.statement import Section
from dialogs.glyphs import FONT_FILES, missing

FAMILY = "statement"
LEADING = 5.5


def _drawable(text: str) -> str:
    """Characters the font lacks (an emoji in a feedback) become '?' rather than empty boxes."""
    for char in missing(text):
        text = text.replace(char, "?")
    return text


def render(title: str, intro: list[str], sections: list[Section]) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    for style, path in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(path))
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, 7, _drawable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    for line in intro:
        pdf.multi_cell(0, LEADING, _drawable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in sections:
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(0, LEADING + 0.5, _drawable(section.heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 10)
        for line in section.lines:
            pdf.multi_cell(0, LEADING, _drawable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
