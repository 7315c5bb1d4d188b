"""Entry points of case lookup: /tracuu CODE, a code typed on its own, the home screen's lookup
and "my cases" buttons, a case's button, and the receipt's QR link. The answers come from `bot.cases.lookup`."""

from __future__ import annotations

import asyncio

from bot.cases.presses import CaseLink, ShowCase
from dialogs.output import Outcome
from handlers.desk import Desk, Request


async def _language(desk: Desk, request: Request) -> str:
    return await asyncio.to_thread(desk.turns.language, request.chat_id)


async def on_lookup_command(desk: Desk, request: Request) -> Outcome:
    """/tracuu CODE shows the case; /tracuu alone explains how and lists the chat's cases."""
    code = request.input.command_args.strip()
    language = await _language(desk, request)
    if code:
        reply = await asyncio.to_thread(desk.lookup.show, request.chat_id, code, language)
    else:
        reply = await asyncio.to_thread(desk.lookup.prompt, request.chat_id, language)
    return Outcome([reply])


async def is_typed_code(desk: Desk, request: Request) -> bool:
    text = request.input.text
    return text is not None and request.input.command is None and desk.lookup.is_code(text)


async def on_typed_code(desk: Desk, request: Request) -> Outcome:
    """A case code typed on its own, as people do after reading it off the receipt."""
    assert request.input.text is not None
    reply = await asyncio.to_thread(desk.lookup.show, request.chat_id, request.input.text,
                                    await _language(desk, request))
    return Outcome([reply])


async def on_lookup_menu(desk: Desk, request: Request) -> Outcome:
    return Outcome([await asyncio.to_thread(desk.lookup.prompt, request.chat_id, await _language(desk, request))])


async def on_my_cases(desk: Desk, request: Request) -> Outcome:
    return Outcome([await asyncio.to_thread(desk.lookup.mine, request.chat_id, await _language(desk, request))])


async def on_case_button(desk: Desk, request: Request) -> Outcome:
    assert isinstance(request.input.press, ShowCase)
    reply = await asyncio.to_thread(desk.lookup.show_by_id, request.chat_id, request.input.press.case_id,
                                    await _language(desk, request))
    return Outcome([reply])


async def on_unknown_case(desk: Desk, request: Request) -> Outcome:
    """A forged case button is answered like a case of another chat (ids start at 1)."""
    reply = await asyncio.to_thread(desk.lookup.show_by_id, request.chat_id, 0, await _language(desk, request))
    return Outcome([reply])


async def on_case_link(desk: Desk, request: Request) -> Outcome:
    """/start c_<CODE>, from the QR code on the receipt."""
    assert isinstance(request.input.press, CaseLink)
    reply = await asyncio.to_thread(desk.lookup.show, request.chat_id, request.input.press.code,
                                    await _language(desk, request))
    return Outcome([reply])
