"""The Zalo OA access token: kept in the database, refreshed before it expires.

Zalo's access token lives 25 hours and its refresh token three months, and each refresh token
works once: the refresh answers a new pair. So the pair lives in the database (the `.env`
values only start it) and only one caller refreshes at a time: in this process a thread lock;
across processes (PostgreSQL) the row lock of the transaction that reads the pair, which holds
only that row while Zalo answers. SQLite serves one process and its write lock is the whole
database's, so there the pair is read, refreshed and written back in two short transactions,
and no chat waits for Zalo.

A failed refresh tells the office's staff on Telegram, once until it works again, and is not
tried again for `RETRY_AFTER_FAILURE`: meanwhile messages go with the current token while it is
still valid, or wait in the outbox, instead of each waiting for Zalo's OAuth server in turn.
"""

from __future__ import annotations

import logging
import threading
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
from storage.locks import is_postgresql
from storage.models import ChannelToken, StaffMember
from storage.outbox import enqueue

log = logging.getLogger(__name__)
CHANNEL = "zalo"
REFRESH_BEFORE = timedelta(hours=1)
BOOTSTRAP_LIFETIME = timedelta(minutes=5)
"""An access token from `.env` has no known expiry: use it briefly, then refresh."""
REFRESH_PATH = "/v4/oa/access_token"
REFRESH_TIMEOUT = 8
"""Seconds: Zalo messages wait for the refresh (once a day, normally well under a second)."""
RETRY_AFTER_FAILURE = timedelta(seconds=5)
"""After a failed refresh, the next try waits this long: one wait per outage, not one per message."""
ALERT = N_("⚠️ Zalo: the assistant could not renew its access to the Official Account ({error}). Citizens' "
           "Zalo messages wait until it can. Check the Zalo settings (README, section “Kênh Zalo”).")


class TokenKeeper:
    def __init__(self, db: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._known: ChannelToken | None = None
        self._refreshing = threading.Lock()
        self._resting_until: datetime | None = None
        self._row_locks = is_postgresql(db)

    def access_token(self) -> str:
        """A token valid for at least the next hour (refreshed first if needed). Runs in a thread."""
        known = self._known
        if known is not None and known.expires_at - self.clock() > REFRESH_BEFORE:
            return known.access_token
        return self._refresh_if_due(force_from=None)

    def rejected(self, token: str) -> str:
        """Zalo refused `token` (expired early, revoked): refresh unless another caller already did."""
        return self._refresh_if_due(force_from=token)

    def _refresh_if_due(self, force_from: str | None) -> str:
        """Callers that find a refresh under way do not wait for it, which would hold one of the
        threads every chat's database work runs in: they use the token while it is still valid
        (a refresh starts an hour before it expires), or the message waits in the outbox."""
        if not self._refreshing.acquire(blocking=False):
            return self._usable(self._known, force_from, "a refresh is under way")
        try:
            if self._row_locks:
                with transaction(self.db) as session:
                    row = self._read(session)
                    failure = self._refresh_if_stale(session, row, force_from)
            else:
                with transaction(self.db) as session:
                    row = self._read(session)
                failure = self._refresh_if_stale(None, row, force_from)
            self._known = ChannelToken.model_validate(row.model_dump())
        finally:
            self._refreshing.release()
        return self._usable(self._known, force_from, failure)

    def _usable(self, pair: ChannelToken | None, rejected: str | None, why_not: str | None) -> str:
        if pair is None or pair.access_token == rejected or pair.expires_at <= self.clock():
            raise Transient(f"no valid Zalo access token: {why_not or 'not renewed yet'}")
        return pair.access_token

    def _read(self, session: Session) -> ChannelToken:
        """The pair, locked until `session` ends when several processes may refresh it."""
        query = select(ChannelToken).where(col(ChannelToken.channel) == CHANNEL)
        row = session.exec(query.with_for_update() if self._row_locks else query).first() or self._bootstrap(session)
        self._known = ChannelToken.model_validate(row.model_dump())  # for callers arriving during the refresh
        return row

    def _refresh_if_stale(self, session: Session | None, row: ChannelToken, force_from: str | None) -> str | None:
        """Refresh `row` when it is due and the last failure is long enough ago, recording the
        outcome in `session`, or in a transaction of its own after Zalo answered; why it failed, if it did."""
        now = self.clock()
        if row.access_token != force_from and row.expires_at - now > REFRESH_BEFORE:
            return None
        if self._resting_until is not None and now < self._resting_until:
            return row.failure or "an earlier refresh failed"
        answer = self._ask_zalo(row.refresh_token)
        if session is not None:
            self._record(session, row, answer, now)
        else:
            with transaction(self.db) as own:
                self._record(own, row, answer, now)
        self._resting_until = now + RETRY_AFTER_FAILURE if isinstance(answer, str) else None
        return answer if isinstance(answer, str) else None

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

    def _ask_zalo(self, refresh_token: str) -> dict[str, object] | str:
        """Zalo's answer with a new pair, or why there is none."""
        secret = self.settings.zalo_oa_secret
        try:
            response = httpx.post(self.settings.zalo_oauth_url + REFRESH_PATH, timeout=REFRESH_TIMEOUT,
                                  headers={"secret_key": secret.get_secret_value() if secret else ""},
                                  data={"refresh_token": refresh_token, "app_id": self.settings.zalo_app_id or "",
                                        "grant_type": "refresh_token"})
            answer = response.json()
            if not isinstance(answer, dict) or not answer.get("access_token"):
                raise ValueError(str(answer.get("error_name") or answer.get("error") or answer)
                                 if isinstance(answer, dict) else "unexpected answer")
        except (httpx.HTTPError, ValueError) as exc:
            return str(exc)
        return answer

    def _record(self, session: Session, row: ChannelToken, answer: dict[str, object] | str, now: datetime) -> None:
        """Replace the pair with Zalo's new one, or remember why there is none."""
        session.add(row)
        if isinstance(answer, str):
            self._failed(session, row, answer[:200], now)
            return
        row.access_token = str(answer["access_token"])
        row.refresh_token = str(answer.get("refresh_token") or row.refresh_token)
        row.expires_at = now + timedelta(seconds=int(str(answer.get("expires_in") or 90000)))
        row.updated_at, row.failed_at, row.failure = now, None, None

    def _failed(self, session: Session, row: ChannelToken, error: str, now: datetime) -> None:
        """Remember the failure and, the first time, tell staff and admins on Telegram."""
        log.error("Zalo token refresh failed: %s", error)
        first = row.failed_at is None
        row.failed_at, row.failure = now, error
        if not first:
            return
        members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))).all()
        for member in members:
            if may_speak_for_the_office(member):
                tr = get_translator(language_of(session, member.telegram_id))
                enqueue(session, member.telegram_id, Reply(Rich.plain(tr.gettext(ALERT).format(error=error))), now=now)
