"""Satisfaction ratings: one per delivered case, from its own chat, with an optional comment.

Every check is made here, from the database, on every tap and reply: a rating button works
only in the case's own chat, only for a delivered case, and only once (the database refuses a
second rating row, so two taps racing each other cannot both count).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.cases.codes import find_case
from bot.cases.status import CaseStatus
from bot.conversation.turns import Turns
from bot.feedback.presses import RatePress
from bot.feedback.prompts import COMMENT_PROMPT
from bot.staff.permissions import NOT_ALLOWED, record_denial
from dialogs.output import Button, Outcome, Reply, Rich
from locales import N_, Translator, get_translator
from storage.models import Case, Rating
from storage.outbox import enqueue

MAX_COMMENT = 1000
SCORES: dict[int, str] = {
    3: N_("😊 Very satisfied"),
    2: N_("🙂 Satisfied"),
    1: N_("🙁 Not satisfied"),
}


def rating_request(case: Case, tr: Translator) -> Reply:
    text = Rich.of(tr.gettext("How satisfied are you with the handling of case {code}?"), code=Rich.bold(case.code))
    return Reply(text, tuple((Button.to(tr.gettext(label), RatePress(case.id or 0, score)),)
                             for score, label in SCORES.items()))


def enqueue_rating_request(session: Session, case: Case, *, now: datetime) -> None:
    """Ask the citizen, in the case's language, how satisfied they are; called in the
    transaction that marks the case delivered."""
    enqueue(session, case.chat_id, rating_request(case, get_translator(case.language)), now=now)


class Ratings:
    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    def rate(self, update_id: int, chat_id: int, press: RatePress) -> Outcome | None:
        """A tap on a rating button; None when this update was handled before."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            case = session.get(Case, press.case_id)
            if case is None or press.score not in SCORES:
                record_denial(session, chat_id, press.encode(), "forged", turn.now)
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            if case.chat_id != chat_id or case.status != CaseStatus.DELIVERED:
                record_denial(session, chat_id, press.encode(), "not permitted", turn.now)
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            already = Outcome(alert=tr.gettext("You have already rated this case, thank you."), close_buttons=True)
            if session.exec(select(Rating).where(Rating.case_id == case.id)).first() is not None:
                return already
            try:
                with session.begin_nested():
                    session.add(Rating(case_id=case.id or 0, chat_id=chat_id, score=press.score, created_at=turn.now))
            except IntegrityError:  # a second tap won the race to the unique case_id
                return already
            return Outcome(toast=tr.gettext("Thank you for your rating!"), close_buttons=True,
                           prompt=tr.gettext(COMMENT_PROMPT).format(code=case.code))

    def comment(self, update_id: int, chat_id: int, code: str, text: str | None) -> Outcome | None:
        """A reply to the comment prompt of case `code`; stored once, on a rating of this chat."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            case = find_case(session, code)
            rating = session.exec(select(Rating).where(Rating.case_id == case.id)).first() if case else None
            if case is None or case.chat_id != chat_id or rating is None or rating.chat_id != chat_id:
                record_denial(session, chat_id, f"comment:{code}", "not permitted", turn.now)
                return _say(tr.gettext(NOT_ALLOWED))
            already = _say(tr.gettext("You have already added a comment on case {code}. Thank you.").format(
                code=case.code))
            if rating.comment is not None:
                return already
            note = (text or "").strip()
            if not note or len(note) > MAX_COMMENT:
                warning = tr.gettext("Please write your comment as text, in at most {max} characters.")
                return Outcome([Reply(Rich.plain("⚠️ " + warning.format(max=MAX_COMMENT)))],
                               prompt=tr.gettext(COMMENT_PROMPT).format(code=case.code))
            stored = session.execute(update(Rating).where(Rating.id == rating.id, col(Rating.comment).is_(None))
                                     .values(comment=note)).rowcount
            if stored != 1:  # another reply got there first
                return already
            return _say(tr.gettext("Thank you, your comment on case {code} was recorded.").format(code=case.code))


def _say(text: str) -> Outcome:
    return Outcome([Reply(Rich.plain(text))])
