"""multipart/form-data, as the fake servers receive it (the stdlib's `cgi` is gone in 3.13)."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One file part of a multipart request (an InputFile on Telegram's wire, an upload on Zalo's)."""

    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, Part]]:
    """Split multipart/form-data into text fields and file parts."""
    if not boundary:
        raise ValueError("multipart body without a boundary")
    fields: dict[str, str] = {}
    parts: dict[str, Part] = {}
    header_parser = email.parser.BytesHeaderParser(policy=email.policy.HTTP)
    for chunk in (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("malformed multipart part (no blank line after the headers)")
        headers = header_parser.parsebytes(head.strip() + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError(f"multipart part without a name: {head!r}")
        filename = headers.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8")
        else:
            parts[name] = Part(filename, headers.get_content_type() if "content-type" in headers else None, data)
    return fields, parts
