"""What the bot counts for Prometheus (`/metrics`), and the figures of `/healthz`.

Each process counts what it did itself (updates it handled, messages it sent, the 429 and 5xx
answers it got) in a registry of its own; with several processes behind a proxy, each serves its
own /metrics and Prometheus scrapes them one by one and adds them up. The figures that belong to
the whole bot (the outbox's backlog and the age of its oldest message, the broadcasts under way)
are read from the database at scrape time, so every process reports the same values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import Update
from telegram.request import RequestData

from bot.runtime.json_bodies import JsonBodies
from storage.outbox import Backlog, backlog

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
PACED_METHODS = ("send", "copy", "forward")


@dataclass(frozen=True)
class Health:
    database: bool
    backlog: Backlog | None
    last_update_seconds: float | None

    def as_json(self, now: datetime) -> dict[str, Any]:
        oldest = self.backlog.oldest_pending if self.backlog is not None else None
        return {
            "database": self.database,
            "outbox_pending": self.backlog.pending if self.backlog is not None else None,
            "outbox_oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
            "last_update_seconds": round(self.last_update_seconds, 1) if self.last_update_seconds is not None else None,
        }


def read_backlog(db: Engine, now: datetime) -> Backlog:
    """Raises when the database does not answer."""
    with Session(db) as session:
        session.execute(text("SELECT 1"))
        return backlog(session, now)


class Metrics:
    def __init__(self, db: Engine, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.registry = CollectorRegistry()
        self.updates = Counter("motcua_updates_handled", "Updates this process handled, by channel and kind",
                               ["channel", "kind"], registry=self.registry)
        self.latency = Histogram("motcua_update_handling_seconds",
                                 "Time from receiving an update to the end of its handling (replies sent)",
                                 ["channel"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.sent = Counter("motcua_messages_sent", "Messages the messenger accepted from this process",
                            ["channel"], registry=self.registry)
        self.flood = Counter("motcua_flood_answers", "429 Too Many Requests answers to this process",
                             ["channel"], registry=self.registry)
        self.server_errors = Counter("motcua_server_errors", "5xx answers of the messenger to this process",
                                     ["channel"], registry=self.registry)
        self.registry.register(_DatabaseFigures(self))
        self._last_update: float | None = None

    def update_handled(self, channel: str, kind: str, seconds: float) -> None:
        self.updates.labels(channel, kind).inc()
        self.latency.labels(channel).observe(seconds)
        self._last_update = time.monotonic()

    def telegram_update_handled(self, update: object, seconds: float) -> None:
        self.update_handled("telegram", kind_of(update), seconds)

    def answered(self, channel: str, method: str, status: int) -> None:
        if status == 429:
            self.flood.labels(channel).inc()
        elif status >= 500:
            self.server_errors.labels(channel).inc()
        elif 200 <= status <= 299 and method.startswith(PACED_METHODS) and method != "sendChatAction":
            self.sent.labels(channel).inc()

    def health(self) -> Health:
        """Blocking: call it in a thread."""
        last = time.monotonic() - self._last_update if self._last_update is not None else None
        try:
            figures = read_backlog(self.db, self.clock())
        except SQLAlchemyError:
            log.warning("health check: the database does not answer")
            return Health(False, None, last)
        return Health(True, figures, last)

    def render(self) -> bytes:
        """Blocking (the database figures are read now): call it in a thread."""
        return generate_latest(self.registry)


def kind_of(update: object) -> str:
    if isinstance(update, Update):
        if update.callback_query is not None:
            return "button"
        message = update.message
        if message is not None:
            if message.text is not None and message.text.startswith("/"):
                return "command"
            if message.photo or message.document:
                return "file"
            return "message"
    return "other"


class _DatabaseFigures(Collector):
    """The outbox's backlog and the broadcasts under way, read when Prometheus scrapes."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("motcua_database_up", "1 when the database answered this scrape")
        try:
            now = self.metrics.clock()
            figures = read_backlog(self.metrics.db, now)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("motcua_outbox_pending", "Outbox messages not sent yet (whole bot)",
                                value=figures.pending)
        oldest = figures.oldest_pending
        yield GaugeMetricFamily("motcua_outbox_oldest_pending_seconds",
                                "Age of the oldest outbox message not sent yet, 0 when none (whole bot)",
                                value=(now - oldest).total_seconds() if oldest else 0)
        yield GaugeMetricFamily("motcua_broadcasts_running", "Announcements still being sent (whole bot)",
                                value=figures.broadcasts)


class MeteredRequest(JsonBodies):
    """python-telegram-bot's HTTP layer (with JSON bodies), counting what Telegram answered:
    messages accepted, 429s, 5xx."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        self.metrics.answered("telegram", url.rsplit("/", 1)[-1], code)
        return code, payload
