"""`motcua backup` and `motcua restore`: the database and the file store, copied together and
checked, so the commune's IT person can rebuild the desk from one directory: `manifest.json`
(format, motcua version, Alembic revision, engine, created_at, counts, SHA-256 and size of the
database copy and of every file), `database.sqlite3` (SQLite's online backup API) or
`database.dump` (`pg_dump --format=custom`), and `files/ab/ab…`, the content-addressed store.

The copy is consistent while the bot runs: SQLite's backup API copies one snapshot; on PostgreSQL
the counts and `pg_dump` read one exported snapshot. Files are copied after the database, and a
file is never deleted while a case names it. The directory gets its name only when complete.
`restore` refuses a target holding anything (restoring over a desk in use would lose cases),
checks the copy against the manifest (a file's name is its SHA-256) before touching the target,
and migrates the restored database. Backups hold personal data: their directory is mode 0700.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.cli.common import fail, settings
from storage.db import alembic_config, upgrade

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
STORED_NAME = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
try:
    MOTCUA_VERSION = version("motcua")
except PackageNotFoundError:
    MOTCUA_VERSION = "unknown"

Query = Callable[[str], list[tuple[Any, ...]]]
Manifest = dict[str, Any]


class BackupError(Exception):
    """Something the IT person must fix; the message is one line that says what and where."""


@dataclass(frozen=True)
class Contents:
    """What a database holds, read from one snapshot: enough to check a copy against."""

    revision: str
    cases: int
    documents: int
    referenced: frozenset[str]


@dataclass(frozen=True)
class Target:
    """The configured database: its URL, its engine, and for SQLite its file."""

    url: str
    engine: str
    sqlite_path: Path | None

    @classmethod
    def of(cls, url: str) -> Target:
        parsed = make_url(url)
        engine = parsed.get_backend_name()
        if engine == "sqlite":
            if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
                raise BackupError(f"{url}: only a SQLite database in a file can be backed up or restored")
            return cls(url, engine, Path(parsed.database).resolve())
        if engine != "postgresql":
            raise BackupError(f"backup and restore support SQLite and PostgreSQL, not {engine}")
        return cls(url, engine, None)

    @property
    def shown(self) -> str:  # for messages: never the password
        return str(self.sqlite_path) if self.sqlite_path else make_url(self.url).render_as_string(hide_password=True)


OutputOption = Annotated[Path, typer.Option("--output", help="directory to create (new, or empty)", file_okay=False)]
InputOption = Annotated[Path, typer.Option("--input", help="a directory written by `motcua backup`", file_okay=False)]
YesOption = Annotated[bool, typer.Option("--yes", help="do not ask for confirmation (scripts, test restores)")]


def backup(output: OutputOption) -> None:
    """Copy the database and the stored files into a new directory, with a manifest to check them
    against; safe while the bot runs (run it nightly from cron). Exit code 1 with a warning when
    files were already missing or damaged in the store: the backup holds everything else."""
    config = settings()
    with _one_line_errors():
        manifest = write_backup(Target.of(config.resolved_database_url), config.files_dir, output)
    counts = manifest["counts"]
    typer.echo(f"Backup written to {output}: {counts['cases']} case(s), {counts['files']} file(s) "
               f"({counts['file_bytes'] / 1e6:.1f} MB), database revision {manifest['alembic_revision']}.")
    if _warn_unavailable(manifest):
        raise typer.Exit(code=1)


def restore(source: InputOption, yes: YesOption = False) -> None:
    """Restore a backup into the configured database and data directory, which must be empty; the
    copy is checked first, and the database is migrated to this version afterwards."""
    config = settings()
    with _one_line_errors():
        target = Target.of(config.resolved_database_url)
        manifest = read_manifest(source, target)
        _require_empty(target, config.files_dir)
        if not yes and not _confirmed(manifest, target):
            raise BackupError("restore cancelled")
        restore_backup(source, manifest, target, config.files_dir)
    typer.echo(f"Restored {manifest['counts']['cases']} case(s) and {len(manifest['files'])} file(s) from the "
               f"backup of {manifest['created_at']} into {target.shown}.")
    _warn_unavailable(manifest)


def write_backup(target: Target, files_dir: Path, output: Path) -> Manifest:
    """Everything goes into a hidden sibling directory (mode 0700), renamed when complete."""
    output = output.absolute()
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError(f"{output} already exists and is not empty: choose a new directory")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.partial-"))
    try:
        database = partial / DATABASE_FILES[target.engine]
        contents = _dump_sqlite(target, database) if target.sqlite_path else _dump_postgresql(target, database)
        files, unavailable = _copy_store(files_dir, partial / FILES, contents.referenced)
        manifest = {
            "format": FORMAT, "motcua_version": MOTCUA_VERSION, "alembic_revision": contents.revision,
            "engine": target.engine, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"name": database.name, "sha256": _sha256(database), "size": database.stat().st_size},
            "counts": {"cases": contents.cases, "case_documents": contents.documents, "files": len(files),
                       "file_bytes": sum(files.values())},
            "files": files, "unavailable": unavailable,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if output.exists():
            output.rmdir()
        partial.rename(output)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _dump_sqlite(target: Target, copy: Path) -> Contents:
    """SQLite's online backup API: one consistent snapshot even while the bot writes (WAL)."""
    assert target.sqlite_path is not None
    if not target.sqlite_path.is_file():
        raise BackupError(f"no database at {target.sqlite_path}: nothing to back up (check MOTCUA_DATA_DIR)")
    with closing(sqlite3.connect(target.sqlite_path, timeout=30)) as source, closing(sqlite3.connect(copy)) as mirror:
        source.backup(mirror)
        mirror.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    with _query(f"sqlite:///{copy}") as query:
        return read_contents(query)


