"""Creating cases: the case code, its due date, its documents and the first audit entry."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.case_status import CaseStatus
from dialogs.catalog import Procedure
from dialogs.model import DialogState
from storage.models import Case, CaseCodeCounter, CaseDocument, CaseEvent


def next_code(session: Session, day: date, prefix: str) -> str:
    """'HS-261127-0001': short enough to read over the phone, unique because the day's counter is
    incremented atomically in the database (two processes never get the same number)."""
    statement = (
        update(CaseCodeCounter).where(CaseCodeCounter.day == day)
        .values(last=CaseCodeCounter.last + 1).returning(CaseCodeCounter.last)
    )
    number = session.execute(statement).scalar_one_or_none()
    if number is None:
        try:
            with session.begin_nested():
                session.add(CaseCodeCounter(day=day, last=1))
            number = 1
        except IntegrityError:
            number = session.execute(statement).scalar_one()
    body = f"{day:%y%m%d}-{number:04d}"
    return f"{prefix}-{body}" if prefix else body


def create_case(
    session: Session,
    *,
    state: DialogState,
    procedure: Procedure,
    chat_id: int,
    language: str,
    consent_id: int | None,
    now: datetime,
    local_day: date,
    due: date,
    code_prefix: str,
) -> Case:
    case = Case(
        code=next_code(session, local_day, code_prefix),
        procedure_id=procedure.id,
        field_id=procedure.field.id,
        chat_id=chat_id,
        status=CaseStatus.SUBMITTED,
        applicant_name=state.answers.get("full_name", ""),
        applicant_data=dict(state.answers),
        language=language,
        consent_id=consent_id,
        created_at=now,
        due_date=due,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    for document in procedure.collected_documents:
        for position, stored in enumerate(state.documents.get(document.id, []), start=1):
            session.add(CaseDocument(
                case_id=case.id, document_id=document.id, position=position, sha256=stored.sha256,
                mime_type=stored.mime_type, size=stored.size, telegram_file_id=stored.file_id,
                telegram_file_unique_id=stored.file_unique_id, telegram_kind=stored.kind,
            ))
    session.add(CaseEvent(case_id=case.id, at=now, actor=f"citizen:{chat_id}", from_status=None,
                          to_status=CaseStatus.SUBMITTED))
    return case


def find_case(session: Session, code: str) -> Case | None:
    return session.exec(select(Case).where(Case.code == code.strip().upper())).first()
