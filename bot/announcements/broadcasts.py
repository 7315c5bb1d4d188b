"""Announcements (thông báo) from the office's staff to every subscriber.

A staff member composes, sees a preview exactly as citizens will, and confirms; confirming
writes one outbox row per subscriber in one transaction. The outbox worker delivers them paced
to Telegram's limits, after any case notification; so a restart resumes the broadcast where it
stopped, and each subscriber is queued exactly once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.announcements.presses import AnnouncementPress, Decision
from bot.conversation.turns import Turns
from bot.staff.permissions import active_member, may_speak_for_the_office
from dialogs.output import Attachment, Button, Reply, Rich
from locales import Translator
from storage.db import transaction
from storage.models import Broadcast, OutboxMessage, Subscriber
from storage.outbox import enqueue_broadcast

_TAG = re.compile(r"<[^>]+>")


class BroadcastStatus(StrEnum):
    COMPOSING = "composing"
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


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


def announcement(broadcast: Broadcast) -> Reply:
    """What each subscriber receives: the text as the staff member formatted it on Telegram, with
    its plain version for channels without formatting, and the photo or document if any."""
    plain = Rich.plain(html.unescape(_TAG.sub("", broadcast.text)))
    attachments: tuple[Attachment, ...] = ()
    if broadcast.media_kind in ("photo", "document") and broadcast.media_file_id:
        kind: Literal["photo", "document"] = "photo" if broadcast.media_kind == "photo" else "document"
        attachments = (Attachment(kind, telegram_file_id=broadcast.media_file_id),)
    return Reply(plain, attachments=attachments, authored_html=broadcast.text)


class Broadcasts:
    def __init__(self, turns: Turns, rate: int) -> None:
        self.turns = turns
        self.rate = rate

    # ----- subscriptions ---------------------------------------------------------------------

    def set_subscribed(self, chat_id: int, subscribed: bool) -> None:
        now = self.turns.clock()
        with transaction(self.turns.db) as session:
            row = session.get(Subscriber, chat_id) or Subscriber(chat_id=chat_id, created_at=now, changed_at=now)
            row.subscribed, row.blocked, row.changed_at = subscribed, False, now
            session.add(row)

    @staticmethod
    def recipients(session: Session) -> int:
        return session.exec(select(func.count()).select_from(Subscriber).where(col(Subscriber.subscribed).is_(True))).one()

    # ----- composing -------------------------------------------------------------------------

    def start(self, telegram_id: int) -> Broadcast | None:
        """None when the account may not send announcements."""
        with transaction(self.turns.db) as session:
            if not may_speak_for_the_office(active_member(session, telegram_id)):
                return None
            session.execute(update(Broadcast).where(
                col(Broadcast.author_id) == telegram_id,
                col(Broadcast.status).in_([BroadcastStatus.COMPOSING, BroadcastStatus.DRAFT]),
            ).values(status=BroadcastStatus.CANCELLED))
            broadcast = Broadcast(author_id=telegram_id, text="", status=BroadcastStatus.COMPOSING,
                                  created_at=self.turns.clock())
            session.add(broadcast)
            session.flush()
            return broadcast

    def composing(self, telegram_id: int) -> Broadcast | None:
        with Session(self.turns.db) as session:
            return session.exec(select(Broadcast).where(Broadcast.author_id == telegram_id,
                                                        Broadcast.status == BroadcastStatus.COMPOSING)).first()

    def set_content(self, update_id: int, telegram_id: int, broadcast_id: int, text: str,
                    media: tuple[str, str] | None) -> Broadcast | None:
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            broadcast = turn.session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.status != BroadcastStatus.COMPOSING:
                return None
            broadcast.text = text
            broadcast.media_kind, broadcast.media_file_id = media if media else (None, None)
            broadcast.status = BroadcastStatus.DRAFT
            broadcast.recipients = self.recipients(turn.session)
            turn.session.add(broadcast)
            return broadcast

    def decide(self, update_id: int, telegram_id: int, press: AnnouncementPress) -> tuple[str, Broadcast] | None:
        """A tap on "send" or "cancel" under a preview; None when it is stale, repeated or not allowed."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None or not may_speak_for_the_office(active_member(turn.session, telegram_id)):
                return None
            broadcast = turn.session.get(Broadcast, press.broadcast_id)
            if broadcast is None or broadcast.author_id != telegram_id:
                return None
            editable = broadcast.status in (BroadcastStatus.COMPOSING, BroadcastStatus.DRAFT)
            if press.decision is Decision.CANCEL and editable:
                broadcast.status = BroadcastStatus.CANCELLED
            elif press.decision is Decision.SEND and broadcast.status == BroadcastStatus.DRAFT:
                self._queue(turn.session, broadcast, turn.now)
            else:
                return ("unchanged", broadcast)
            turn.session.add(broadcast)
            return (press.decision.value, broadcast)

    @staticmethod
    def _queue(session: Session, broadcast: Broadcast, now: datetime) -> None:
        chats = session.exec(select(Subscriber.chat_id).where(col(Subscriber.subscribed).is_(True))
                             .order_by(col(Subscriber.chat_id))).all()
        count = enqueue_broadcast(session, chats, announcement(broadcast), broadcast_id=broadcast.id or 0, now=now)
        broadcast.status, broadcast.recipients, broadcast.confirmed_at = BroadcastStatus.SENDING, count, now

    def remember_progress_message(self, broadcast_id: int, message_id: int) -> None:
        with transaction(self.turns.db) as session:
            session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast_id)
                            .values(progress_message_id=message_id))

    # ----- progress --------------------------------------------------------------------------

    def sending(self) -> list[tuple[Broadcast, Progress]]:
        """Broadcasts under way, with their figures; one that has nothing left is marked done."""
        with transaction(self.turns.db) as session:
            result = []
            for broadcast in session.exec(select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING)).all():
                progress = broadcast_progress(session, broadcast)
                if progress.remaining <= 0:
                    broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, self.turns.clock()
                    session.add(broadcast)
                result.append((broadcast, progress))
            return result

    def report(self, broadcast: Broadcast, progress: Progress, tr: Translator) -> Rich:
        _ = tr.gettext
        if broadcast.status == BroadcastStatus.DONE:
            head = _("✅ Announcement #{id} finished.").format(id=broadcast.id)
        else:
            seconds = max(progress.remaining, 0) / self.rate
            head = _("📣 Sending announcement #{id}… about {minutes} min {seconds} s left.").format(
                id=broadcast.id, minutes=int(seconds // 60), seconds=int(seconds % 60))
        return Rich.plain("\n".join([
            head, _("Sent: {sent} / {total}").format(sent=progress.sent, total=progress.total),
            _("Failed (blocked the bot or unreachable): {failed}").format(failed=progress.failed),
            _("Remaining: {remaining}").format(remaining=max(progress.remaining, 0))]))

    @staticmethod
    def confirmation(broadcast: Broadcast, tr: Translator) -> Reply:
        _ = tr.gettext
        text = _("This is how the announcement will look. Send it to {n} subscribers?").format(n=broadcast.recipients)
        return Reply(Rich.plain(text), ((Button.to(_("✅ Send"), AnnouncementPress(broadcast.id or 0, Decision.SEND)),
                                         Button.to(_("✖️ Cancel"),
                                                   AnnouncementPress(broadcast.id or 0, Decision.CANCEL))),))

    @staticmethod
    def compose_prompt(broadcast: Broadcast, tr: Translator) -> Reply:
        _ = tr.gettext
        text = _("Send the announcement now: a text (bold, italic and links are kept), or one photo or document "
                 "with the text as its caption. You will see a preview before anything is sent.")
        return Reply(Rich.plain(text),
                     ((Button.to(_("✖️ Cancel"), AnnouncementPress(broadcast.id or 0, Decision.CANCEL)),),))
