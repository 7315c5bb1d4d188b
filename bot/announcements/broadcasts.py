"""Announcements (thông báo) from the office's staff to every subscriber.

A staff member composes, sees a preview exactly as citizens will, with the number of
recipients and the expected time, and confirms; confirming writes one outbox row per
subscriber in one transaction. The outbox worker delivers them paced to Telegram's limits,
after any case notification and feedback; so a restart resumes the broadcast where it stopped,
and each subscriber is queued exactly once. An urgent announcement (a storm, a flood) goes
ahead of every other announcement and, when the office enabled it, as a paid broadcast
(`bot.announcements.urgency`), whose cost in Stars the preview states before it can be sent.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Literal

from sqlalchemy import Connection, bindparam, func, update
from sqlmodel import Session, col, select

from bot.announcements.presses import AnnouncementPress, Decision
from bot.announcements.urgency import Estimate, Rates, estimate, split_duration
from bot.conversation.turns import Turns
from bot.staff.permissions import active_member, may_speak_for_the_office
from dialogs.output import Attachment, Button, Reply, Rich
from locales import Translator
from storage.db import transaction
from storage.models import Broadcast, OutboxMessage, Subscriber
from storage.outbox import BULK_PRIORITY, URGENT_PRIORITY, enqueue_broadcast

_TAG = re.compile(r"<[^>]+>")


class BroadcastStatus(StrEnum):
    COMPOSING = "composing"
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


_COMPOSING = select(col(Broadcast.id)).where(col(Broadcast.author_id) == bindparam("author"),
                                             col(Broadcast.status) == BroadcastStatus.COMPOSING)


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


def duration(seconds: float, tr: Translator) -> str:
    """'5 phút 58 giây'; from an hour up, to the minute, rounded up."""
    if seconds >= 3600:
        seconds = math.ceil(seconds / 60) * 60
    hours, minutes, rest = split_duration(seconds)
    if hours:
        return tr.gettext("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if minutes:
        return tr.gettext("{minutes} min {seconds} s").format(minutes=minutes, seconds=rest)
    return tr.gettext("{seconds} s").format(seconds=rest)


class Broadcasts:
    def __init__(self, turns: Turns, rates: Rates) -> None:
        self.turns = turns
        self.rates = rates

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

    def is_composing(self, telegram_id: int, connection: Connection) -> bool:
        """Asked of every message a citizen types: a statement built once, on the caller's connection."""
        return connection.execute(_COMPOSING, {"author": telegram_id}).first() is not None

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
        """A tap under a preview: the decision it made ("send", "urgent_send", "cancel"), the
        confirmation it asks for ("urgent", "normal"), or "unchanged" when it is stale; None when
        it is repeated or not allowed."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None or not may_speak_for_the_office(active_member(turn.session, telegram_id)):
                return None
            broadcast = turn.session.get(Broadcast, press.broadcast_id)
            if broadcast is None or broadcast.author_id != telegram_id:
                return None
            editable = broadcast.status in (BroadcastStatus.COMPOSING, BroadcastStatus.DRAFT)
            draft = broadcast.status == BroadcastStatus.DRAFT
            if press.decision is Decision.CANCEL and editable:
                broadcast.status = BroadcastStatus.CANCELLED
            elif press.decision in (Decision.SEND, Decision.SEND_URGENT) and draft:
                broadcast.urgent = press.decision is Decision.SEND_URGENT
                self._queue(turn.session, broadcast, turn.now)
            elif press.decision in (Decision.URGENT, Decision.NORMAL) and draft:
                return (press.decision.value, broadcast)
            else:
                return ("unchanged", broadcast)
            turn.session.add(broadcast)
            return (press.decision.value, broadcast)

    @staticmethod
    def _queue(session: Session, broadcast: Broadcast, now: datetime) -> None:
        chats = session.exec(select(Subscriber.chat_id).where(col(Subscriber.subscribed).is_(True))
                             .order_by(col(Subscriber.chat_id))).all()
        count = enqueue_broadcast(session, chats, announcement(broadcast), broadcast_id=broadcast.id or 0, now=now,
                                  urgent=broadcast.urgent)
        broadcast.status, broadcast.recipients, broadcast.confirmed_at = BroadcastStatus.SENDING, count, now

    def estimate(self, broadcast: Broadcast, *, urgent: bool) -> Estimate:
        """Recipients, time and cost if it were confirmed now, after the announcements queued
        ahead of it (for an urgent one, only other urgent ones)."""
        with Session(self.turns.db) as session:
            ahead = session.exec(select(func.count()).select_from(OutboxMessage).where(
                col(OutboxMessage.broadcast_id).is_not(None), col(OutboxMessage.status).in_(["pending", "sending"]),
                OutboxMessage.priority <= (URGENT_PRIORITY if urgent else BULK_PRIORITY))).one()
            recipients = self.recipients(session)
        return estimate(recipients, ahead, self.rates, urgent=urgent)

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
            left = estimate(max(progress.remaining, 0), 0, self.rates, urgent=broadcast.urgent)
            head = _("📣 Sending announcement #{id}… about {time} left.").format(
                id=broadcast.id, time=duration(left.seconds, tr))
        return Rich.plain("\n".join([
            head, _("Sent: {sent} / {total}").format(sent=progress.sent, total=progress.total),
            _("Failed (blocked the bot or unreachable): {failed}").format(failed=progress.failed),
            _("Remaining: {remaining}").format(remaining=max(progress.remaining, 0))]))

    def confirmation(self, broadcast: Broadcast, tr: Translator, *, urgent: bool = False) -> Reply:
        """What confirming will do: to how many, how long it will take and, for an urgent one
        sent as a paid broadcast, its cost, with the buttons to send it so, switch, or cancel."""
        _ = tr.gettext
        plan = self.estimate(broadcast, urgent=urgent)
        figures = [Rich.plain(_("Recipients: {n} subscribers").format(n=tr.number(plan.recipients))),
                   Rich.plain(_("Expected time: about {time}").format(time=duration(plan.seconds, tr)))]
        press = partial(AnnouncementPress, broadcast.id or 0)
        cancel = Button.to(_("✖️ Cancel"), press(Decision.CANCEL))
        if not urgent:
            head = Rich.plain(_("This is how the announcement will look. Send it?"))
            return Reply(Rich.join("\n", [head, *figures]),
                         ((Button.to(_("✅ Send"), press(Decision.SEND)), cancel),
                          (Button.to(_("🚨 Urgent…"), press(Decision.URGENT)),)))
        if plan.paid:
            head = Rich.of(_("🚨 **Urgent announcement**: it goes ahead of every other announcement, as a paid "
                             "broadcast of Telegram (up to 1,000 messages a second)."))
            figures.append(Rich.of(_("Cost: at most **{stars} Telegram Stars** (0.1 Star for each message above the "
                                     "free 30 a second), taken from the bot's balance."),
                                   stars=tr.number(plan.stars)))
        else:
            head = Rich.of(_("🚨 **Urgent announcement**: it goes ahead of every other announcement, at the usual "
                             "rate (paid broadcasts are not enabled in the settings)."))
        return Reply(Rich.join("\n", [head, *figures]),
                     ((Button.to(_("🚨 Send urgently"), press(Decision.SEND_URGENT)), cancel),
                      (Button.to(_("↩️ Not urgent"), press(Decision.NORMAL)),)))

    @staticmethod
    def compose_prompt(broadcast: Broadcast, tr: Translator) -> Reply:
        _ = tr.gettext
        text = _("Send the announcement now: a text (bold, italic and links are kept), or one photo or document "
                 "with the text as its caption. You will see a preview before anything is sent.")
        return Reply(Rich.plain(text),
                     ((Button.to(_("✖️ Cancel"), AnnouncementPress(broadcast.id or 0, Decision.CANCEL)),),))
