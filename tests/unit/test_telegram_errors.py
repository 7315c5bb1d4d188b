"""Telegram's errors on the way out come out as the channel-neutral ones of `handlers.desk`, with
their real cause: the outbox keeps it as a message's last error."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest
from telegram import Bot
from telegram.error import EndPointNotFound, InvalidToken

from dialogs.output import Reply, Rich
from handlers.desk import Transient
from handlers.telegram.channel import TelegramChannel
from storage.files import FileStore


class RefusedToken:
    """Telegram refusing the bot's token (401) to a text, as python-telegram-bot's
    `do_api_request` reports it: "endpoint not found", caused by `InvalidToken`."""

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any], *,
                             rate_limit_args: object = None) -> dict[str, Any]:
        try:
            raise InvalidToken("Unauthorized")
        except InvalidToken as exc:
            raise EndPointNotFound(f"Endpoint '{endpoint}' not found in Bot API") from exc


def test_a_refused_token_on_a_text_is_reported_as_such(tmp_path: Path) -> None:
    channel = TelegramChannel(cast(Bot, RefusedToken()), FileStore(tmp_path))
    with pytest.raises(Transient, match="Unauthorized"):
        asyncio.run(channel.deliver(42, Reply(Rich.plain("Hồ sơ HS-1 đã được tiếp nhận"))))
