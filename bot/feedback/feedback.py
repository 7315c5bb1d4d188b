"""Free feedback (góp ý, phản ánh) from citizens, and the office's answers.

Only active staff and admins may answer, and only one answer per feedback is accepted. Staff
learn a citizen only by the feedback number: they see the text and the photo, never a name, a
phone number or a chat id. A chat may send a few feedbacks a day (MOTCUA_FEEDBACK_PER_DAY), so
that nobody can flood the staff; feedback and answers are queued behind case notifications.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.conversation.turns import Turns, language_of
from bot.feedback.presses import AnswerPress
from bot.feedback.prompts import ANSWER_PROMPT, FEEDBACK_PROMPT
from bot.staff.permissions import NOT_ALLOWED, active_member, may_speak_for_the_office, record_denial
from dialogs.output import Attachment, Button, Outcome, Reply, Rich
from locales import Translator, get_translator
from storage.models import Feedback, StaffMember
from storage.outbox import FEEDBACK_PRIORITY, enqueue

MAX_TEXT = 3000


class Feedbacks:
    def __init__(self, turns: Turns, tz: ZoneInfo, per_day: int) -> None:
        self.turns = turns
        self.tz = tz
        self.per_day = per_day

    def feedback_prompt(self, update_id: int, chat_id: int) -> Outcome | None:
        """The home screen's button or /gopy: ask for the feedback with a prompt to reply to,
        unless the chat has sent all it may today."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            if self._sent_today(turn.session, chat_id, turn.now) >= self.per_day:
                return self._enough_today(turn.tr)
            return Outcome(prompt=turn.tr.gettext(FEEDBACK_PROMPT))

    def _sent_today(self, session: Session, chat_id: int, now: datetime) -> int:
        """Feedbacks from the chat since midnight at the office."""
        midnight = datetime.combine(now.astimezone(self.tz).date(), time(), self.tz)
        return session.exec(select(func.count()).select_from(Feedback).where(
            Feedback.chat_id == chat_id, Feedback.created_at >= midnight,
            Feedback.created_at < midnight + timedelta(days=1))).one()

    def _enough_today(self, tr: Translator) -> Outcome:
        text = tr.ngettext("Thank you: you have sent {n} feedback today, as many as one person may send in a day. "
                           "The office will read it; you can write again tomorrow.",
                           "Thank you: you have sent {n} feedbacks today, as many as one person may send in a day. "
                           "The office will read them; you can write again tomorrow.", self.per_day)
        return Outcome([Reply(Rich.plain(text.format(n=self.per_day)))])

    def submit(self, update_id: int, chat_id: int, text: str | None, photo_file_id: str | None, *,
               other_media: bool = False) -> Outcome | None:
        """A reply to the feedback prompt: store it and queue it for every active staff member
        and admin, with the photo by file id (nothing is uploaded again)."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            if self._sent_today(session, chat_id, turn.now) >= self.per_day:
                return self._enough_today(tr)
            body = (text or "").strip()
            if not body or len(body) > MAX_TEXT or other_media:
                warning = tr.gettext("Please write your feedback as text (or as the caption of one photo), "
                                     "in at most {max} characters.").format(max=MAX_TEXT)
                return Outcome([Reply(Rich.plain("⚠️ " + warning))], prompt=tr.gettext(FEEDBACK_PROMPT))
            item = Feedback(chat_id=chat_id, text=body, photo_file_id=photo_file_id, created_at=turn.now)
            session.add(item)
            session.flush()
            members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))
                                   .order_by(col(StaffMember.id))).all()
            for member in members:
                if may_speak_for_the_office(member):
                    self._send_to_staff(session, member, item, turn.now)
            thanks = tr.gettext("Thank you. Your feedback #{id} was sent to the office.").format(id=item.id)
            return Outcome([Reply(Rich.plain(thanks))])

    def _send_to_staff(self, session: Session, member: StaffMember, item: Feedback, now: datetime) -> None:
        tr = get_translator(language_of(session, member.telegram_id))
        if item.photo_file_id:
            caption = Rich.plain(tr.gettext("Photo attached to feedback #{id}").format(id=item.id))
            photo = Attachment("photo", caption, telegram_file_id=item.photo_file_id)
            enqueue(session, member.telegram_id, Reply(attachments=(photo,)), now=now, priority=FEEDBACK_PRIORITY)
        heading = tr.gettext("💬 Feedback #{id} from a citizen ({time}):").format(
            id=item.id, time=tr.datetime(item.created_at.astimezone(self.tz)))
        reply = Reply(Rich.bold(heading) + "\n\n" + item.text,
                      ((Button.to(tr.gettext("↩️ Answer"), AnswerPress(item.id or 0)),),))
        enqueue(session, member.telegram_id, reply, now=now, priority=FEEDBACK_PRIORITY)

    def press_answer(self, update_id: int, telegram_id: int, press: AnswerPress) -> Outcome | None:
        """A staff member taps "Answer": checked, then asked for the text with a prompt."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            member = active_member(session, telegram_id)
            item = session.get(Feedback, press.feedback_id)
            if not may_speak_for_the_office(member) or item is None:
                record_denial(session, telegram_id, press.encode(), "forged" if item is None else "not permitted",
                              turn.now)
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            if item.answer is not None:
                return Outcome([self._answered_by(session, item, tr)])
            return Outcome(prompt=tr.gettext(ANSWER_PROMPT).format(id=item.id))

    def answer(self, update_id: int, telegram_id: int, feedback_id: int, text: str | None) -> Outcome | None:
        """A reply to "Answer to feedback #N": the first answer is stored and queued for the
        citizen in their language; any later one is refused with the name of who answered."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            member = active_member(session, telegram_id)
            item = session.get(Feedback, feedback_id)
            if not may_speak_for_the_office(member) or item is None:
                record_denial(session, telegram_id, f"answer:{feedback_id}", "not permitted", turn.now)
                return Outcome([Reply(Rich.plain(tr.gettext(NOT_ALLOWED)))])
            assert member is not None
            if item.answer is not None:
                return Outcome([self._answered_by(session, item, tr)])
            body = (text or "").strip()
            if not body or len(body) > MAX_TEXT:
                warning = tr.gettext("Please write the answer as text, in at most {max} characters.").format(max=MAX_TEXT)
                return Outcome([Reply(Rich.plain("⚠️ " + warning))],
                               prompt=tr.gettext(ANSWER_PROMPT).format(id=item.id))
            stored = session.execute(update(Feedback).where(Feedback.id == item.id, col(Feedback.answer).is_(None))
                                     .values(answer=body, answered_by=member.id, answered_at=turn.now)).rowcount
            if stored != 1:
                session.refresh(item)
                return Outcome([self._answered_by(session, item, tr)])
            citizen = get_translator(language_of(session, item.chat_id))
            heading = citizen.gettext("The office answered your feedback #{id}:").format(id=item.id)
            enqueue(session, item.chat_id, Reply(Rich.plain(f"{heading}\n\n{body}")), now=turn.now,
                    priority=FEEDBACK_PRIORITY)
            done = tr.gettext("Your answer to feedback #{id} was sent to the citizen.").format(id=item.id)
            return Outcome([Reply(Rich.plain("✅ " + done))])

    @staticmethod
    def _answered_by(session: Session, item: Feedback, tr: Translator) -> Reply:
        who = session.get(StaffMember, item.answered_by) if item.answered_by is not None else None
        text = tr.gettext("Feedback #{id} was already answered by {name}.").format(
            id=item.id, name=who.name if who is not None else "?")
        return Reply(Rich.plain("⚠️ " + text))
