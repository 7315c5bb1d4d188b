"""Every rule about who may do what, in one place.

Decided from the database on every action; nothing a button carries is trusted. A refused
attempt is written to `denied_actions` so the desk can see forged or misdirected taps.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select

from bot.conversation.turns import Turns
from locales import N_, get_translator
from storage.models import Case, DeniedAction, StaffMember


class Role(StrEnum):
    OFFICER = "officer"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_LABELS = {Role.OFFICER: N_("officer"), Role.STAFF: N_("office staff"), Role.ADMIN: N_("administrator")}
NOT_ALLOWED = N_("You are not allowed to do this.")
NOTIFIED_ROLES = (Role.OFFICER, Role.ADMIN)
"""Who gets case notices (new cases of their fields, digests, reminders)."""


def active_member(session: Session, telegram_id: int) -> StaffMember | None:
    return session.exec(select(StaffMember).where(StaffMember.telegram_id == telegram_id,
                                                  col(StaffMember.active).is_(True))).first()


def may_handle(member: StaffMember | None, case: Case) -> bool:
    """Officers act on the cases of their fields; admins on every case; nobody else on any."""
    if member is None or not member.active:
        return False
    if member.role == Role.ADMIN:
        return True
    return member.role == Role.OFFICER and case.field_id in member.fields


def handled_by(member: StaffMember) -> ColumnElement[bool]:
    """`may_handle` as a condition on cases, so that the database picks a member's cases from
    among a million rather than Python."""
    if not member.active or member.role not in (Role.OFFICER, Role.ADMIN):
        return false()
    return true() if member.role == Role.ADMIN else col(Case.field_id).in_(member.fields)


def may_speak_for_the_office(member: StaffMember | None) -> bool:
    """Announcements and answers to feedback are the office's voice: staff and admins."""
    return member is not None and member.active and member.role in (Role.STAFF, Role.ADMIN)


def may_see_figures(member: StaffMember | None) -> bool:
    """Everyone of the desk: the figures name no citizen."""
    return member is not None and member.active


def officers_for_field(session: Session, field_id: str) -> list[StaffMember]:
    """Officers who get a field's new cases (admins see them in /hoso, but are not flooded)."""
    members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True),
                                                     StaffMember.role == Role.OFFICER)).all()
    return [m for m in members if field_id in m.fields]


def notified_staff(session: Session) -> list[StaffMember]:
    query = (select(StaffMember).where(col(StaffMember.active).is_(True), col(StaffMember.role).in_(NOTIFIED_ROLES))
             .order_by(col(StaffMember.id)))
    return list(session.exec(query).all())


def record_denial(session: Session, telegram_id: int, what: str, reason: str, now: datetime) -> None:
    session.add(DeniedAction(telegram_id=telegram_id, data=what[:200], reason=reason, at=now))


def refuse_forged(turns: Turns, update_id: int, telegram_id: int, payload: str) -> str:
    """Record a button payload this bot did not make; the refusal to show, in the presser's language."""
    with turns.begin(update_id, telegram_id) as turn:
        if turn is not None:
            record_denial(turn.session, telegram_id, payload, "forged", turn.now)
    return get_translator(turns.language(telegram_id)).gettext(NOT_ALLOWED)
