"""`motcua sandbox` started as the IT person would (`python -m bot sandbox`), driven through the
JSON endpoints of its page exactly as the page's script does (the three Telegram phones and the
Zalo one), plus its HTML sanitizer and the page over the fakes with a scripted bot."""

from __future__ import annotations

import html
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialogs.catalog import FieldType, Procedure
from sandbox.botapi import FakeBotAPI, parse_html
from sandbox.botprocess import SCRIPTED_BUDGET
from sandbox.people import CITIZENS, OFFICER, STAFF, ZALO_CITIZEN
from sandbox.render import entities_to_html, message_json, sanitize_html
from sandbox.runner import Sandbox
from sandbox.web import SandboxWeb
from sandbox.zalo_panel import ZaloPanel
from sandbox.zaloapi import FakeZaloOA
from storage.db import upgrade
from tests.support.people import JPEG, PDF, PNG
from tests.support.walk import CATALOG, TYPED_ANSWERS

URL_LINE = re.compile(r"Sandbox: open (http://127\.0\.0\.1:\d+) .*bot log: (\S+); Ctrl\+C")
POST = {"X-Sandbox": "1"}
CODE = re.compile(r"HS-\d{6}-\d{4}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    log: Path
    output: list[str]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def start_sandbox(cwd: Path, *args: str, command: str = "sandbox") -> Running:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["MOTCUA_CHAT_BUDGET_UPDATES"] = str(SCRIPTED_BUDGET)  # the tests tap faster than a person
    process = subprocess.Popen([sys.executable, "-m", "bot", command, "--port", "0", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        match = URL_LINE.search(line)
        if match:
            return Running(process, match.group(1), Path(match.group(2)), output)
    process.kill()
    raise AssertionError("the sandbox did not print its address:\n" + "".join(output))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start_sandbox(tmp_path_factory.mktemp("sandbox-cwd"))
    yield running
    assert running.stop() == 0, "".join(running.output)
    assert not running.log.parent.exists(), "the throw-away data directory was left behind"


@pytest.fixture(scope="module")
def page(sandbox: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        yield client


class PageUser:
    """One panel of the page: what its script sends and what it shows."""

    def __init__(self, page: httpx.Client, user_id: int) -> None:
        self.page, self.user_id = page, user_id

    def chat(self) -> dict[str, Any]:
        response = self.page.get(f"/api/chats/{self.user_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def messages(self) -> list[dict[str, Any]]:
        return self.chat()["messages"]

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["from"] == "bot"]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages()
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                shown = "\n".join(f"  {m['from']}: {m['html'][:120]!r} {labels(m)}" for m in messages)
                raise AssertionError(f"user {self.user_id}: {what} within {timeout}s; the chat:\n{shown}")
            time.sleep(0.1)

    def _reply(self, action: Callable[[], httpx.Response], expect: int = 1) -> dict[str, Any]:
        before = len(self.bot_messages())
        response = action()
        assert response.status_code == 200 and response.json()["ok"], response.text
        self.wait_for(lambda ms: len([m for m in ms if m["from"] == "bot"]) >= before + expect,
                      f"{expect} new bot message(s)")
        time.sleep(0.2)  # an answer may come in two messages a moment apart
        return self.bot_messages()[-1]

    def send(self, text: str, expect: int = 1) -> dict[str, Any]:
        return self._reply(lambda: self.page.post(f"/api/chats/{self.user_id}/text", json={"text": text},
                                                  headers=POST), expect)

    def tap(self, label: str, expect: int = 1) -> dict[str, Any]:
        """Press the button whose label contains `label` on the newest message that has one."""
        for message in reversed(self.bot_messages()):
            if any(label in b["text"] for row in message["buttons"] for b in row):
                return self.press(message, label, expect)
        raise AssertionError(f"no button '{label}' in the chat of {self.user_id}")

    def press(self, message: dict[str, Any], label: str, expect: int = 1) -> dict[str, Any]:
        """Press the button whose label contains `label` on this message."""
        button = next(b for row in message["buttons"] for b in row if label in b["text"])
        body = {"message_id": message["id"], "callback_data": button["callback_data"]}
        return self._reply(lambda: self.page.post(f"/api/chats/{self.user_id}/press", json=body, headers=POST),
                           expect)

    def upload(self, name: str, content: bytes, mime_type: str, expect: int = 1) -> dict[str, Any]:
        files = {"file0": (name, content, mime_type)}
        return self._reply(lambda: self.page.post(f"/api/chats/{self.user_id}/files", files=files,
                                                  headers=POST), expect)


class ZaloPageUser:
    """The Zalo phone of the page: follow, type, tap a button (its payload goes to the bot), type
    the number of a choice in a numbered list, upload; an answer may be several Zalo messages."""

    def __init__(self, page: httpx.Client, user_id: str = ZALO_CITIZEN.user_id) -> None:
        self.page, self.user_id = page, user_id
        self.api = f"/api/zalo/{user_id}"

    def chat(self) -> dict[str, Any]:
        response = self.page.get(self.api)
        assert response.status_code == 200, response.text
        return response.json()

    def messages(self) -> list[dict[str, Any]]:
        return self.chat()["messages"]

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["from"] == "bot"]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages()
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                shown = "\n".join(f"  {m['from']}: {m['html'][:160]!r} {labels(m)}" for m in messages)
                raise AssertionError(f"Zalo user {self.user_id}: {what} within {timeout}s; the chat:\n{shown}")
            time.sleep(0.1)

    def _reply(self, path: str, expect: int = 1, **request: Any) -> str:
        """Post, wait for `expect` new bot messages and for the answer to end (0.5 s without a new
        message); returns the text of all bot messages of the answer."""
        before = len(self.bot_messages())
        response = self.page.post(self.api + path, headers=POST, **request)
        assert response.status_code == 200 and response.json()["ok"], response.text
        self.wait_for(lambda ms: len([m for m in ms if m["from"] == "bot"]) >= before + expect,
                      f"{expect} new bot message(s)")
        count, quiet_since = len(self.bot_messages()), time.monotonic()
        while time.monotonic() - quiet_since < 0.5:
            time.sleep(0.1)
            if len(self.bot_messages()) != count:
                count, quiet_since = len(self.bot_messages()), time.monotonic()
        return "\n\n".join(text_of(m) for m in self.bot_messages()[before:])

    def follow(self) -> str:
        return self._reply("/follow", json={})

    def send(self, text: str, expect: int = 1) -> str:
        return self._reply("/text", expect, json={"text": text})

    def tap(self, label: str, expect: int = 1) -> str:
        """The button whose label contains `label` on the newest message with one, or else the
        number of `label` in the newest numbered list, typed."""
        for message in reversed(self.bot_messages()):
            found = [b for row in message["buttons"] for b in row if label in b["text"]]
            if found:
                return self._reply("/tap", expect, json={"payload": found[0]["payload"]})
            numbers = re.findall(rf"^(\d+)\. [^\n]*{re.escape(label)}", text_of(message), re.MULTILINE)
            if numbers:
                return self.send(numbers[-1], expect)
        raise AssertionError(f"no button or numbered choice '{label}' in the Zalo chat")

    def upload(self, name: str, content: bytes, mime_type: str, expect: int = 1) -> str:
        return self._reply("/files", expect, files={"file0": (name, content, mime_type)})


def answer_questions(procedure: Procedure, question: str, tap: Callable[[str], str], send: Callable[[str], str]) -> str:
    """Answer each question the dialog asks, as tests/support/walk.py does; the next question."""
    given: dict[str, str] = {}
    for field in procedure.applicant_fields:
        if not field.applies(given):
            continue
        assert field.label.vi in question, question
        if field.type is FieldType.CHOICE:
            given[field.id] = field.options[0].value
            question = tap(field.options[0].label.vi)
        else:
            typed = str(field.min if field.min is not None else 1) if field.type is FieldType.NUMBER \
                else TYPED_ANSWERS[field.type]
            given[field.id] = typed
            question = send(typed)
    return question


def labels(message: dict[str, Any]) -> list[str]:
    return [button["text"] for row in message["buttons"] for button in row]


def text_of(message: dict[str, Any]) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message["html"]))


# ---------------------------------------------------------------------- the page
def test_page_shows_four_phones_and_loads_only_local_assets(sandbox: Running, page: httpx.Client) -> None:
    response = page.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    html = response.text
    for panel in ("chat-citizen", "chat-officer", "chat-staff", "chat-zalo"):
        assert f'data-testid="{panel}"' in html
    for testid in ("user-select", "messages", "text-input", "send", "file-input"):
        assert html.count(f'data-testid="{testid}"') == 4, testid
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', html)
    assert [value for value, _ in options] == [str(p.telegram_id) for p in (*CITIZENS, OFFICER, STAFF)] + [
        ZALO_CITIZEN.user_id]
    assert "Nguyễn Văn An" in html and "Cán bộ Một Cửa" in html
    zalo = html[html.index('data-testid="chat-zalo"'):]
    assert "Người dân (Zalo)" in zalo and ZALO_CITIZEN.name in zalo
    assert 'data-testid="follow"' in zalo and "Theo dõi OA" in zalo and 'data-testid="photo-input"' in zalo
    references = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    for asset, kind in (("/static/app.css", "text/css"), ("/static/app.js", "text/javascript")):
        served = page.get(asset)
        assert served.status_code == 200 and served.headers["content-type"].startswith(kind)
        assert "http://" not in served.text and "https://cdn" not in served.text


def test_posts_need_the_page_header_and_a_sandbox_user(page: httpx.Client) -> None:
    assert page.post("/api/chats/1001/text", json={"text": "hi"}).status_code == 403
    assert page.post("/api/chats/4242/text", json={"text": "hi"}, headers=POST).status_code == 404
    assert page.get("/api/chats/4242").status_code == 404
    assert page.post("/api/chats/1001/text", json={"text": "  "}, headers=POST).status_code == 400
    assert page.post("/api/chats/1001/press", json={"message_id": 999_999, "callback_data": "m.apply"},
                     headers=POST).status_code == 404
    zalo = f"/api/zalo/{ZALO_CITIZEN.user_id}"
    for action in ("follow", "text", "tap", "files"):
        assert page.post(f"{zalo}/{action}", json={"text": "hi", "payload": "#x"}).status_code == 403, action
    assert page.get("/api/zalo/4242").status_code == 404
    assert page.get("/api/zalo/1001").status_code == 404, "a Telegram user is no Zalo user"
    assert page.get(f"/api/chats/{ZALO_CITIZEN.user_id}").status_code == 404, "nor the other way round"
    assert page.post("/api/zalo/4242/text", json={"text": "hi"}, headers=POST).status_code == 404
    assert page.post(f"{zalo}/text", json={"text": " "}, headers=POST).status_code == 400
    assert page.post(f"{zalo}/tap", json={"payload": "#nav:apply-forged"}, headers=POST).status_code == 404
    assert page.get("/zalo-files/u.nothing").status_code == 404
    assert page.get(zalo, headers={"Host": "evil.example"}).status_code == 403


# ------------------------------------------------------------------ the citizen
def test_citizen_files_a_case_with_a_photo_and_the_officer_gets_it(page: httpx.Client) -> None:
    citizen = PageUser(page, CITIZENS[0].telegram_id)
    menu = citizen.send("/start")
    assert "Tây Đằng" in text_of(menu) and "<b>" in menu["html"]
    assert any("Nộp hồ sơ" in label for label in labels(menu))
    typed = citizen.messages()[-2]
    assert typed["from"] == "user" and typed["html"] == "/start"

    procedure = CATALOG["khai-tu"]
    listing = citizen.tap("Nộp hồ sơ")
    assert procedure.short_title is not None and procedure.short_title.vi in " ".join(labels(listing))
    citizen.tap(procedure.short_title.vi)
    citizen.tap("Bắt đầu nộp hồ sơ")
    question = text_of(citizen.tap("Tôi đồng ý"))
    question = answer_questions(procedure, question, lambda label: text_of(citizen.tap(label)),
                                lambda text: text_of(citizen.send(text)))
    document = procedure.collected_documents[0]
    assert document.name.vi in question

    accepted = citizen.upload("trang-1.jpg", JPEG, "image/jpeg")
    assert "Xong" in " ".join(labels(accepted)), text_of(accepted)
    sent_photo = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["photo"])
    served = page.get(sent_photo["photo"])
    assert served.status_code == 200 and served.content == JPEG and served.headers["content-type"] == "image/jpeg"

    documents = procedure.collected_documents  # the first is required, the others may be skipped
    citizen.tap("Xong", expect=1 if len(documents) > 1 else 2)
    for index in range(1, len(documents)):
        citizen.tap("Bỏ qua", expect=2 if index == len(documents) - 1 else 1)
    summary = citizen.bot_messages()[-1]
    assert "kiểm tra" in text_of(summary)
    receipt = citizen.tap("Xác nhận nộp", expect=3)
    code = CODE.search(text_of(receipt))
    assert code, text_of(receipt)
    qr = next(m for m in reversed(citizen.messages()) if m["from"] == "bot" and m["photo"])
    image = page.get(qr["photo"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"

    officer = PageUser(page, OFFICER.telegram_id)
    officer.wait_for(lambda ms: any(code.group(0) in text_of(m) and m["buttons"] for m in ms),
                     f"the case card of {code.group(0)}")
    assert any(m["photo"] for m in officer.messages()), "the officer gets the citizen's photo"


def test_a_document_is_sent_with_its_name_and_type(page: httpx.Client) -> None:
    citizen = PageUser(page, CITIZENS[1].telegram_id)
    citizen.upload("giấy tờ.pdf", PDF, "application/pdf")
    sent = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["document"])
    assert sent["document"]["name"] == "giấy tờ.pdf" and sent["document"]["mime_type"] == "application/pdf"
    served = page.get(sent["document"]["url"])
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''gi%E1%BA%A5y%20t%E1%BB%9D.pdf" in served.headers["content-disposition"]


def test_an_uploaded_html_file_is_only_ever_downloaded(page: httpx.Client) -> None:
    citizen = PageUser(page, CITIZENS[1].telegram_id)
    citizen.upload("x.html", b"<script>alert(1)</script>", "text/html")
    sent = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["document"])
    served = page.get(sent["document"]["url"])
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")


