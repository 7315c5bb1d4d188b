"""Staff accounts: officers (by field), office staff and admins, and one-time invite links.
Who may do what is decided in `bot.staff.permissions`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, select

from bot.conversation.turns import Turns
from bot.staff.permissions import Role
from dialogs.output import Press
from storage.models import StaffInvite, StaffMember


@dataclass(frozen=True)
class InviteLink(Press):
    """The deep link printed by `motcua staff invite`: t.me/<bot>?start=inv_<code>."""

    ROUTE = "inv"
    SEPARATOR = "_"

    code: str


class StaffError(Exception):
    """A staff command cannot be carried out; the message says why, in one line."""


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
    invite = StaffInvite(code=secrets.token_urlsafe(12), name=name, role=role, fields=list(fields),
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


class Invitations:
    """Redeeming an invite link as one unit of work, so a repeated update redeems nothing twice."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    def redeem(self, update_id: int, telegram_id: int, link: InviteLink,
               display_name: str) -> tuple[StaffMember | InviteProblem, str] | None:
        """The outcome and the language to tell it in; None when the update was handled before."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            outcome = redeem_invite(turn.session, link.code, telegram_id=telegram_id, display_name=display_name,
                                    now=turn.now)
            return outcome, turn.language
