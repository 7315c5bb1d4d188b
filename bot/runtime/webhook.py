"""Telegram by webhook (`motcua run --webhook URL`): Telegram POSTs each update to
`/telegram/webhook` behind the office's reverse proxy, instead of the bot asking with getUpdates.

A request is answered only once its update has been handled. Telegram then sends a chat's next
update only after the previous one was answered, so a chat's messages stay in order even when
the proxy spreads them over several processes; and an update whose process dies before answering
is sent again by Telegram (or, at once, by the proxy to another process), while the database's
record of handled update ids (`storage.db.claim_update`) makes sure it is acted on once. The
update itself goes the way python-telegram-bot documents for custom webhooks: `Update.de_json`,
then the application's `update_queue`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CONNECTIONS = 40
"""Telegram's default number of simultaneous requests; enough for a commune, whatever the processes."""
MAX_BODY = 1024 * 1024


def webhook_secret(token: str) -> str:
    """The secret Telegram sends back with every request, derived from the bot token (HMAC-SHA256
    of a fixed label under the token), not drawn at random.

    Every process of the bot calls setWebhook when it starts; with a random secret per start, the
    last process started would change the secret under all the others, which would then refuse
    every request. Derived from the token, the secret is the same for every process and across
    restarts, and setWebhook is idempotent. It reveals nothing of the token, and anyone who has
    the token could call setWebhook anyway.
    """
    return hmac.new(token.encode(), b"motcua: Telegram webhook secret", hashlib.sha256).hexdigest()


class Receipts:
    """Webhook requests waiting for their update to be handled."""

    def __init__(self) -> None:
        self._waiting: dict[int, list[asyncio.Future[None]]] = {}

    def expect(self, update_id: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(update_id, []).append(future)
        return future

    def handled(self, update: object) -> None:
        if isinstance(update, Update):
            for future in self._waiting.pop(update.update_id, []):
                if not future.done():
                    future.set_result(None)

    def forget(self, update_id: int, future: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(update_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiting.pop(update_id, None)


class TelegramWebhook:
    def __init__(self, application: Application, token: str, receipts: Receipts) -> None:  # type: ignore[type-arg]
        self.application = application
        self.secret = webhook_secret(token)
        self.receipts = receipts

    async def register(self, url: str, allowed_updates: Sequence[str]) -> None:
        """Point Telegram at `url`; the same call from every process and at every start."""
        await self.application.bot.set_webhook(url, allowed_updates=list(allowed_updates), secret_token=self.secret,
                                               max_connections=MAX_CONNECTIONS)
        log.info("Telegram webhook set")

    async def handle(self, request: Request) -> Response:
        """403 without detail unless the secret matches (compared in constant time)."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            update = Update.de_json(_json_object(body), self.application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("a webhook request with a malformed update was refused")
            return Response(status_code=400)
        done = self.receipts.expect(update.update_id)
        try:
            await self.application.update_queue.put(update)
            await done
        finally:
            self.receipts.forget(update.update_id, done)
        return Response(status_code=200)


def _json_object(body: bytes) -> dict[str, object]:
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not an update")
    return data
