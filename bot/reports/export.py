"""The figures as tables: for the terminal, a CSV file and an XLSX workbook, one section a table."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from bot.cases.status import CaseStatus
from bot.reports.figures import SCORE_LABELS, SCORES, Days, Rate, Report
from locales import Translator, get_translator

Value = int | str | Rate | Days | None


@dataclass(frozen=True)
class Section:
    """One table of the report: a sheet of the XLSX file, a table in the terminal."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Value]]

    def dicts(self, render: Callable[[Value], object]) -> list[dict[str, object]]:
        return [dict(zip(self.columns, (render(value) for value in row), strict=True)) for row in self.rows]


def report_sections(report: Report, tr: Translator | None = None) -> list[Section]:
    tr = tr or get_translator("vi")
    _ = tr.gettext
    cases = report.cases
    summary = [
        [_("Cases filed"), cases.total],
        [_("Resolved (result delivered)"), cases.delivered],
        [_("… of which early"), cases.early],
        [_("… of which on time or early"), cases.on_time],
        [_("… of which late"), cases.late],
        [_("Refused"), cases.refused],
        [_("Still open"), cases.open],
        [_("Open and overdue now"), report.overdue_now],
        [_("On-time rate"), cases.on_time_rate],
        [_("Average processing time (working days)"), cases.average_days],
        [_("Median processing time (working days)"), cases.median_days],
        [_("Ratings received"), report.ratings_total],
        [_("Satisfaction rate"), report.satisfaction_rate],
        [_("Feedback received"), report.feedback],
        [_("… of which answered"), report.feedback_answered],
    ]
    statuses = [[_(status.label), cases.by_status[status]] for status in CaseStatus]
    procedures = [
        [p.title.get(tr.language), p.total, p.delivered, p.refused, p.open, p.on_time, p.late, p.on_time_rate,
         p.working_days, p.average_days, p.median_days]
        for p in report.by_procedure
    ]
    satisfaction = [[_(SCORE_LABELS[score]), report.ratings[score], Rate.of(report.ratings[score],
                                                                             report.ratings_total)]
                    for score in SCORES]
    weeks = [[w.label, w.total, w.delivered, w.on_time, w.on_time_rate] for w in report.weeks]
    indicators = [[_(i.name), i.value, _(i.group), _(i.note)] for i in report.indicators]
    return [
        Section("summary", _("Summary"), [_("Figure"), _("Value")], summary),
        Section("index", _("Index of QĐ 766"), [_("Indicator"), _("Value"), _("Group"), _("How it is computed")],
                indicators),
        Section("procedures", _("By procedure"),
                [_("Procedure"), _("Filed"), _("Delivered"), _("Refused"), _("Open"), _("On time"), _("Late"),
                 _("On-time rate"), _("Time limit (working days)"), _("Average (working days)"),
                 _("Median (working days)")], procedures),
        Section("statuses", _("By status"), [_("Status"), _("Cases")], statuses),
        Section("satisfaction", _("Satisfaction"), [_("Rating"), _("Ratings"), _("Share")], satisfaction),
        Section("weeks", _("By week"), [_("ISO week"), _("Filed"), _("Delivered"), _("On time"), _("On-time rate")],
                weeks),
    ]


def plain(value: Value) -> object:
    """A value for machines: rates in percent and days rounded, None as an empty cell."""
    if isinstance(value, Rate):
        return None if value.value is None else round(value.value * 100, 1)
    if isinstance(value, Days):
        return None if value.value is None else round(value.value, 2)
    return value


def text(value: Value) -> str:
    """A value for the terminal table."""
    if isinstance(value, Rate):
        return "—" if value.value is None else f"{value.value * 100:.1f}%"
    if isinstance(value, Days):
        return "—" if value.value is None else f"{value.value:.2f}"
    return "—" if value is None else str(value)


def report_rows(report: Report, tr: Translator | None = None) -> list[dict[str, object]]:
    """Every figure as one long table (section, row, column, value), as the CSV file holds it.
    Rates are in percent, times in working days, and an empty value means there was nothing to
    compute (no resolved case, no rating). Text cells (an indicator's group and definition) are
    left out: they describe figures and are in the other formats."""
    tr = tr or get_translator("vi")
    _ = tr.gettext
    rows: list[dict[str, object]] = []
    for section in report_sections(report, tr):
        for row in section.rows:
            label, *values = row
            for column, value in zip(section.columns[1:], values, strict=True):
                if isinstance(value, str):
                    continue
                rows.append({_("Section"): section.title, _("Row"): label, _("Column"): column,
                             _("Value"): plain(value), _("Unit"): _unit(value, tr)})
    return rows


def _unit(value: Value, tr: Translator) -> str:
    if isinstance(value, Rate):
        return "%"
    if isinstance(value, Days):
        return tr.gettext("working days")
    return ""


def report_csv(report: Report, tr: Translator | None = None) -> str:
    rows = report_rows(report, tr)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: "" if value is None else value for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    for character in "[]:*?/\\":
        title = title.replace(character, "-")
    return title[:31]


def report_xlsx(report: Report, tr: Translator | None = None) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - only the CLI's xlsx format needs it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tr = tr or get_translator("vi")
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in report_sections(report, tr):
        sheet = workbook.create_sheet(sheet_title(section.title))
        sheet.append(section.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([_xlsx_value(value) for value in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Rate):
                    cell.number_format = "0.0%"
                elif isinstance(value, Days):
                    cell.number_format = "0.00"
        for index, column in enumerate(section.columns, start=1):
            width = max([len(column)] + [len(text(row[index - 1])) for row in section.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Value) -> object:
    if isinstance(value, (Rate, Days)):
        return value.value
    return value
