"""QR codes for printed receipts: scanning one opens the bot on the case it was printed for."""

from __future__ import annotations

from io import BytesIO

import segno

from bot.cases.presses import CaseLink

# 8 pixels a module and a 2-module quiet zone stay readable by a phone camera after printing
# on a receipt printer and a photocopy or two.
SCALE = 8
BORDER = 2


def qr_png(data: str) -> bytes:
    buffer = BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=SCALE, border=BORDER)
    return buffer.getvalue()


def case_link(bot_username: str, code: str) -> str:
    """A t.me deep link that opens the bot on the case (see `CaseLink`)."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={CaseLink(code).encode()}"
