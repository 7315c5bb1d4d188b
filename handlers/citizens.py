"""Entry points of a citizen's dialog: what they type, send or tap while applying, the home
screen, and the language. Nothing here decides anything about a dialog."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.conversation.dialogs import Handled
from bot.conversation.language import ChooseLanguage
from dialogs.output import Outcome
from handlers.desk import Desk, Request
from handlers.files import fetch_all


def _outcome(handled: Handled | None) -> Outcome | None:
    return Outcome(handled.replies) if handled is not None else None


async def on_dialog(desk: Desk, request: Request) -> Outcome | None:
    """A message, command or button of the dialog; files are downloaded first, and only when
    the current question asks for a document that has room for them."""
    inp = request.input
    if inp.files:
        expected = await asyncio.to_thread(desk.dialogs.peek, request.chat_id)
        if expected.document is not None:
            files = await fetch_all(request.channel, inp.files, expected.document, desk.files,
                                    desk.dialogs.context(expected.language), pages_left=expected.pages_left,
                                    bytes_left=expected.bytes_left)
            inp = replace(inp, files=files)
    return _outcome(await asyncio.to_thread(desk.dialogs.handle, request.update_id, request.chat_id, inp))


async def on_unknown_button(desk: Desk, request: Request) -> Outcome | None:
    """A payload this bot did not make: the dialog says so and asks its question again."""
    return await on_dialog(desk, replace(request, input=replace(request.input, press=None, unknown_button=True)))


async def on_language_menu(desk: Desk, request: Request) -> Outcome | None:
    return _outcome(await asyncio.to_thread(desk.dialogs.language_menu, request.update_id, request.chat_id))


async def on_language_choice(desk: Desk, request: Request) -> Outcome | None:
    assert isinstance(request.input.press, ChooseLanguage)
    code = request.input.press.code
    return _outcome(await asyncio.to_thread(desk.dialogs.set_language, request.update_id, request.chat_id, code))
