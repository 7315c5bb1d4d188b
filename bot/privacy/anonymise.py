"""Removing a person's data while keeping what the office must count.

A case keeps its code, procedure, field, status, dates, officer and rating score: the figures of
`motcua report` and the QĐ 766 indicators read nothing else, so they are the same before and
after. It loses the applicant's name and answers, its files, the officers' notes, the citizen's
chat id (in the case, its events, its rating and its consent record) and the rating's comment.
The consent record stays, without the chat: proof that the data was collected with consent.

Every change is conditional (`anonymised_at IS NULL`, a dialog's version), so two purges at
once, or a purge beside the running bot, do each thing once. The functions return the files
they let go of; the caller deletes them after its commit (`bot.privacy.files`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, delete, update
from sqlmodel import Session, col, select

from bot.cases.status import CaseStatus
from dialogs.model import DialogState
from storage.models import (
    Case,
    CaseDocument,
    CaseEvent,
    ChatSession,
    Consent,
    DeniedAction,
    Feedback,
    OfficerPrompt,
    OutboxMessage,
    Rating,
    Subscriber,
)

ANONYMOUS = 0
"""The chat id left where a person was: no Telegram or Zalo chat has it."""
CITIZEN_ACTOR = "citizen"
FINISHED = ("sent", "failed")
EMPTY: dict[str, object] = {}


def is_closed(case: Case) -> bool:
    return CaseStatus(case.status).is_closed


def anonymise_case(session: Session, case: Case, now: datetime) -> set[str] | None:
    """Strip a closed case of its personal data; the files it no longer holds, or None when it
    was anonymised already."""
    changed = session.execute(update(Case).where(col(Case.id) == case.id, col(Case.anonymised_at).is_(None)).values(
        applicant_name="", applicant_data=EMPTY, chat_id=ANONYMOUS, anonymised_at=now)).rowcount
    if changed != 1:
        return None
    freed = set(session.exec(select(CaseDocument.sha256).where(CaseDocument.case_id == case.id)).all())
    session.execute(delete(CaseDocument).where(col(CaseDocument.case_id) == case.id))
    session.execute(delete(OfficerPrompt).where(col(OfficerPrompt.case_id) == case.id))
    session.execute(update(CaseEvent).where(col(CaseEvent.case_id) == case.id).values(note=None))
    by_citizen = col(CaseEvent.actor).like(f"{CITIZEN_ACTOR}:%")
    session.execute(update(CaseEvent).where(col(CaseEvent.case_id) == case.id, by_citizen).values(actor=CITIZEN_ACTOR))
    session.execute(update(Rating).where(col(Rating.case_id) == case.id).values(chat_id=ANONYMOUS, comment=None))
    if case.consent_id is not None:
        session.execute(update(Consent).where(col(Consent.id) == case.consent_id).values(chat_id=ANONYMOUS))
    return freed


def drop_dialog(session: Session, row: ChatSession, now: datetime, *, expired: bool = False) -> set[str] | None:
    """Delete the application in progress of a chat; None if the chat changed meanwhile (its
    next message will find the application as it left it)."""
    if row.dialog is None:
        return set()
    files = {f.sha256 for f in DialogState.model_validate(row.dialog).all_files()}
    values: dict[str, object] = {"dialog": None, "version": row.version + 1}
    if expired:
        values["dialog_expired_at"] = now
    unchanged = (col(ChatSession.chat_id) == row.chat_id, col(ChatSession.version) == row.version)
    changed = session.execute(update(ChatSession).where(*unchanged).values(**values)).rowcount
    return files if changed == 1 else None


def anonymise_feedback(session: Session, where: object) -> int:
    """Feedback keeps its dates (the figures count it and its answers), not its words or sender."""
    kept = col(Feedback.chat_id) != ANONYMOUS
    return session.execute(update(Feedback).where(where, kept).values(  # type: ignore[arg-type]
        chat_id=ANONYMOUS, text="", photo_file_id=None, answer=None)).rowcount


def empty_finished_messages(session: Session, where: object) -> int:
    """Sent and failed messages keep their status and dates (announcement figures), not their content."""
    return session.execute(update(OutboxMessage).where(
        where, col(OutboxMessage.status).in_(FINISHED),  # type: ignore[arg-type]
        cast(OutboxMessage.payload, Text) != "{}").values(payload=EMPTY)).rowcount


@dataclass
class Forgotten:
    """What erasing a chat did, for the confirmation the citizen or the desk reads."""

    anonymised: list[str] = field(default_factory=list)
    """Codes of the closed cases stripped of personal data."""
    kept_open: list[Case] = field(default_factory=list)
    """Open cases: kept until closed, anonymised then; the officers are told of the request."""
    newly_requested: list[Case] = field(default_factory=list)
    dialog: bool = False
    subscription: bool = False
    consents: int = 0
    files: set[str] = field(default_factory=set)


def forget_chat(session: Session, chat_id: int, now: datetime) -> Forgotten:
    """Erase what the office holds about a chat, except the open cases, which the law lets the
    office keep until they are closed: those are marked, and anonymised when they close."""
    done = Forgotten()
    cases = session.exec(select(Case).where(Case.chat_id == chat_id).order_by(col(Case.id))).all()
    for case in cases:
        if is_closed(case):
            done.files |= anonymise_case(session, case, now) or set()
            done.anonymised.append(case.code)
            continue
        done.kept_open.append(case)
        if case.erasure_requested_at is None:
            session.execute(update(Case).where(col(Case.id) == case.id).values(erasure_requested_at=now))
            done.newly_requested.append(case)
    row = session.get(ChatSession, chat_id)
    if row is not None:
        done.dialog = row.dialog is not None
        done.files |= drop_dialog(session, row, now) or set()
        if not done.kept_open:
            session.execute(delete(ChatSession).where(col(ChatSession.chat_id) == chat_id))
    open_consents = [c.consent_id for c in done.kept_open if c.consent_id is not None]
    done.consents = session.execute(update(Consent).where(
        col(Consent.chat_id) == chat_id, col(Consent.id).not_in(open_consents)).values(chat_id=ANONYMOUS)).rowcount
    done.subscription = session.execute(delete(Subscriber).where(col(Subscriber.chat_id) == chat_id)).rowcount > 0
    anonymise_feedback(session, col(Feedback.chat_id) == chat_id)
    session.execute(update(Rating).where(col(Rating.chat_id) == chat_id).values(chat_id=ANONYMOUS, comment=None))
    mine = col(OutboxMessage.chat_id) == chat_id
    empty_finished_messages(session, mine)
    finished = col(OutboxMessage.status).in_(FINISHED)
    session.execute(update(OutboxMessage).where(mine, finished).values(chat_id=ANONYMOUS))
    if not done.kept_open:
        session.execute(delete(OutboxMessage).where(mine))
    session.execute(delete(DeniedAction).where(col(DeniedAction.telegram_id) == chat_id))
    return done


@dataclass
class Withdrawn:
    consents: int
    dialog: bool
    open_cases: list[str]
    files: set[str]


def withdraw_consent(session: Session, chat_id: int, now: datetime) -> Withdrawn:
    """Consent withdrawn: recorded on every consent of the chat, and the application in progress
    (which rests on it alone) is deleted. Filed cases go on as the law on procedures requires."""
    given = (col(Consent.chat_id) == chat_id, col(Consent.withdrawn_at).is_(None))
    consents = session.execute(update(Consent).where(*given).values(withdrawn_at=now)).rowcount
    row = session.get(ChatSession, chat_id)
    had_dialog = row is not None and row.dialog is not None
    dropped = drop_dialog(session, row, now) if row is not None else set()
    open_cases = [c.code for c in session.exec(select(Case).where(Case.chat_id == chat_id)).all() if not is_closed(c)]
    return Withdrawn(consents, had_dialog, open_cases, dropped or set())
