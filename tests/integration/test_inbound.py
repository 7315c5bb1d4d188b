"""Events pushed by a messenger: one update id per event however often it arrives, and the
events left unhandled by a stopped process found again at start."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import claim_update, make_engine, transaction, upgrade
from storage.inbound import record_event, unhandled_events
from storage.models import OTHER_CHANNEL_UPDATE_IDS

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_repeated_event_keeps_its_update_id_and_unhandled_ones_are_found(database_url: str) -> None:
    upgrade(database_url)
    db = make_engine(database_url)
    first = record_event(db, "zalo", "msg-1", {"n": 1}, NOW)
    assert record_event(db, "zalo", "msg-1", {"n": 1}, NOW) == first >= OTHER_CHANNEL_UPDATE_IDS
    second = record_event(db, "zalo", "msg-2", {"n": 2}, NOW)
    record_event(db, "other", "msg-1", {"n": 3}, NOW)
    with transaction(db) as session:
        assert claim_update(session, first)
    assert unhandled_events(db, "zalo") == [(second, {"n": 2})]
    db.dispose()
