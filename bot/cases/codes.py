"""Case codes ('HS-261127-0001'): made unique by a counter in the database, typed back by people
in any case and with stray spaces."""

from __future__ import annotations

import re
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


_SHAPE = re.compile(r"([A-Z]{1,6})?-?(\d{6})(-?)(\d{4,})")


def normalize_code(code: str) -> str:
    """'hs 261127 0001' → 'HS-261127-0001': stored codes are upper-case without spaces, and the
    dashes are put back when a code was typed without them."""
    compact = "".join(code.split()).upper()
    shape = _SHAPE.fullmatch(compact)
    if shape is None:
        return compact
    prefix, day, _, number = shape.groups()
    return f"{prefix}-{day}-{number}" if prefix else f"{day}-{number}"


def is_typed_code(text: str, prefix: str) -> bool:
    """A message that is nothing but a case code, so typing it shows the case. Without the
    office's prefix a dash is required: ten bare digits are a phone number."""
    shape = _SHAPE.fullmatch("".join(text.split()).upper())
    if shape is None:
        return False
    typed_prefix, _, dash, _ = shape.groups()
    return typed_prefix == prefix if prefix else typed_prefix is None and dash == "-"


def find_case(session: Session, code: str) -> Case | None:
    return session.exec(select(Case).where(Case.code == normalize_code(code))).first()
