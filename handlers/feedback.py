"""Telegram entry points for ratings and feedback: the rating buttons, the "Feedback" menu
button and /gopy, staff's "Answer" button, and replies to the ForceReply prompts.

Only replies to one of our prompts reach `on_prompt_reply`: its filter `PROMPT_REPLY` reads the
replied-to message, so any other message (a reply to some other bot message included) is not
matched and goes on to the next handler of the group, the normal dialog."""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes, filters

from bot.feedback import Feedbacks, Outcome, PromptKind, recognise
from handlers.render import send_replies

log = logging.getLogger(__name__)

FEEDBACK = "feedback"


def _service(context: ContextTypes.DEFAULT_TYPE) -> Feedbacks:
    return context.bot_data[FEEDBACK]


class _PromptReply(filters.MessageFilter):
    """A message replying to one of the bot's rating-comment, feedback or answer prompts."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        return recognise(replied.text) is not None


# A command stays a command (/start, /cancel…), even when typed as a reply to a prompt.
PROMPT_REPLY = _PromptReply(name="PROMPT_REPLY") & ~filters.COMMAND


async def _render(context: ContextTypes.DEFAULT_TYPE, chat_id: int, outcome: Outcome) -> None:
    await send_replies(context.bot, chat_id, outcome.replies)
    if outcome.prompt:
        await context.bot.send_message(chat_id, outcome.prompt, reply_markup=ForceReply())


async def _answer_query(update: Update, outcome: Outcome | None) -> None:
    query = update.callback_query
    assert query is not None
    if outcome is None:
        await query.answer()
        return
    text = outcome.alert or outcome.toast
    await query.answer(text, show_alert=outcome.alert is not None)
    if outcome.close_buttons and getattr(query.message, "reply_markup", None) is not None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError as exc:  # too old or already edited: the buttons stay, harmlessly
            log.info("rating buttons not removed: %s", exc)


async def on_rating(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """r.<case id>.<score>"""
    query = update.callback_query
    if query is None:
        return
    outcome = _service(context).rate(update.update_id, query.from_user.id, query.data or "")
    await _answer_query(update, outcome)
    if outcome is not None:
        await _render(context, query.from_user.id, outcome)


async def on_feedback_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The main menu's "Feedback" button (m.feedback) and /gopy."""
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    outcome = _service(context).feedback_prompt(update.update_id, chat.id)
    if outcome is not None:
        await _render(context, chat.id, outcome)


async def on_answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """f.<feedback id>: a staff member wants to answer; replies go to their private chat."""
    query = update.callback_query
    if query is None:
        return
    outcome = _service(context).press_answer(update.update_id, query.from_user.id, query.data or "")
    await _answer_query(update, outcome)
    if outcome is not None:
        await _render(context, query.from_user.id, outcome)


async def on_prompt_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to one of the prompts (guaranteed by PROMPT_REPLY): a comment on a rating, a
    citizen's feedback (text, or one photo with a caption), or a staff member's answer."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    prompt = recognise(message.reply_to_message.text)
    if prompt is None:
        return
    service = _service(context)
    text = message.text or message.caption
    if prompt.kind is PromptKind.COMMENT:
        outcome = service.comment(update.update_id, chat.id, prompt.key, message.text)
    elif prompt.kind is PromptKind.ANSWER:
        outcome = service.answer(update.update_id, chat.id, int(prompt.key), message.text)
    else:
        if message.media_group_id and not message.caption:
            return  # the other photos of an album: the one with the caption carries the feedback
        photo = message.photo[-1].file_id if message.photo else None
        other = message.effective_attachment is not None and not message.photo
        outcome = service.submit(update.update_id, chat.id, text, photo, other_media=other)
    if outcome is not None:
        await _render(context, chat.id, outcome)