def test_typed_markup_is_shown_as_text(page: httpx.Client) -> None:
    citizen = PageUser(page, CITIZENS[1].telegram_id)
    citizen.send("<script>alert('x')</script> & <b>")
    mine = [m for m in citizen.messages() if m["from"] == "user" and "script" in m["html"]]
    assert mine[-1]["html"] == "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;"


# ------------------------------------------------------------- officer and staff
def test_the_officer_panel_user_is_an_officer(page: httpx.Client) -> None:
    answer = PageUser(page, OFFICER.telegram_id).send("/hoso")
    assert "dành cho cán bộ" not in text_of(answer)
    refused = PageUser(page, CITIZENS[1].telegram_id).send("/hoso")
    assert "dành cho cán bộ" in text_of(refused)


def test_the_staff_panel_user_may_announce(page: httpx.Client) -> None:
    prompt = PageUser(page, STAFF.telegram_id).send("/thongbao")
    assert "dành cho cán bộ" not in text_of(prompt).lower(), text_of(prompt)
    assert page.get(f"/api/chats/{STAFF.telegram_id}").json()["violations"] == []


# ------------------------------------------------------------------- the Zalo citizen
def test_zalo_citizen_follows_files_a_case_with_a_photo_and_sees_the_officer_accept_it(page: httpx.Client) -> None:
    citizen = ZaloPageUser(page)
    assert citizen.chat()["following"] is False
    home = citizen.follow()
    assert "Tây Đằng" in home
    chat = citizen.chat()
    assert chat["following"] is True and chat["violations"] == []
    assert chat["messages"][0]["from"] == "system", "the follow is shown"
    assert page.post(f"{citizen.api}/follow", json={}, headers=POST).status_code == 409
    assert "Nộp hồ sơ" in text_of(chat["messages"][-1]), "six choices: Zalo shows them as a numbered list"

    procedure = CATALOG["khai-tu"]
    listing = citizen.tap("Nộp hồ sơ")  # typed as its number too: the home screen has six choices
    assert "trả lời bằng số" in listing and procedure.title.vi in listing, listing
    citizen.tap(procedure.title.vi)  # typed as its number
    assert next(m for m in reversed(citizen.messages()) if m["from"] == "user")["html"].isdigit()
    citizen.tap("Bắt đầu nộp hồ sơ")
    tapped = next(m for m in reversed(citizen.messages()) if m["from"] == "user")
    assert tapped["kind"] == "tap" and "Bắt đầu nộp hồ sơ" in text_of(tapped), \
        "a tap shows the button's title, not its hidden payload"
    message = answer_questions(procedure, citizen.tap("Tôi đồng ý"), citizen.tap, citizen.send)
    document = procedure.collected_documents[0]
    assert document.name.vi in message

    accepted = citizen.upload("trang-1.jpg", JPEG, "image/jpeg")
    assert "⚠️" not in accepted and "Xong" in " ".join(labels(citizen.bot_messages()[-1])), accepted
    sent_photo = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["photo"])
    served = page.get(sent_photo["photo"])
    assert served.status_code == 200 and served.content == JPEG and served.headers["content-type"] == "image/jpeg"
    message = citizen.tap("Xong")
    while "kiểm tra" not in message:  # the optional documents are skipped
        message = citizen.tap("Bỏ qua")
    receipt = citizen.tap("Xác nhận nộp")
    code = CODE.search(receipt)
    assert code and "Mã hồ sơ" in receipt, receipt

    officer = PageUser(page, OFFICER.telegram_id)
    officer.wait_for(lambda ms: any(code.group(0) in text_of(m) and m["buttons"] for m in ms),
                     f"the case card of {code.group(0)}")
    card = next(m for m in reversed(officer.bot_messages()) if code.group(0) in text_of(m) and m["buttons"])
    officer.press(card, "Tiếp nhận", expect=2)
    told = citizen.wait_for(lambda ms: any(code.group(0) in text_of(m) and "đang được xử lý" in text_of(m)
                                           for m in ms if m["from"] == "bot"), "the status change")
    assert told[-1]["from"] == "bot"
    assert citizen.chat()["violations"] == [], "the bot kept to the Zalo OA API's contract"


