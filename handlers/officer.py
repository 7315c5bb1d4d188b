"""Telegram entry points for officers: case buttons, /hoso, the text an action waits for, and
the invite link that makes an account an officer. Replies always go to the officer's private
chat, also for buttons pressed in an officers' group, so prompts and case data stay private."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.staff import ROLE_LABELS, InviteProblem, Role
from bot.workflow import CaseWorkflow
from handlers.render import send_replies
from locales import get_translator

WORKFLOW = "workflow"
STAFF = "staff"


def _workflow(context: ContextTypes.DEFAULT_TYPE) -> CaseWorkflow:
    return context.bot_data[WORKFLOW]


async def on_officer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    result = _workflow(context).press(update.update_id, query.from_user.id, query.data or "")
    if result is None:
        await query.answer()
        return
    await query.answer(result.alert or None, show_alert=result.alert is not None)
    await send_replies(context.bot, query.from_user.id, result.replies)


async def on_work_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    code = " ".join(context.args or []) or None
    replies = _workflow(context).work_list(user.id, code)
    if replies is None:
        language, _ = context.bot_data["conversations"].peek(user.id)
        text = get_translator(language).gettext("This command is for the officers of the one-stop desk.")
        await context.bot.send_message(user.id, text)
        return
    await send_replies(context.bot, user.id, replies)


async def answer_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Give an officer's message to the action waiting for it; False when none waits."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return False
    result = None
    if message.document is not None:
        result = ("document", message.document.file_id)
    elif message.photo:
        result = ("photo", message.photo[-1].file_id)
    reply = _workflow(context).reply_to_prompt(update.update_id, user.id, message.text or message.caption, result)
    if reply is None:
        return False
    await send_replies(context.bot, user.id, reply.replies)
    return True


async def on_invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start inv_<code>: the one-time link printed by `motcua staff invite`."""
    user = update.effective_user
    if user is None or not context.args:
        return
    outcome = _workflow(context).redeem(update.update_id, context.args[0], user.id, user.full_name)
    if outcome is None:
        return
    language, _ = context.bot_data["conversations"].peek(user.id)
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
    await context.bot.send_message(user.id, text)