def _dump_postgresql(target: Target, dump: Path) -> Contents:
    """`pg_dump` reads the snapshot exported here, so the manifest counts what the dump holds."""
    pg_dump = find_postgresql_program("pg_dump")
    engine = create_engine(target.url, poolclass=NullPool)
    try:
        with engine.connect() as plain:
            connection = plain.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                contents = read_contents(lambda sql: [tuple(row) for row in connection.execute(text(sql))])
                _run_program(pg_dump, target.url, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}")
    finally:
        engine.dispose()
    return contents


def _copy_store(files_dir: Path, copy: Path, referenced: frozenset[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Every stored file, checked against its name; a damaged or missing one is reported, not fatal."""
    files: dict[str, int] = {}
    unavailable: dict[str, str] = {}
    for source in sorted(files_dir.glob("??/*")) if files_dir.is_dir() else []:
        name = source.name
        if not STORED_NAME.match(name) or source.parent.name != name[:2] or not source.is_file():
            continue  # a temporary .incoming- file, or not part of the store
        (copy / name[:2]).mkdir(parents=True, exist_ok=True)
        try:
            digest, size = _copy_hashed(source, copy / name[:2] / name)
        except FileNotFoundError:
            continue  # deleted meanwhile: a discarded draft's page, which no case names
        if digest == name:
            files[name] = size
        else:
            (copy / name[:2] / name).unlink()
            unavailable[name] = "damaged"
    unavailable.update((name, "missing") for name in sorted(referenced - files.keys() - unavailable.keys()))
    return files, unavailable


def read_manifest(source: Path, target: Target) -> Manifest:
    """The manifest, checked for shape, for the engine, and for a schema this version knows."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a motcua backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        engine, database, files = manifest["engine"], manifest["database"], manifest["files"]
        valid = (manifest["format"] == FORMAT and database["name"] == DATABASE_FILES.get(engine)
                 and isinstance(database["sha256"], str) and isinstance(manifest["alembic_revision"], str)
                 and isinstance(files, dict) and all(STORED_NAME.match(name) for name in files)
                 and isinstance(manifest["counts"]["cases"], int) and isinstance(manifest["unavailable"], dict))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is damaged or not a motcua manifest ({type(exc).__name__}: {exc})") from None
    if not valid:
        raise BackupError(f"{path} is damaged or not a motcua manifest of format {FORMAT}")
    if engine != target.engine:
        raise BackupError(f"this is a {engine} backup and MOTCUA_DATABASE_URL is {target.engine}: "
                          f"restore it into a {engine} database")
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - kept out of the bot's memory (storage.db)
    from alembic.util.exc import CommandError  # noqa: PLC0415

    try:
        ScriptDirectory.from_config(alembic_config(target.url)).get_revision(manifest["alembic_revision"])
    except CommandError:
        raise BackupError(f"the backup's database revision {manifest['alembic_revision']} is newer than this "
                          f"motcua ({MOTCUA_VERSION}): install the version that made it "
                          f"({manifest.get('motcua_version')})") from None
    return manifest


def restore_backup(source: Path, manifest: Manifest, target: Target, files_dir: Path) -> None:
    """The files are staged and checked beside the data directory, then the database restored,
    and only then do the files take their place: a damaged backup changes nothing."""
    database = source / manifest["database"]["name"]
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        raise BackupError(f"{database}: missing or damaged (its SHA-256 differs from {MANIFEST})")
    files_dir = files_dir.absolute()
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=files_dir.parent, prefix=".files.restoring-"))
    try:
        _stage_files(source / FILES, staging, manifest["files"])
        if target.sqlite_path is not None:
            target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)) as copy, \
                    closing(sqlite3.connect(target.sqlite_path, timeout=30)) as destination:
                copy.backup(destination)
        else:  # one transaction: a failed restore leaves the database empty, ready for another try
            _run_program(find_postgresql_program("pg_restore"), target.url, "--no-owner", "--no-privileges",
                         "--exit-on-error", "--single-transaction", str(database))
        with _query(target.url) as query:
            restored = read_contents(query)
        if (restored.revision, restored.cases) != (manifest["alembic_revision"], manifest["counts"]["cases"]):
            raise BackupError(f"the restored database holds revision {restored.revision} and {restored.cases} "
                              f"case(s), but {MANIFEST} says {manifest['alembic_revision']} and "
                              f"{manifest['counts']['cases']}")
        if files_dir.exists():
            files_dir.rmdir()  # empty: checked before
        staging.rename(files_dir)  # mode 0700 from mkdtemp: the files are personal data
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    upgrade(target.url)


