"""python-telegram-bot's HTTP layer, sending its requests as JSON bodies.

`HTTPXRequest` form-encodes every request, and Python's URL-encoding goes byte by byte: a reply of
3,000 Vietnamese characters (each one to three escaped bytes) with its keyboard cost more to
encode than to send. The Bot API takes `application/json` bodies as well, and python-telegram-bot
hands its custom request classes the same parameters ready as one (`RequestData.json_payload`).
Measured side by side in the full-flow benchmark: 0.27–0.45 ms less CPU per update
(bench/RESULTS.md). A request carrying files stays multipart, as python-telegram-bot sends it.
It uses `HTTPXRequest`'s own client (`_client`), so a python-telegram-bot upgrade that renames it
fails tests/unit/test_json_bodies.py rather than the bot's first send.
"""

from __future__ import annotations

from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

JSON_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}


class JsonBodies(HTTPXRequest):
    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE, pool_timeout: Any = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files or self._client.is_closed:  # (closed: its refusal)
            return await super().do_request(url, method, request_data, read_timeout, write_timeout,
                                            connect_timeout, pool_timeout)
        default = self._client.timeout
        timeout = httpx.Timeout(connect=_given(connect_timeout, default.connect),
                                read=_given(read_timeout, default.read),
                                write=_given(write_timeout, default.write),
                                pool=_given(pool_timeout, default.pool))
        try:
            answer = await self._client.request(method, url, headers=JSON_HEADERS, content=request_data.json_payload,
                                                timeout=timeout)
        except httpx.PoolTimeout as exc:  # the same errors, worded as python-telegram-bot words them
            raise TimedOut("Pool timeout: All connections in the connection pool are occupied. Request was *not* "
                           "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
                           ) from exc
        except httpx.TimeoutException as exc:
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{exc.__class__.__name__}: {exc}") from exc
        return answer.status_code, answer.content


def _given(timeout: Any, default: float | None) -> float | None:
    """A timeout the caller left out (python-telegram-bot's documented marker) is the client's."""
    return default if timeout is BaseRequest.DEFAULT_NONE else timeout
