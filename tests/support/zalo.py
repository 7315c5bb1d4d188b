"""A citizen on Zalo: the same things a Telegram citizen does (type, tap a button by its label,
send photos and files, read the answers), through the fake Zalo OA. Taps on a numbered list
are the number typed, as a person would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotProcess
from sandbox.zaloapi import FakeZaloOA, ZaloMessage
from tests.support.office import Office
from tests.support.people import JPEG


class ZaloMessageView:
    """What the bot answered, as the Telegram `Citizen` helpers read a message (`text`,
    `button_labels()`): a long answer arrives in several Zalo messages, read here as one."""

    def __init__(self, messages: list[ZaloMessage]) -> None:
        self.message = messages[-1]
        self.text = "\n\n".join(message.text for message in messages)

    def button_labels(self) -> list[str]:
        return self.message.button_titles()


def _number_of(message: ZaloMessage, label: str) -> str | None:
    """The number of `label` in a numbered list of choices (Zalo's stand-in for many buttons)."""
    number = re.search(rf"^(\d+)\. [^\n]*{re.escape(label)}", message.text, re.MULTILINE)
    return number.group(1) if number is not None else None


def _has_button(message: ZaloMessage, label: str) -> bool:
    return any(label in title for title in message.button_titles())


def _offers(message: ZaloMessage, label: str) -> bool:
    return _has_button(message, label) or _number_of(message, label) is not None


class ZaloCitizen:
    def __init__(self, fake: FakeZaloOA, user_id: str) -> None:
        self.fake = fake
        self.user_id = user_id

    @property
    def messages(self) -> list[ZaloMessage]:
        return self.fake.messages(self.user_id)

    @property
    def last(self) -> ZaloMessageView:
        return ZaloMessageView(self.messages[-1:])

    def _expect(self, before: int, expect: int) -> ZaloMessageView:
        """Everything the bot answered. `expect` counts Telegram messages; on Zalo a file and its
        caption, or a long text, are several messages, so the answer is read once the bot is quiet."""
        self.fake.wait_for_messages(self.user_id, before + 1)
        self.fake.wait_idle(quiet=0.5)
        return ZaloMessageView(self.messages[before:])

    def send(self, text: str, expect: int = 1) -> ZaloMessageView:
        before = len(self.messages)
        self.fake.send_text(self.user_id, text)
        return self._expect(before, expect)

    def tap(self, label: str, expect: int = 1) -> ZaloMessageView:
        """The button with `label` on the newest message that has one, or its number in the newest
        numbered list. (Waited for: the part of a long answer that carries it may come late.)"""
        with suppress(AssertionError):  # the search below then fails with the transcript
            self.fake.wait_until(lambda: any(_offers(m, label) for m in self.messages))
        for message in reversed(self.messages):
            if _has_button(message, label):
                before = len(self.messages)
                self.fake.tap(self.user_id, message.payload(label))
                return self._expect(before, expect)
            number = _number_of(message, label)
            if number is not None:
                return self.send(number, expect)
        raise AssertionError(f"no button or numbered choice '{label}':\n{self.fake.transcript(self.user_id)}")

    def photo(self, content: bytes = JPEG, expect: int = 1) -> ZaloMessageView:
        before = len(self.messages)
        self.fake.send_image(self.user_id, content)
        return self._expect(before, expect)

    def document(self, content: bytes, file_name: str, mime_type: str, expect: int = 1) -> ZaloMessageView:
        before = len(self.messages)
        self.fake.send_file(self.user_id, content, file_name, mime_type)
        return self._expect(before, expect)


@dataclass
class ZaloOffice(Office):
    zalo: FakeZaloOA
    webhook_url: str

    def zalo_person(self, user_id: str) -> ZaloCitizen:
        self.zalo.follow(user_id)
        self.zalo.wait_for_messages(user_id, 1)
        return ZaloCitizen(self.zalo, user_id)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_zalo_office(make_database_url: Callable[[], str], data_dir: Path, **settings: str) -> Iterator[ZaloOffice]:
    """An office whose bot serves Telegram (officers, staff) and a Zalo OA (citizens)."""
    telegram = FakeBotAPI()
    telegram.start()
    zalo = FakeZaloOA()
    zalo.start()
    port = _free_port()
    url = make_database_url()
    process = BotProcess(telegram, url, data_dir, album_wait_seconds="0.7", listen=f"127.0.0.1:{port}",
                         zalo_app_id=zalo.app_id, zalo_secret_key=zalo.oa_secret_key, zalo_oa_secret=zalo.app_secret,
                         zalo_refresh_token=zalo.refresh_token, zalo_access_token=zalo.access_token,
                         zalo_api_url=zalo.url, zalo_oauth_url=zalo.url, **settings)
    webhook = f"http://127.0.0.1:{port}/zalo/webhook"
    zalo.webhook_url = webhook
    try:
        process.start()
        _wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        office = ZaloOffice(telegram, process, url, data_dir, zalo, webhook)
        office.register_staff()
        yield office
    finally:
        process.stop()
        zalo.stop()
        telegram.stop()


def _wait_for_http(url: str, process: BotProcess) -> None:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the bot's HTTP server did not start; its log:\n{process.log()[-4000:]}")
