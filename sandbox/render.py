"""Messages of the emulated chats as the page shows them: Telegram HTML (sanitized) and plain data.

The text of a message is stored by the emulator as Telegram stores it (plain text + entities);
`entities_to_html` turns it back into Telegram's HTML subset and `sanitize_html` keeps only that
subset, escaping everything else, before the page puts it into the document.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any
from urllib.parse import quote

# Telegram HTML tags the page renders; everything else is shown as text.
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "span"}
SAFE_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*(/?)>"
)
_ATTR_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}


def _attributes(raw: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, value in _ATTR_RE.findall(raw):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attributes[name.lower()] = html.unescape(value)
    return attributes


def _open_tag(tag: str, attributes: dict[str, str]) -> str | None:
    """The normalized start tag the page may show, or None if the tag must be escaped."""
    if tag == "a":
        href = attributes.get("href", "").strip()
        if not href.lower().startswith(SAFE_LINK_SCHEMES):
            return None
        return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">'
    if tag == "span":
        return '<span class="tg-spoiler">' if attributes.get("class") == "tg-spoiler" else None
    return f"<{tag}>"


def sanitize_html(source: str) -> str:
    """Telegram HTML to HTML safe to insert into the page: the allowed tags (b, strong, i, em,
    u, ins, s, strike, del, a[href] with a safe scheme, code, pre, blockquote,
    span.tg-spoiler) are kept, without other attributes and balanced; any other tag, stray
    end tag or character is escaped, so it shows as the text it is."""
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG_RE.finditer(source):
        out.append(html.escape(html.unescape(source[position:match.start()]), quote=False))
        position = match.end()
        closing, tag, raw_attributes, self_closing = match.group(1), match.group(2).lower(), match.group(3), match.group(4)
        if tag in ALLOWED_TAGS and not self_closing:
            if closing and stack and stack[-1] == tag:
                out.append(f"</{stack.pop()}>")
                continue
            if not closing:
                start = _open_tag(tag, _attributes(raw_attributes))
                if start is not None:
                    out.append(start)
                    stack.append(tag)
                    continue
        out.append(html.escape(match.group(0), quote=False))
    out.append(html.escape(html.unescape(source[position:]), quote=False))
    out.extend(f"</{tag}>" for tag in reversed(stack))
    return "".join(out)


def _entity_tags(entity: dict[str, Any]) -> tuple[str, str] | None:
    kind = entity.get("type")
    if kind in _ENTITY_TAGS:
        tag = _ENTITY_TAGS[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "spoiler":
        return '<span class="tg-spoiler">', "</span>"
    if kind == "text_link":
        return f'<a href="{html.escape(str(entity.get("url", "")), quote=True)}">', "</a>"
    return None  # mention, hashtag, custom_emoji, ...: shown as their plain text


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Telegram HTML for a text and its MessageEntity list (offsets in UTF-16 code units).
    Overlapping entities are closed and reopened so the result is always well nested."""
    units = text.encode("utf-16-le")
    total = len(units) // 2
    spans = []
    for entity in entities or []:
        tags = _entity_tags(entity)
        start = max(0, int(entity.get("offset", 0)))
        end = min(total, start + int(entity.get("length", 0)))
        if tags is not None and end > start:
            spans.append((start, end, tags))
    spans.sort(key=lambda span: (span[0], -span[1]))
    boundaries = sorted({0, total} | {s for s, _, _ in spans} | {e for _, e, _ in spans})
    out: list[str] = []
    open_spans: list[tuple[int, int, tuple[str, str]]] = []
    for here, following in zip(boundaries, boundaries[1:] + [None]):
        # Close what ends here; anything opened after it is closed first and reopened.
        ending = [span for span in open_spans if span[1] <= here]
        if ending:
            first = min(open_spans.index(span) for span in ending)
            for span in reversed(open_spans[first:]):
                out.append(span[2][1])
            reopen = [span for span in open_spans[first:] if span[1] > here]
            open_spans = open_spans[:first]
            for span in reopen:
                out.append(span[2][0])
                open_spans.append(span)
        for span in spans:
            if span[0] == here:
                out.append(span[2][0])
                open_spans.append(span)
        if following is not None:
            chunk = units[here * 2:following * 2].decode("utf-16-le", errors="replace")
            out.append(html.escape(chunk, quote=False))
    for span in reversed(open_spans):
        out.append(span[2][1])
    return "".join(out)


def file_url(file_id: str) -> str:
    return f"/files/{quote(file_id, safe='')}"


def message_json(side: str, message: dict[str, Any]) -> dict[str, Any]:
    """One message for the page's script: who sent it, its sanitized HTML, media and buttons."""
    if "text" in message:
        source = entities_to_html(message["text"], message.get("entities"))
    elif "caption" in message:
        source = entities_to_html(message["caption"], message.get("caption_entities"))
    else:
        source = ""
    item: dict[str, Any] = {
        "id": message["message_id"],
        "from": side,
        "html": sanitize_html(source),
        "photo": file_url(message["photo"][-1]["file_id"]) if message.get("photo") else None,
        "document": None,
        "media_group_id": message.get("media_group_id"),
        "buttons": [
            [{key: button[key] for key in ("text", "callback_data", "url") if key in button} for button in row]
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        ],
        "edited": "edit_date" in message,
    }
    for key in ("document", "video", "audio", "voice", "animation"):
        if key in message:
            media = message[key]
            item["document"] = {"url": file_url(media["file_id"]), "name": media.get("file_name") or key,
                                "mime_type": media.get("mime_type")}
            break
    item["rev"] = hashlib.sha1(json.dumps(item, sort_keys=True).encode()).hexdigest()[:12]
    return item


def sniff_image_type(content: bytes) -> str | None:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None
