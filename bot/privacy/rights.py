"""The citizen's rights over their data, in the chat (/dulieu, or "🔐 My data" on the home
screen): see what the office holds, get it as a file, withdraw consent, ask for deletion.

Deletion is done at once for everything but the cases still being handled, which the law on
administrative procedures lets the office keep until they are closed: those are marked, their
officers are told, and the purge anonymises them as soon as they close. Withdrawing consent
deletes the application in progress, which rests on consent alone. Both ask once more before
acting, and both act on the chat that taps, so no button can act on anyone else's data.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.cases.notices import CaseNotices
from bot.conversation.turns import Turns, language_of
from bot.privacy.anonymise import Forgotten, Withdrawn, forget_chat, withdraw_consent
from bot.privacy.files import delete_unreferenced
from bot.privacy.holdings import Holdings, holdings
from bot.privacy.presses import DataAction, DataPress
from bot.privacy.retention import Retention
from bot.privacy.statement import Statement
from bot.settings import Settings
from dialogs.catalog import Catalog
from dialogs.output import Attachment, Button, Reply, Rich
from dialogs.steps import Navigate, Place
from locales import N_, Translator, get_translator
from storage.files import FileStore

CONFIRMATIONS = {
    DataAction.WITHDRAW: (
        N_("If you withdraw your consent, the application you are filling in (if any) is deleted with its "
           "documents. Cases you have already submitted go on being handled, as the law on administrative "
           "procedures requires; to have them deleted too, choose “Delete my data”.\n\nWithdraw your consent?"),
        N_("✅ Yes, withdraw"), DataAction.WITHDRAW_CONFIRMED),
    DataAction.ERASE: (
        N_("This deletes what the office holds about you: your application in progress, your closed cases (only "
           "anonymous figures stay), your consent records (kept without your name, as proof), your feedback and "
           "your announcement subscription. Cases still being handled are kept until they are closed, as the law "
           "allows, and deleted then; their officers are told. This cannot be undone.\n\nDelete your data?"),
        N_("🗑 Yes, delete"), DataAction.ERASE_CONFIRMED),
}


class CitizenRights:
    def __init__(self, turns: Turns, catalog: Catalog, notices: CaseNotices, files: FileStore,
                 settings: Settings) -> None:
        self.turns = turns
        self.catalog = catalog
        self.notices = notices
        self.files = files
        self.settings = settings
        self.retention = Retention.of(settings)

    def _read(self, chat_id: int) -> tuple[Translator, Holdings, Statement]:
        with Session(self.turns.db) as session:
            tr = get_translator(language_of(session, chat_id))
            held = holdings(session, chat_id)
        return tr, held, Statement(self.catalog, tr, self.settings.tz, self.retention)

    def overview(self, chat_id: int) -> Reply:
        tr, held, statement = self._read(chat_id)
        _ = tr.gettext
        parts = [Rich.of(_("🔐 **What {office} holds about you**"), office=self.settings.office_name)]
        parts += [Rich.bold(section.heading + ":") + "\n" + "\n".join(
            line if line.startswith(" ") else f"• {line}" for line in section.lines)
            for section in statement.sections(held, full=False)]
        parts.append(Rich.plain(self._terms(tr)))
        rows = ((Button.to(_("📄 Send it to me as a file"), DataPress(DataAction.EXPORT)),),
                (Button.to(_("🚫 Withdraw my consent"), DataPress(DataAction.WITHDRAW)),
                 Button.to(_("🗑 Delete my data"), DataPress(DataAction.ERASE))),
                (_home(tr),))
        return Reply(Rich.join("\n\n", parts), rows)

    def _terms(self, tr: Translator) -> str:
        return tr.gettext(
            "A case's data is kept while it is handled and {months} months after it is closed, then deleted; the "
            "office's figures keep no name. Only the officers who handle your case see it. To correct an answer "
            "of a submitted case, tell the desk ({address}); before you submit, tap the answer on the summary."
        ).format(months=self.retention.months, address=self.settings.office_address)

    def export(self, chat_id: int) -> Reply:
        """Everything, in full, as a PDF sent back in the chat."""
        now = self.turns.clock()
        tr, held, statement = self._read(chat_id)
        _ = tr.gettext
        title = _("Your personal data held by {office}").format(office=self.settings.office_name)
        as_of = _("As of {time}.").format(time=tr.datetime(now.astimezone(self.settings.tz)))
        from bot.privacy.export import render  # noqa: PLC0415 - fpdf2 loads when first needed (see bot.forms.maker)

        content = render(title, [as_of, self._terms(tr)], statement.sections(held, full=True))
        caption = Rich.plain(_("📄 Your data, as the office holds it today."))
        document = Attachment("document", caption, data=content, file_name="du-lieu-ca-nhan.pdf",
                              mime_type="application/pdf")
        return Reply(attachments=(document,), buttons=((_back(tr), _home(tr)),))

    def confirm(self, chat_id: int, action: DataAction) -> Reply:
        tr = get_translator(self.turns.language(chat_id))
        text, yes, confirmed = CONFIRMATIONS[action]
        return Reply(Rich.plain(tr.gettext(text)), ((Button.to(tr.gettext(yes), DataPress(confirmed)), _back(tr)),))

    def withdraw(self, update_id: int, chat_id: int) -> Reply | None:
        """None when this update was handled before."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            tr = turn.tr
            done = withdraw_consent(turn.session, chat_id, turn.now)
        delete_unreferenced(self.turns.db, self.files, done.files)
        return Reply(Rich.plain(_withdrawn(done, tr)), ((_home(tr),),))

    def erase(self, update_id: int, chat_id: int) -> Reply | None:
        """None when this update was handled before."""
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            tr = turn.tr
            done = self.forget(turn.session, chat_id, turn.now)
        delete_unreferenced(self.turns.db, self.files, done.files)
        return Reply(Rich.plain(erased(done, tr)), ((_home(tr),),))

    def forget(self, session: Session, chat_id: int, now: datetime) -> Forgotten:
        """Erase the chat's data and tell the officers of the cases kept open (the citizen's
        request and `motcua citizen forget` alike); the caller deletes `files` after its commit."""
        done = forget_chat(session, chat_id, now)
        for case in done.newly_requested:
            self.notices.erasure_requested(session, case)
        return done


