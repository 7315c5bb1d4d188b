"""The daily purge: personal data is kept no longer than the consent notice promises.

- Closed cases whose retention period is over (and closed cases whose citizen asked for
  deletion while they were open) are anonymised (`bot.privacy.anonymise`): the figures and the
  QĐ 766 indicators stay the same, the person is gone.
- Applications left unfinished longer than the setting are deleted with their files; the
  citizen is told at their next message.
- Consent records and feedback older than the retention period lose the chat id and the text.
- Messages lose their content once sent (failed ones a week later), and their recipient after
  the retention period; a message still unsent then (a Zalo citizen who never wrote again) is
  dropped. Update ids and
  webhook events already handled, and chats that hold nothing (no application, no language),
  are dropped after a week (a chat told its application expired, once it heard it or after the
  retention period); refused taps, and the Zalo id of a follower silent that long with no case
  left, after the retention period.
- Files nothing refers to any more are deleted (see `bot.privacy.files`).

It runs once a day inside the bot (`daily`) and as `motcua privacy purge` from cron. Each run
does only what is still to do, in one transaction per run, so it is safe to run twice, or beside
the running bot; `dry_run` counts without changing anything.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, func, or_, select as sa_select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.privacy.anonymise import (
    ANONYMOUS,
    FINISHED,
    anonymise_case,
    anonymise_feedback,
    drop_dialog,
    empty_finished_messages,
    is_closed,
)
from bot.privacy.files import delete_files, orphans, referenced
from bot.privacy.retention import Retention
from bot.settings import Settings
from storage.db import begin_writing, transaction
from storage.files import FileStore
from storage.models import (
    Case,
    ChannelChat,
    ChatSession,
    Consent,
    DeniedAction,
    Feedback,
    InboundEvent,
    JobRun,
    OutboxMessage,
    PolledUpdate,
    ProcessedUpdate,
    Subscriber,
)

log = logging.getLogger(__name__)
FORGOTTEN = "forgotten-"
"""The external id left on a messenger chat whose person was forgotten."""
ORPHAN_GRACE = timedelta(days=1)
"""A file nothing refers to is left this long: it may be a download whose step is not saved yet."""


@dataclass
class PurgeReport:
    cases: int = 0
    dialogs: int = 0
    consents: int = 0
    feedback: int = 0
    messages: int = 0
    bookkeeping: int = 0
    files: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{name}: {value}" for name, value in asdict(self).items())


class Purge:
    def __init__(self, db: Engine, files: FileStore, settings: Settings) -> None:
        self.db = db
        self.files = files
        self.retention = Retention.of(settings)
        self.tz = settings.tz

    def daily(self, now: datetime) -> PurgeReport | None:
        """The first call of each office-local day purges; the others return None."""
        key = f"purge:{now.astimezone(self.tz).date().isoformat()}"
        with Session(self.db) as session:
            if session.get(JobRun, key) is not None:
                return None
        report = self.run(now)
        try:
            with transaction(self.db) as session:
                session.add(JobRun(key=key, at=now))
        except IntegrityError:
            pass  # cron purged today too: both runs did only what was left
        log.info("daily purge: %s", report)
        return report

    def run(self, now: datetime, *, dry_run: bool = False) -> PurgeReport:
        report = PurgeReport()
        with Session(self.db, expire_on_commit=False) as session:
            session.begin()
            begin_writing(session)
            freed = self._cases(session, now, report) | self._dialogs(session, now, report)
            self._records(session, now, report)
            checked_at = time.time()
            doomed = {self.files.path(name) for name in freed - referenced(session, freed)}
            doomed |= set(orphans(session, self.files, now - ORPHAN_GRACE))
            if dry_run:
                session.rollback()
                report.files = sum(1 for path in doomed if path.exists())
                return report
            session.commit()
        report.files = delete_files(self.files, doomed, checked_at=checked_at)
        return report

    def _cases(self, session: Session, now: datetime, report: PurgeReport) -> set[str]:
        due = or_(col(Case.closed_at) < self.retention.closed_before(now), col(Case.erasure_requested_at).is_not(None))
        cases = session.exec(select(Case).where(col(Case.anonymised_at).is_(None), col(Case.closed_at).is_not(None),
                                                due).order_by(col(Case.id))).all()
        freed: set[str] = set()
        for case in cases:
            released = anonymise_case(session, case, now) if is_closed(case) else None
            if released is not None:
                report.cases += 1
                freed |= released
        return freed

    def _dialogs(self, session: Session, now: datetime, report: PurgeReport) -> set[str]:
        rows = session.exec(select(ChatSession).where(col(ChatSession.dialog).is_not(None),
                                                      col(ChatSession.updated_at) < self.retention.abandoned_before(now))
                            ).all()
        freed: set[str] = set()
        for row in rows:
            dropped = drop_dialog(session, row, now, expired=True)
            if dropped is not None:
                report.dialogs += 1
                freed |= dropped
        return freed

    def _records(self, session: Session, now: datetime, report: PurgeReport) -> None:
        cutoff = self.retention.closed_before(now)
        week = self.retention.bookkeeping_before(now)
        still_used = sa_select(Case.consent_id).where(col(Case.anonymised_at).is_(None),
                                                      col(Case.consent_id).is_not(None))
        report.consents = session.execute(update(Consent).where(
            col(Consent.given_at) < cutoff, col(Consent.chat_id) != ANONYMOUS,
            col(Consent.id).not_in(still_used)).values(chat_id=ANONYMOUS)).rowcount
        report.feedback = anonymise_feedback(session, col(Feedback.created_at) < cutoff)
        report.messages = empty_finished_messages(session, or_(col(OutboxMessage.status) == "sent",
                                                               col(OutboxMessage.created_at) < week))
        old = col(OutboxMessage.created_at) < cutoff
        report.messages += session.execute(delete(OutboxMessage).where(
            col(OutboxMessage.status).not_in(FINISHED), old)).rowcount
        report.messages += session.execute(update(OutboxMessage).where(
            col(OutboxMessage.status).in_(FINISHED), old, col(OutboxMessage.chat_id) != ANONYMOUS).values(
            chat_id=ANONYMOUS)).rowcount
        report.bookkeeping = sum(session.execute(statement).rowcount for statement in (
            delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < week),
            delete(InboundEvent).where(col(InboundEvent.received_at) < week),
            delete(PolledUpdate).where(col(PolledUpdate.received_at) < week),
            delete(DeniedAction).where(col(DeniedAction.at) < cutoff),
            delete(ChatSession).where(col(ChatSession.dialog).is_(None), col(ChatSession.language).is_(None), or_(
                and_(col(ChatSession.dialog_expired_at).is_(None), col(ChatSession.updated_at) < week),
                col(ChatSession.updated_at) < cutoff)),
        )) + self._idle_channel_chats(session, cutoff)

    @staticmethod
    def _idle_channel_chats(session: Session, cutoff: datetime) -> int:
        """A Zalo user silent for the retention period with no case left: their Zalo id, and what
        the chat kept under it, go. The row stays without the id, so the chat id is never given
        to someone else; should they write again, they start as a new chat."""
        holding = sa_select(Case.chat_id).where(col(Case.anonymised_at).is_(None))
        idle = list(session.exec(select(ChannelChat.chat_id).where(
            func.coalesce(col(ChannelChat.last_inbound_at), col(ChannelChat.created_at)) < cutoff,
            col(ChannelChat.external_id).not_like(f"{FORGOTTEN}%"), col(ChannelChat.chat_id).not_in(holding))).all())
        for chat_id in idle:
            session.execute(update(ChannelChat).where(col(ChannelChat.chat_id) == chat_id).values(
                external_id=f"{FORGOTTEN}{chat_id}", numbered_choices=[]))
        if idle:
            for table in (ChatSession, Subscriber):
                session.execute(delete(table).where(col(table.chat_id).in_(idle)))
        return len(idle)