def _stage_files(backup_files: Path, staging: Path, files: dict[str, int]) -> None:
    for name, size in sorted(files.items()):
        source = backup_files / name[:2] / name
        if not source.is_file():
            raise BackupError(f"{source}: listed in {MANIFEST} but missing from the backup")
        (staging / name[:2]).mkdir(exist_ok=True)
        if _copy_hashed(source, staging / name[:2] / name) != (name, size):
            raise BackupError(f"{source}: damaged (its content does not match its name); this backup cannot be "
                              "restored as it is")


def _require_empty(target: Target, files_dir: Path) -> None:
    """Restoring over a desk in use would lose its cases: the target must hold nothing."""
    tables: list[str] = []
    if target.sqlite_path is None or target.sqlite_path.exists():
        sql = ("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" if target.sqlite_path else
               "SELECT table_schema || '.' || table_name FROM information_schema.tables "
               "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")
        with _query(target.url) as query:
            tables = [str(row[0]) for row in query(sql)]
    if tables:
        how = (f"move {target.sqlite_path} away" if target.sqlite_path
               else "create an empty database (createdb) and set MOTCUA_DATABASE_URL to it")
        raise BackupError(f"the database {target.shown} is not empty ({len(tables)} table(s), e.g. {tables[0]}): "
                          f"restore needs an empty one — {how}")
    if files_dir.exists() and (not files_dir.is_dir() or any(files_dir.iterdir())):
        raise BackupError(f"{files_dir.absolute()} is not empty: restore needs an empty data directory "
                          "(set MOTCUA_DATA_DIR to a new one, or move the files away)")


