"""The sandbox page in a real browser: `python -m bot sandbox` started as a subprocess, its page
opened in headless Chromium (Debian's `chromium` package, driven by Playwright), and used like a
person would: a citizen files a "Chứng thực bản sao" case by typing, tapping buttons and uploading
a photo; a citizen on Zalo follows the Official Account and files the same procedure (buttons, a
numbered list answered by typing its number, a photo); the officer accepts both cases and reports
the results; each citizen sees both status messages in their own phone.

Needs /usr/bin/chromium (`scripts/install-browser`, which `scripts/test` runs) and the `playwright`
package (the `test` extra). A full-page screenshot is kept in test-artifacts/sandbox-<db>.png (on a
failure too, with a Playwright trace next to it: `playwright show-trace <file>`).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dialogs.catalog import FieldType, Procedure, load_catalog
from sandbox.botprocess import SCRIPTED_BUDGET

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PHOTO = ROOT / "tests" / "data" / "page.jpg"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these, Chromium stalls on a closed network trying to reach Google's services.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROCEDURE = "chung-thuc-ban-sao"
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)")
CODE = re.compile(r"HS-\d{6}-\d{4}")
START_TIMEOUT = 90  # seconds: the sandbox migrates a database and starts the bot
STEP_TIMEOUT = 30_000  # ms: one bot answer (a loaded CI machine may be slow)

# What a person would type for each kind of question (see tests/walk.py for the same walk
# through the fake Bot API server).
TYPED = {
    FieldType.NAME: "Nguyễn Văn An",
    FieldType.CCCD: "001090012345",
    FieldType.PHONE: "0912345678",
    FieldType.ADDRESS: "Thôn 3, thị trấn Tây Đằng",
    FieldType.DATE: "01/02/1990",
    FieldType.TEXT: "Giấy khai sinh",
    FieldType.NUMBER: "1",
}


# --------------------------------------------------------------------------- the sandbox process
@dataclass
class Sandbox:
    process: subprocess.Popen[str]
    url: str
    output: list[str]

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def log(self) -> str:
        """The sandbox's own output and the tail of the bot's log (named in the URL line)."""
        text = "".join(self.output)
        match = re.search(r"bot log: (\S+?);", text)
        if match and Path(match.group(1)).exists():
            lines = Path(match.group(1)).read_text(errors="replace").splitlines()[-60:]
            text += "\n--- bot log (tail) ---\n" + "\n".join(lines)
        return text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(cwd: Path, data_dir: Path) -> Sandbox:
    """`<venv python> -m bot sandbox --port <free port> --data-dir <tmp>` in a clean environment
    (no MOTCUA_* variable, no .env in its directory); returns once its page answers 200."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["MOTCUA_CHAT_BUDGET_UPDATES"] = str(SCRIPTED_BUDGET)  # the browser taps faster than a person
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, encoding="utf-8", errors="replace")
    output: list[str] = []
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, name="sandbox-output", daemon=True).start()
    sandbox = Sandbox(process, f"http://127.0.0.1:{port}", output)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:  # the one line with the page's address
            if time.monotonic() > deadline:
                raise AssertionError(f"the sandbox did not print its address within {START_TIMEOUT}s")
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the sandbox exited with code {process.wait()} before it was ready")
            match = URL_LINE.search(line)
            if match:
                sandbox.url = match.group(1)
                break
        while True:  # and its page answering
            try:
                if httpx.get(sandbox.url + "/", timeout=5).status_code == 200:
                    return sandbox
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the sandbox page {sandbox.url}/ did not answer 200")
            time.sleep(0.1)
    except AssertionError as exc:
        sandbox.stop()
        raise AssertionError(f"{exc}; its output:\n{sandbox.log()}") from None