def test_zalo_documents_and_typed_markup(page: httpx.Client) -> None:
    citizen = ZaloPageUser(page)
    if not citizen.chat()["following"]:
        citizen.follow()
    citizen.send("<script>alert('x')</script> & <b>")
    mine = [m for m in citizen.messages() if m["from"] == "user" and "script" in m["html"]]
    assert mine[-1]["html"] == "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;"
    citizen.upload("giấy tờ.pdf", PDF, "application/pdf")
    sent = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["document"])
    assert sent["document"]["name"] == "giấy tờ.pdf" and sent["document"]["mime_type"] == "application/pdf"
    served = page.get(sent["document"]["url"])
    assert served.status_code == 200 and served.content == PDF and served.headers["content-type"] == "application/pdf"
    citizen.upload("x.html", b"<script>alert(1)</script>", "text/html")
    sent = next(m for m in reversed(citizen.messages()) if m["from"] == "user" and m["document"])
    served = page.get(sent["document"]["url"])
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")


# ------------------------------------------------------------------ start and keep
def test_start_without_a_token_runs_the_sandbox(tmp_path: Path) -> None:
    running = start_sandbox(tmp_path, command="start")
    try:
        assert running.output[0].startswith("No MOTCUA_TELEGRAM_TOKEN: starting the local sandbox")
        assert "set the token in .env to use real Telegram" in running.output[0]
        assert httpx.get(running.url + "/").status_code == 200
    finally:
        assert running.stop() == 0


