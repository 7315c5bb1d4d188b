"""A small round-robin reverse proxy in front of several bot processes, standing in for the
office's nginx in the multi-process test and benchmark.

Each request goes to the next process in turn. A process that refuses the connection, drops it
or does not answer in time is skipped and the request goes to the next one, like nginx with
`proxy_next_upstream error timeout non_idempotent`: a webhook request may be retried on another
process even after the first received it, which is safe because the bot acts on an update id
once. When no process answers, the proxy answers 502 and Telegram (here the fake Bot API) tries
again later.
"""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from sandbox.botapi.server import send_answer
from sandbox.http_body import read_body

ANSWER_TIMEOUT = 60.0
FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    def __init__(self, backends: list[str]) -> None:
        """`backends`: "host:port" of each process (the list may be filled after the proxy is made)."""
        self.backends = list(backends)
        self._turn = itertools.count()
        self._turn_lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(ANSWER_TIMEOUT, connect=2.0),
                                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
        self.retried = 0
        proxy = self
        handler = type("Handler", (_Handler,), {"proxy": proxy})
        self._server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        with self._turn_lock:
            first = next(self._turn)
        for attempt in range(len(self.backends)):
            backend = self.backends[(first + attempt) % len(self.backends)]
            try:
                response = self._client.request(method, f"http://{backend}{path}", headers=headers, content=body)
            except httpx.TransportError:
                with self._turn_lock:
                    self.retried += 1
                continue
            return response.status_code, response.content, response.headers.get("Content-Type", "text/plain")
        return 502, b"no process answered", "text/plain"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    proxy: RoundRobinProxy

    def do_POST(self) -> None:
        body = read_body(self)
        if body is None:
            return
        headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers.get(name) is not None}
        send_answer(self, *self.proxy.forward(self.command, self.path, headers, body))

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
