"""`motcua backup` and `motcua restore`, run as the commune's IT person runs them (the CLI in a
subprocess), on the engine under test: a restored desk has the same rows, the same file bytes
and the same report; a non-empty target, a damaged copy and a backup of the other engine are
refused with one line; a backup taken while cases are being filed is consistent."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text
from sqlmodel import select

from storage.db import alembic_config, make_engine, transaction, upgrade
from storage.files import FileStore
from storage.models import Case, CaseDocument, CaseEvent, Feedback, Rating
from tests.support.office import motcua
from tests.support.walk import CATALOG

PERIOD = ("--from", "2026-11-01", "--to", "2026-11-30", "--at", "2026-12-01T09:00:00+07:00")
STATUSES = ("submitted", "in_progress", "ready", "delivered", "refused", "awaiting_supplement")


@dataclass(frozen=True)
class Desk:
    """One database and one data directory, as one deployment of the bot has them."""

    url: str
    data_dir: Path

    def cli(self, *args: str) -> CompletedProcess[str]:
        return motcua(*args, database_url=self.url, data_dir=self.data_dir)

    @property
    def store(self) -> FileStore:
        return FileStore(self.data_dir / "files")

    def engine(self) -> Engine:
        return make_engine(self.url)


@pytest.fixture
def new_desk(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Desk]:
    """A new, empty database and data directory each call."""
    return lambda: Desk(make_database_url(), tmp_path_factory.mktemp("desk"))


@pytest.fixture
def desk(new_desk: Callable[[], Desk]) -> Desk:
    """A desk with cases of every status, their documents in the file store, events, ratings,
    feedback, and one stored file no case names (a draft's page)."""
    filled = new_desk()
    upgrade(filled.url)
    engine = filled.engine()
    for number, procedure in enumerate(list(CATALOG)[:7]):
        file_case(engine, filled.store, number, procedure.id, pages=number % 3)
    with transaction(engine) as session:
        session.add(Feedback(chat_id=91_000, text="Góp ý: giờ làm việc", created_at=datetime(2026, 11, 3, 3, tzinfo=UTC),
                             answered_at=datetime(2026, 11, 3, 5, tzinfo=UTC)))
    engine.dispose()
    filled.store.put(b"a page of a dialog in progress")
    return filled


_codes = count(1)


def file_case(engine: Engine, store: FileStore, number: int, procedure_id: str, *, pages: int) -> int:
    """One case as the bot files it, through the storage layer: its pages stored first, then the rows."""
    procedure = CATALOG[procedure_id]
    created = datetime(2026, 11, 2, 2, tzinfo=UTC) + timedelta(days=number * 3, hours=number)
    status = STATUSES[number % len(STATUSES)]
    closed = created + timedelta(days=2) if status in ("delivered", "refused") else None
    contents = [f"%PDF-1.4 trang {page} của hồ sơ {number} ".encode() + bytes(range(256)) * (number + 1)
                for page in range(1, pages + 1)]
    digests = [store.put(content) for content in contents]
    with transaction(engine) as session:
        case = Case(code=f"HS-BK-{next(_codes):05d}", procedure_id=procedure.id, field_id=procedure.field.id,
                    chat_id=80_000 + number, status=status, applicant_name=f"Nguyễn Thị Hoa {number}",
                    applicant_data={"phone": "0912345678", "address": "Thôn Tây Đằng"}, language="vi",
                    created_at=created, due_date=date(2026, 11, 20), closed_at=closed)
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(CaseEvent(case_id=case.id, at=created, actor=f"citizen:{case.chat_id}", to_status="submitted"))
        for position, (digest, content) in enumerate(zip(digests, contents, strict=True), start=1):
            session.add(CaseDocument(case_id=case.id, document_id="to-khai", position=position, sha256=digest,
                                     mime_type="application/pdf", size=len(content), telegram_file_id=f"F{digest[:8]}",
                                     telegram_file_unique_id=f"U{digest[:8]}"))
        if status == "delivered":
            session.add(Rating(case_id=case.id, chat_id=case.chat_id, score=1 + number % 3,
                               created_at=created + timedelta(days=3)))
        return case.id


def backup(desk: Desk, output: Path) -> dict[str, Any]:
    result = desk.cli("backup", "--output", str(output))
    assert result.returncode == 0, result.stderr
    return json.loads((output / "manifest.json").read_text(encoding="utf-8"))


def tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database has (alembic_version too), in primary-key order."""
    engine = make_engine(url)
    schema = MetaData()
    try:
        schema.reflect(engine)
        with engine.connect() as connection:
            return {table.name: [dict(row._mapping) for row in connection.execute(
                        table.select().order_by(*(table.primary_key.columns or table.columns)))]
                    for table in schema.sorted_tables}
    finally:
        engine.dispose()


def stored_files(desk: Desk) -> dict[str, bytes]:
    root = desk.data_dir / "files"
    return {path.name: path.read_bytes() for path in root.glob("??/*")} if root.exists() else {}


def table_names(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return list(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
            return list(connection.execute(text("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'public'")).scalars())
    finally:
        engine.dispose()


def one_line_error(result: CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# ----- a backup restores -------------------------------------------------------------------


def test_a_restored_desk_has_the_same_cases_files_and_report(desk: Desk, new_desk: Callable[[], Desk],
                                                             tmp_path: Path) -> None:
    manifest = backup(desk, tmp_path / "backup")
    original = tables(desk.url)
    assert manifest["counts"]["cases"] == len(original["cases"]) == 7
    assert manifest["counts"]["case_documents"] == len(original["case_documents"]) == 6
    assert set(manifest["files"]) == set(stored_files(desk))  # the draft's page too
    assert manifest["alembic_revision"] == original["alembic_version"][0]["version_num"]

    restored = new_desk()
    result = restored.cli("restore", "--input", str(tmp_path / "backup"), "--yes")
    assert result.returncode == 0, result.stderr
    assert "Restored 7 case(s)" in result.stdout

    assert tables(restored.url) == original
    assert stored_files(restored) == stored_files(desk)
    engine = restored.engine()
    with transaction(engine) as session:
        documents = session.exec(select(CaseDocument)).all()
        assert documents and all(restored.store.read(d.sha256) == desk.store.read(d.sha256) for d in documents)
    report = desk.cli("report", "--format", "csv", *PERIOD)
    assert report.returncode == 0, report.stderr
    assert "Nguyễn" not in report.stdout and len(report.stdout.splitlines()) > 10
    restored_report = restored.cli("report", "--format", "csv", *PERIOD)
    assert restored_report.returncode == 0, restored_report.stderr
    assert restored_report.stdout == report.stdout
    # The restored desk goes on: new rows get new ids (PostgreSQL's sequences came along).
    new_id = file_case(engine, restored.store, 99, "khai-sinh", pages=1)
    engine.dispose()
    assert new_id > max(row["id"] for row in original["cases"])


def test_restore_migrates_a_backup_of_an_older_version(new_desk: Callable[[], Desk], tmp_path: Path) -> None:
    old = new_desk()
    command.upgrade(alembic_config(old.url), "0004")
    assert backup(old, tmp_path / "backup")["alembic_revision"] == "0004"
    restored = new_desk()
    result = restored.cli("restore", "--input", str(tmp_path / "backup"), "--yes")
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory.from_config(alembic_config(restored.url)).get_current_head()
    assert tables(restored.url)["alembic_version"] == [{"version_num": head}]


def test_a_backup_taken_while_cases_are_filed_is_consistent(desk: Desk, new_desk: Callable[[], Desk],
                                                            tmp_path: Path) -> None:
    """The bot keeps filing cases while the backup runs: the copy holds a moment's cases, with
    every file they name, and the manifest counts exactly those."""
    stop = threading.Event()
    filed: list[int] = []

    def keep_filing() -> None:
        engine = desk.engine()
        while not stop.is_set():
            filed.append(file_case(engine, desk.store, 100 + len(filed), "khai-tu", pages=2))
        engine.dispose()

    writer = threading.Thread(target=keep_filing)
    writer.start()
    try:
        manifest = backup(desk, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    assert filed, "no case was filed during the backup"
    restored = new_desk()
    result = restored.cli("restore", "--input", str(tmp_path / "backup"), "--yes")
    assert result.returncode == 0, result.stderr
    rows = tables(restored.url)
    assert len(rows["cases"]) == manifest["counts"]["cases"]
    assert len(rows["case_documents"]) == manifest["counts"]["case_documents"]
    assert {d["sha256"] for d in rows["case_documents"]} <= set(stored_files(restored))


# ----- refusals ----------------------------------------------------------------------------


def test_restore_refuses_a_target_that_is_not_empty(desk: Desk, new_desk: Callable[[], Desk], tmp_path: Path) -> None:
    backup(desk, tmp_path / "backup")
    before = tables(desk.url)
    line = one_line_error(desk.cli("restore", "--input", str(tmp_path / "backup"), "--yes"))
    assert "is not empty" in line and "restore needs an empty one" in line
    assert tables(desk.url) == before

    migrated = new_desk()  # a schema without rows is not empty either: pg_restore would collide with it
    upgrade(migrated.url)
    assert "is not empty" in one_line_error(migrated.cli("restore", "--input", str(tmp_path / "backup"), "--yes"))

    with_files = new_desk()
    with_files.store.put(b"someone else's page")
    line = one_line_error(with_files.cli("restore", "--input", str(tmp_path / "backup"), "--yes"))
    assert str(with_files.data_dir / "files") in line and "is not empty" in line
    assert table_names(with_files.url) == []


def test_a_damaged_file_in_the_backup_is_refused_by_name(desk: Desk, new_desk: Callable[[], Desk],
                                                        tmp_path: Path) -> None:
    manifest = backup(desk, tmp_path / "backup")
    name = max(manifest["files"])
    damaged = tmp_path / "backup" / "files" / name[:2] / name
    content = bytearray(damaged.read_bytes())
    content[len(content) // 2] ^= 0x01
    damaged.write_bytes(bytes(content))

    target = new_desk()
    line = one_line_error(target.cli("restore", "--input", str(tmp_path / "backup"), "--yes"))
    assert str(damaged) in line and "damaged" in line
    assert table_names(target.url) == [] and stored_files(target) == {}  # nothing was touched
    assert not [p for p in target.data_dir.iterdir() if p.name.startswith(".files")]  # no staging left behind


def test_a_damaged_database_copy_is_refused(desk: Desk, new_desk: Callable[[], Desk], tmp_path: Path) -> None:
    manifest = backup(desk, tmp_path / "backup")
    database = tmp_path / "backup" / manifest["database"]["name"]
    with database.open("ab") as stream:
        stream.write(b"\0")
    target = new_desk()
    line = one_line_error(target.cli("restore", "--input", str(tmp_path / "backup"), "--yes"))
    assert str(database) in line and "damaged" in line
    assert table_names(target.url) == []


def test_backup_and_restore_refuse_wrong_directories(desk: Desk, new_desk: Callable[[], Desk], tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("x")
    assert "not empty" in one_line_error(desk.cli("backup", "--output", str(tmp_path / "used")))
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    line = one_line_error(new_desk().cli("restore", "--input", str(tmp_path / "used"), "--yes"))
    assert "is not a motcua backup" in line


def test_restore_asks_unless_yes(desk: Desk, new_desk: Callable[[], Desk], tmp_path: Path) -> None:
    backup(desk, tmp_path / "backup")
    target = new_desk()
    assert "--yes" in one_line_error(target.cli("restore", "--input", str(tmp_path / "backup")))
    assert table_names(target.url) == []


def test_a_backup_is_restored_only_into_its_own_engine(desk: Desk, tmp_path: Path) -> None:
    manifest = backup(desk, tmp_path / "backup")
    other = ("postgresql+psycopg://motcua@127.0.0.1:9/motcua" if manifest["engine"] == "sqlite"
             else f"sqlite:///{tmp_path / 'other.db'}")
    result = motcua("restore", "--input", str(tmp_path / "backup"), "--yes", database_url=other,
                    data_dir=tmp_path)
    assert f"this is a {manifest['engine']} backup" in one_line_error(result)


def test_a_file_lost_before_the_backup_is_reported_and_the_rest_restored(desk: Desk, new_desk: Callable[[], Desk],
                                                                        tmp_path: Path) -> None:
    """A store already missing a case's file still gets a backup of everything else, with a
    warning and exit code 1 so cron reports it."""
    engine = desk.engine()
    with transaction(engine) as session:
        lost = session.exec(select(CaseDocument.sha256)).first()
    engine.dispose()
    assert lost is not None
    desk.store.delete(lost)
    result = desk.cli("backup", "--output", str(tmp_path / "backup"))
    assert result.returncode == 1, result.stderr
    assert "Warning: 1 stored file(s)" in result.stderr and lost in result.stderr
    assert json.loads((tmp_path / "backup" / "manifest.json").read_text())["unavailable"] == {lost: "missing"}
    restored = new_desk()
    result = restored.cli("restore", "--input", str(tmp_path / "backup"), "--yes")
    assert result.returncode == 0, result.stderr
    assert "Warning: 1 stored file(s)" in result.stderr
    assert stored_files(restored) == stored_files(desk)

