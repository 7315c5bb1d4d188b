"""Case codes ('HS-261127-0001'): made unique by a counter in the database, typed back by people
in any case and with stray spaces."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Case, CaseCodeCounter


def next_code(session: Session, day: date, prefix: str) -> str:
    """Short enough to read over the phone, unique because the day's counter is incremented
    atomically in the database (two processes never get the same number)."""
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


def normalize_code(code: str) -> str:
    """'hs-261127 -0001' → 'HS-261127-0001': stored codes are upper-case without spaces."""
    return "".join(code.split()).upper()


def find_case(session: Session, code: str) -> Case | None:
    return session.exec(select(Case).where(Case.code == normalize_code(code))).first()
