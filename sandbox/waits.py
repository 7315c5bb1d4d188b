"""Blocking waits shared by the fake servers (Bot API, Zalo OA): a test waits for what the bot
sent, and a wait that times out fails with the conversation so far and the contract violations."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Message = TypeVar("Message")


class Waits(Generic[Key, Message]):
    """Mixed into a fake server that records, under `_cond`, the messages the bot sent per chat."""

    _cond: threading.Condition
    _messages: dict[Key, list[Message]]
    violations: list[str]
    _WHO = "chat"
    _WHAT = "bot messages"

    def _transcript(self, key: Key) -> str:
        raise NotImplementedError

    def _violation_note(self) -> str:
        return "\nviolations so far:\n" + "\n".join(f"  - {v}" for v in self.violations) if self.violations else ""

    def wait_for_messages(self, key: Key, count: int, timeout: float = 15.0) -> list[Message]:
        """Block until `key` has received `count` messages; fail with the transcript."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._messages.get(key, [])) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = len(self._messages.get(key, []))
                    raise AssertionError(
                        f"{self._WHO} {key}: expected at least {count} {self._WHAT} within {timeout}s, got {got}\n"
                        f"{self._transcript(key)}{self._violation_note()}"
                    )
                self._cond.wait(remaining)
            return copy.deepcopy(self._messages[key])

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0, message: str = "") -> None:
        """Poll `predicate` (called without the lock held) whenever something happens."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s: {message}{self._violation_note()}")
            with self._cond:
                self._cond.wait(min(remaining, 0.05))