def test_a_kept_data_dir_goes_on_after_a_restart(tmp_path: Path) -> None:
    """Both channels go on: Telegram update ids stay below the Zalo events' ids, the bot's stored
    Zalo tokens work with the new fake, and the Zalo citizen still follows and may be answered."""
    data = tmp_path / "kept"
    for round_ in range(2):
        running = start_sandbox(tmp_path, "--data-dir", str(data))
        try:
            with httpx.Client(base_url=running.url, timeout=30) as page:
                zalo = ZaloPageUser(page)
                if round_ == 0:
                    assert "Tây Đằng" in zalo.follow()
                else:
                    assert zalo.chat()["following"], "the follower is remembered"
                    assert "Tây Đằng" in zalo.send("/start")
                menu = PageUser(page, CITIZENS[0].telegram_id).send("/start")
                assert "Nộp hồ sơ" in " ".join(labels(menu)), f"round {round_}"
                assert zalo.chat()["violations"] == [], f"round {round_}"
        finally:
            assert running.stop() == 0
        assert (data / "motcua.db").exists() and (data / "sandbox-state.json").exists()
        state = json.loads((data / "sandbox-state.json").read_text())
        assert state["update_id"] < 2**40, "Telegram ids never reach the range of other channels' events"
        assert [u["user_id"] for u in state["zalo"]["users"]] == [ZALO_CITIZEN.user_id]