def _confirmed(manifest: Manifest, target: Target) -> bool:
    if not sys.stdin.isatty():
        raise BackupError("add --yes to restore without being asked (there is no terminal to ask on)")
    return typer.confirm(f"Restore the backup of {manifest['created_at']} ({manifest['counts']['cases']} case(s), "
                         f"{len(manifest['files'])} file(s)) into {target.shown}?")


def _warn_unavailable(manifest: Manifest) -> bool:
    """Files lost or damaged in the store before the backup: say so on backup and on restore."""
    unavailable: dict[str, str] = manifest["unavailable"]
    if unavailable:
        first = next(iter(unavailable))
        typer.echo(f"Warning: {len(unavailable)} stored file(s) were missing or damaged when the backup was made "
                   f"and are not in it (first: {first[:2]}/{first}, {unavailable[first]}; see {MANIFEST}).",
                   err=True)
    return bool(unavailable)


def read_contents(query: Query) -> Contents:
    """The revision and counts, by plain SQL on either engine (a copy may predate today's models)."""
    try:
        (revision,) = query("SELECT version_num FROM alembic_version")[0]
        cases = int(query("SELECT count(*) FROM cases")[0][0])
        documents = int(query("SELECT count(*) FROM case_documents")[0][0])
        referenced = frozenset(str(row[0]) for row in query("SELECT DISTINCT sha256 FROM case_documents"))
    except (IndexError, sqlite3.Error, SQLAlchemyError):
        raise BackupError("the database has no motcua tables: check MOTCUA_DATABASE_URL (or run any motcua "
                          "command once to create them)") from None
    return Contents(str(revision), cases, documents, referenced)


def find_postgresql_program(name: str) -> str:
    """On PATH, or in Debian's versioned directories (the newest first), as the test suite does."""
    found = shutil.which(name)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True,
                        key=lambda p: int(p.parents[1].name) if p.parents[1].name.isdigit() else 0)
    if found or candidates:
        return found or str(candidates[0])
    raise BackupError(f"{name} was not found: install PostgreSQL's client programs of the server's major version "
                      "or newer (Debian: apt-get install postgresql-client)")


def _run_program(program: str, url: str, *arguments: str) -> None:
    """pg_dump or pg_restore on `url`; the password goes in the environment, not where `ps` shows it."""
    parsed = make_url(url)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    environment = {**os.environ, **({"PGPASSWORD": str(parsed.password)} if parsed.password else {})}
    completed = subprocess.run([program, "--no-password", *arguments, f"--dbname={conninfo}"],
                               capture_output=True, text=True, env=environment, check=False)
    if completed.returncode != 0:
        detail = "; ".join(line.strip() for line in completed.stderr.splitlines() if line.strip())
        raise BackupError(f"{Path(program).name} failed: {detail or f'exit code {completed.returncode}'}")


@contextmanager
def _query(url: str) -> Iterator[Query]:
    """Plain SQL on a database, whichever the engine."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield lambda sql: [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def _copy_hashed(source: Path, target: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, target.open("xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _sha256(path: Path) -> str:
    with path.open("rb") as reader:
        return hashlib.file_digest(reader, "sha256").hexdigest()


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Every expected failure becomes one line and exit code 2, never a traceback."""
    try:
        yield
    except BackupError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail(f"{where}{exc.strerror or exc}") from None
    except (sqlite3.Error, SQLAlchemyError) as exc:
        cause = getattr(exc, "orig", None) or exc
        first = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(exc).__name__)
        raise fail(f"database: {first}") from None
