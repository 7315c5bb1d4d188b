"""Staff accounts: officers (by field), office staff and admins, and one-time invite links.

Who may act on a case is decided here, from the database, on every action; nothing a button
carries is trusted.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, select

from locales import N_
from storage.models import Case, StaffInvite, StaffMember

INVITE_PREFIX = "inv_"


class Role(StrEnum):
    OFFICER = "officer"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_LABELS = {Role.OFFICER: N_("officer"), Role.STAFF: N_("office staff"), Role.ADMIN: N_("administrator")}


class StaffError(Exception):
    """A staff command cannot be carried out; the message says why, in one line."""


def active_member(session: Session, telegram_id: int) -> StaffMember | None:
    return session.exec(select(StaffMember).where(StaffMember.telegram_id == telegram_id,
                                                  StaffMember.active == True)).first()  # noqa: E712


def may_handle(member: StaffMember | None, case: Case) -> bool:
    """Officers act on the cases of their fields; admins on every case; nobody else on any."""
    if member is None or not member.active:
        return False
    if member.role == Role.ADMIN:
        return True
    return member.role == Role.OFFICER and case.field_id in member.fields


def officers_for_field(session: Session, field_id: str) -> list[StaffMember]:
    members = session.exec(select(StaffMember).where(StaffMember.active == True)).all()  # noqa: E712
    return [m for m in members if m.role == Role.OFFICER and field_id in m.fields]


def add_member(session: Session, *, telegram_id: int, name: str, role: Role, fields: list[str],
               known_fields: set[str], now: datetime) -> StaffMember:
    _check_fields(role, fields, known_fields)
    existing = session.exec(select(StaffMember).where(StaffMember.telegram_id == telegram_id)).first()
    member = existing or StaffMember(telegram_id=telegram_id, name=name, role=role, created_at=now)
    member.name, member.role, member.fields, member.active = name, role, list(fields), True
    session.add(member)
    session.flush()
    return member


def remove_member(session: Session, telegram_id: int) -> None:
    removed = session.execute(update(StaffMember).where(StaffMember.telegram_id == telegram_id,
                                                        StaffMember.active == True)  # noqa: E712
                              .values(active=False)).rowcount
    if removed != 1:
        raise StaffError(f"no active staff member with Telegram id {telegram_id}")


def _check_fields(role: Role, fields: list[str], known_fields: set[str]) -> None:
    unknown = [f for f in fields if f not in known_fields]
    if unknown:
        raise StaffError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known_fields))}")
    if role == Role.OFFICER and not fields:
        raise StaffError("an officer needs at least one field (--fields ho-tich,chung-thuc)")


def create_invite(session: Session, *, role: Role, fields: list[str], name: str | None, known_fields: set[str],
                  now: datetime, valid_for: timedelta) -> StaffInvite:
    _check_fields(role, fields, known_fields)
    invite = StaffInvite(code=INVITE_PREFIX + secrets.token_urlsafe(12), name=name, role=role, fields=list(fields),
                         created_at=now, expires_at=now + valid_for)
    session.add(invite)
    return invite


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def redeem_invite(session: Session, code: str, *, telegram_id: int, display_name: str,
                  now: datetime) -> StaffMember | InviteProblem:
    """Bind the account that opened the link; the code is spent in the same transaction, so
    two people opening one link at the same moment cannot both become staff."""
    invite = session.exec(select(StaffInvite).where(StaffInvite.code == code)).first()
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    spent = session.execute(update(StaffInvite).where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))  # type: ignore[union-attr]
                            .values(used_at=now, used_by=telegram_id)).rowcount
    if spent != 1:
        return InviteProblem.USED
    existing = session.exec(select(StaffMember).where(StaffMember.telegram_id == telegram_id)).first()
    member = existing or StaffMember(telegram_id=telegram_id, name=invite.name or display_name, role=invite.role,
                                     created_at=now)
    member.role, member.fields, member.active = invite.role, list(invite.fields), True
    if invite.name:
        member.name = invite.name
    session.add(member)
    session.flush()
    return member
