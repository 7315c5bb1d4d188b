"""What citizens think of the office: a satisfaction rating for each delivered case (with an
optional comment) and free feedback (góp ý, phản ánh) that office staff answer.

Every check is made here, from the database, on every tap and reply: a rating button works
only in the case's own chat, only for a delivered case, and only once (the database refuses a
second rating row, so two taps racing each other cannot both count); only active staff and
admins may answer feedback, and only one answer per feedback is accepted.

Comments and answers are typed in reply to a ForceReply prompt. Which prompt a reply belongs to
is read back from the text of the replied-to message — a case code or a feedback number in a
fixed, translated sentence — so nothing has to be remembered between the prompt and the reply,
and a restart loses nothing. Staff learn a citizen only by the feedback number: they see the
text and the photo, never a name, a phone number or a chat id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import outbox
from bot.case_status import CaseStatus
from bot.staff import Role, active_member
from dialogs.model import Button, Reply
from locales import DEFAULT_LANGUAGE, LANGUAGES, N_, Translator, get_translator
from storage.db import claim_update, row_id, transaction
from storage.models import Case, ChatSession, DeniedAction, Feedback, Rating, StaffMember

RATING_PREFIX = "r."
ANSWER_PREFIX = "f."
MAX_COMMENT = 1000
MAX_TEXT = 3000

SCORES: dict[int, str] = {
    3: N_("😊 Very satisfied"),
    2: N_("🙂 Satisfied"),
    1: N_("🙁 Not satisfied"),
}

NOT_ALLOWED = N_("You are not allowed to do this.")

# The ForceReply prompts. Their text is how a reply is recognised later, so each is sent alone,
# as plain text, and keeps its placeholder ({code} or {id}) — the only variable part.
COMMENT_PROMPT = N_("Would you like to add a comment about case {code}? Reply to this message, or ignore it.")
FEEDBACK_PROMPT = N_("Please write your feedback or report (you may attach one photo with a caption). "
                     "Reply to this message.")
ANSWER_PROMPT = N_("Answer to feedback #{id}:")


class PromptKind(StrEnum):
    COMMENT = "comment"
    FEEDBACK = "feedback"
    ANSWER = "answer"


@dataclass(frozen=True)
class PromptRef:
    """A recognised prompt: its kind and the case code or feedback number it carries."""

    kind: PromptKind
    key: str = ""


_PROMPTS = ((PromptKind.COMMENT, COMMENT_PROMPT, "{code}", r"(?P<key>[A-Za-z0-9][A-Za-z0-9-]{0,39})"),
            (PromptKind.FEEDBACK, FEEDBACK_PROMPT, None, ""),
            (PromptKind.ANSWER, ANSWER_PROMPT, "{id}", r"(?P<key>\d{1,9})"))


@cache
def _patterns() -> tuple[tuple[PromptKind, re.Pattern[str]], ...]:
    """Each prompt in every language, as a regular expression: a prompt sent before the person
    switched language is still recognised."""
    patterns: list[tuple[PromptKind, re.Pattern[str]]] = []
    for language in LANGUAGES:
        tr = get_translator(language)
        for kind, message, placeholder, group in _PROMPTS:
            pattern = re.escape(tr.gettext(message).strip())
            if placeholder is not None:
                pattern = pattern.replace(re.escape(placeholder), group, 1)
            patterns.append((kind, re.compile(pattern)))
    return tuple(patterns)


def recognise(text: str | None) -> PromptRef | None:
    """Which of our ForceReply prompts `text` (a replied-to message) is, or None."""
    if not text:
        return None
    text = text.strip()
    for kind, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is not None:
            return PromptRef(kind, match.groupdict().get("key") or "")
    return None


@dataclass
class Outcome:
    """What to show the person who acted: replies (HTML), an answer to the button press
    (`alert` as a pop-up, `toast` as a brief note), a ForceReply prompt (plain text) sent last,
    and whether the buttons of the pressed message are spent and should be removed."""

    replies: list[Reply] = field(default_factory=list)
    alert: str | None = None
    toast: str | None = None
    prompt: str | None = None
    close_buttons: bool = False


def language_of(session: Session, chat_id: int) -> str:
    row = session.get(ChatSession, chat_id)
    return row.language if row is not None and row.language else DEFAULT_LANGUAGE


# ----- the rating request, queued by the case workflow ------------------------------------------


def rating_payload(case: Case, score: int) -> str:
    return f"{RATING_PREFIX}{case.id}.{score}"


def rating_request(case: Case, tr: Translator) -> Reply:
    text = tr.gettext("How satisfied are you with the handling of case {code}?").format(
        code=f"<b>{escape(case.code)}</b>")
    return Reply(text, tuple((Button(tr.gettext(label), rating_payload(case, score)),)
                             for score, label in SCORES.items()))


def enqueue_rating_request(session: Session, case: Case, *, now: datetime) -> None:
    """Ask the citizen, in the case's language, how satisfied they are; called in the
    transaction that marks the case delivered."""
    outbox.enqueue(session, case.chat_id, outbox.text_payload(rating_request(case, get_translator(case.language))),
                   now=now)


def _parse_ids(data: str, prefix: str, parts: int) -> tuple[int, ...] | None:
    pieces = data.removeprefix(prefix).split(".")
    ids = tuple(row_id(p) for p in pieces)
    if not data.startswith(prefix) or len(pieces) != parts or None in ids:
        return None
    return ids  # type: ignore[return-value]


def _is_feedback_staff(member: StaffMember | None) -> bool:
    return member is not None and member.active and member.role in (Role.STAFF, Role.ADMIN)


class Feedbacks:
    """The rating and feedback service; handlers call it with plain values and render its Outcome."""

    def __init__(self, db: Engine, tz: ZoneInfo, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.tz = tz
        self.clock = clock

    def _deny(self, session: Session, telegram_id: int, data: str, reason: str) -> None:
        session.add(DeniedAction(telegram_id=telegram_id, data=data[:200], reason=reason, at=self.clock()))

    # ----- ratings -------------------------------------------------------------------------

    def rate(self, update_id: int, chat_id: int, data: str) -> Outcome | None:
        """A tap on a rating button; None when this update was handled before."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, chat_id))
            parsed = _parse_ids(data, RATING_PREFIX, 2)
            case = session.get(Case, parsed[0]) if parsed else None
            if parsed is None or case is None or parsed[1] not in SCORES:
                self._deny(session, chat_id, data, "forged")
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            if case.chat_id != chat_id or case.status != CaseStatus.DELIVERED:
                self._deny(session, chat_id, data, "not permitted")
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            already = Outcome(alert=tr.gettext("You have already rated this case, thank you."), close_buttons=True)
            if session.exec(select(Rating).where(Rating.case_id == case.id)).first() is not None:
                return already
            try:
                with session.begin_nested():
                    session.add(Rating(case_id=case.id or 0, chat_id=chat_id, score=parsed[1],
                                       created_at=self.clock()))
            except IntegrityError:  # a second tap won the race to the unique case_id
                return already
            return Outcome(toast=tr.gettext("Thank you for your rating!"), close_buttons=True,
                           prompt=tr.gettext(COMMENT_PROMPT).format(code=case.code))

    def comment(self, update_id: int, chat_id: int, code: str, text: str | None) -> Outcome | None:
        """A reply to the comment prompt of case `code`; stored once, on a rating of this chat."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, chat_id))
            case = session.exec(select(Case).where(Case.code == code.upper())).first()
            rating = session.exec(select(Rating).where(Rating.case_id == case.id)).first() if case else None
            if case is None or case.chat_id != chat_id or rating is None or rating.chat_id != chat_id:
                self._deny(session, chat_id, f"comment:{code}", "not permitted")
                return Outcome([Reply(escape(tr.gettext(NOT_ALLOWED)))])
            already = Outcome([Reply(escape(tr.gettext("You have already added a comment on case {code}. Thank you.")
                                            .format(code=case.code)))])
            if rating.comment is not None:
                return already
            note = (text or "").strip()
            if not note or len(note) > MAX_COMMENT:
                warning = tr.gettext("Please write your comment as text, in at most {max} characters.")
                return Outcome([Reply("⚠️ " + escape(warning.format(max=MAX_COMMENT)))],
                               prompt=tr.gettext(COMMENT_PROMPT).format(code=case.code))
            stored = session.execute(update(Rating).where(Rating.id == rating.id, Rating.comment.is_(None))  # type: ignore[union-attr]
                                     .values(comment=note)).rowcount
            if stored != 1:  # another reply got there first
                return already
            thanks = tr.gettext("Thank you, your comment on case {code} was recorded.").format(code=case.code)
            return Outcome([Reply(escape(thanks))])

    # ----- feedback from citizens ----------------------------------------------------------

    def feedback_prompt(self, update_id: int, chat_id: int) -> Outcome | None:
        """The menu button or /gopy: ask for the feedback with a ForceReply prompt."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, chat_id))
        return Outcome(prompt=tr.gettext(FEEDBACK_PROMPT))

    def submit(self, update_id: int, chat_id: int, text: str | None, photo_file_id: str | None, *,
               other_media: bool = False) -> Outcome | None:
        """A reply to the feedback prompt: store it and queue it for every active staff member
        and admin, with the photo by file_id (nothing is uploaded again)."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, chat_id))
            body = (text or "").strip()
            if not body or len(body) > MAX_TEXT or other_media:
                warning = tr.gettext("Please write your feedback as text (or as the caption of one photo), "
                                     "in at most {max} characters.").format(max=MAX_TEXT)
                return Outcome([Reply("⚠️ " + escape(warning))], prompt=tr.gettext(FEEDBACK_PROMPT))
            now = self.clock()
            item = Feedback(chat_id=chat_id, text=body, photo_file_id=photo_file_id, created_at=now)
            session.add(item)
            session.flush()
            assert item.id is not None
            members = session.exec(select(StaffMember).where(StaffMember.active == True)  # noqa: E712
                                   .order_by(StaffMember.id)).all()
            for member in members:
                if _is_feedback_staff(member):
                    self._send_to_staff(session, member, item, now)
            thanks = tr.gettext("Thank you. Your feedback #{id} was sent to the office.").format(id=item.id)
            return Outcome([Reply(escape(thanks))])

    def _send_to_staff(self, session: Session, member: StaffMember, item: Feedback, now: datetime) -> None:
        tr = get_translator(language_of(session, member.telegram_id))
        if item.photo_file_id:
            caption = tr.gettext("Photo attached to feedback #{id}").format(id=item.id)
            outbox.enqueue(session, member.telegram_id, outbox.photo_payload(item.photo_file_id, escape(caption)),
                           now=now)
        heading = tr.gettext("💬 Feedback #{id} from a citizen ({time}):").format(
            id=item.id, time=tr.datetime(item.created_at.astimezone(self.tz)))
        reply = Reply(f"<b>{escape(heading)}</b>\n\n{escape(item.text)}",
                      ((Button(tr.gettext("↩️ Answer"), f"{ANSWER_PREFIX}{item.id}"),),))
        outbox.enqueue(session, member.telegram_id, outbox.text_payload(reply), now=now)

    # ----- answers from staff --------------------------------------------------------------

    def press_answer(self, update_id: int, telegram_id: int, data: str) -> Outcome | None:
        """A staff member taps "Answer": checked, then asked for the text with a ForceReply."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, telegram_id))
            member = active_member(session, telegram_id)
            parsed = _parse_ids(data, ANSWER_PREFIX, 1)
            item = session.get(Feedback, parsed[0]) if parsed else None
            if not _is_feedback_staff(member) or item is None:
                self._deny(session, telegram_id, data, "forged" if item is None else "not permitted")
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            if item.answer is not None:
                return Outcome([self._answered_by(session, item, tr)])
            return Outcome(prompt=tr.gettext(ANSWER_PROMPT).format(id=item.id))

    def answer(self, update_id: int, telegram_id: int, feedback_id: int, text: str | None) -> Outcome | None:
        """A reply to "Answer to feedback #N": the first answer is stored and queued for the
        citizen in their language; any later one is refused with the name of who answered."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            tr = get_translator(language_of(session, telegram_id))
            member = active_member(session, telegram_id)
            item = session.get(Feedback, feedback_id)
            if not _is_feedback_staff(member) or item is None:
                self._deny(session, telegram_id, f"answer:{feedback_id}", "not permitted")
                return Outcome([Reply(escape(tr.gettext(NOT_ALLOWED)))])
            assert member is not None
            if item.answer is not None:
                return Outcome([self._answered_by(session, item, tr)])
            body = (text or "").strip()
            if not body or len(body) > MAX_TEXT:
                warning = tr.gettext("Please write the answer as text, in at most {max} characters.").format(max=MAX_TEXT)
                return Outcome([Reply("⚠️ " + escape(warning))], prompt=tr.gettext(ANSWER_PROMPT).format(id=item.id))
            now = self.clock()
            stored = session.execute(update(Feedback).where(Feedback.id == item.id, Feedback.answer.is_(None))  # type: ignore[union-attr]
                                     .values(answer=body, answered_by=member.id, answered_at=now)).rowcount
            if stored != 1:
                session.refresh(item)
                return Outcome([self._answered_by(session, item, tr)])
            citizen = get_translator(language_of(session, item.chat_id))
            heading = citizen.gettext("The office answered your feedback #{id}:").format(id=item.id)
            outbox.enqueue(session, item.chat_id, outbox.text_payload(Reply(f"{escape(heading)}\n\n{escape(body)}")),
                           now=now)
            done = tr.gettext("Your answer to feedback #{id} was sent to the citizen.").format(id=item.id)
            return Outcome([Reply("✅ " + escape(done))])

    @staticmethod
    def _answered_by(session: Session, item: Feedback, tr: Translator) -> Reply:
        who = session.get(StaffMember, item.answered_by) if item.answered_by is not None else None
        text = tr.gettext("Feedback #{id} was already answered by {name}.").format(
            id=item.id, name=who.name if who is not None else "?")
        return Reply("⚠️ " + escape(text))
