"""Neutral replies as Telegram sees them: HTML text and inline keyboards."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.output import Emphasis, Rich, Rows, Segment

TAGS = {Emphasis.BOLD: "b", Emphasis.ITALIC: "i"}


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
