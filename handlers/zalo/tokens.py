"""The Zalo OA access token: kept in the database, refreshed before it expires.

Zalo's access token lives 25 hours and its refresh token three months, and each refresh token
works once: the refresh answers a new pair. So the pair lives in the database (the `.env`
values only start it) and only one caller refreshes at a time: in this process a thread lock;
across processes (PostgreSQL) the row lock of the transaction that reads the pair, which holds
only that row while Zalo answers. SQLite serves one process and its write lock is the whole
database's, so there the pair is read, refreshed and written back in two short transactions,
and no chat waits for Zalo. Callers that find a refresh under way use the token while it is
still valid, and otherwise let the message wait in the outbox.

A failed refresh is recorded on the row, tells the office's staff on Telegram once until a
refresh works again, and is not tried again by any process for `RETRY_AFTER_FAILURE`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.conversation.turns import language_of
from bot.settings import Settings
from bot.staff.permissions import may_speak_for_the_office
from dialogs.output import Reply, Rich
from handlers.desk import Transient
from locales import N_, get_translator
from storage.db import insert_if_new, transaction
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
"""Seconds: the longest a refresh holds the thread that runs it (once a day, normally well under a second)."""
RETRY_AFTER_FAILURE = timedelta(seconds=5)
"""After a failed refresh, counted from Zalo's answer, no process asks again for this long: one
wait per outage, not one per message."""
ALERT = N_("⚠️ Zalo: the assistant could not renew its access to the Official Account ({error}). Citizens' "
           "Zalo messages wait until it can. Check the Zalo settings (README, section “Kênh Zalo”).")


@dataclass(frozen=True)
class NewPair:
    access_token: str
    refresh_token: str
    lifetime: timedelta


class TokenKeeper:
    def __init__(self, db: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._known: ChannelToken | None = None
        """The pair last read or received, for callers that find a refresh under way."""
        self._unsaved: ChannelToken | None = None
        """A pair Zalo gave that is not stored yet: its refresh token is the only valid one, so a
        failed write (SQLite's second transaction, or a commit) is made again at the next call."""
        self._rejected: str | None = None
        self._refreshing = threading.Lock()
        self._row_locks = is_postgresql(db)

    def access_token(self) -> str:
        """A token that has not expired, refreshed first when it expires within the hour (or
        Transient: the message waits in the outbox). Runs in a thread."""
        known = self._known
        if (known is not None and self._unsaved is None and known.access_token != self._rejected
                and known.expires_at - self.clock() > REFRESH_BEFORE):
            return known.access_token
        return self._refresh_if_due()

    def rejected(self, token: str) -> str:
        """Zalo refused `token` (expired early, revoked): refresh unless another caller already did."""
        self._rejected = token
        return self._refresh_if_due()

    def _refresh_if_due(self) -> str:
        """Callers that find a refresh under way do not wait for it, which would hold one of the
        threads every chat's database work runs in: they use the token while it is still valid
        (a refresh starts an hour before it expires), or the message waits in the outbox. Only the
        first callers after a start, which know no token yet, wait for the one reading it."""
        acquired = (self._refreshing.acquire(timeout=REFRESH_TIMEOUT + 2) if self._known is None
                    else self._refreshing.acquire(blocking=False))
        refused = self._rejected  # due for a refresh, whoever asks next: the outbox retries by `access_token`
        if not acquired:
            return self._usable(refused, "a refresh is under way")
        try:
            if self._unsaved is not None:
                self._store(self._unsaved, alert=False)
            if self._row_locks:
                with transaction(self.db) as session:
                    failure = self._refresh_if_stale(session, self._read(session), refused)
                self._unsaved = None
            else:
                with transaction(self.db) as session:
                    row = self._read(session)
                failure = self._refresh_if_stale(None, row, refused)
        except SQLAlchemyError as exc:
            raise Transient(f"Zalo token: the database did not answer ({type(exc).__name__})") from exc
        finally:
            self._refreshing.release()
        return self._usable(refused, failure)

    def _usable(self, refused: str | None, why_not: str | None) -> str:
        pair = self._known
        if pair is None or pair.access_token == refused or pair.expires_at <= self.clock():
            raise Transient(f"no valid Zalo access token: {why_not or 'not renewed yet'}")
        return pair.access_token

    def _read(self, session: Session) -> ChannelToken:
        """The pair, locked until `session` ends when several processes may refresh it."""
        query = select(ChannelToken).where(col(ChannelToken.channel) == CHANNEL)
        if self._row_locks:
            query = query.with_for_update()
        row = session.exec(query).first()
        if row is None:
            insert_if_new(session, self._bootstrap())  # another process may be starting it too
            row = session.exec(query).one()
        self._known = _copy(row)
        return row

    def _refresh_if_stale(self, session: Session | None, row: ChannelToken, refused: str | None) -> str | None:
        """Refresh `row` when it is due and no process failed to a moment ago, recording the
        outcome in `session`, or on SQLite in a transaction of its own once Zalo answered; why it
        failed, if it did."""
        now = self.clock()
        if row.access_token != refused and row.expires_at - now > REFRESH_BEFORE:
            return None
        if row.failed_at is not None and now < row.failed_at + RETRY_AFTER_FAILURE:
            return row.failure or "an earlier refresh failed"
        outcome = self._ask_zalo(row.refresh_token)
        answered = self.clock()
        first_failure = isinstance(outcome, str) and row.failed_at is None
        if isinstance(outcome, str):
            log.error("Zalo token refresh failed: %s", outcome)
            row.failed_at, row.failure = answered, outcome[:200]
        else:
            row.access_token, row.refresh_token = outcome.access_token, outcome.refresh_token
            row.expires_at = now + outcome.lifetime  # from the request: never later than Zalo's clock
            row.updated_at, row.failed_at, row.failure = answered, None, None
            self._rejected = None
        self._known = _copy(row)  # a new pair serves even if storing it fails below
        if session is not None:
            self._unsaved = _copy(row)
            session.add(row)
            if first_failure:
                self._alert(session, row.failure or "", answered)
        else:
            self._store(_copy(row), alert=first_failure)
        return outcome if isinstance(outcome, str) else None

    def _store(self, pair: ChannelToken, *, alert: bool) -> None:
        """Write `pair` in a transaction of its own. If that fails, the pair stays in memory and
        the next call stores it first: Zalo spent the old refresh token already."""
        self._unsaved = pair
        with transaction(self.db) as session:
            session.merge(pair)  # also when an operator deleted the row meanwhile
            if alert:
                self._alert(session, pair.failure or "", pair.failed_at or self.clock())
        self._unsaved = None

    def _bootstrap(self) -> ChannelToken:
        refresh = self.settings.zalo_refresh_token
        if refresh is None:
            raise Transient("no Zalo token: set MOTCUA_ZALO_REFRESH_TOKEN (README, Kênh Zalo)")
        access = self.settings.zalo_access_token
        now = self.clock()
        return ChannelToken(channel=CHANNEL, access_token=access.get_secret_value() if access else "",
                            refresh_token=refresh.get_secret_value(),
                            expires_at=now + BOOTSTRAP_LIFETIME if access else now, updated_at=now)

    def _ask_zalo(self, refresh_token: str) -> NewPair | str:
        """Zalo's new pair, or why there is none."""
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
            return NewPair(str(answer["access_token"]), str(answer.get("refresh_token") or refresh_token),
                           timedelta(seconds=int(str(answer.get("expires_in") or 90000))))
        except (httpx.HTTPError, ValueError) as exc:
            return str(exc)

    def _alert(self, session: Session, error: str, now: datetime) -> None:
        """The first failure since the last success: tell staff and admins on Telegram."""
        members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))).all()
        for member in members:
            if may_speak_for_the_office(member):
                tr = get_translator(language_of(session, member.telegram_id))
                enqueue(session, member.telegram_id, Reply(Rich.plain(tr.gettext(ALERT).format(error=error))), now=now)


def _copy(row: ChannelToken) -> ChannelToken:
    """A detached copy: rows are shared between threads only as copies that nobody changes."""
    return ChannelToken.model_validate(row.model_dump())
