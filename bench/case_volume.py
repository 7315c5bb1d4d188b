"""Benchmark: case lookup and officers' open-case lists on a PostgreSQL database holding a
million cases (targets: lookup by code p99 ≤ 2 ms; an officer's open-case list ≤ 20 ms).

A generator writes ten years of a busy desk's cases with COPY (codes, procedures and fields in
the catalog's proportions, 300,000 citizens, three events per closed case, the newest 2 % still
open plus a few forgotten old ones). Then, for a citizen's /tracuu CODE and an officer's /hoso
(the open cases of their fields, oldest due first; for officers of a large field, a small
field, two fields, and an admin), two things are timed: the database work (`find_case`,
`open_cases`: the query and its rows as objects, in an open session) and the whole service as
the handlers call it (`CaseLookup.show`, `WorkList.show`: a session from the pool, checked with
a ping, the queries and the reply's text).

    .venv/bin/python -m bench.case_volume [--cases 1000000] [--database-url URL]

Without --database-url a throw-away PostgreSQL server is started (the test suite's); with one,
an empty database is filled, and one already holding the cases is reused as it is.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.environment import describe
from bot.cases.codes import find_case
from bot.cases.status import OPEN, CaseStatus
from bot.cases.work_list import open_cases
from bot.runtime.app import build_desk
from bot.settings import Settings
from bot.staff.permissions import active_member
from dialogs.catalog import load_catalog
from sandbox.postgres import PostgresServer
from storage.db import upgrade
from storage.models import StaffMember

SEED = 20261210
CITIZENS = 300_000
FIRST_CHAT = 1_000_000_000
OPEN_SHARE = 0.02
FORGOTTEN_SHARE = 0.002
"""Old cases nobody closed: they come first in the lists, being long overdue."""
WEIGHTS = {"khai-sinh": 20, "khai-tu": 8, "ket-hon": 8, "trich-luc-ho-tich": 12, "xac-nhan-tinh-trang-hon-nhan": 10,
           "chung-thuc-ban-sao": 25, "cap-ban-sao-tu-so-goc": 6, "chung-thuc-tu-choi-di-san": 3,
           "xac-nhan-khuyet-tat": 8}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thu Hà", "Quốc Huy", "Thị Lan", "Văn Nam"]
OFFICERS = {"officer of ho-tich (the largest field)": (9001, "officer", ["ho-tich"]),
            "officer of nguoi-khuyet-tat (the smallest)": (9002, "officer", ["nguoi-khuyet-tat"]),
            "officer of chung-thuc and nguoi-khuyet-tat": (9003, "officer", ["chung-thuc", "nguoi-khuyet-tat"]),
            "admin (every field)": (9004, "admin", [])}


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _cases(count: int, now: datetime) -> Iterator[tuple[object, ...]]:
    """Rows of `cases`, oldest first, and for each the statuses it went through."""
    rng = random.Random(SEED)
    catalog = load_catalog()
    procedures = [catalog[pid] for pid in WEIGHTS]
    weights = list(WEIGHTS.values())
    start = now - timedelta(days=3650)
    step = (now - start) / count
    per_day: Counter[date] = Counter()
    open_from = int(count * (1 - OPEN_SHARE))
    for index in range(count):
        created = start + step * index
        day = created.date()
        per_day[day] += 1
        procedure = rng.choices(procedures, weights)[0]
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        data = json.dumps({"full_name": name, "cccd": f"{rng.randrange(10**11, 10**12)}", "phone": "0912345678"},
                          ensure_ascii=False)
        due = day + timedelta(days=procedure.processing.working_days * 7 // 5)
        if index >= open_from or rng.random() < FORGOTTEN_SHARE:
            status, closed = rng.choice(OPEN), None
        else:
            status = CaseStatus.REFUSED if rng.random() < 0.03 else CaseStatus.DELIVERED
            closed = created + timedelta(hours=rng.randrange(1, 24 * 6))
        yield (index + 1, f"HS-{day:%y%m%d}-{per_day[day]:04d}", procedure.id, procedure.field.id,
               FIRST_CHAT + rng.randrange(CITIZENS), status.value, name, data, "vi", created, due, 1, closed)


def _events(case: tuple[object, ...]) -> list[tuple[object, ...]]:
    case_id, status, created, closed = case[0], case[5], case[9], case[12]
    assert isinstance(created, datetime)
    events: list[tuple[object, ...]] = [(case_id, created, f"citizen:{case[4]}", None, CaseStatus.SUBMITTED.value)]
    if closed is not None:
        assert isinstance(closed, datetime)
        events.append((case_id, created + (closed - created) / 3, "staff:1", CaseStatus.SUBMITTED.value,
                       CaseStatus.IN_PROGRESS.value))
        events.append((case_id, closed, "staff:1", CaseStatus.IN_PROGRESS.value, status))
    elif status != CaseStatus.SUBMITTED:
        events.append((case_id, created + timedelta(hours=2), "staff:1", CaseStatus.SUBMITTED.value, status))
    return events


def generate(url: str, count: int) -> float:
    """Fill an empty, migrated database; seconds taken. A database already holding `count`
    cases is left as it is."""
    started = time.monotonic()
    with psycopg.connect(_psycopg_url(url)) as connection:
        existing = connection.execute("SELECT count(*) FROM cases").fetchone()
        if existing is not None and existing[0] == count:
            return 0.0
        now = datetime.now(UTC)
        with connection.cursor() as cursor:
            with cursor.copy("COPY cases (id, code, procedure_id, field_id, chat_id, status, applicant_name, "
                             "applicant_data, language, created_at, due_date, version, closed_at) FROM STDIN") as cases:
                for case in _cases(count, now):
                    cases.write_row(case)
            with cursor.copy("COPY case_events (case_id, at, actor, from_status, to_status) FROM STDIN") as events:
                for case in _cases(count, now):  # the same cases again: one COPY at a time
                    for event in _events(case):
                        events.write_row(event)
            cursor.execute("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
            cursor.execute("SELECT setval('case_events_id_seq', (SELECT max(id) FROM case_events))")
            for telegram_id, role, fields in OFFICERS.values():
                cursor.execute("INSERT INTO staff_members (telegram_id, name, role, fields, active, created_at) "
                               "VALUES (%s, %s, %s, %s, true, now())",
                               (telegram_id, f"Cán bộ {telegram_id}", role, json.dumps(fields)))
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def _timed(call: Callable[[], object], rounds: int) -> dict[str, float]:
    for _ in range(min(rounds, 50)):  # warm the connection pool, the caches and the statements
        call()
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1e3, 3), "p99_ms": round(p99 * 1e3, 3),
            "max_ms": round(ordered[-1] * 1e3, 3), "calls": rounds}


def measure(url: str, lookups: int, lists: int) -> dict[str, object]:
    desk = build_desk(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp(prefix="motcua-bench-"))))
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("SELECT setseed(0.7)")
        sample = connection.execute("SELECT code, chat_id FROM cases ORDER BY random() LIMIT %s", (lookups,)).fetchall()
        opened = connection.execute("SELECT count(*) FROM cases WHERE status = ANY(%s)", (list(OPEN),)).fetchone()
    picks = iter(sample * (2 + 2 * (lookups + 50) // len(sample)))
    session = Session(desk.turns.db)

    def query() -> None:
        code, _ = next(picks)
        assert find_case(session, code) is not None, "the lookup did not find the case"
        session.expunge_all()

    def service() -> None:
        code, chat = next(picks)
        assert code in str(desk.lookup.show(chat, code, "vi").text), "the lookup did not find the case"

    figures: dict[str, object] = {"open_cases": opened[0] if opened else None,
                                  "lookup_by_code": {"query": _timed(query, lookups),
                                                     "service": _timed(service, lookups)}}
    lists_by_member: dict[str, object] = {}
    for label, (telegram_id, _, _) in OFFICERS.items():
        member = active_member(session, telegram_id)
        assert member is not None

        def listed(member: StaffMember = member) -> None:
            assert len(open_cases(session, member)) == 30, "the list is not full"
            session.expunge_all()

        def work_list(telegram_id: int = telegram_id) -> None:
            replies = desk.work_list.show(telegram_id, None)
            assert replies is not None and len(replies[0].buttons) == 30, "the list is not full"

        lists_by_member[label] = {"query": _timed(listed, lists), "service": _timed(work_list, lists)}
    figures["open_case_list"] = lists_by_member
    session.close()
    desk.turns.db.dispose()
    return figures


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--lists", type=int, default=300, help="open-case lists timed per member")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database (default: a throw-away server)")
    arguments = parser.parse_args()
    with _database(arguments.database_url) as url:
        upgrade(url)
        generated = generate(url, arguments.cases)
        result = {**describe("SQLAlchemy", "psycopg", database_url=url), "cases": arguments.cases,
                  "generated_in_s": round(generated, 1), **measure(url, arguments.lookups, arguments.lists)}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
