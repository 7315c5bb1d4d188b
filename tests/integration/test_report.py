"""The office's figures (thống kê) on a hand-built set of cases whose every figure is worked out
below by hand, on both database engines; the `motcua report` command in its three formats; and
/thongke end to end through the fake Bot API.

November 2026, as the desk counts it (Asia/Ho_Chi_Minh):

    Mo Tu We Th Fr Sa Su
                      1        ISO week 2026-W44 (26/10 – 1/11)
     2  3  4  5  6  7  8       W45
     9 10 11 12 13 14 15       W46
    16 17 18 19 20 21 22       W47
    23 24 25 26 27 28 29       W48 — Tuesday 24/11 is a holiday (Ngày Văn hóa Việt Nam)
    30                         W49 (30/11 – 6/12)

"Now" is Tuesday 1/12/2026 09:00, so today is 1/12.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlmodel import Session

from bot.cases.due_dates import working_days_taken
from bot.reports.chart import report_chart
from bot.reports.export import report_rows, report_sections
from bot.reports.figures import Days, Rate, compute_report
from bot.reports.message import Reports
from handlers.telegram.render import html
from bot.cases.due_dates import WorkCalendar, due_date
from locales import get_translator
from storage.db import make_engine, transaction, upgrade
from storage.models import Case, Feedback, Rating, StaffMember
from tests.support.office import motcua
from tests.support.walk import CATALOG

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# 24/11 is in the `holidays` package; configuring it as well keeps the test independent of its version.
CALENDAR = WorkCalendar(extra_holidays=frozenset({date(2026, 11, 24)}))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
START, END = date(2026, 11, 1), date(2026, 11, 30)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VI = get_translator("vi")


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass(frozen=True)
class Row:
    key: str
    procedure: str
    created: datetime
    due: date
    status: str
    closed: datetime | None = None
    score: int | None = None


CASES = [
    # A: filed Fri 20/11, 3 working days: Mon 23, (Tue 24 holiday), Wed 25, Thu 26 -> due Thu 26/11.
    #    Delivered Wed 25: early. Working days taken: after Fri 20 up to Wed 25 = Mon 23, Wed 25 = 2
    #    (the weekend 21–22 and the holiday 24 are not counted).
    Row("A", "xac-nhan-tinh-trang-hon-nhan", local(11, 20, 9), date(2026, 11, 26), "delivered", local(11, 25, 16), 3),
    # B: filed Mon 2/11, 5 working days: 3, 4, 5, 6, 9 -> due Mon 9/11. Delivered Tue 10: late.
    #    Taken: 3, 4, 5, 6, 9, 10 = 6.
    Row("B", "xac-nhan-khuyet-tat", local(11, 2, 8), date(2026, 11, 9), "delivered", local(11, 10, 9, 30), 1),
    # C: filed Thu 5/11, 1 working day -> due Fri 6/11. Delivered Fri 6: on time, not early. Taken: 1.
    Row("C", "ket-hon", local(11, 5, 10), date(2026, 11, 6), "delivered", local(11, 6, 15), 2),
    # D: filed on Saturday 7/11, same-day procedure: received Mon 9/11, due Mon 9. Delivered Mon 9:
    #    on time. Taken: received Mon 9, closed Mon 9 = 0.
    Row("D", "khai-sinh", local(11, 7, 9), date(2026, 11, 9), "delivered", local(11, 9, 10), 3),
    # E: filed Sun 1/11 06:00 (Sat 31/10 23:00 UTC: in the period by office time only), received
    #    Mon 2, due Mon 2. Delivered Mon 2 06:30 (Sun 1/11 23:30 UTC): on time, not early. Taken: 0.
    Row("E", "khai-sinh", local(11, 1, 6), date(2026, 11, 2), "delivered", local(11, 2, 6, 30)),
    # F: filed Mon 16/11, 2 working days -> due Wed 18. Refused Tue 17: counted apart.
    Row("F", "chung-thuc-tu-choi-di-san", local(11, 16, 14), date(2026, 11, 18), "refused", local(11, 17, 10)),
    # G: filed Tue 17/11, 3 working days -> due Fri 20. In progress: open, overdue on 1/12.
    Row("G", "xac-nhan-tinh-trang-hon-nhan", local(11, 17, 9), date(2026, 11, 20), "in_progress"),
    # H: filed Fri 27/11, same day -> due Fri 27. Submitted: open, overdue on 1/12.
    Row("H", "khai-tu", local(11, 27, 8), date(2026, 11, 27), "submitted"),
    # I: filed Mon 23/11, 1 working day: (Tue 24 holiday) -> due Wed 25. Needs more: overdue.
    Row("I", "ket-hon", local(11, 23, 9), date(2026, 11, 25), "awaiting_supplement"),
    # J: filed Mon 30/11 23:30 (after the 15:00 cut-off) -> due Tue 1/12. Submitted: open, due
    #    today, so not overdue.
    Row("J", "khai-sinh", local(11, 30, 23, 30), date(2026, 12, 1), "submitted"),
    # K: filed Wed 25/11, same day -> due Wed 25. Result ready but not collected: open, overdue.
    Row("K", "trich-luc-ho-tich", local(11, 25, 10), date(2026, 11, 25), "ready"),
    # Outside the period by office time (inside it by UTC date for X2: Mon 30/11 17:10 UTC):
    Row("X1", "khai-sinh", local(10, 31, 23, 30), date(2026, 11, 2), "delivered", local(11, 2, 10), 1),
    Row("X2", "khai-sinh", local(12, 1, 0, 10), date(2026, 12, 1), "submitted"),
]

FEEDBACK = [
    (local(11, 3, 10), local(11, 3, 11)),  # in the period, answered
    (local(11, 30, 23), None),  # in the period (16:00 UTC)
    (local(12, 1, 0, 30), None),  # 1/12 by office time, although 30/11 17:30 UTC: out
    (local(10, 31, 20), local(11, 2, 8)),  # out
]

_codes = itertools.count(1)


def insert_dataset(url: str) -> None:
    with transaction(make_engine(url)) as session:
        for row in CASES:
            procedure = CATALOG[row.procedure]
            # The data set is realistic: each due date is the one the bot would have given.
            assert due_date(CALENDAR, row.created, procedure.processing.working_days, tz=TZ) == row.due, row.key
            case = Case(code=f"HS-TEST-{next(_codes):04d}", procedure_id=procedure.id, field_id=procedure.field.id,
                        chat_id=90_000 + ord(row.key[0]), status=row.status, applicant_name=f"Người nộp {row.key}",
                        applicant_data={}, language="vi", created_at=row.created, due_date=row.due,
                        closed_at=row.closed)
            session.add(case)
            session.flush()
            if row.score is not None:
                session.add(Rating(case_id=case.id or 0, chat_id=case.chat_id, score=row.score,
                                   created_at=(row.closed or row.created) + timedelta(hours=1)))
        for created, answered in FEEDBACK:
            session.add(Feedback(chat_id=91_000, text="Góp ý", created_at=created, answered_at=answered))


@pytest.fixture
def dataset(database_url: str) -> str:
    upgrade(database_url)
    insert_dataset(database_url)
    return database_url


def report_of(url: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with Session(make_engine(url)) as session:
        return compute_report(session, CATALOG, CALENDAR, TZ, START, END, now)


# ----- the figures ---------------------------------------------------------------------------


def test_working_days_taken_skip_weekends_holidays_and_count_a_weekend_filing_from_monday() -> None:
    assert working_days_taken(CALENDAR, date(2026, 11, 20), date(2026, 11, 25)) == 2  # Mon 23, Wed 25
    assert working_days_taken(CALENDAR, date(2026, 11, 20), date(2026, 11, 20)) == 0  # same working day
    assert working_days_taken(CALENDAR, date(2026, 11, 7), date(2026, 11, 9)) == 0  # Sat -> received Mon
    assert working_days_taken(CALENDAR, date(2026, 11, 6), date(2026, 11, 8)) == 0  # closed on a Sunday


def test_the_figures_match_the_ones_worked_out_by_hand(dataset: str) -> None:
    report = report_of(dataset)
    cases = report.cases
    # In the period: A B C D E F G H I J K = 11 (X1 and X2 fall outside by office time).
    assert cases.total == 11
    # delivered A B C D E = 5; refused F = 1; in_progress G; submitted H J; awaiting_supplement I; ready K.
    assert cases.by_status == {"submitted": 2, "in_progress": 1, "awaiting_supplement": 1, "ready": 1, "delivered": 5,
                               "refused": 1}
    assert (cases.delivered, cases.refused, cases.open) == (5, 1, 5)
    # On time: A (early), C, D, E = 4; late: B = 1; early: A = 1. Rate 4 / 5 = 80 %.
    assert (cases.on_time, cases.early, cases.late) == (4, 1, 1)
    assert cases.on_time_rate == Rate(0.8)
    # Working days taken: A 2, B 6, C 1, D 0, E 0 -> sorted 0 0 1 2 6: mean 9 / 5 = 1.8, median 1.
    assert sorted(cases.days) == [0, 0, 1, 2, 6]
    assert cases.average_days == Days(1.8)
    assert cases.median_days == Days(1.0)
    # Open with a due date before 1/12: G (20/11), H (27/11), I (25/11), K (25/11) = 4; J is due today.
    assert report.overdue_now == 4
    # Ratings of the period's cases: A 3, B 1, C 2, D 3 (X1's rating is outside): 3 -> 2, 2 -> 1,
    # 1 -> 1; satisfied (3 + 2) / 4 = 75 %.
    assert report.ratings == {3: 2, 2: 1, 1: 1}
    assert report.satisfaction_rate == Rate(0.75)
    # Feedback on 3/11 (answered) and 30/11 23:00; the 1/12 00:30 and 31/10 ones are outside.
    assert (report.feedback, report.feedback_answered) == (2, 1)
    # Every case came through the bot: 11 / 11 online.
    assert report.online_rate == Rate(1.0)


def test_figures_by_procedure(dataset: str) -> None:
    by_id = {p.procedure_id: p for p in report_of(dataset).by_procedure}
    assert list(by_id) == [p.id for p in CATALOG]  # every procedure of the catalog, in its order
    # procedure: (filed, delivered, refused, open, on time, late, average, median)
    expected = {
        "khai-sinh": (3, 2, 0, 1, 2, 0, 0.0, 0.0),  # D, E delivered (0 and 0 days), J open
        "xac-nhan-tinh-trang-hon-nhan": (2, 1, 0, 1, 1, 0, 2.0, 2.0),  # A (2 days), G open
        "xac-nhan-khuyet-tat": (1, 1, 0, 0, 0, 1, 6.0, 6.0),  # B late (6 days)
        "ket-hon": (2, 1, 0, 1, 1, 0, 1.0, 1.0),  # C (1 day), I open
        "chung-thuc-tu-choi-di-san": (1, 0, 1, 0, 0, 0, None, None),  # F refused
        "khai-tu": (1, 0, 0, 1, 0, 0, None, None),  # H
        "trich-luc-ho-tich": (1, 0, 0, 1, 0, 0, None, None),  # K
        "cap-ban-sao-tu-so-goc": (0, 0, 0, 0, 0, 0, None, None),
        "chung-thuc-ban-sao": (0, 0, 0, 0, 0, 0, None, None),
    }
    for procedure_id, figures in expected.items():
        p = by_id[procedure_id]
        got = (p.total, p.delivered, p.refused, p.open, p.on_time, p.late, p.average_days.value, p.median_days.value)
        assert got == figures, procedure_id
    assert by_id["xac-nhan-khuyet-tat"].on_time_rate == Rate(0.0)
    assert by_id["xac-nhan-khuyet-tat"].working_days == 5
    assert sum(p.total for p in by_id.values()) == 11


def test_figures_by_iso_week(dataset: str) -> None:
    weeks = [(w.label, w.total, w.delivered, w.on_time, w.on_time_rate.value) for w in report_of(dataset).weeks]
    assert weeks == [
        ("2026-W44", 1, 1, 1, 1.0),  # E (Sun 1/11)
        ("2026-W45", 3, 3, 2, 2 / 3),  # B, C, D: B late
        ("2026-W46", 0, 0, 0, None),
        ("2026-W47", 3, 1, 1, 1.0),  # F refused, G open, A early
        ("2026-W48", 3, 0, 0, None),  # I, K, H open
        ("2026-W49", 1, 0, 0, None),  # J (Mon 30/11)
    ]


def test_the_index_766_indicators(dataset: str) -> None:
    values = {i.name: i.value for i in report_of(dataset).indicators}
    assert values == {
        "Share of cases resolved early or on time": Rate(0.8),
        "Average time to resolve a case, by procedure": Days(1.8),
        "Share of cases filed online": Rate(1.0),
        "Satisfaction rate in receiving and resolving cases": Rate(0.75),
    }


def test_overdue_depends_on_the_moment(dataset: str) -> None:
    # On Fri 27/11 at 10:00 only G (due 20/11) and I and K (due 25/11) are overdue; H is due that day.
    assert report_of(dataset, local(11, 27, 10)).overdue_now == 3


def test_an_empty_period_has_no_rates(database_url: str) -> None:
    upgrade(database_url)
    report = report_of(database_url)
    assert report.cases.total == 0 and report.cases.on_time_rate == Rate(None)
    assert report.satisfaction_rate == Rate(None) and report.cases.average_days == Days(None)
    assert report_chart(report).startswith(PNG_SIGNATURE)


def test_the_chart_is_a_png(dataset: str) -> None:
    png = report_chart(report_of(dataset))
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5_000


def test_every_section_has_rows_as_wide_as_its_header(dataset: str) -> None:
    for section in report_sections(report_of(dataset)):
        assert section.rows and all(len(row) == len(section.columns) for row in section.rows), section.key


# ----- the /thongke service, in process -------------------------------------------------------


def _thongke_service(dataset: str) -> Reports:
    """/thongke over the dataset, with a staff member 777 (778 is nobody)."""
    engine = make_engine(dataset)
    with transaction(engine) as session:
        session.add(StaffMember(telegram_id=777, name="Văn Phòng", role="staff", fields=[],
                                created_at=datetime.now(UTC)))
    return Reports(engine, CATALOG, CALENDAR, TZ, lambda: NOW, "UBND thị trấn Tây Đằng")


def test_thongke_for_staff_in_english(dataset: str) -> None:
    service = _thongke_service(dataset)
    text, chart = service.answer(777, ["2026-11-01", "30/11/2026"], "en")
    assert "Cases filed: <b>11</b>" in html(text.text)
    assert "Of the 5 delivered: early 1, on time 3, late 1" in html(text.text)
    assert "Open and overdue now: 4" in html(text.text)
    assert "average 1.8, median 1 working days" in html(text.text)
    assert "satisfaction rate 75%" in html(text.text)
    assert "Feedback received: 2 (answered 1)" in html(text.text)
    assert "Share of cases resolved early or on time: <b>80%</b>" in html(text.text)
    assert "Marriage registration" not in html(text.text) and "• Marriage:" in html(text.text)  # short titles
    (image,) = chart.attachments
    assert image.data is not None and image.data.startswith(PNG_SIGNATURE)
    # No argument: this month so far, 1/12 – 1/12, when only X2 was filed.
    text, _ = service.answer(777, [], "en")
    assert "Dec 1, 2026 – Dec 1, 2026" in html(text.text) and "Cases filed: <b>1</b>" in html(text.text)
    # Nothing was filed from 1 to 30 October (X1 is on the 31st): no chart.
    (empty,) = service.answer(777, ["2026-10-01", "2026-10-30"], "en")
    assert "No case was filed" in html(empty.text)
    (usage,) = service.answer(777, ["2026-11-30", "2026-11-01"], "en")
    assert html(usage.text).startswith("Usage: /thongke")
    (usage,) = service.answer(777, ["yesterday"], "en")
    assert html(usage.text).startswith("Usage: /thongke")
    (refused,) = service.answer(778, [], "en")
    assert html(refused.text) == "This command is for the staff of the one-stop desk."


def test_thongke_refuses_periods_longer_than_two_years(dataset: str) -> None:
    service = _thongke_service(dataset)
    (refused,) = service.answer(777, ["2024-11-30", "2026-11-30"], "vi")
    assert html(refused.text) == ("Mỗi lần chỉ xem được số liệu trong tối đa 2 năm; từ 30/11/2024 đến 30/11/2026 dài "
                                  "hơn thế. Xin chọn khoảng ngắn hơn, ví dụ /thongke 2026-01-01 2026-11-30.")
    (refused,) = service.answer(777, ["2020-01-01"], "en")
    assert html(refused.text).startswith("A period can be at most 2 years long; Jan 1, 2020 – Dec 1, 2026 is longer.")
    text, _ = service.answer(777, ["2024-12-01", "2026-11-30"], "en")
    assert "Dec 1, 2024 – Nov 30, 2026" in html(text.text), "two years exactly are answered"


# ----- the CLI -------------------------------------------------------------------------------


def cli(url: str, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    result = motcua("report", "--from", "2026-11-01", "--to", "2026-11-30", "--at", "2026-12-01T09:00:00+07:00",
                    *args, database_url=url, data_dir=tmp_path, extra_holidays="2026-11-24")
    assert result.returncode == 0, result.stderr
    return result


def test_cli_csv_parses_and_matches_the_figures(dataset: str, tmp_path: Path) -> None:
    result = cli(dataset, tmp_path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = [{key: "" if value is None else str(value) for key, value in row.items()}
                for row in report_rows(report_of(dataset))]
    assert rows == expected
    _ = VI.gettext
    by_key = {(r[_("Section")], r[_("Row")], r[_("Column")]): (r[_("Value")], r[_("Unit")]) for r in rows}
    summary, value = _("Summary"), _("Value")
    assert by_key[(summary, _("Cases filed"), value)] == ("11", "")
    assert by_key[(summary, _("On-time rate"), value)] == ("80.0", "%")
    assert by_key[(summary, _("Average processing time (working days)"), value)] == ("1.8", _("working days"))
    assert by_key[(summary, _("Satisfaction rate"), value)] == ("75.0", "%")
    assert by_key[(_("By week"), "2026-W45", _("On-time rate"))] == ("66.7", "%")
    assert by_key[(_("By week"), "2026-W46", _("On-time rate"))] == ("", "%")

    written = cli(dataset, tmp_path, "--format", "csv", "--output", "figures.csv")
    assert (tmp_path / "figures.csv").read_text(encoding="utf-8-sig") == result.stdout
    assert written.stdout.strip() == "figures.csv"


def test_cli_xlsx_has_one_sheet_per_section(dataset: str, tmp_path: Path) -> None:
    result = cli(dataset, tmp_path, "--format", "xlsx")
    path = Path(result.stdout.strip())
    assert path == tmp_path / "report-2026-11-01-2026-11-30.xlsx"
    workbook = openpyxl.load_workbook(path)
    sections = report_sections(report_of(dataset))
    assert workbook.sheetnames == [s.title for s in sections]
    summary = workbook[sections[0].title]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert values[VI.gettext("Cases filed")] == 11
    assert values[VI.gettext("On-time rate")] == pytest.approx(0.8)
    assert values[VI.gettext("Median processing time (working days)")] == 1
    procedures = workbook[sections[2].title]
    assert [c.value for c in procedures[1]] == sections[2].columns
    assert procedures.max_row == 1 + len(CATALOG)

    named = cli(dataset, tmp_path, "--format", "xlsx", "--output", "thang11.xlsx")
    assert Path(named.stdout.strip()) == tmp_path / "thang11.xlsx"


def test_cli_table(dataset: str, tmp_path: Path) -> None:
    result = cli(dataset, tmp_path)
    assert "01/11/2026" in result.stdout and "80.0%" in result.stdout and "2026-W45" in result.stdout


def test_cli_rejects_a_bad_period(dataset: str, tmp_path: Path) -> None:
    result = motcua("report", "--from", "2026-11-30", "--to", "2026-11-01", database_url=dataset, data_dir=tmp_path)
    assert result.returncode == 2 and "before" in result.stderr
    result = motcua("report", "--from", "30/11", database_url=dataset, data_dir=tmp_path)
    assert result.returncode == 2 and "--from" in result.stderr
    result = motcua("report", "--from", "2023-01-01", "--to", "2026-11-30", database_url=dataset, data_dir=tmp_path)
    assert result.returncode == 2 and "longer than 2 years" in result.stderr


def test_vietnamese_headers_and_sheet_names(dataset: str) -> None:
    """Reads the Vietnamese catalog: passes once the translations of bot/report.py are in vi/messages.po."""
    titles = [s.title for s in report_sections(report_of(dataset))]
    assert titles == ["Tổng hợp", "Chỉ số QĐ 766", "Theo thủ tục", "Theo trạng thái", "Mức độ hài lòng", "Theo tuần"]
    assert report_sections(report_of(dataset))[1].rows[0][0] == "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"
