"""Everything the office holds about one chat, read from every table that names it: what the
citizen's /dulieu screen and file show, and what `motcua citizen show` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.cases.status import CaseStatus
from bot.conversation.chats import is_telegram_chat
from bot.privacy.retention import Retention
from dialogs.catalog import Catalog
from dialogs.model import DialogState
from storage.models import (
    Case,
    CaseDocument,
    CaseEvent,
    ChannelChat,
    ChatSession,
    Consent,
    Feedback,
    Rating,
    Subscriber,
)


@dataclass(frozen=True)
class HeldDocument:
    document_id: str
    pages: int
    size: int


@dataclass
class HeldCase:
    case: Case
    documents: list[HeldDocument]
    events: list[CaseEvent]
    rating: Rating | None

    @property
    def closed(self) -> bool:
        return CaseStatus(self.case.status).is_closed

    def kept_until(self, retention: Retention) -> datetime | None:
        return retention.kept_until(self.case.closed_at) if self.case.closed_at is not None else None


@dataclass
class Holdings:
    chat_id: int
    channel: str
    language: str | None = None
    dialog: DialogState | None = None
    dialog_updated_at: datetime | None = None
    cases: list[HeldCase] = field(default_factory=list)
    subscriber: Subscriber | None = None
    consents: list[Consent] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)

    @property
    def files(self) -> int:
        in_dialog = len(self.dialog.all_files()) if self.dialog is not None else 0
        return in_dialog + sum(d.pages for held in self.cases for d in held.documents)

    @property
    def bytes(self) -> int:
        in_dialog = sum(f.size for f in self.dialog.all_files()) if self.dialog is not None else 0
        return in_dialog + sum(d.size for held in self.cases for d in held.documents)

    @property
    def empty(self) -> bool:
        return not (self.dialog or self.cases or self.consents or self.feedback
                    or (self.subscriber is not None and self.subscriber.subscribed))


def holdings(session: Session, chat_id: int) -> Holdings:
    channel = session.get(ChannelChat, chat_id)
    held = Holdings(chat_id, "telegram" if is_telegram_chat(chat_id) else channel.channel if channel else "?")
    row = session.get(ChatSession, chat_id)
    if row is not None:
        held.language = row.language
        held.dialog = DialogState.model_validate(row.dialog) if row.dialog is not None else None
        held.dialog_updated_at = row.updated_at
    for case in session.exec(select(Case).where(Case.chat_id == chat_id).order_by(col(Case.created_at))).all():
        documents = session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                 .order_by(col(CaseDocument.id))).all()
        grouped: dict[str, HeldDocument] = {}
        for document in documents:
            known = grouped.get(document.document_id, HeldDocument(document.document_id, 0, 0))
            grouped[document.document_id] = HeldDocument(document.document_id, known.pages + 1,
                                                         known.size + document.size)
        events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(col(CaseEvent.id))).all())
        rating = session.exec(select(Rating).where(Rating.case_id == case.id)).first()
        held.cases.append(HeldCase(case, list(grouped.values()), events, rating))
    held.subscriber = session.get(Subscriber, chat_id)
    held.consents = list(session.exec(select(Consent).where(Consent.chat_id == chat_id)
                                      .order_by(col(Consent.given_at))).all())
    held.feedback = list(session.exec(select(Feedback).where(Feedback.chat_id == chat_id)
                                      .order_by(col(Feedback.created_at))).all())
    return held


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_json(held: Holdings, catalog: Catalog, retention: Retention) -> dict[str, Any]:
    """All of it as plain data, for the desk (`motcua citizen show --format json`)."""
    dialog = held.dialog
    return {
        "chat_id": held.chat_id,
        "channel": held.channel,
        "language": held.language,
        "application_in_progress": None if dialog is None else {
            "procedure": dialog.procedure_id, "step": dialog.step, "answers": dialog.answers,
            "documents": {k: len(v) for k, v in dialog.documents.items()},
            "last_message": _when(held.dialog_updated_at),
        },
        "cases": [{
            "code": c.case.code, "procedure": c.case.procedure_id,
            "procedure_title": (p.title.vi if (p := catalog.get(c.case.procedure_id)) else c.case.procedure_id),
            "status": c.case.status, "filed": _when(c.case.created_at), "due": _when(c.case.due_date),
            "closed": _when(c.case.closed_at), "kept_until": _when(c.kept_until(retention)),
            "erasure_requested": _when(c.case.erasure_requested_at),
            "answers": c.case.applicant_data,
            "documents": [{"document": d.document_id, "pages": d.pages, "bytes": d.size} for d in c.documents],
            "history": [{"at": _when(e.at), "status": e.to_status, "note": e.note} for e in c.events],
            "rating": None if c.rating is None else {"score": c.rating.score, "comment": c.rating.comment},
        } for c in held.cases],
        "files": held.files,
        "bytes": held.bytes,
        "announcements": None if held.subscriber is None else {
            "subscribed": held.subscriber.subscribed, "since": _when(held.subscriber.created_at),
            "changed": _when(held.subscriber.changed_at)},
        "consents": [{"procedure": c.procedure_id, "given": _when(c.given_at), "notice_version": c.notice_version,
                      "withdrawn": _when(c.withdrawn_at)} for c in held.consents],
        "feedback": [{"at": _when(f.created_at), "text": f.text, "answer": f.answer} for f in held.feedback],
    }
