"""The Zalo adapter's pure parts: which events are Zalo's, and how a reply becomes messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dialogs.output import Button, Reply, Rich
from handlers.zalo.events import EventRefused, signature, verified_event
from handlers.zalo.render import MAX_TEXT, tapped_payload, text_messages
from locales import get_translator

APP, SECRET = "3608465249012345678", "oa-secret"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _event(**changes: object) -> bytes:
    event: dict[str, object] = {"app_id": APP, "sender": {"id": "246845883529197922"},
                                "recipient": {"id": "388613280878808645"}, "event_name": "user_send_text",
                                "message": {"text": "khai sinh", "msg_id": "96d3cdf3af150460909a"},
                                "timestamp": str(int(NOW.timestamp() * 1000))}
    event.update(changes)
    return json.dumps(event, ensure_ascii=False).encode()


def test_a_signed_recent_event_is_read() -> None:
    body = _event()
    event, data = verified_event(body, signature(APP, body, data_ts(body), SECRET), app_id=APP, secret=SECRET,
                                 now=NOW)
    assert (event.name, event.user_id, event.text, event.key) == (
        "user_send_text", "246845883529197922", "khai sinh", "96d3cdf3af150460909a")
    assert data["app_id"] == APP and event.from_citizen


def data_ts(body: bytes) -> str:
    return str(json.loads(body)["timestamp"])


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "other body", "stale", "future", "other app", "not json"])
def test_events_zalo_did_not_send_now_are_refused(case: str) -> None:
    body = _event()
    header: str | None = signature(APP, body, data_ts(body), SECRET)
    now = NOW
    if case == "unsigned":
        header = None
    elif case == "wrong secret":
        header = signature(APP, body, data_ts(body), "guess")
    elif case == "other body":
        body = _event(message={"text": "forged", "msg_id": "x"})
    elif case == "stale":
        now = NOW + timedelta(days=2)
    elif case == "future":
        now = NOW - timedelta(hours=1)
    elif case == "other app":
        body = _event(app_id="1")
        header = signature(APP, body, data_ts(body), SECRET)
    else:
        body = b"not json"
    with pytest.raises(EventRefused):
        verified_event(body, header, app_id=APP, secret=SECRET, now=now)


def test_follow_events_name_the_follower_and_receipts_need_no_answer() -> None:
    body = json.dumps({"oa_id": "1", "follower": {"id": "42"}, "event_name": "follow", "app_id": APP,
                       "timestamp": str(int(NOW.timestamp() * 1000))}).encode()
    event, _ = verified_event(body, signature(APP, body, data_ts(body), SECRET), app_id=APP, secret=SECRET, now=NOW)
    assert event.user_id == "42" and event.from_citizen and event.key.startswith("follow:42:")
    seen = _event(event_name="user_seen_message")
    event, _ = verified_event(seen, signature(APP, seen, data_ts(seen), SECRET), app_id=APP, secret=SECRET, now=NOW)
    assert not event.from_citizen


def test_up_to_five_buttons_go_under_the_text_and_more_become_a_numbered_list() -> None:
    vi = get_translator("vi")
    few = text_messages(Reply(Rich.bold("Chọn"), ((Button("A", "nav:apply"), Button("B", "lookup")),)), vi)
    assert few.choices == [] and few.messages[0]["text"] == "Chọn"
    assert [b["payload"] for b in few.messages[0]["attachment"]["payload"]["buttons"]] == ["#nav:apply", "#lookup"]
    many = text_messages(Reply(Rich.plain("Chọn"), tuple((Button(f"P{n}", f"step:1:c:p{n}"),) for n in range(1, 8))), vi)
    assert "attachment" not in many.messages[0] and "1. P1\n2. P2" in many.messages[0]["text"]
    assert many.choices == [f"step:1:c:p{n}" for n in range(1, 8)]
    listed = Reply(Rich.plain("1. Khai sinh\n2. Khai tử"),
                   (*((Button(f"{n}. K{n}", f"step:1:c:k{n}"),) for n in range(1, 7)), (Button("Hủy", "step:1:c:cancel"),)))
    text = text_messages(listed, vi).messages[0]["text"]
    assert "1. K1" not in text and "7. Hủy" in text, "choices the text already numbers are not listed twice"


def test_long_texts_are_cut_and_the_buttons_stay_under_the_last_piece() -> None:
    reply = Reply(Rich.plain("\n\n".join("đoạn " * 150 for _ in range(6))), ((Button("OK", "nav:home"),),))
    messages = text_messages(reply, get_translator("vi")).messages
    assert len(messages) > 1 and all(len(m["text"]) <= MAX_TEXT for m in messages)
    assert "attachment" in messages[-1] and all("attachment" not in m for m in messages[:-1])


def test_feedback_and_announcement_buttons_are_not_offered_on_zalo() -> None:
    reply = Reply(Rich.plain("Menu"), ((Button("Góp ý", "feedback"), Button("Hủy nhận", "unsub"), Button("Nộp", "nav:apply")),))
    buttons = text_messages(reply, get_translator("vi")).messages[0]["attachment"]["payload"]["buttons"]
    assert [b["title"] for b in buttons] == ["Nộp"]


def test_only_marked_texts_are_taps() -> None:
    assert tapped_payload("#nav:apply") == "nav:apply"
    assert tapped_payload("nav:apply") is None and tapped_payload("#") is None
