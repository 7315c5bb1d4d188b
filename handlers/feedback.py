"""Entry points for ratings and feedback: the rating buttons, the "Feedback" button and /gopy,
staff's "Answer" button, and replies to the prompts (a comment, a feedback, an answer)."""

from __future__ import annotations

import asyncio

from bot.feedback.presses import AnswerPress, RatePress
from bot.feedback.prompts import PromptKind
from dialogs.output import Outcome
from handlers.desk import Desk, Request


async def on_rating(desk: Desk, request: Request) -> Outcome | None:
    assert isinstance(request.input.press, RatePress)
    return await asyncio.to_thread(desk.ratings.rate, request.update_id, request.sender_id, request.input.press)


async def on_feedback_menu(desk: Desk, request: Request) -> Outcome | None:
    return await asyncio.to_thread(desk.feedbacks.feedback_prompt, request.update_id, request.chat_id)


async def on_answer_button(desk: Desk, request: Request) -> Outcome | None:
    """A staff member wants to answer; the prompt goes to their private chat."""
    assert isinstance(request.input.press, AnswerPress)
    return await asyncio.to_thread(desk.feedbacks.press_answer, request.update_id, request.sender_id,
                                   request.input.press)


async def is_prompt_reply(desk: Desk, request: Request) -> bool:
    """A command stays a command (/start, /cancel…), even when typed as a reply to a prompt."""
    return request.replying_to is not None and request.input.command is None


async def on_prompt_reply(desk: Desk, request: Request) -> Outcome | None:
    prompt = request.replying_to
    assert prompt is not None
    text = request.input.text
    if prompt.kind is PromptKind.COMMENT:
        return await asyncio.to_thread(desk.ratings.comment, request.update_id, request.chat_id, prompt.key, text)
    if prompt.kind is PromptKind.ANSWER:
        return await asyncio.to_thread(desk.feedbacks.answer, request.update_id, request.chat_id, int(prompt.key),
                                       text)
    media = request.media
    if request.media_group and not text:
        return None  # the other photos of an album: the one with the caption carries the feedback
    photo = media.telegram_file_id if media is not None and media.kind == "photo" else None
    other = media is not None and media.kind != "photo"
    return await asyncio.to_thread(desk.feedbacks.submit, request.update_id, request.chat_id, text, photo,
                                   other_media=other)
