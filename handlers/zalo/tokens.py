"""The Zalo OA access token: kept in the database, refreshed before it expires.

Zalo's access token lives 25 hours and its refresh token three months, and each refresh token
works once: the refresh answers a new pair. So the pair lives in the database (the `.env`
values only start it), is replaced in the transaction that read it under a row lock (two
processes never spend the same refresh token), and a failed refresh tells the office's staff
on Telegram, once until it works again, because every Zalo message waits until it does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.conversation.turns import language_of
from bot.settings import Settings
from bot.staff.permissions import may_speak_for_the_office
from dialogs.output import Reply, Rich
from handlers.desk import Transient
from locales import N_, get_translator
from storage.db import transaction
from storage.models import ChannelToken, StaffMember
from storage.outbox import enqueue

log = logging.getLogger(__name__)
CHANNEL = "zalo"
REFRESH_BEFORE = timedelta(hours=1)
BOOTSTRAP_LIFETIME = timedelta(minutes=5)
"""An access token from `.env` has no known expiry: use it briefly, then refresh."""
REFRESH_PATH = "/v4/oa/access_token"
REFRESH_TIMEOUT = 8
"""Seconds: the refresh runs inside the transaction that holds the token row, which on SQLite is
the database's write lock, so every chat waits for it (once a day, normally well under a second)."""
ALERT = N_("⚠️ Zalo: the assistant could not renew its access to the Official Account ({error}). Citizens' "
           "Zalo messages wait until it can. Check the Zalo settings (README, section “Kênh Zalo”).")


class TokenKeeper:
    def __init__(self, db: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._cached: ChannelToken | None = None

    def access_token(self) -> str:
        """A token valid for at least the next hour (refreshed first if needed). Runs in a thread."""
        cached = self._cached
        if cached is not None and cached.expires_at - self.clock() > REFRESH_BEFORE:
            return cached.access_token
        return self._refresh_if_due(force_from=None)

    def rejected(self, token: str) -> str:
        """Zalo refused `token` (expired early, revoked): refresh unless another caller already did."""
        return self._refresh_if_due(force_from=token)

    def _refresh_if_due(self, force_from: str | None) -> str:
        with transaction(self.db) as session:
            row = session.exec(select(ChannelToken).where(col(ChannelToken.channel) == CHANNEL)
                               .with_for_update()).first()
            row = row or self._bootstrap(session)
            stale = row.access_token == force_from or row.expires_at - self.clock() <= REFRESH_BEFORE
            failure = self._refresh(session, row) if stale else None
            self._cached = None if failure else ChannelToken.model_validate(row.model_dump())
            token = row.access_token
        if failure:
            raise Transient(f"Zalo token refresh failed: {failure}")
        return token

    def _bootstrap(self, session: Session) -> ChannelToken:
        refresh = self.settings.zalo_refresh_token
        if refresh is None:
            raise Transient("no Zalo token: set MOTCUA_ZALO_REFRESH_TOKEN (README, Kênh Zalo)")
        access = self.settings.zalo_access_token
        now = self.clock()
        row = ChannelToken(channel=CHANNEL, access_token=access.get_secret_value() if access else "",
                           refresh_token=refresh.get_secret_value(), expires_at=now + BOOTSTRAP_LIFETIME if access else now,
                           updated_at=now)
        session.add(row)
        session.flush()
        return row

    def _refresh(self, session: Session, row: ChannelToken) -> str | None:
        """Replace the pair; on failure, record it (committed with the lock) and say why."""
        now = self.clock()
        secret = self.settings.zalo_oa_secret
        try:
            response = httpx.post(self.settings.zalo_oauth_url + REFRESH_PATH, timeout=REFRESH_TIMEOUT,
                                  headers={"secret_key": secret.get_secret_value() if secret else ""},
                                  data={"refresh_token": row.refresh_token, "app_id": self.settings.zalo_app_id or "",
                                        "grant_type": "refresh_token"})
            answer = response.json()
            if not isinstance(answer, dict) or not answer.get("access_token"):
                raise ValueError(str(answer.get("error_name") or answer.get("error") or answer)
                                 if isinstance(answer, dict) else "unexpected answer")
        except (httpx.HTTPError, ValueError) as exc:
            self._failed(session, row, str(exc)[:200], now)
            return str(exc)
        row.access_token = str(answer["access_token"])
        row.refresh_token = str(answer.get("refresh_token") or row.refresh_token)
        row.expires_at = now + timedelta(seconds=int(str(answer.get("expires_in") or 90000)))
        row.updated_at, row.failed_at, row.failure = now, None, None
        session.add(row)
        return None

    def _failed(self, session: Session, row: ChannelToken, error: str, now: datetime) -> None:
        """Remember the failure and, the first time, tell staff and admins on Telegram."""
        log.error("Zalo token refresh failed: %s", error)
        first = row.failed_at is None
        row.failed_at, row.failure = now, error
        session.add(row)
        if not first:
            return
        members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))).all()
        for member in members:
            if may_speak_for_the_office(member):
                tr = get_translator(language_of(session, member.telegram_id))
                enqueue(session, member.telegram_id, Reply(Rich.plain(tr.gettext(ALERT).format(error=error))), now=now)