def _home(tr: Translator) -> Button:
    return Button.to(tr.gettext("🏠 Main menu"), Navigate(Place.HOME))


def _back(tr: Translator) -> Button:
    return Button.to(tr.gettext("⬅️ Back"), DataPress(DataAction.SHOW))


def _withdrawn(done: Withdrawn, tr: Translator) -> str:
    _ = tr.gettext
    lines = [_("✅ Your consent is withdrawn.")]
    if done.dialog:
        lines.append(_("The application you were filling in was deleted, with its documents."))
    if done.open_cases:
        lines.append(_("Your submitted cases ({codes}) go on being handled, as the law requires. To have them "
                       "deleted once they are finished, choose “Delete my data”.").format(
            codes=", ".join(done.open_cases)))
    return "\n\n".join(lines)


def erased(done: Forgotten, tr: Translator) -> str:
    """The confirmation: what was deleted, and what is kept until when."""
    _ = tr.gettext
    deleted = []
    if done.dialog:
        deleted.append(_("your application in progress, with its documents"))
    if done.anonymised:
        deleted.append(tr.ngettext("{n} closed case (only anonymous figures stay)",
                                   "{n} closed cases (only anonymous figures stay)",
                                   len(done.anonymised)).format(n=len(done.anonymised)))
    if done.consents:
        deleted.append(_("your consent records (kept without your name, as proof)"))
    if done.subscription:
        deleted.append(_("your announcement subscription"))
    lines = [_("✅ Done. Deleted:") + "\n" + "\n".join(f"• {item}" for item in deleted) if deleted
             else _("✅ Done. There was nothing else to delete.")]
    if done.kept_open:
        lines.append(_("Kept until they are closed, as the law allows: {codes}. The officers have been told of your "
                       "request; they will be deleted when the cases are closed.").format(
            codes=", ".join(case.code for case in done.kept_open)))
    return "\n\n".join(lines)