# --------------------------------------------------------------------------- the browser
def browser_or_fail() -> tuple[object, Callable[..., object]]:
    """Playwright's sync API and `expect`; a clear failure (not a skip) when a piece is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing ({CHROMIUM}); the browser test needs Debian's chromium package: "
                    "run scripts/install-browser (or, as root: apt-get install -y chromium)", pytrace=False)
    try:
        # Imported here, so that a missing package is a clear failure instead of a collection error.
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: .venv/bin/pip install -e '.[test]' "
                    "(scripts/test does it)", pytrace=False)
    return sync_playwright, expect


class Chat:
    """One phone of the page (`div[data-testid=chat-<key>]`), used the way a person would."""

    def __init__(self, page, key: str, expect) -> None:
        self.key = key
        self.page = page
        self.root = page.locator(f"div[data-testid=chat-{key}]")
        self.messages = self.root.locator("div[data-testid=messages]")
        self.bot = self.messages.locator("div.message.bot")
        self.expect = expect

    @property
    def last(self):
        return self.bot.last

    def _then_new_message(self, action: Callable[[], None]):
        """Do something and wait for the bot's next message; returns it."""
        before = self.bot.count()
        action()
        self.bot.nth(before).wait_for()
        return self.last

    def send(self, text: str):
        def type_and_send() -> None:
            self.root.locator("input[data-testid=text-input]").fill(text)
            self.root.locator("button[data-testid=send]").click()
        return self._then_new_message(type_and_send)

    def count(self) -> int:
        return self.bot.count()

    def tap(self, label: str, where=None):
        """Tap the inline button whose label contains `label`, on the latest bot message
        (or on the message `where`)."""
        button = (where if where is not None else self.last).locator("button.inline-button", has_text=label).first
        button.wait_for()
        return self._then_new_message(button.click)

    def upload(self, path: Path):
        photos = self.messages.locator("div.message.user img").count()
        message = self._then_new_message(
            lambda: self.root.locator("input[type=file][data-testid=file-input]").set_input_files(path))
        self.expect(self.messages.locator("div.message.user img")).to_have_count(photos + 1)
        return message

    def sees(self, text: str) -> None:
        self.expect(self.messages).to_contain_text(text)

    def transcript(self) -> str:
        try:
            return "\n".join(f"  [{m.get_attribute('class')}] {m.inner_text(timeout=2000)!r}"
                             for m in self.messages.locator("div.message").all())
        except Exception as exc:  # noqa: BLE001 - only for the failure report
            return f"  (unavailable: {exc})"


