"""Entry points for officers: case buttons, /hoso, the text an action waits for, and the invite
link that makes an account an officer. Answers always go to the officer's private chat, also
for buttons pressed in an officers' group, so prompts and case data stay private."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.cases.presses import OfficerPress
from bot.staff.members import InviteLink, InviteProblem
from bot.staff.permissions import ROLE_LABELS, Role
from dialogs.model import IncomingFile
from dialogs.output import Attachment, Outcome, Reply, Rich
from handlers.desk import Desk, FetchFailed, Request
from storage.files import TooLarge
from locales import get_translator


RESULT_LIMIT = 20 * 1024 * 1024
"""What Telegram lets a bot download."""


async def on_press(desk: Desk, request: Request) -> Outcome | None:
    assert isinstance(request.input.press, OfficerPress)
    return await asyncio.to_thread(desk.workflow.press, request.update_id, request.sender_id, request.input.press,
                                   in_group=not request.private)


async def on_prompt_reply(desk: Desk, request: Request) -> Outcome | None:
    """The reason, the list of missing items or the pickup instructions (or the result file,
    kept in the file store so that a citizen on any channel can be sent it)."""
    text = request.input.text
    result = await _stored(desk, request, request.media) if request.media is not None else None
    return await asyncio.to_thread(desk.workflow.reply_to_prompt, request.update_id, request.sender_id, text, result)


async def _stored(desk: Desk, request: Request, media: Attachment) -> Attachment:
    if media.telegram_file_id is None:
        return media
    file = IncomingFile(media.kind, media.telegram_file_id, media.telegram_file_id, None, mime_type=media.mime_type,
                        file_name=media.file_name)
    with desk.files.incoming(RESULT_LIMIT) as sink:
        try:
            await request.channel.fetch(file, sink)
        except (FetchFailed, TooLarge):
            return media  # Telegram citizens still get it by its file id
        sha256 = await asyncio.to_thread(sink.keep)
    return replace(media, sha256=sha256, mime_type=media.mime_type or ("image/jpeg" if media.kind == "photo" else None))


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
