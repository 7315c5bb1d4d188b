"""Zalo's Official Account API v3 through httpx: consultation messages, template messages,
uploads and downloads, with Zalo's errors turned into the outbox's neutral ones.

Zalo answers application errors with HTTP 200 and `{"error": <negative>, "message": ...}`.
An invalid or expired access token (-216, -220) is refreshed once and the call repeated; a
closed reply window (-230, -232) means the message waits (`WindowClosed`); limits and quotas
(-32, -211, -218) mean later; a person who left (-213, -217, -227, -244) cannot be reached;
a malformed message (-201, -210, -233) is refused for good.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from handlers.desk import Refused, RetryLater, Transient, Unreachable, WindowClosed
from handlers.zalo.tokens import TokenKeeper

SEND = "/v3.0/oa/message/cs"
TEMPLATE = "/v3.0/oa/message/template"
UPLOADS = {"image": "/v2.0/oa/upload/image", "file": "/v2.0/oa/upload/file"}
TOKEN_REJECTED = {-216, -220}
WINDOW_CLOSED = {-230, -232}
LATER = {-32: 60.0, -211: 3600.0, -218: 3600.0}
GONE = {-213, -217, -227, -244}


class ZaloApi:
    def __init__(self, base_url: str, tokens: TokenKeeper, *, timeout: float = 20.0) -> None:
        self.tokens = tokens
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.downloads = httpx.AsyncClient(timeout=timeout, follow_redirects=True)

    async def close(self) -> None:
        await self.client.aclose()
        await self.downloads.aclose()

    async def send(self, user_id: str, message: dict[str, Any]) -> str:
        """A consultation message; the message id Zalo gave it."""
        data = await self._call(SEND, json={"recipient": {"user_id": user_id}, "message": message})
        return str(data.get("message_id", ""))

    async def send_template(self, user_id: str, template_id: str, template_data: dict[str, str]) -> str:
        """A pre-approved template message (ZBS "template by UID"), which Zalo allows outside the
        reply window for a verified OA with a funded account."""
        data = await self._call(TEMPLATE, json={"user_id": user_id, "template_id": template_id,
                                                "template_data": template_data})
        return str(data.get("message_id") or data.get("msg_id") or "")

    async def upload(self, kind: str, content: bytes, file_name: str, mime_type: str) -> str:
        """`kind` "image" answers an attachment id, "file" a token; both expire after 7 days."""
        data = await self._call(UPLOADS[kind], files={"file": (file_name, content, mime_type)})
        return str(data.get("attachment_id") or data.get("token") or "")

    async def _call(self, path: str, **request: Any) -> dict[str, Any]:
        token = await asyncio.to_thread(self.tokens.access_token)
        for attempt in range(2):
            try:
                response = await self.client.post(path, headers={"access_token": token}, **request)
            except httpx.HTTPError as exc:
                raise Transient(f"Zalo unreachable: {exc}") from exc
            if response.status_code >= 500:
                raise Transient(f"Zalo answered HTTP {response.status_code}")
            try:
                answer = response.json()
            except ValueError as exc:
                raise Transient(f"Zalo answered HTTP {response.status_code} without JSON") from exc
            error = int(answer.get("error", 0)) if isinstance(answer, dict) else -1
            if error == 0:
                return dict(answer.get("data") or {})
            if error in TOKEN_REJECTED and attempt == 0:
                token = await asyncio.to_thread(self.tokens.rejected, token)
                continue
            raise _problem(error, str(answer.get("message", "")) if isinstance(answer, dict) else str(answer))
        raise Transient("Zalo refused a fresh access token")


def _problem(error: int, message: str) -> Exception:
    text = f"Zalo error {error}: {message}"
    if error in WINDOW_CLOSED:
        return WindowClosed(text)
    if error in LATER:
        return RetryLater(text, LATER[error])
    if error in GONE:
        return Unreachable(text)
    if error in TOKEN_REJECTED:
        return Transient(text)
    return Refused(text)