def test_a_data_dir_holding_a_database_the_sandbox_did_not_make_is_refused(tmp_path: Path) -> None:
    """A desk's real data must never get the sandbox's made-up staff and messages."""
    data = tmp_path / "real-desk"
    upgrade(f"sqlite:///{data / 'motcua.db'}")  # what `motcua run` makes
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    refused = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--port", "0", "--data-dir", str(data)],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"Error: {data / 'motcua.db'} is not a sandbox database (the sandbox writes sandbox-state.json beside every "
        f"database it makes, and {data} has none): give --data-dir a new or empty directory"]
    assert sorted(path.name for path in data.iterdir()) == ["motcua.db"], "nothing was added to the directory"


# ---------------------------------------------------------------------- rendering
def test_sanitizer_keeps_telegram_tags_and_escapes_the_rest() -> None:
    dirty = ('<b>đậm</b> <script>alert(1)</script><img src=x onerror=alert(1)>'
             '<a href="javascript:alert(1)">x</a><a href="https://dichvucong.gov.vn" onclick="f()">dvc</a>'
             '<span class="tg-spoiler">bí mật</span><span style="x">y</span></i><u>open')
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "<img" not in clean and "onclick" not in clean
    assert not re.search(r"<a [^>]*javascript", clean)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in clean
    assert "<b>đậm</b>" in clean
    assert '<a href="https://dichvucong.gov.vn" target="_blank" rel="noopener noreferrer">dvc</a>' in clean
    assert '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;' in clean
    assert '<span class="tg-spoiler">bí mật</span>' in clean
    assert "&lt;span style=\"x\"&gt;y&lt;/span&gt;" in clean
    assert "&lt;/i&gt;" in clean and clean.endswith("<u>open</u>")


