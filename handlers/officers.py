"""Entry points for officers: case buttons, /hoso, the text an action waits for, and the invite
link that makes an account an officer. Answers always go to the officer's private chat, also
for buttons pressed in an officers' group, so prompts and case data stay private."""

from __future__ import annotations

import asyncio

from bot.cases.presses import OfficerPress
from bot.staff.members import InviteLink, InviteProblem
from bot.staff.permissions import ROLE_LABELS, Role
from dialogs.output import Outcome, Reply, Rich
from handlers.desk import Desk, Request
from locales import get_translator


async def on_press(desk: Desk, request: Request) -> Outcome | None:
    assert isinstance(request.input.press, OfficerPress)
    return await asyncio.to_thread(desk.workflow.press, request.update_id, request.sender_id, request.input.press)


async def has_prompt(desk: Desk, request: Request) -> bool:
    return await asyncio.to_thread(desk.workflow.has_prompt, request.sender_id)


async def on_prompt_reply(desk: Desk, request: Request) -> Outcome | None:
    """The reason, the list of missing items or the pickup instructions (or the result file)."""
    text = request.input.text
    return await asyncio.to_thread(desk.workflow.reply_to_prompt, request.update_id, request.sender_id, text,
                                   request.media)


async def on_work_list(desk: Desk, request: Request) -> Outcome:
    replies = await asyncio.to_thread(desk.work_list.show, request.sender_id, request.input.command_args or None)
    if replies is not None:
        return Outcome(replies)
    tr = get_translator(await asyncio.to_thread(desk.turns.language, request.sender_id))
    return Outcome([Reply(Rich.plain(tr.gettext("This command is for the officers of the one-stop desk.")))])


async def on_invite(desk: Desk, request: Request) -> Outcome | None:
    """/start inv_<code>: the one-time link printed by `motcua staff invite`."""
    assert isinstance(request.input.press, InviteLink)
    redeemed = await asyncio.to_thread(desk.invitations.redeem, request.update_id, request.sender_id,
                                       request.input.press, request.display_name)
    if redeemed is None:
        return None
    outcome, language = redeemed
    tr = get_translator(language)
    if isinstance(outcome, InviteProblem):
        text = {
            InviteProblem.USED: tr.gettext("This invitation link has already been used."),
            InviteProblem.EXPIRED: tr.gettext("This invitation link has expired. Ask for a new one."),
            InviteProblem.UNKNOWN: tr.gettext("This invitation link is not valid."),
        }[outcome]
    else:
        text = tr.gettext("Welcome, {name}. Your account is now registered as {role} for: {fields}. "
                          "Use /hoso to see the open cases.").format(
            name=outcome.name, role=tr.gettext(ROLE_LABELS[Role(outcome.role)]), fields=", ".join(outcome.fields) or "—")
    return Outcome([Reply(Rich.plain(text))])
