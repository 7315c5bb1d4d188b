"""Channel-neutral replies: styled text that no value can break, and button payloads that decode
only to what this bot makes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dialogs.output import Attachment, Button, Emphasis, Press, Reply, Rich, RowId, Segment


def test_marks_split_the_message_before_values_are_filled_in() -> None:
    text = Rich.of("Case **{code}** for __{name}__", code="HS-1", name="A **not bold** __ <b>x</b>")
    assert text.segments == (
        Segment("Case "), Segment("HS-1", Emphasis.BOLD), Segment(" for "),
        Segment("A **not bold** __ <b>x</b>", Emphasis.ITALIC),
    )
    assert str(text) == "Case HS-1 for A **not bold** __ <b>x</b>"


def test_a_rich_value_keeps_its_own_emphasis_and_takes_the_surrounding_one() -> None:
    inner = Rich.plain("plain ") + Rich.italic("italic")
    assert Rich.of("**{x}**", x=inner).segments == (Segment("plain ", Emphasis.BOLD), Segment("italic", Emphasis.ITALIC))


def test_format_specs_and_escaped_braces() -> None:
    assert str(Rich.of("{n:03d} {{literal}}", n=7)) == "007 {literal}"


def test_join_add_and_truth() -> None:
    joined = Rich.join("\n", ["a", Rich.bold("b"), Rich()])
    assert str(joined) == "a\nb\n"
    assert "b" in joined and not Rich() and Rich.plain("x")
    assert str("x" + Rich.bold("y") + "z") == "xyz"


def test_a_reply_survives_the_outbox_as_json() -> None:
    reply = Reply(Rich.of("**A** b"), ((Button("ok", "nav:home"),),), notes=(Rich.plain("⚠️ n"),),
                  attachments=(Attachment("photo", Rich.plain("cap"), telegram_file_id="F", sha256="s"),))
    restored = Reply.from_json(reply.to_json())
    assert restored.text == reply.full_text
    assert restored.buttons == reply.buttons and restored.attachments == reply.attachments


def test_bytes_made_by_the_bot_cannot_be_queued() -> None:
    with pytest.raises(ValueError):
        Reply(attachments=(Attachment("photo", data=b"png"),)).to_json()


@dataclass(frozen=True)
class _Sample(Press):
    ROUTE = "sample"

    case_id: RowId
    count: int
    word: str


def test_a_press_round_trips_and_refuses_what_it_did_not_make() -> None:
    press = _Sample(12, 0, "ok-1")
    assert press.encode() == "sample:12:0:ok-1"
    assert _Sample.decode(["12", "0", "ok-1"]) == press
    for values in (["0", "1", "a"], ["2147483648", "1", "a"], ["-1", "1", "a"], ["x", "1", "a"], ["1", "1"],
                   ["1", "99999999999999999", "a"], ["1", "1", "a b"], ["1", "1", ""], ["1", "1", "a:b"]):
        assert _Sample.decode(values) is None, values
