"""Turn a Telegram update into the engine's plain `Input`."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update

from dialogs.model import IncomingFile, Input


def incoming_files(message: Message) -> tuple[IncomingFile, ...]:
    if message.photo:
        largest = message.photo[-1]
        return (IncomingFile("photo", largest.file_id, largest.file_unique_id, largest.file_size),)
    if message.document:
        document = message.document
        return (IncomingFile("document", document.file_id, document.file_unique_id, document.file_size,
                             mime_type=document.mime_type, file_name=document.file_name),)
    return ()


def to_input(update: Update, files: tuple[IncomingFile, ...] = ()) -> Input:
    """`files` are the message's files after the handler downloaded them."""
    if update.callback_query is not None:
        return Input(update.update_id, button=update.callback_query.data or "")
    message = update.effective_message
    if message is None:
        return Input(update.update_id)
    text = message.text or ""
    entities = message.parse_entities([MessageEntity.BOT_COMMAND])
    command = next((value for entity, value in entities.items() if entity.offset == 0), None)
    if command is not None:
        name = command.lstrip("/").split("@", 1)[0].lower()
        return Input(update.update_id, command=name, command_args=text[len(command):].strip())
    if files:
        return Input(update.update_id, files=files)
    return Input(update.update_id, text=message.text or message.caption)
