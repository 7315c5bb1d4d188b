"""The sandbox's Zalo Official Account: a FakeZaloOA beside the Bot API emulator, the settings that
point the bot at it, and what of it survives a restart with `--data-dir`.

A kept database can only go on with a fake that accepts what the bot keeps in it: the bot stores
the OA's token pair in the database (each refresh token works once, so `.env` only starts it), and
the new fake is given that pair. The fake's users, though (who follows the OA and when each last
wrote, which opens Zalo's 7-day reply window), live only in the fake: they are saved with the Bot
API counters in sandbox-state.json and given back to the next fake, so the citizen still follows
and the bot may still answer after a restart.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
from sqlmodel import Session

from handlers.zalo.tokens import CHANNEL
from sandbox.botprocess import BotDidNotStart, BotProcess
from sandbox.zaloapi import FakeZaloOA
from storage.db import make_engine
from storage.models import ChannelToken

APP_ID = "3608465249012345678"
OA_ID = "388613280878808645"
OA_SECRET_KEY = "sandbox-oa-secret-key"  # signs the webhook events
APP_SECRET = "sandbox-app-secret"  # the app's secret, sent with each token refresh
STATUS_FIELDS = ["case_code", "status", "date"]  # what the bot fills in a status template (README)
HEALTH_TIMEOUT = 30.0


def new_fake(database_url: str, saved: dict[str, Any] | None, status_template: str | None) -> FakeZaloOA:
    """A fake (not started) that accepts the database's tokens and knows the saved users; the
    office's status template, if `.env` names one, is registered so that sending it is no
    contract violation here."""
    stored = stored_tokens(database_url)
    fake = FakeZaloOA(app_id=APP_ID, oa_id=OA_ID, oa_secret_key=OA_SECRET_KEY, app_secret=APP_SECRET,
                      access_token=stored[0] if stored else None, refresh_token=stored[1] if stored else None)
    now = time.time()
    for user in (saved or {}).get("users", []):
        try:
            last = user.get("last_interaction")
            fake.add_user(str(user["user_id"]), display_name=str(user.get("display_name") or "") or None,
                          follower=bool(user.get("follower")),
                          last_interaction_ago=None if last is None else max(0.0, now - float(last)))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a hand-edited or older state file: that user starts unknown
    if status_template:
        fake.templates[status_template] = list(STATUS_FIELDS)
    return fake


def stored_tokens(database_url: str) -> tuple[str, str] | None:
    """The access and refresh token the bot keeps (None before its first Zalo call)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            row = session.get(ChannelToken, CHANNEL)
            return (row.access_token, row.refresh_token) if row is not None else None
    finally:
        engine.dispose()


def saved_state(fake: FakeZaloOA) -> dict[str, Any]:
    """What the next fake needs to know about the users (see the module docstring)."""
    return {"users": [{"user_id": user.user_id, "display_name": user.display_name, "follower": user.follower,
                       "last_interaction": user.last_interaction} for user in fake.users()]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_settings(fake: FakeZaloOA, port: int, webhook_path: str) -> dict[str, str]:
    """The MOTCUA_ settings (without the prefix) that make the bot serve the fake: they override
    any Zalo settings of the office's `.env`, so the sandbox never talks to the real Zalo."""
    return {
        "listen": f"127.0.0.1:{port}",
        "zalo_app_id": fake.app_id,
        "zalo_secret_key": fake.oa_secret_key,
        "zalo_oa_secret": fake.app_secret,
        "zalo_refresh_token": fake.refresh_token,
        "zalo_access_token": fake.access_token,
        "zalo_api_url": fake.url,
        "zalo_oauth_url": fake.url,
        "zalo_webhook_path": webhook_path,
    }


def wait_for_health(port: int, process: BotProcess, timeout: float = HEALTH_TIMEOUT) -> None:
    """Returns once the bot's HTTP server (the webhook's) answers /healthz; the webhook is only
    set after that, so the page's first follow cannot reach a bot that is not listening."""
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2, trust_env=False) as client:
        while True:
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if not process.running:
                raise BotDidNotStart(f"the bot stopped before its Zalo webhook listened on 127.0.0.1:{port}; "
                                     f"its log ({process.log_path}):\n{process.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise BotDidNotStart(f"the bot's Zalo webhook did not answer {url} within {timeout:.0f}s; "
                                     f"its log ({process.log_path}):\n{process.log()[-4000:]}")
            time.sleep(0.1)
