"""A Telegram update as the channel-neutral `Request` the route table takes."""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, Update

from bot.feedback.prompts import PromptRef, recognise
from dialogs.model import IncomingFile, Input
from dialogs.output import Attachment
from handlers.desk import Channel, Request


def incoming_files(message: Message) -> tuple[IncomingFile, ...]:
    if message.photo:
        largest = message.photo[-1]
        return (IncomingFile("photo", largest.file_id, largest.file_unique_id, largest.file_size),)
    if message.document:
        document = message.document
        return (IncomingFile("document", document.file_id, document.file_unique_id, document.file_size,
                             mime_type=document.mime_type, file_name=document.file_name),)
    return ()


def _media(message: Message) -> Attachment | None:
    """The photo or file of a message, kept by its Telegram file id (an officer's result, a
    feedback photo, an announcement's picture)."""
    if message.photo:
        return Attachment("photo", telegram_file_id=message.photo[-1].file_id)
    if message.document is not None:
        return Attachment("document", telegram_file_id=message.document.file_id, file_name=message.document.file_name,
                          mime_type=message.document.mime_type)
    return None


def _formatted(message: Message) -> str:
    """The message as HTML: Telegram's own formatting is kept; a text typed with HTML tags and no
    formatting is taken as HTML as it is (the preview shows whether Telegram accepts it)."""
    plain = message.text or message.caption or ""
    if not (message.entities or message.caption_entities) and "<" in plain:
        return plain
    return message.text_html if message.text else (message.caption_html or "")


def _input(update_id: int, message: Message) -> Input:
    text = message.text or ""
    entities = message.parse_entities([MessageEntity.BOT_COMMAND])
    command = next((value for entity, value in entities.items() if entity.offset == 0), None)
    if command is not None:
        name = command.lstrip("/").split("@", 1)[0].lower()
        return Input(update_id, command=name, command_args=text[len(command):].strip())
    files = incoming_files(message)
    if files:
        return Input(update_id, files=files, text=message.caption)
    return Input(update_id, text=message.text or message.caption)


def _replying_to(message: Message) -> PromptRef | None:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    return recognise(replied.text)


def request_of(update: Update, channel: Channel) -> Request | None:
    """None for updates the bot does not act on (edits, channel posts, inline queries)."""
    user = update.effective_user
    if user is None:
        return None
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        return Request(update.update_id, chat.id if chat else user.id, user.id, chat is None or chat.type == Chat.PRIVATE,
                       Input(update.update_id), channel, display_name=user.full_name, payload=query.data or "")
    message = update.message
    if message is None:
        return None
    return Request(update.update_id, message.chat.id, user.id, message.chat.type == Chat.PRIVATE,
                   _input(update.update_id, message), channel, display_name=user.full_name,
                   replying_to=_replying_to(message),
                   formatted_html=_formatted(message), media=_media(message), media_group=message.media_group_id)
