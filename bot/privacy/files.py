"""Deleting citizens' files from the content-addressed store without breaking anything.

One stored file may be a page of several cases (the same photo sent twice), of an application
in progress, or the attachment of a message still waiting in the outbox. A file is deleted only
when none of these refers to it any more, and only if nobody stored it again after the check
(see `storage.files.FileStore.delete`), so the purge can run from cron while the bot runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from dialogs.model import DialogState
from dialogs.output import Reply
from storage.files import FileStore
from storage.models import CaseDocument, ChatSession, OutboxMessage

UNSENT = ("pending", "sending", "held")


def held_by_dialogs(session: Session) -> set[str]:
    """Files of the applications and supplements in progress, summary previews included."""
    dialogs = session.exec(select(ChatSession.dialog).where(col(ChatSession.dialog).is_not(None))).all()
    return {file.sha256 for dialog in dialogs for file in DialogState.model_validate(dialog).all_files()}


def queued(session: Session) -> set[str]:
    """Files attached to messages not sent yet (an officer's result, a form made again)."""
    payloads = session.exec(select(OutboxMessage.payload).where(col(OutboxMessage.status).in_(UNSENT))).all()
    return {attachment.sha256 for payload in payloads if payload
            for attachment in Reply.from_json(payload).attachments if attachment.sha256}


def referenced(session: Session, candidates: set[str]) -> set[str]:
    """Of `candidates`, the files something still refers to."""
    if not candidates:
        return set()
    in_cases = set(session.exec(select(CaseDocument.sha256).where(col(CaseDocument.sha256).in_(candidates))).all())
    return in_cases | ((held_by_dialogs(session) | queued(session)) & candidates)


def every_reference(session: Session) -> set[str]:
    return set(session.exec(select(CaseDocument.sha256).distinct()).all()) | held_by_dialogs(session) | queued(session)


def delete_files(files: FileStore, paths: Iterable[Path], *, checked_at: float) -> int:
    """Delete files found unreferenced at `checked_at` (a time.time() value); a file stored
    again since then is kept. Returns how many were deleted."""
    return sum(files.remove(path, checked_at) for path in paths)


def delete_unreferenced(db: Engine, files: FileStore, names: Iterable[str]) -> int:
    """After a commit: delete the files let go of (an application cancelled, a page replaced or
    refused, a case anonymised) that nothing else holds."""
    candidates = set(names)
    if not candidates:
        return 0
    checked_at = time.time()
    with Session(db) as session:
        kept = referenced(session, candidates)
    return delete_files(files, (files.path(name) for name in candidates - kept), checked_at=checked_at)


def orphans(session: Session, files: FileStore, stored_before: datetime) -> list[Path]:
    """Files nothing refers to, stored before `stored_before`: the forms replaced after a
    supplement, an officer's result once delivered, a download a crash interrupted. The grace
    period spares a file between its download and the commit of the step that keeps it."""
    known = every_reference(session)
    before = stored_before.timestamp()
    found = []
    for name, path in files.stored():
        try:
            if name not in known and path.stat().st_mtime < before:
                found.append(path)
        except FileNotFoundError:  # deleted meanwhile
            continue
    return found
