"""Neutral replies as Telegram sees them: HTML text within Telegram's lengths, and inline keyboards."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from dialogs.output import Emphasis, Reply, Rich, Rows, Segment
from handlers.pieces import length, pieces

TAGS = {Emphasis.BOLD: "b", Emphasis.ITALIC: "i"}
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
"""Telegram's limits, in characters after the HTML is read (UTF-16 code units, `length`)."""


def message_texts(reply: Reply, limit: int) -> list[str]:
    """The text of `reply` as HTML messages of at most `limit` characters: a staff member's own
    formatting (an announcement) when it fits in one, else the text in pieces, never cut short
    (an announcement too long for one message loses its formatting, not its words)."""
    if reply.authored_html is not None and length(reply.text) <= limit:
        return [reply.authored_html] if reply.authored_html.strip() else []
    text = reply.text if reply.authored_html is not None else reply.full_text
    return [html(part) for part in pieces(text, limit)]


def caption_text(caption: Rich) -> str | None:
    """A caption as HTML, or None when it is longer than Telegram allows with a photo or file."""
    return html(caption) if length(caption) <= CAPTION_LIMIT else None


def html(text: Rich) -> str:
    """Telegram HTML: every segment escaped, emphasis as <b> and <i>, runs of one style merged."""
    parts: list[str] = []
    runs: list[Segment] = []
    for segment in text.segments:
        if runs and runs[-1].emphasis is segment.emphasis:
            runs[-1] = Segment(runs[-1].text + segment.text, segment.emphasis)
        else:
            runs.append(segment)
    for run in runs:
        tag = TAGS.get(run.emphasis)
        parts.append(f"<{tag}>{escape(run.text)}</{tag}>" if tag else escape(run.text))
    return "".join(parts)


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in rows])
