"""What the sandbox page's Telegram and Zalo endpoints share: the error they answer with, reading
the page's file uploads, and serving a file so that nothing uploaded can run inside the page."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import quote

from sandbox.multipart import parse_multipart
from sandbox.render import sniff_image_type

PHOTO_TYPES = ("image/jpeg", "image/png")
# Served inline as what they are; anything else is a download (an uploaded .html must not run here).
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain"}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    media_type: str  # declared by the browser, else guessed from the name

    @property
    def is_photo(self) -> bool:
        return self.media_type in PHOTO_TYPES


def read_uploads(content_type: str, body: bytes) -> tuple[str | None, list[Upload]]:
    """The optional `caption` field and the non-empty file parts (any names) of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or match is None:
        raise BadRequest(400, "expected multipart/form-data")
    try:
        fields, parts = parse_multipart(body, match.group(1))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"malformed upload: {exc}") from None
    files = [Upload(part.data, part.filename or "file", media_type(part.filename, part.content_type))
             for part in parts.values() if part.data]
    if not files:
        raise BadRequest(400, "no file (or only empty files) in the upload")
    return fields.get("caption", "").strip() or None, files


def media_type(filename: str | None, declared: str | None) -> str:
    """The type the browser declared, else one guessed from the name."""
    if declared and declared != "application/octet-stream":
        return declared.lower()
    guessed, _ = mimetypes.guess_type(filename or "")
    return guessed or "application/octet-stream"


def served_file(content: bytes, name: str, declared: str | None) -> tuple[bytes, str, str]:
    """Body, Content-Type and Content-Disposition: images sniffed from their bytes, the few safe
    types shown inline, everything else an `application/octet-stream` attachment."""
    kind = sniff_image_type(content) or declared or "application/octet-stream"
    disposition = "inline" if kind in INLINE_TYPES else "attachment"
    if kind not in INLINE_TYPES:
        kind = "application/octet-stream"
    return content, kind, f"{disposition}; filename*=UTF-8''{quote(name, safe='')}"