def test_bot_html_round_trips_through_entities() -> None:
    source = ('<b>Hồ sơ <i>HS-261127-0001</i></b> 😀 &lt;script&gt; '
              '<a href="https://t.me/x?start=c_1&amp;y=2">mở</a>\n<pre>a &lt; b</pre><blockquote>trích</blockquote>')
    text, entities = parse_html(source)
    assert sanitize_html(entities_to_html(text, entities)) == (
        '<b>Hồ sơ <i>HS-261127-0001</i></b> 😀 &lt;script&gt; '
        '<a href="https://t.me/x?start=c_1&amp;y=2" target="_blank" rel="noopener noreferrer">mở</a>\n'
        '<pre>a &lt; b</pre><blockquote>trích</blockquote>')


def test_overlapping_entities_are_nested() -> None:
    html = entities_to_html("abcdef", [{"type": "bold", "offset": 0, "length": 4},
                                       {"type": "italic", "offset": 2, "length": 4}])
    assert html == "<b>ab<i>cd</i></b><i>ef</i>"


def test_message_json_of_a_bot_message() -> None:
    text, entities = "Xin chào <script>", [{"type": "bold", "offset": 0, "length": 8}]
    message = {"message_id": 7, "text": text, "entities": entities, "edit_date": 1,
               "reply_markup": {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok"}]]}}
    shown = message_json("bot", message)
    assert shown["html"] == "<b>Xin chào</b> &lt;script&gt;"
    assert shown["buttons"] == [[{"text": "Đồng ý", "callback_data": "ok"}]]
    assert shown["edited"] and shown["from"] == "bot" and shown["photo"] is None


# ------------------------------------- the page over an emulator with a scripted bot
@pytest.fixture
def emulated() -> Iterator[tuple[FakeBotAPI, httpx.Client, httpx.Client]]:
    """The page server over an emulator, without the bot: the test plays the bot."""
    api = FakeBotAPI()
    api.start()
    api.register_users([CITIZENS[0].telegram_id], first_name=CITIZENS[0].name)
    web = SandboxWeb(api, 0)
    web.start()
    try:
        with httpx.Client(base_url=web.url, timeout=10) as page, \
                httpx.Client(base_url=f"{api.url}/bot{api.token}/", timeout=10) as bot:
            yield api, page, bot
    finally:
        web.stop()
        api.stop()


def test_bot_messages_are_shown_with_media_buttons_and_edits(
        emulated: tuple[FakeBotAPI, httpx.Client, httpx.Client]) -> None:
    _, page, bot = emulated
    chat = CITIZENS[0].telegram_id
    keyboard = json.dumps({"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok"}],
                                               [{"text": "Cổng DVC", "url": "https://dichvucong.gov.vn"}]]})
    sent = bot.post("sendMessage", data={"chat_id": chat, "text": "<b>Chào</b> &lt;script&gt;", "parse_mode": "HTML",
                                         "reply_markup": keyboard}).json()["result"]
    bot.post("sendPhoto", data={"chat_id": chat, "caption": "<i>Mã QR</i>", "parse_mode": "HTML"},
             files={"photo": ("qr.png", PNG, "image/png")})
    media = json.dumps([{"type": "photo", "media": "attach://a"}, {"type": "photo", "media": "attach://b"}])
    bot.post("sendMediaGroup", data={"chat_id": chat, "media": media},
             files={"a": ("a.jpg", JPEG, "image/jpeg"), "b": ("b.jpg", JPEG, "image/jpeg")})
    bot.post("sendDocument", data={"chat_id": chat}, files={"document": ("báo cáo.xlsx", b"PK\x03\x04", XLSX)})
    first = page.get(f"/api/chats/{chat}").json()["messages"]
    edited = bot.post("editMessageText", data={"chat_id": chat, "message_id": sent["message_id"], "text": "Đã sửa"})
    assert edited.json()["ok"], edited.text
    messages = page.get(f"/api/chats/{chat}").json()["messages"]

    assert [m["from"] for m in messages] == ["bot"] * 5
    text, photo, album_1, album_2, document = messages
    assert first[0]["html"] == "<b>Chào</b> &lt;script&gt;" and not first[0]["edited"]
    assert first[0]["buttons"] == [[{"text": "Đồng ý", "callback_data": "ok"}],
                                   [{"text": "Cổng DVC", "url": "https://dichvucong.gov.vn"}]]
    assert text["id"] == first[0]["id"] and text["rev"] != first[0]["rev"]
    assert text["html"] == "Đã sửa" and text["edited"] and text["buttons"] == []
    assert photo["html"] == "<i>Mã QR</i>" and page.get(photo["photo"]).content == PNG
    assert album_1["media_group_id"] and album_1["media_group_id"] == album_2["media_group_id"]
    assert page.get(album_2["photo"]).headers["content-type"] == "image/jpeg"
    assert document["document"]["name"] == "báo cáo.xlsx" and document["document"]["mime_type"] == XLSX
    assert page.get(document["document"]["url"]).headers["content-disposition"].startswith("attachment")


