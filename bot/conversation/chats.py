"""Which messenger a chat is on, and what that messenger calls it.

Telegram chats keep Telegram's ids; chats of other channels get ids of their own (see
`storage.models.ChannelChat`), so the dialogs, cases and outbox work the same for every channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import transaction
from storage.models import OTHER_CHANNEL_CHAT_IDS, ChannelChat

TELEGRAM = "telegram"
ZALO = "zalo"


def is_telegram_chat(chat_id: int) -> bool:
    """Telegram chats keep Telegram's ids, all below the ids given to other channels' chats."""
    return chat_id < OTHER_CHANNEL_CHAT_IDS


class ChatDirectory:
    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._external: dict[int, tuple[str, str]] = {}

    def chat_for(self, channel: str, external_id: str) -> int:
        """The chat id of a channel's user, made on their first event."""
        with Session(self.db) as session:
            known = session.exec(select(ChannelChat.chat_id).where(ChannelChat.channel == channel,
                                                                   ChannelChat.external_id == external_id)).first()
        if known is not None:
            return known
        for _ in range(5):
            try:
                with transaction(self.db) as session:
                    highest = session.exec(select(func.max(ChannelChat.chat_id))).one()
                    chat_id = max(highest or 0, OTHER_CHANNEL_CHAT_IDS - 1) + 1
                    session.add(ChannelChat(chat_id=chat_id, channel=channel, external_id=external_id,
                                            created_at=self.clock()))
                return chat_id
            except IntegrityError:  # another process made it (or took the id) first
                with Session(self.db) as session:
                    known = session.exec(select(ChannelChat.chat_id).where(
                        ChannelChat.channel == channel, ChannelChat.external_id == external_id)).first()
                if known is not None:
                    return known
        raise RuntimeError(f"could not give a chat id to {channel} user {external_id}")

    def channel_of(self, chat_id: int) -> str:
        return TELEGRAM if is_telegram_chat(chat_id) else self.external(chat_id)[0]

    def external(self, chat_id: int) -> tuple[str, str]:
        """(channel, the channel's id of the user); a chat never changes channel, so it is cached."""
        if chat_id not in self._external:
            with Session(self.db) as session:
                row = session.get(ChannelChat, chat_id)
            if row is None:
                raise KeyError(f"no channel chat {chat_id}")
            self._external[chat_id] = (row.channel, row.external_id)
        return self._external[chat_id]

    def heard_from(self, chat_id: int, at: datetime) -> None:
        """The person wrote or tapped: the channel's reply window opens again."""
        with transaction(self.db) as session:
            session.execute(update(ChannelChat).where(col(ChannelChat.chat_id) == chat_id)
                            .values(last_inbound_at=at))

    def last_heard(self, chat_id: int) -> datetime | None:
        with Session(self.db) as session:
            row = session.get(ChannelChat, chat_id)
        return row.last_inbound_at if row is not None else None

    def remember_choices(self, chat_id: int, payloads: list[str]) -> None:
        """The buttons last shown as a numbered list, so that "2" means the second."""
        with transaction(self.db) as session:
            session.execute(update(ChannelChat).where(col(ChannelChat.chat_id) == chat_id)
                            .values(numbered_choices=payloads))

    def choices(self, chat_id: int) -> list[str]:
        with Session(self.db) as session:
            row = session.get(ChannelChat, chat_id)
        return list(row.numbered_choices) if row is not None else []
