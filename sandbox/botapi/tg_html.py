"""Telegram's HTML parse mode, as strict as the real server.

Telegram refuses a message whose HTML it cannot parse ("Bad Request: can't parse
entities: ..."), so the fake has to refuse the same inputs, and it has to turn accepted
HTML into plain text + entities because that is what the real server echoes back in the
Message (the bot may read ``message.text`` / ``text_html`` of its own messages).
"""

from __future__ import annotations

import html
import re

_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")

# tag -> MessageEntity type; span / a / pre / blockquote / tg-emoji / tg-time are refined below.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SPECIAL_TAGS = {"span", "a", "blockquote", "tg-emoji", "tg-time"}


class HtmlParseError(ValueError):
    """The text would be refused by Telegram with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Entity offsets/lengths are counted in UTF-16 code units by the Bot API."""
    return len(text.encode("utf-16-le")) // 2


def _attrs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in _ATTR_RE.findall(raw):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        out[name.lower()] = html.unescape(value)
    return out


def _open_entity(tag: str, attrs: dict[str, str], inside_pre: bool) -> dict | None:
    """The entity a start tag opens (None for <code> directly inside <pre>, which only
    sets the pre block's language); raises for tags/attributes Telegram rejects."""
    if tag in _SIMPLE_TAGS:
        if tag == "code" and inside_pre:
            return None
        return {"type": _SIMPLE_TAGS[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('unsupported start tag "span" (only class="tg-spoiler" is allowed)')
        return {"type": "spoiler"}
    if tag == "a":
        if not attrs.get("href"):
            raise HtmlParseError('<a> without href attribute')
        return {"type": "text_link", "url": attrs["href"]}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise HtmlParseError("<tg-emoji> without emoji-id attribute")
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    if tag == "tg-time":
        if not attrs.get("unix", "").isdigit():
            raise HtmlParseError("<tg-time> without a numeric unix attribute")
        entity = {"type": "date_time", "unix_time": int(attrs["unix"])}
        if attrs.get("format"):
            entity["date_time_format"] = attrs["format"]
        return entity
    raise HtmlParseError(f'unsupported start tag "{tag}"')


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Return (plain text, MessageEntity dicts) or raise HtmlParseError."""
    out: list[str] = []
    offset = 0  # UTF-16 length of the plain text so far
    stack: list[tuple[str, int, dict | None]] = []  # (tag, start offset, entity or None)
    entities: list[dict] = []
    i = 0
    while i < len(text):
        nxt = min((p for p in (text.find("<", i), text.find("&", i)) if p != -1), default=len(text))
        if nxt > i:
            chunk = text[i:nxt]
            out.append(chunk)
            offset += utf16_len(chunk)
            i = nxt
            continue
        if text[i] == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise HtmlParseError(f'bare "&" at character {i}: escape it as &amp;')
            chunk = html.unescape(m.group(0))
            out.append(chunk)
            offset += utf16_len(chunk)
            i = m.end()
            continue
        m = _TAG_RE.match(text, i)
        if not m:
            raise HtmlParseError(f'bare "<" at character {i} is not a tag: escape it as &lt;')
        closing, tag, raw_attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if tag not in _SIMPLE_TAGS and tag not in _SPECIAL_TAGS:
            raise HtmlParseError(f'unsupported {"end" if closing else "start"} tag "{tag}"')
        if closing:
            if not stack:
                raise HtmlParseError(f'unexpected end tag "{tag}" at character {i}')
            open_tag, start, entity = stack.pop()
            if open_tag != tag:
                raise HtmlParseError(f'end tag "{tag}" at character {i} does not match open tag "{open_tag}"')
            if entity is not None and offset > start:
                entities.append({**entity, "offset": start, "length": offset - start})
        else:
            attrs = _attrs(raw_attrs)
            inside_pre = bool(stack) and stack[-1][0] == "pre"
            entity = _open_entity(tag, attrs, inside_pre)
            if entity is None and attrs.get("class", "").startswith("language-"):
                pre_entity = stack[-1][2]
                assert pre_entity is not None
                pre_entity["language"] = attrs["class"].removeprefix("language-")
            stack.append((tag, offset, entity))
        i = m.end()
    if stack:
        raise HtmlParseError(f'can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
