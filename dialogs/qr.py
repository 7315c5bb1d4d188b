"""QR codes for printed receipts: scanning one opens the bot on the case it was printed for."""

from __future__ import annotations

from io import BytesIO

import segno

# 8 pixels a module and a 2-module quiet zone stay readable by a phone camera after printing
# on a receipt printer and a photocopy or two.
SCALE = 8
BORDER = 2


def qr_png(data: str) -> bytes:
    buffer = BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=SCALE, border=BORDER)
    return buffer.getvalue()


def case_link(bot_username: str, code: str) -> str:
    """A t.me deep link whose /start payload is 'c_<code>'. Telegram allows only A-Z a-z 0-9 _ -
    (at most 64 characters) there, which case codes like 'HS-261127-0001' satisfy."""
    return f"https://t.me/{bot_username.lstrip('@')}?start=c_{code}"