def test_pressing_a_button_queues_a_callback_query_from_that_user(
        emulated: tuple[FakeBotAPI, httpx.Client, httpx.Client]) -> None:
    _, page, bot = emulated
    chat = CITIZENS[0].telegram_id
    keyboard = json.dumps({"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "ok"}]]})
    sent = bot.post("sendMessage", data={"chat_id": chat, "text": "Hỏi", "reply_markup": keyboard}).json()["result"]
    pressed = page.post(f"/api/chats/{chat}/press", json={"message_id": sent["message_id"], "callback_data": "ok"},
                        headers=POST)
    assert pressed.status_code == 200, pressed.text
    (update,) = bot.post("getUpdates", data={"timeout": 0}).json()["result"]
    query = update["callback_query"]
    assert query["data"] == "ok" and query["from"]["id"] == chat and query["from"]["first_name"] == CITIZENS[0].name
    assert query["message"]["message_id"] == sent["message_id"]
    bot.post("answerCallbackQuery", data={"callback_query_id": query["id"], "text": "Đã ghi nhận"})
    assert page.get(f"/api/chats/{chat}").json()["answers"] == [{"text": "Đã ghi nhận", "show_alert": False}]


def test_contract_violations_are_listed_for_the_page_and_logged(
        emulated: tuple[FakeBotAPI, httpx.Client, httpx.Client], caplog: pytest.LogCaptureFixture) -> None:
    api, page, bot = emulated
    refused = bot.post("sendMessage", data={"chat_id": CITIZENS[0].telegram_id, "text": "<div>x</div>",
                                            "parse_mode": "HTML"})
    assert refused.status_code == 400
    (violation,) = page.get(f"/api/chats/{CITIZENS[0].telegram_id}").json()["violations"]
    assert "can't parse entities" in violation
    watcher = Sandbox()
    watcher.api = api
    with caplog.at_level(logging.WARNING, logger="motcua.sandbox"):
        watcher.check()
        watcher.check()
    assert [r.getMessage() for r in caplog.records] == [f"Bot API contract violation: {violation}"]


# ----------------------------------------- the Zalo phone over the fake OA with a scripted bot
class _Webhook(BaseHTTPRequestHandler):
    """The bot's webhook, reduced to answering 200 (the test plays the bot)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
        pass


@pytest.fixture
def zalo_emulated() -> Iterator[tuple[FakeZaloOA, httpx.Client, httpx.Client]]:
    """The page server over both fakes, without the bot; the Zalo citizen has followed the OA."""
    api, zalo = FakeBotAPI(), FakeZaloOA()
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    api.start()
    zalo.start()
    zalo.webhook_url = f"http://127.0.0.1:{webhook.server_address[1]}/zalo/webhook"
    web = SandboxWeb(api, 0, zalo=ZaloPanel(zalo))
    web.start()
    try:
        with httpx.Client(base_url=web.url, timeout=10) as page, \
                httpx.Client(base_url=zalo.url, headers={"access_token": zalo.access_token}, timeout=10) as bot:
            assert page.post(f"/api/zalo/{ZALO_CITIZEN.user_id}/follow", json={}, headers=POST).json()["ok"]
            yield zalo, page, bot
    finally:
        web.stop()
        api.stop()
        zalo.stop()
        webhook.shutdown()
        webhook.server_close()


def _send(bot: httpx.Client, message: dict[str, Any]) -> dict[str, Any]:
    answer = bot.post("/v3.0/oa/message/cs", json={"recipient": {"user_id": ZALO_CITIZEN.user_id},
                                                   "message": message}).json()
    assert answer["error"] == 0, answer
    return answer


def _upload(bot: httpx.Client, kind: str, name: str, content: bytes, mime_type: str) -> str:
    answer = bot.post(f"/v2.0/oa/upload/{kind}", files={"file": (name, content, mime_type)}).json()
    assert answer["error"] == 0, answer
    return str(answer["data"].get("attachment_id") or answer["data"].get("token"))


def test_zalo_bot_messages_are_shown_with_buttons_images_and_files(
        zalo_emulated: tuple[FakeZaloOA, httpx.Client, httpx.Client]) -> None:
    zalo, page, bot = zalo_emulated
    buttons = [{"title": "Đồng ý", "type": "oa.query.hide", "payload": "#ok"},
               {"title": "Cổng DVC", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}},
               {"title": "Gọi UBND", "type": "oa.open.phone", "payload": {"phone_code": "0912345678"}}]
    _send(bot, {"text": "Chào <b>ông/bà</b> & xem https://dichvucong.gov.vn.",
                "attachment": {"type": "template", "payload": {"buttons": buttons}}})
    image = _upload(bot, "image", "qr.png", PNG, "image/png")
    _send(bot, {"text": "Ảnh mẫu", "attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", "attachment_id": image}]}}})
    token = _upload(bot, "file", "kết quả.pdf", PDF, "application/pdf")
    _send(bot, {"attachment": {"type": "file", "payload": {"token": token}}})
    chat = page.get(f"/api/zalo/{ZALO_CITIZEN.user_id}").json()

    follow, text, photo, document = chat["messages"]
    assert follow["from"] == "system" and chat["following"]
    assert text["from"] == "bot" and text["html"] == (
        'Chào &lt;b&gt;ông/bà&lt;/b&gt; &amp; xem <a href="https://dichvucong.gov.vn" target="_blank" '
        'rel="noopener noreferrer">https://dichvucong.gov.vn</a>.')
    assert text["buttons"] == [[{"text": "Đồng ý", "payload": "#ok"}],
                               [{"text": "Cổng DVC", "url": "https://dichvucong.gov.vn"}],
                               [{"text": "Gọi UBND", "disabled": "oa.open.phone"}]]
    assert photo["html"] == "Ảnh mẫu" and page.get(photo["photo"]).content == PNG
    assert page.get(photo["photo"]).headers["content-type"] == "image/png"
    assert document["document"]["name"] == "kết quả.pdf"
    served = page.get(document["document"]["url"])
    assert served.content == PDF and served.headers["content-type"] == "application/pdf"

    tapped = page.post(f"/api/zalo/{ZALO_CITIZEN.user_id}/tap", json={"payload": "#ok"}, headers=POST)
    assert tapped.status_code == 200, tapped.text
    assert page.post(f"/api/zalo/{ZALO_CITIZEN.user_id}/tap", json={"payload": "#not-sent"},
                     headers=POST).status_code == 404
    shown = page.get(f"/api/zalo/{ZALO_CITIZEN.user_id}").json()["messages"][-1]
    assert shown["from"] == "user" and shown["kind"] == "tap" and shown["html"] == "Đã bấm: <b>Đồng ý</b>"
    assert zalo.conversation(ZALO_CITIZEN.user_id)[-1][1]["message"]["text"] == "#ok", "the payload went to the bot"
    assert chat["violations"] == []


def test_zalo_contract_violations_are_listed_for_the_page_and_logged(
        zalo_emulated: tuple[FakeZaloOA, httpx.Client, httpx.Client], caplog: pytest.LogCaptureFixture) -> None:
    zalo, page, bot = zalo_emulated
    refused = bot.post("/v3.0/oa/message/cs", json={"recipient": {"user_id": ZALO_CITIZEN.user_id},
                                                    "message": {"text": "x" * 2001}}).json()
    assert refused["error"] != 0
    (violation,) = page.get(f"/api/zalo/{ZALO_CITIZEN.user_id}").json()["violations"]
    assert "/v3.0/oa/message/cs" in violation
    watcher = Sandbox()
    watcher.api, watcher.zalo = FakeBotAPI(), zalo
    with caplog.at_level(logging.WARNING, logger="motcua.sandbox"):
        watcher.check()
        watcher.check()
    assert [r.getMessage() for r in caplog.records] == [f"Zalo OA API contract violation: {violation}"]


def test_a_zalo_event_the_bot_does_not_take_is_an_error_on_the_page(
        zalo_emulated: tuple[FakeZaloOA, httpx.Client, httpx.Client]) -> None:
    zalo, page, _ = zalo_emulated
    zalo.webhook_url = "http://127.0.0.1:9/zalo/webhook"  # nothing listens there
    answer = page.post(f"/api/zalo/{ZALO_CITIZEN.user_id}/text", json={"text": "xin chào"}, headers=POST)
    assert answer.status_code == 502 and "not reachable" in answer.json()["error"]
