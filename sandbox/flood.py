"""A flood of citizens filing cases while officers take them, against one or several real bot
processes on one PostgreSQL database, fed by webhook through a round-robin proxy: what the
multi-process test (tests/e2e/test_processes.py) and benchmark (bench/processes.py) run.

The citizens behave as people do: each reads the bot's latest message and answers what it asks
(the cheapest procedure, "chứng thực bản sao": five questions, no document to photograph), all of
them at once from one driver thread; officers take each new case from its card as it arrives. A
citizen who gets no answer for a while (the process handling their message died after saving
it but before answering) types /start and taps "Continue", as the README tells people to.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.staff.members import add_member
from bot.staff.permissions import Role
from dialogs.catalog import FieldType, load_catalog
from sandbox.botapi import BotMessage, FakeBotAPI
from sandbox.botprocess import BotProcess
from sandbox.proxy import RoundRobinProxy
from storage.db import make_engine, transaction, upgrade

PROCEDURE = "chung-thuc-ban-sao"
OFFICERS = (502, 503)
FIELD = "chung-thuc"
FIRST_CITIZEN = 300_001
CODE = re.compile(r"HS-\d{6}-\d{4}")
ANSWERS = {FieldType.NAME: "nguyễn văn an", FieldType.PHONE: "0912 345 678", FieldType.TEXT: "Bằng tốt nghiệp 1 trang",
           FieldType.NUMBER: "2"}
RECOVER_AFTER = 20.0
TAKE_BUTTON = "Tiếp nhận xử lý"
TAKEN_NOTICE = "đang được xử lý"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class CitizenRun:
    chat_id: int
    seen: int = 0
    waiting_since: float = field(default_factory=time.monotonic)
    consented: bool = False
    submitted: bool = False
    code: str | None = None
    recoveries: int = 0
    restarted: bool = False
    """The home screen offered no "Continue" after the dialog had begun: the dialog was lost."""

    @property
    def done(self) -> bool:
        return self.code is not None


@dataclass
class FloodReport:
    processes: int
    citizens: int
    updates: int
    seconds: float
    filed: int
    taken: int
    recoveries: int
    lost_dialogs: int
    killed_at: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Bots:
    """The fake Bot API, `processes` bot processes in webhook mode and the proxy in front of them."""

    def __init__(self, database_url: str, data_dir: Path, processes: int, **settings: str) -> None:
        upgrade(database_url)
        self.database_url = database_url
        self.fake = FakeBotAPI()
        self.proxy = RoundRobinProxy([])
        self.ports = [free_port() for _ in range(processes)]
        self.proxy.backends[:] = [f"127.0.0.1:{port}" for port in self.ports]
        self.processes = [
            BotProcess(self.fake, database_url, data_dir, webhook=f"{self.proxy.url}/telegram/webhook",
                       listen=f"127.0.0.1:{port}", log_name=f"bot-{port}.log", **settings)
            for port in self.ports]

    def start(self) -> None:
        self.fake.start()
        self.proxy.start()
        now = datetime.now(UTC)
        with transaction(make_engine(self.database_url)) as session:
            for index, officer in enumerate(OFFICERS):
                add_member(session, telegram_id=officer, name=f"Cán bộ {index + 1}", role=Role.OFFICER,
                           fields=[FIELD], known_fields={FIELD}, now=now)
        self.fake.register_users(OFFICERS)
        for process in self.processes:
            process.start()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.proxy.stop()
        self.fake.stop()


class Flood:
    def __init__(self, fake: FakeBotAPI, citizens: int, *, officers_wait: bool = True) -> None:
        """`officers_wait=False`: the flood is over when every citizen has filed, whether or not the
        officers have taken every case yet (they go on taking the cards that arrive)."""
        self.fake = fake
        self.officers_wait = officers_wait
        self.procedure = load_catalog()[PROCEDURE]
        self.citizens = [CitizenRun(FIRST_CITIZEN + n) for n in range(citizens)]
        self.taken: set[str] = set()
        self._officer_seen = dict.fromkeys(OFFICERS, 0)

    def run(self, timeout: float, halfway: Callable[[], None] | None = None) -> FloodReport:
        """Until every citizen has a receipt and every case was taken; `halfway` is called once
        when half of the citizens have filed."""
        started = time.monotonic()
        updates_before = self.fake.counters()["update_id"]
        killed_at: float | None = None
        for citizen in self.citizens:
            self.fake.send_text(citizen.chat_id, "/start")
        while not self._finished():
            if time.monotonic() - started > timeout:
                raise TimeoutError(self._stuck())
            counts = self.fake.messages_per_chat()
            for citizen in self.citizens:
                if not citizen.done:
                    self._step(citizen, counts.get(citizen.chat_id, 0))
            self._officers(counts)
            if halfway is not None and killed_at is None and sum(c.submitted for c in self.citizens) * 2 >= len(self.citizens):
                halfway()
                killed_at = time.monotonic() - started
            time.sleep(0.02)
        return FloodReport(
            processes=0, citizens=len(self.citizens), updates=self.fake.counters()["update_id"] - updates_before,
            seconds=round(time.monotonic() - started, 2), filed=sum(c.done for c in self.citizens),
            taken=len(self.taken), recoveries=sum(c.recoveries for c in self.citizens),
            lost_dialogs=sum(c.restarted for c in self.citizens), killed_at=killed_at)

    def _finished(self) -> bool:
        return all(c.done for c in self.citizens) and (len(self.taken) == len(self.citizens) or not self.officers_wait)

    def _stuck(self) -> str:
        stuck = [c for c in self.citizens if not c.done][:3]
        notes = "\n".join(self.fake.transcript(c.chat_id)[-1500:] for c in stuck)
        return f"{sum(not c.done for c in self.citizens)} citizens unfinished, {len(self.taken)} cases taken\n{notes}"

    def _step(self, citizen: CitizenRun, count: int) -> None:
        now = time.monotonic()
        if count > citizen.seen:
            message = self.fake.bot_messages(citizen.chat_id)[-1]
            if self._answer(citizen, message):
                citizen.seen = count
                citizen.waiting_since = now
                return
        if now - citizen.waiting_since > RECOVER_AFTER:
            citizen.recoveries += 1
            citizen.seen = count
            citizen.waiting_since = now
            self.fake.send_text(citizen.chat_id, "/start")

    def _answer(self, citizen: CitizenRun, message: BotMessage) -> bool:
        """Act on what the bot's latest message asks; False when it asks nothing we know (yet)."""
        text, labels = message.text or "", message.button_labels()
        found = CODE.search(text)
        if citizen.submitted and found and "kiểm tra" not in text:
            citizen.code = found.group(0)
            return True
        for label, then in (("Xác nhận nộp", "submit"), ("Tiếp tục", None), ("Tôi đồng ý", "consent"),
                            ("Bắt đầu nộp hồ sơ", None)):
            if any(label in b for b in labels):
                self._press(citizen, message, label)
                citizen.submitted |= then == "submit"
                citizen.consented |= then == "consent"
                return True
        for question in self.procedure.applicant_fields:
            if question.label.vi in text:
                self.fake.send_text(citizen.chat_id, ANSWERS[question.type])
                return True
        short = self.procedure.short_title.vi if self.procedure.short_title else self.procedure.title.vi
        if any(short in b for b in labels):
            self._press(citizen, message, short)
            return True
        if any("Nộp hồ sơ" in b for b in labels):
            if citizen.submitted:  # filed, but the receipt was lost with its process: the case is there
                citizen.code = "?"
                return True
            citizen.restarted |= citizen.consented
            self._press(citizen, message, "Nộp hồ sơ")
            return True
        return False

    def _press(self, citizen: CitizenRun, message: BotMessage, label: str) -> None:
        self.fake.press(citizen.chat_id, message.callback_data(label), message_id=message.message_id)

    def _officers(self, counts: dict[int, int]) -> None:
        """Each officer takes every other new case, from its card, as the cards arrive."""
        for index, officer in enumerate(OFFICERS):
            if counts.get(officer, 0) <= self._officer_seen[officer]:
                continue
            messages = self.fake.bot_messages(officer)
            for message in messages[self._officer_seen[officer]:]:
                found = CODE.search(message.text or "")
                if found is None or not any(TAKE_BUTTON in b for b in message.button_labels()):
                    continue
                code = found.group(0)
                if int(code[-4:]) % len(OFFICERS) == index and code not in self.taken:
                    self.taken.add(code)
                    self.fake.press(officer, message.callback_data(TAKE_BUTTON), message_id=message.message_id)
            self._officer_seen[officer] = len(messages)
