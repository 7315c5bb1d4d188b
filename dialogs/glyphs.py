"""What the forms' font can draw.

A filled form is printed and signed, so a character the font lacks would come out as an empty
box on a legal paper. Form files are checked against the font when they are loaded (a mistake
stops start-up), and a citizen's answer that goes on a form is checked when it is typed, so no
citizen ever meets the problem at the end of an application.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONTS_DIR = Path(__file__).parent / "forms" / "fonts"
FONT_FILES = {
    "": FONTS_DIR / "LiberationSerif-Regular.ttf",
    "B": FONTS_DIR / "LiberationSerif-Bold.ttf",
    "I": FONTS_DIR / "LiberationSerif-Italic.ttf",
}
"""The faces of the form font by style ('' regular, 'B' bold, 'I' italic), as fpdf2 names them."""
WORD_FONT_NAME = "Times New Roman"
"""The name a DOCX asks for: Word has it, and LibreOffice substitutes Liberation Serif for it."""


@cache
def drawable() -> frozenset[int]:
    """Code points every face of the form font has a glyph for (read once per process)."""
    faces = []
    for path in FONT_FILES.values():
        font = TTFont(path, lazy=True)
        try:
            faces.append(frozenset(font.getBestCmap()))
        finally:
            font.close()
    return frozenset.intersection(*faces) | frozenset({ord("\n")})


def missing(text: str) -> list[str]:
    """The characters of `text` the font cannot draw, each once, in the order they appear."""
    covered = drawable()
    return list(dict.fromkeys(char for char in text if ord(char) not in covered))
