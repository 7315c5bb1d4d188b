"""Database tables. The database is the source of truth: dialog state, cases and their files
are written here on every update, so a restart or a second process loses and repeats nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, TypeDecorator,
                        UniqueConstraint, false, text)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns aware datetimes: SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ChatSession(SQLModel, table=True):
    """One row per private chat: its language and the dialog in progress, with a version number
    so that two processes handling the same chat cannot silently overwrite each other."""

    __tablename__ = "chat_sessions"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    language: str | None = None
    dialog: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    dialog_expired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    """When the purge deleted an application left unfinished too long; the citizen is told at
    their next message, then this is cleared."""


class ProcessedUpdate(SQLModel, table=True):
    """update_ids already handled: Telegram re-delivers an update after a crash, we act once."""

    __tablename__ = "processed_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Consent(SQLModel, table=True):
    """Proof that the citizen agreed to the data-processing notice, kept with its version. Once
    its data is gone (`bot.privacy`), the row stays without the chat: the proof the law asks for."""

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    procedure_id: str
    dialog_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    notice_version: str
    given_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


OPEN_CASE_STATUSES = ("submitted", "in_progress", "awaiting_supplement", "ready")
"""`bot.cases.status.OPEN` (a test keeps the two equal), for the index of open cases."""
_OPEN = text("status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_CASE_STATUSES)))


class Case(SQLModel, table=True):
    """Officers' lists read the open cases, oldest due first, through a partial index that holds
    only them (a few thousand among a million), with the statuses written as literals in the
    query (`bot.cases.work_list`) so that the database can tell the index applies."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_open_by_due", "due_date", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    procedure_id: str = Field(index=True)
    field_id: str = Field(index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    status: str = Field(index=True)
    applicant_name: str
    applicant_data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    language: str
    consent_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("consents.id")))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_date: date
    version: int = 1
    officer_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("staff_members.id"), nullable=True))
    waiting_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    erasure_requested_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    """The citizen asked for their data to be deleted while the case was open: it is anonymised
    as soon as it is closed."""
    anonymised_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    """Personal data removed (`bot.privacy.anonymise`); what the figures need stays."""


class CaseDocument(SQLModel, table=True):
    """One uploaded file of a case, stored content-addressed under the data directory."""

    __tablename__ = "case_documents"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True))
    document_id: str
    position: int
    sha256: str
    mime_type: str
    size: int
    telegram_file_id: str
    telegram_file_unique_id: str
    telegram_kind: str = "document"


