"""Announcements (thông báo) from the office's staff to every subscriber.

A staff member composes, sees a preview exactly as citizens will, and confirms; confirming
writes one outbox row per subscriber in one transaction. The outbox worker delivers them paced
to Telegram's limits, after any case notification; so a restart resumes the broadcast where it
stopped, and each subscriber is queued exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from bot import outbox
from bot.staff import Role, active_member
from dialogs.model import Button, Reply
from locales import Translator
from storage.db import claim_update, row_id, transaction
from storage.models import Broadcast, OutboxMessage, Subscriber

PREFIX = "b."
COMPOSING, DRAFT, SENDING, DONE, CANCELLED = "composing", "draft", "sending", "done", "cancelled"


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int

    @property
    def remaining(self) -> int:
        return self.total - self.sent - self.failed


def broadcast_progress(session: Session, broadcast: Broadcast) -> Progress:
    counts = dict(session.exec(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.broadcast_id == broadcast.id).group_by(OutboxMessage.status)).all())
    return Progress(broadcast.recipients, counts.get("sent", 0), counts.get("failed", 0))


def payload_of(broadcast: Broadcast) -> dict[str, Any]:
    """What each subscriber receives: the text alone, or the photo/document with it as caption."""
    if broadcast.media_kind == "photo" and broadcast.media_file_id:
        return outbox.photo_payload(broadcast.media_file_id, broadcast.text)
    if broadcast.media_kind == "document" and broadcast.media_file_id:
        return outbox.document_payload(broadcast.media_file_id, broadcast.text)
    return {"kind": "text", "text": broadcast.text, "buttons": []}


class Broadcasts:
    def __init__(self, db: Engine, clock: Callable[[], datetime], rate: int) -> None:
        self.db = db
        self.clock = clock
        self.rate = rate

    # ----- subscriptions ---------------------------------------------------------------------

    @staticmethod
    def subscribe_on_start(session: Session, chat_id: int, now: datetime) -> None:
        """Starting the bot subscribes a chat, once; an explicit opt-out is never undone here."""
        if session.get(Subscriber, chat_id) is None:
            session.add(Subscriber(chat_id=chat_id, subscribed=True, created_at=now, changed_at=now))

    def set_subscribed(self, chat_id: int, subscribed: bool) -> None:
        now = self.clock()
        with transaction(self.db) as session:
            row = session.get(Subscriber, chat_id) or Subscriber(chat_id=chat_id, created_at=now, changed_at=now)
            row.subscribed, row.blocked, row.changed_at = subscribed, False, now
            session.add(row)

    @staticmethod
    def recipients(session: Session) -> int:
        return session.exec(select(func.count()).select_from(Subscriber)
                            .where(Subscriber.subscribed == True)).one()  # noqa: E712

    # ----- composing -------------------------------------------------------------------------

    def _may_announce(self, session: Session, telegram_id: int) -> bool:
        member = active_member(session, telegram_id)
        return member is not None and member.role in (Role.STAFF, Role.ADMIN)

    def start(self, telegram_id: int) -> Broadcast | None:
        """None when the account may not send announcements."""
        with transaction(self.db) as session:
            if not self._may_announce(session, telegram_id):
                return None
            session.execute(update(Broadcast).where(Broadcast.author_id == telegram_id,
                                                    Broadcast.status.in_([COMPOSING, DRAFT]))  # type: ignore[attr-defined]
                            .values(status=CANCELLED))
            broadcast = Broadcast(author_id=telegram_id, text="", status=COMPOSING, created_at=self.clock())
            session.add(broadcast)
            session.flush()
            return broadcast

    def composing(self, telegram_id: int) -> Broadcast | None:
        with Session(self.db) as session:
            return session.exec(select(Broadcast).where(Broadcast.author_id == telegram_id,
                                                        Broadcast.status == COMPOSING)).first()

    def set_content(self, update_id: int, broadcast_id: int, text: str, media: tuple[str, str] | None) -> Broadcast | None:
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            broadcast = session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.status != COMPOSING:
                return None
            broadcast.text = text
            broadcast.media_kind, broadcast.media_file_id = media if media else (None, None)
            broadcast.status = DRAFT
            broadcast.recipients = self.recipients(session)
            session.add(broadcast)
            return broadcast

    def decide(self, update_id: int, telegram_id: int, data: str) -> tuple[str, Broadcast] | None:
        """A tap on "send" or "cancel" under a preview; None when it is stale, repeated or not allowed."""
        parts = data.removeprefix(PREFIX).split(".")
        broadcast_id = row_id(parts[0]) if len(parts) == 2 else None
        if broadcast_id is None or parts[1] not in ("send", "cancel"):
            return None
        with transaction(self.db) as session:
            if not claim_update(session, update_id) or not self._may_announce(session, telegram_id):
                return None
            broadcast = session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.author_id != telegram_id:
                return None
            if parts[1] == "cancel" and broadcast.status in (COMPOSING, DRAFT):
                broadcast.status = CANCELLED
            elif parts[1] == "send" and broadcast.status == DRAFT:
                self._queue(session, broadcast)
            else:
                return ("unchanged", broadcast)
            session.add(broadcast)
            return (parts[1], broadcast)

    def _queue(self, session: Session, broadcast: Broadcast) -> None:
        now = self.clock()
        chats = session.exec(select(Subscriber.chat_id).where(Subscriber.subscribed == True)  # noqa: E712
                             .order_by(Subscriber.chat_id)).all()
        payload = payload_of(broadcast)
        session.add_all([OutboxMessage(chat_id=chat, payload=payload, priority=outbox.BULK_PRIORITY, next_attempt_at=now,
                                       created_at=now, broadcast_id=broadcast.id) for chat in chats])
        broadcast.status, broadcast.recipients, broadcast.confirmed_at = SENDING, len(chats), now

    def remember_progress_message(self, broadcast_id: int, message_id: int) -> None:
        with transaction(self.db) as session:
            session.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                            .values(progress_message_id=message_id))

    # ----- progress --------------------------------------------------------------------------

    def sending(self) -> list[tuple[Broadcast, Progress]]:
        """Broadcasts under way, with their figures; one that has nothing left is marked done."""
        with transaction(self.db) as session:
            result = []
            for broadcast in session.exec(select(Broadcast).where(Broadcast.status == SENDING)).all():
                progress = broadcast_progress(session, broadcast)
                if progress.remaining <= 0:
                    broadcast.status, broadcast.finished_at = DONE, self.clock()
                    session.add(broadcast)
                result.append((broadcast, progress))
            return result

    def report(self, broadcast: Broadcast, progress: Progress, tr: Translator) -> str:
        _ = tr.gettext
        if broadcast.status == DONE:
            head = _("✅ Announcement #{id} finished.").format(id=broadcast.id)
        else:
            seconds = max(progress.remaining, 0) / self.rate
            head = _("📣 Sending announcement #{id}… about {minutes} min {seconds} s left.").format(
                id=broadcast.id, minutes=int(seconds // 60), seconds=int(seconds % 60))
        return "\n".join([head, _("Sent: {sent} / {total}").format(sent=progress.sent, total=progress.total),
                          _("Failed (blocked the bot or unreachable): {failed}").format(failed=progress.failed),
                          _("Remaining: {remaining}").format(remaining=max(progress.remaining, 0))])

    def confirmation(self, broadcast: Broadcast, tr: Translator) -> Reply:
        _ = tr.gettext
        text = _("This is how the announcement will look. Send it to {n} subscribers?").format(n=broadcast.recipients)
        return Reply(text, ((Button(_("✅ Send"), f"{PREFIX}{broadcast.id}.send"),
                             Button(_("✖️ Cancel"), f"{PREFIX}{broadcast.id}.cancel")),))

    def compose_prompt(self, broadcast: Broadcast, tr: Translator) -> Reply:
        _ = tr.gettext
        text = _("Send the announcement now: a text (bold, italic and links are kept), or one photo or document "
                 "with the text as its caption. You will see a preview before anything is sent.")
        return Reply(escape(text), ((Button(_("✖️ Cancel"), f"{PREFIX}{broadcast.id}.cancel"),),))
