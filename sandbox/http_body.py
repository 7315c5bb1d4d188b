"""Reading a request's body in the fake servers, and telling a whole request from one cut short.

A bot killed while it sends (the SIGKILL of the several-processes test, a power cut) may leave
its headers written and its body not. Python's HTTP server then reads fewer bytes than the
Content-Length announced, and a fake that went on would act on an empty request and report the
bot for leaving out required parameters. A real server discards such a request, so the fakes do:
`read_body` answers None and the connection is closed unanswered."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
    """The whole body (Content-Length or chunked), or None if the client went away first."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(handler)
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    return body if len(body) == length else _cut_short(handler)


def _read_chunked(handler: BaseHTTPRequestHandler) -> bytes | None:
    """A streamed (chunked) request body, e.g. an upload sent from a generator."""
    chunks: list[bytes] = []
    while True:
        line = handler.rfile.readline()
        if not line:
            return _cut_short(handler)
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailer headers
            return b"".join(chunks)
        chunk = handler.rfile.read(size)
        if len(chunk) < size:
            return _cut_short(handler)
        chunks.append(chunk)
        handler.rfile.readline()  # the CRLF after each chunk


def _cut_short(handler: BaseHTTPRequestHandler) -> None:
    """No answer can reach a client that went away; the connection is only closed."""
    handler.close_connection = True