class CaseEvent(SQLModel, table=True):
    """The audit log: every status change of a case, who made it, and why."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    from_status: str | None = None
    to_status: str
    note: str | None = None


class CaseCodeCounter(SQLModel, table=True):
    """The last sequence number used for case codes of one day, so codes stay short and unique."""

    __tablename__ = "case_code_counters"
    __table_args__ = (UniqueConstraint("day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    last: int = 0


class StaffMember(SQLModel, table=True):
    """An officer, staff member or admin, bound to one Telegram account. Officers act only on
    cases of the fields (lĩnh vực) they carry; the check is made on every action."""

    __tablename__ = "staff_members"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    name: str
    role: str
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class StaffInvite(SQLModel, table=True):
    """A one-time code behind a t.me/<bot>?start=<code> link that binds a Telegram account."""

    __tablename__ = "staff_invites"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str | None = None
    role: str
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class OutboxMessage(SQLModel, table=True):
    """A message for someone other than the person who caused it, queued in the same transaction
    as the change it reports (`storage.outbox`), and sent with retries by the outbox worker;
    `payload` is a channel-neutral `dialogs.output.Reply`."""

    __tablename__ = "outbox_messages"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    priority: int = Field(default=0, index=True)
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = None
    broadcast_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("broadcasts.id"),
                                                                    nullable=True, index=True))


class OfficerPrompt(SQLModel, table=True):
    """An officer's action that waits for typed text (a reason, what is missing, pickup
    instructions); kept in the database so a restart does not lose it."""

    __tablename__ = "officer_prompts"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False))
    case_version: int
    action: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class DeniedAction(SQLModel, table=True):
    """A refused attempt to act on a case (wrong role or field, forged or replayed button)."""

    __tablename__ = "denied_actions"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    data: str
    reason: str
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class JobRun(SQLModel, table=True):
    """Marks a scheduled notice as done (a digest for an officer and day, a reminder for a case
    and due date) so that it is never sent twice, whatever restarts happen in between."""

    __tablename__ = "job_runs"

    key: str = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Subscriber(SQLModel, table=True):
    """A chat that started the bot and receives the office's announcements until it opts out
    (or blocks the bot, which Telegram reports as 403)."""

    __tablename__ = "subscribers"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    subscribed: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    blocked: bool = False


class Broadcast(SQLModel, table=True):
    """An announcement composed by a staff member; its deliveries are outbox rows that carry its id."""

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str
    media_kind: str | None = None
    media_file_id: str | None = None
    status: str = "draft"
    urgent: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    recipients: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    progress_message_id: int | None = None


class Rating(SQLModel, table=True):
    """The citizen's satisfaction with one delivered case: one rating per case."""

    __tablename__ = "ratings"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False,
                                          unique=True))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    score: int
    comment: str | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Feedback(SQLModel, table=True):
    """Free feedback (góp ý, phản ánh) from a citizen, routed to staff, who may answer it."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    text: str
    photo_file_id: str | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    answer: str | None = None
    answered_by: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("staff_members.id"),
                                                                   nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ChannelChat(SQLModel, table=True):
    """A chat on a messenger other than Telegram, under the chat id the rest of the bot uses.

    Telegram chats keep their own ids (Telegram guarantees they fit in 52 bits); a chat of
    another channel gets an id from `OTHER_CHANNEL_CHAT_IDS` up, so the two never meet and every
    table keyed by chat id serves both. A citizen who uses both channels is two chats.
    """

    __tablename__ = "channel_chats"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    channel: str
    external_id: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_inbound_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    numbered_choices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


OTHER_CHANNEL_CHAT_IDS = 2**52
"""The first chat id of chats that are not Telegram's (Telegram's have at most 52 bits)."""


class InboundEvent(SQLModel, table=True):
    """An event a messenger pushed to the webhook, kept from its receipt until it is handled.

    Its id gives the event an update id of its own (`OTHER_CHANNEL_UPDATE_IDS` + id) that the
    unit of work claims, so a messenger that delivers an event twice gets it handled once, and
    an event received just before a crash is handled at the next start.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "event_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    event_key: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    handovers: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """How many starts handed it to the bot again (`storage.inbound.MAX_HANDOVERS`)."""


OTHER_CHANNEL_UPDATE_IDS = 2**40
"""Added to an inbound event's id to make its update id, far above Telegram's update ids."""


class PolledUpdate(SQLModel, table=True):
    """A Telegram update fetched by long polling, kept from its fetch until it is handled.

    python-telegram-bot confirms an answer's updates to Telegram at its next getUpdates call,
    which comes before they are all handled; Telegram never sends a confirmed update again. A
    process killed in between (kill -9, a power cut) would lose them, so each answer is written
    here first (`bot.runtime.inbox`), a row is deleted once its update is handled, and the next
    start hands what is left to the bot again.
    """

    __tablename__ = "polled_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    handovers: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """How many starts handed it to the bot again (`storage.inbound.MAX_HANDOVERS`)."""


class ChannelToken(SQLModel, table=True):
    """A messenger's current access token pair, refreshed by the bot and kept here, not in `.env`,
    because the provider hands out a new refresh token at each use."""

    __tablename__ = "channel_tokens"

    channel: str = Field(primary_key=True)
    access_token: str
    refresh_token: str
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    failed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    failure: str | None = None


class SendSlot(SQLModel, table=True):
    """One message sent within the last moments by any process of the bot, counted against the
    messenger's overall limit (`storage.send_budget`; used on PostgreSQL, where several processes
    may send)."""

    __tablename__ = "send_slots"

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    paid: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    """Telegram's paid broadcast, which counts toward the paid limit only."""
