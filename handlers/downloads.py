"""Files people send, streamed from the messenger's URL straight into the file store."""

from __future__ import annotations

import httpx

from handlers.desk import FetchFailed
from storage.files import Incoming


async def stream(client: httpx.AsyncClient, url: str, into: Incoming) -> None:
    """`TooLarge` (from `into`) as soon as the bytes pass the limit; `FetchFailed` otherwise."""
    try:
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            announced = int(response.headers.get("content-length") or 0)
            if announced > into.limit:
                raise FetchFailed("larger than the limit", size=announced)
            async for chunk in response.aiter_bytes():
                into.write(chunk)
    except httpx.HTTPError as exc:
        raise FetchFailed(str(exc)) from exc
