"""Text helpers shared by the dialogs.

Many citizens type Vietnamese without diacritics (a phone keyboard without Telex, or haste),
so matching what they type against procedure names and options must ignore accents, case and
stray spaces; storing what they typed is left to the validators, which keep the diacritics.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Reduce text to a key that "dang ky khai sinh" and "Đăng ký  khai sinh" share.

    `đ` is a letter of its own, not `d` with a combining mark, so NFD leaves it intact and it
    is mapped by hand; NFD also splits letters with two marks (ễ) so both marks are dropped.
    """
    lowered = text.lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())
