"""What the office holds about a chat, in words the citizen reads: every answer on the /dulieu
screen, and besides, every document, status change and rating in the file they can ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cases.status import CaseStatus
from bot.privacy.holdings import HeldCase, Holdings
from bot.privacy.retention import Retention
from dialogs.catalog import Catalog, Procedure
from dialogs.model import DialogState
from dialogs.prompts import display_answer, short
from locales import Translator

MB = 1024 * 1024


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[str]


class Statement:
    def __init__(self, catalog: Catalog, tr: Translator, tz: ZoneInfo, retention: Retention) -> None:
        self.catalog = catalog
        self.tr = tr
        self.tz = tz
        self.retention = retention

    def sections(self, held: Holdings, *, full: bool) -> list[Section]:
        _ = self.tr.gettext
        none = [_("none")]
        files = self.tr.ngettext("{n} file, {size} MB", "{n} files, {size} MB", held.files).format(
            n=held.files, size=f"{held.bytes / MB:.1f}")
        return [
            Section(_("Application in progress"), self._dialog(held)),
            Section(_("Cases you filed"), [line for case in held.cases for line in self._case(case, full)] or none),
            Section(_("Files"), [files]),
            Section(_("Announcements"), [self._subscription(held)]),
            Section(_("Consent records"), [self._consent_line(c.procedure_id, c.given_at, c.notice_version,
                                                              c.withdrawn_at) for c in held.consents] or none),
            Section(_("Feedback you sent"), [f"{self._day(f.created_at)}: {f.text}" if full else self._day(f.created_at)
                                             for f in held.feedback] or none),
        ]

    def _day(self, moment: datetime) -> str:
        return self.tr.date(moment.astimezone(self.tz).date())

    def _title(self, procedure_id: str | None) -> str:
        procedure = self.catalog.get(procedure_id or "")
        return short(procedure, self.tr.language) if procedure is not None else procedure_id or "—"

    def _answers(self, procedure: Procedure | None, answers: dict[str, object]) -> list[str]:
        lines = []
        for key, value in answers.items():
            field = next((f for f in procedure.applicant_fields if f.id == key), None) if procedure else None
            if field is not None and isinstance(value, str):
                lines.append(f"  {field.label.get(self.tr.language)}: {display_answer(field, value, self.tr)}")
            elif isinstance(value, list):
                lines += [f"  {item}" for item in value]
            else:
                lines.append(f"  {key}: {value}")
        return lines

    def _dialog(self, held: Holdings) -> list[str]:
        _ = self.tr.gettext
        dialog: DialogState | None = held.dialog
        if dialog is None:
            return [_("none")]
        files = len(dialog.all_files())
        line = _("{procedure}: {answers} answers, {files} documents; deleted after {days} days without a message").format(
            procedure=self._title(dialog.procedure_id) if dialog.procedure_id else _("choosing a procedure"),
            answers=len(dialog.answers), files=files, days=self.retention.abandoned_days)
        return [line, *self._answers(self.catalog.get(dialog.procedure_id or ""), dict(dialog.answers))]

    def _case(self, held: HeldCase, full: bool) -> list[str]:
        _ = self.tr.gettext
        case = held.case
        status = CaseStatus(case.status).shown(self.tr)
        line = _("{code} — {procedure}: {status}, filed {date}").format(
            code=case.code, procedure=self._title(case.procedure_id), status=status, date=self._day(case.created_at))
        until = held.kept_until(self.retention)
        line += "; " + (_("kept until {date}").format(date=self._day(until)) if until is not None
                        else _("kept while it is handled, then {months} months").format(months=self.retention.months))
        if case.erasure_requested_at is not None:
            line += "; " + _("you asked for deletion: done when the case is closed")
        procedure = self.catalog.get(case.procedure_id)
        lines = [line, *self._answers(procedure, dict(case.applicant_data))]
        if not full:
            return lines
        for document in held.documents:
            name = next((d.name.get(self.tr.language) for d in procedure.documents if d.id == document.document_id),
                        document.document_id) if procedure else document.document_id
            lines.append("  " + name + ": " + self.tr.ngettext("{n} page", "{n} pages", document.pages).format(
                n=document.pages))
        for event in held.events:
            note = f": {event.note}" if event.note else ""
            who = _("you") if event.actor.startswith("citizen") else _("the desk")
            lines.append(f"  {self.tr.datetime(event.at.astimezone(self.tz))} — "
                         f"{CaseStatus(event.to_status).shown(self.tr)} ({who}){note}")
        if held.rating is not None:
            lines.append("  " + _("Your rating: {score}/3").format(score=held.rating.score)
                         + (f" — {held.rating.comment}" if held.rating.comment else ""))
        return lines

    def _subscription(self, held: Holdings) -> str:
        _ = self.tr.gettext
        row = held.subscriber
        if row is not None and row.subscribed:
            return _("you receive them (since {date}); to stop: /huythongbao").format(date=self._day(row.changed_at))
        return _("you do not receive them")

    def _consent_line(self, procedure_id: str, given: datetime, version: str, withdrawn: datetime | None) -> str:
        _ = self.tr.gettext
        line = _("{date}: {procedure} (notice of {version})").format(
            date=self._day(given), procedure=self._title(procedure_id), version=version)
        if withdrawn is not None:
            line += " — " + _("withdrawn on {date}").format(date=self._day(withdrawn))
        return line