class ZaloChat(Chat):
    """The Zalo phone: an answer may be several messages (waited for until none comes for a
    moment), and a list of more than five choices is numbered text answered by typing the number."""

    QUIET_MS = 600
    LABEL_WAIT_MS = 5000

    def _then_new_message(self, action: Callable[[], None]):
        before = self.bot.count()
        action()
        self.bot.nth(before).wait_for()
        count, quiet = self.bot.count(), 0
        while quiet < self.QUIET_MS:
            self.page.wait_for_timeout(150)
            quiet = quiet + 150 if self.bot.count() == count else 0
            count = self.bot.count()
        return self.last

    def follow(self):
        self.expect(self.root.locator("[data-testid=follow-bar]")).to_be_visible()
        home = self._then_new_message(self.root.locator("button[data-testid=follow]").click)
        self.expect(self.root.locator("[data-testid=follow-bar]")).to_be_hidden()
        return home

    def tap(self, label: str, where=None):
        """The button labelled `label` on one of the newest bot messages, or else the number of
        `label` in the newest numbered list, typed."""
        if where is not None:
            return super().tap(label, where)
        # The part of a long answer that carries the choice may be shown a page refresh later
        # than the quiet moment that ended the last step: looked for again until LABEL_WAIT_MS.
        for _ in range(self.LABEL_WAIT_MS // 250):
            count = self.bot.count()
            for index in range(count - 1, max(count - 6, -1), -1):
                message = self.bot.nth(index)
                button = message.locator("button.inline-button", has_text=label)
                if button.count():
                    return self._then_new_message(button.first.click)
                numbers = re.findall(rf"^(\d+)\. [^\n]*{re.escape(label)}", message.inner_text(), re.MULTILINE)
                if numbers:
                    return self.send(numbers[-1])
            self.page.wait_for_timeout(250)
        raise AssertionError(f"no button or numbered choice '{label}' in the Zalo chat:\n{self.transcript()}")

    def upload(self, path: Path):
        photos = self.messages.locator("div.message.user img").count()
        message = self._then_new_message(
            lambda: self.root.locator("input[type=file][data-testid=photo-input]").set_input_files(path))
        self.expect(self.messages.locator("div.message.user img")).to_have_count(photos + 1)
        return message


def file_case(citizen: Chat, procedure: Procedure) -> str:
    """From /start to the receipt; returns the case code."""
    expect = citizen.expect
    if isinstance(citizen, ZaloChat):
        expect(citizen.follow()).to_contain_text("Tây Đằng")
    else:
        citizen.send("/start")
    citizen.tap("Nộp hồ sơ")
    if isinstance(citizen, ZaloChat):
        citizen.tap(procedure.title.vi)  # typed as its number in the list of titles
    else:
        citizen.tap(procedure.short_title.vi if procedure.short_title else procedure.title.vi)
    citizen.tap("Bắt đầu nộp hồ sơ")
    citizen.tap("Tôi đồng ý")
    for field in procedure.applicant_fields:
        question = citizen.last
        expect(question).to_contain_text(field.label.vi)
        if field.type is FieldType.CHOICE and isinstance(citizen, ZaloChat):
            citizen.tap(field.options[0].label.vi)  # a button, or its number when there are many
        elif field.type is FieldType.CHOICE:
            first = question.locator("button.inline-button").first
            expect(first).to_have_text(field.options[0].label.vi)
            citizen.tap(field.options[0].label.vi, where=question)
        else:
            citizen.send(TYPED[field.type])
    for document in procedure.collected_documents:
        expect(citizen.last).to_contain_text(document.name.vi)
        if document.skippable:
            citizen.tap("Bỏ qua")
            continue
        citizen.upload(PHOTO)
        citizen.tap("Xong")
    expect(citizen.last).to_contain_text("kiểm tra")  # the summary to check before filing
    citizen.tap("Xác nhận nộp hồ sơ")
    receipt = citizen.bot.filter(has_text="Mã hồ sơ").last
    expect(receipt).to_contain_text(CODE)
    return CODE.search(receipt.inner_text()).group(0)


def officer_finishes(officer: Chat, code: str) -> None:
    """Every tap on a message about this case. The previous case's last messages may still be
    arriving, and its older messages keep their buttons: "the newest message with this button"
    could be the previous case's, whose tap the bot refuses as out of date."""
    def about_case(label: str):
        return officer.bot.filter(has_text=code).filter(
            has=officer.page.locator("button.inline-button", has_text=label)).last

    card = officer.bot.filter(has_text="Hồ sơ mới").filter(has_text=code).last
    card.wait_for()
    officer.tap("Tiếp nhận xử lý", where=card)
    officer.tap("Có kết quả", where=about_case("Có kết quả"))
    officer.tap("Dùng hướng dẫn mặc định", where=about_case("Dùng hướng dẫn mặc định"))
    done = officer.bot.filter(has_text="Xong").filter(has_text=code).filter(has_text="Chờ trả kết quả")
    officer.expect(done).to_have_count(1)


# --------------------------------------------------------------------------- the test
@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    (tmp_path / "cwd").mkdir()
    running = start_sandbox(tmp_path / "cwd", tmp_path / "data")
    yield running
    code = running.stop()
    assert code == 0, f"the sandbox exited with code {code}:\n{running.log()}"


def test_citizen_files_a_case_and_the_officer_finishes_it_in_the_browser(
        request: pytest.FixtureRequest, database_backend: str) -> None:
    sync_playwright, expect = browser_or_fail()  # before starting anything: fail fast and clearly
    expect.set_options(timeout=STEP_TIMEOUT)
    procedure = load_catalog()[PROCEDURE]
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"sandbox-{database_backend}.png"
    trace = ARTIFACTS / f"sandbox-{database_backend}-trace.zip"
    screenshot.unlink(missing_ok=True)
    trace.unlink(missing_ok=True)
    sandbox: Sandbox = request.getfixturevalue("sandbox")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        # Wide enough for the four phones side by side, as on an office's desktop screen.
        context = browser.new_context(viewport={"width": 1560, "height": 900}, locale="vi-VN")
        context.tracing.start(screenshots=True, snapshots=True)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT)
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        citizen = Chat(page, "citizen", expect)
        officer = Chat(page, "officer", expect)
        zalo = ZaloChat(page, "zalo", expect)
        failed = True
        try:
            page.goto(sandbox.url + "/")
            expect(page.locator("[data-testid=bot-status]")).to_contain_text("Bot đang chạy")

            code = file_case(citizen, procedure)
            zalo_code = file_case(zalo, procedure)
            assert zalo_code != code
            expect(zalo.messages.locator("div.message.user.kind-tap").first).to_contain_text("Bắt đầu nộp hồ sơ")

            officer_finishes(officer, code)
            officer_finishes(officer, zalo_code)

            citizen.sees("đang được xử lý")
            citizen.sees("đã có kết quả")
            expect(citizen.bot.filter(has_text="đã có kết quả")).to_contain_text(code)
            zalo.sees("đang được xử lý")
            zalo.sees("đã có kết quả")
            expect(zalo.bot.filter(has_text="đã có kết quả")).to_contain_text(zalo_code)
            expect(page.locator("[data-testid=violations]")).to_be_hidden()
            failed = False
        finally:
            try:
                page.screenshot(path=str(screenshot), full_page=True)
            except Exception as exc:  # keep the test's own error, if any
                console.append(f"(no screenshot: {exc})")
                if not failed:
                    raise
            if failed:
                context.tracing.stop(path=str(trace))
                request.node.add_report_section("call", "browser", "\n".join([
                    f"screenshot: {screenshot}", f"trace: {trace} (playwright show-trace {trace})",
                    "citizen chat:", citizen.transcript(), "officer chat:", officer.transcript(),
                    "Zalo citizen chat:", zalo.transcript(),
                    "browser console:", *console, "sandbox output:", sandbox.log()]))
            else:
                context.tracing.stop()
            context.close()
            browser.close()
    assert screenshot.stat().st_size > 0
