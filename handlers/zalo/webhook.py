"""The HTTPS endpoint Zalo posts OA events to.

Zalo wants an answer within 2 seconds and retries otherwise, so the endpoint only checks the
signature, records the event (its key makes a repeated delivery the same event) and answers;
the event is handled right after, in its chat's lane. A refused event gets 403 and no detail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from handlers.zalo.events import SIGNATURE_HEADER, EventRefused, read_event, verified_event
from handlers.zalo.updates import ZaloUpdates
from storage.inbound import MAX_HANDOVERS, hand_over_events, record_event

log = logging.getLogger(__name__)
CHANNEL = "zalo"
MAX_BODY = 256 * 1024


class ZaloWebhook:
    def __init__(self, updates: ZaloUpdates, db: Engine, *, app_id: str, secret: str,
                 clock: Callable[[], datetime]) -> None:
        self.updates = updates
        self.db = db
        self.app_id = app_id
        self.secret = secret
        self.clock = clock

    async def handle(self, request: HttpRequest) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            event, payload = verified_event(body, request.headers.get(SIGNATURE_HEADER), app_id=self.app_id,
                                            secret=self.secret, now=self.clock())
        except EventRefused as refusal:
            log.warning("Zalo event refused: %s", refusal)
            return Response(status_code=403)
        if not event.from_citizen:  # the OA's own sends, delivery and read receipts: nothing to answer or keep
            return Response(status_code=200)
        update_id = await asyncio.to_thread(record_event, self.db, CHANNEL, event.key, payload, self.clock())
        await self.updates.accept(update_id, event)
        return Response(status_code=200)

    async def resume(self, received_before: datetime | None = None) -> None:
        """Events recorded but never handled (a process stopped in between): all of them at
        start-up; with several processes, the leader also takes, now and then, those older than
        any handling takes (`received_before`), so one recorded by a process that died is not
        left until a restart. Handling an event twice does nothing: its update id is claimed once.
        The starts count their handovers: an event handed over at `MAX_HANDOVERS` starts already
        is claimed without being handled, and logged, since a process died after each of them."""
        at_start = received_before is None
        handover = await asyncio.to_thread(hand_over_events, self.db, CHANNEL, received_before, counted=at_start)
        for update_id in handover.given_up:
            log.error("Zalo event %d was handed over at %d starts and never handled: it is dropped, since it most "
                      "likely stops the process", update_id, MAX_HANDOVERS)
        for update_id, payload in handover.items:
            try:
                event = read_event(payload)
            except EventRefused:
                await self.updates.drop(update_id)
                continue
            await self.updates.accept(update_id, event)
