"""The fake Bot API's webhook side: once the bot calls setWebhook, queued updates are POSTed to
its URL instead of waiting for getUpdates, the way Telegram's Bot API server does it.

Modelled on telegram-bot-api's WebhookActor, simply:

- every request carries the `X-Telegram-Bot-Api-Secret-Token` header when a secret was set;
- updates of one chat go one at a time, the next only after the previous was answered 2xx; the
  chats go side by side, at most `max_connections` POSTs at once (Telegram's default is 40);
- an update whose POST fails (no connection, no answer, or a status other than 2xx) is tried
  again, first after RETRY_FIRST seconds and then twice as long each time up to RETRY_CAP (Telegram
  doubles from one second up to about a minute, and gives up after a day; this fake never gives up);
  the chat's later updates wait behind it, as on Telegram;
- an update is confirmed, and leaves the queue, only once answered 2xx.

Deliveries are listed in `deliveries` (update id, HTTP status or the connection error) for tests.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .server import FakeBotAPI, _QueuedUpdate

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_FIRST = 0.5
RETRY_CAP = 4.0
POST_TIMEOUT = 60.0
DEFAULT_MAX_CONNECTIONS = 40


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


@dataclass(frozen=True)
class Delivery:
    update_id: int
    status: int | None
    error: str | None = None


def queue_of(update: dict[str, Any]) -> object:
    """Telegram's per-chat queue: the chat of the message, or of the pressed button's message."""
    for kind, body in update.items():
        if not isinstance(body, dict):
            continue
        if "chat" in body:
            return body["chat"]["id"]
        message = body.get("message")
        if isinstance(message, dict) and "chat" in message:
            return message["chat"]["id"]
        if "from" in body:
            return body["from"]["id"]
        return (kind, id(update))
    return ("update", update.get("update_id"))


class WebhookSender:
    """Runs in a thread of its own while a webhook is set; everything shared is under `api._cond`."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.config: WebhookConfig | None = None
        self.deliveries: list[Delivery] = []
        self.last_error: tuple[int, str] | None = None
        self._busy: set[object] = set()
        self._retry_at: dict[int, float] = {}
        self._failures: dict[int, int] = {}
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._client: httpx.Client | None = None

    # Called with api._cond held -------------------------------------------------------------
    def set(self, config: WebhookConfig) -> None:
        self.config = config
        if self._thread is None:
            self._client = httpx.Client(timeout=POST_TIMEOUT, limits=httpx.Limits(max_connections=100))
            self._pool = ThreadPoolExecutor(max_workers=100, thread_name_prefix="fake-webhook")
            self._thread = threading.Thread(target=self._run, name="fake-webhook-dispatch", daemon=True)
            self._thread.start()
        self.api._cond.notify_all()

    def clear(self) -> None:
        """deleteWebhook: nothing new is posted; posts under way finish."""
        self.config = None
        self.api._cond.notify_all()

    def info(self) -> dict[str, Any]:
        config = self.config
        if config is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.api._pending)}
        info: dict[str, Any] = {"url": config.url, "has_custom_certificate": False,
                                "pending_update_count": len(self.api._pending),
                                "max_connections": config.max_connections}
        if config.allowed_updates is not None:
            info["allowed_updates"] = list(config.allowed_updates)
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    # The dispatcher -------------------------------------------------------------------------
    def stop(self) -> None:
        """After api._stopping is set and notified: the dispatcher ends, posts under way are dropped."""
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        cond = self.api._cond
        with cond:
            while not self.api._stopping:
                wait = self._dispatch_ready()
                cond.wait(wait)

    def _dispatch_ready(self) -> float:
        """Start every post that may go now; returns how long to sleep before looking again."""
        config = self.config
        if config is None:
            return 0.5
        now = time.monotonic()
        next_due = now + 0.5
        seen: set[object] = set()
        for queued in self.api._pending:
            if len(self._busy) >= config.max_connections:
                break
            key = queue_of(queued.update)
            if key in seen:
                continue  # a chat's later update waits behind its first
            seen.add(key)
            if key in self._busy:
                continue
            update_id = queued.update["update_id"]
            due = self._retry_at.get(update_id, 0.0)
            if due > now:
                next_due = min(next_due, due)
                continue
            self._busy.add(key)
            queued.delivered = True
            assert self._pool is not None
            self._pool.submit(self._post, config, queued, key)
        return max(0.01, next_due - now)

    def _post(self, config: WebhookConfig, queued: _QueuedUpdate, key: object) -> None:
        update_id = queued.update["update_id"]
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        status: int | None = None
        error: str | None = None
        try:
            assert self._client is not None
            status = self._client.post(config.url, json=queued.update, headers=headers).status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        with self.api._cond:
            self.deliveries.append(Delivery(update_id, status, error))
            self._busy.discard(key)
            if status is not None and 200 <= status <= 299:
                self._retry_at.pop(update_id, None)
                self._failures.pop(update_id, None)
                if queued in self.api._pending:
                    self.api._pending.remove(queued)
            else:
                failures = self._failures.get(update_id, 0)
                self._failures[update_id] = failures + 1
                self._retry_at[update_id] = time.monotonic() + min(RETRY_FIRST * 2 ** failures, RETRY_CAP)
                reason = f"Wrong response from the webhook: {status}" if status is not None else error or "failed"
                self.last_error = (int(time.time()), reason)
            self.api._last_request = time.monotonic()
            self.api._cond.notify_all()
