"""How much of the disk a chat's files take, against its quota (MOTCUA_CHAT_QUOTA_MB): one
person sending hundreds of scans must not fill the desk's server."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from dialogs.model import DialogState
from storage.models import Case, CaseDocument


def bytes_held(session: Session, chat_id: int, state: DialogState | None) -> int:
    """The files of the chat's application in progress and of its cases still holding files."""
    in_cases = session.exec(select(func.coalesce(func.sum(CaseDocument.size), 0))
                            .join(Case, Case.id == CaseDocument.case_id)  # type: ignore[arg-type]
                            .where(Case.chat_id == chat_id)).one()
    in_dialog = sum(file.size for file in state.all_files()) if state is not None else 0
    return int(in_cases) + in_dialog
