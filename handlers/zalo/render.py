"""Neutral replies as Zalo messages: plain text of at most 2,000 characters, at most five buttons
(a buttons template whose taps come back as text), more choices as a numbered list.

The v3 shape of buttons in a consultation message is not confirmed by an official page (see
README, "Kênh Zalo"): it is sent as one attachment of type `template` whose payload holds only
`buttons`, as production integrations do, with `oa.query.hide` so a tap posts its payload
without showing it. A button's payload starts with `#`, which people do not type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.announcements.presses import Subscribe, Unsubscribe
from bot.feedback.presses import FeedbackMenu
from dialogs.output import Button, Reply, Rich
from handlers.pieces import pieces
from locales import Translator

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_TITLE = 100
BUTTON_MARK = "#"
NOT_ON_ZALO = frozenset({FeedbackMenu.ROUTE, Unsubscribe.ROUTE, Subscribe.ROUTE})
"""Feedback is answered by replying to the prompt, which the OA API cannot receive; announcements
go to Telegram subscribers only (Zalo allows no free broadcast to a commune's followers)."""


@dataclass(frozen=True)
class TextMessages:
    messages: list[dict[str, Any]]
    choices: list[str]
    """The payloads of a numbered list, in order: typing "2" means the second."""


def button_text(payload: str) -> str:
    return BUTTON_MARK + payload


def tapped_payload(text: str) -> str | None:
    """The button payload a tap posted, or None for text the person typed."""
    return text[len(BUTTON_MARK):] if text.startswith(BUTTON_MARK) and len(text) > 1 else None


def text_messages(reply: Reply, tr: Translator) -> TextMessages:
    """The text of `reply` cut to Zalo's length, its buttons under the last piece; buttons of what
    needs a reply to a message (feedback) or a subscription (announcements) are left out."""
    text: Rich = reply.text if reply.authored_html is not None else reply.full_text
    buttons = [button for row in reply.buttons for button in row
               if button.payload.partition(":")[0] not in NOT_ON_ZALO]
    choices: list[str] = []
    if len(buttons) > MAX_BUTTONS:
        # Buttons whose label carries their number ("3. Kết hôn") repeat a list the text already shows.
        listing = "\n".join(f"{number}. {button.label}" for number, button in enumerate(buttons, start=1)
                            if not button.label.startswith(f"{number}. "))
        hint = tr.gettext("Reply with the number of your choice, for example 1.")
        listed = listing + "\n" + hint if listing else hint
        text = text + "\n\n" + listed if text else Rich.plain(listed)
        choices = [button.payload for button in buttons]
        buttons = []
    if buttons and not text:
        text = Rich.plain("👇")  # a buttons message needs text
    messages: list[dict[str, Any]] = [{"text": part} for part in text_pieces(text)]
    if buttons:
        messages[-1]["attachment"] = {"type": "template",
                                      "payload": {"buttons": [_button(button) for button in buttons]}}
    return TextMessages(messages, choices)


def text_pieces(text: Rich) -> list[str]:
    """`text` as texts of at most Zalo's 2,000 characters; nothing is cut off."""
    return [str(part) for part in pieces(text, MAX_TEXT)]


def _button(button: Button) -> dict[str, str]:
    return {"title": button.label[:MAX_TITLE], "type": "oa.query.hide", "payload": button_text(button.payload)}


def image_message(attachment_id: str, caption: str) -> dict[str, Any]:
    """An uploaded image with a caption of at most MAX_TEXT (`text_pieces`)."""
    message: dict[str, Any] = {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}}
    if caption:
        message["text"] = caption
    return message


def file_message(token: str) -> dict[str, Any]:
    return {"attachment": {"type": "file", "payload": {"token": token}}}
