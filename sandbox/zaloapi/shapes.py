"""Checks of request bodies against the shapes in the notes (§3.3, §6.2); pure functions, no state.

Each check returns a parsed description of the message or raises ZaloError with Zalo's error
code and wording plus a `violation` that says, for the test log, what exactly was wrong and
where the rule comes from. Unknown fields are refused: real Zalo may silently ignore a
misspelled key, which would lose data in production without any error, so the fake makes it
loud instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .spec import (
    BUTTON_TITLE_LIMIT,
    BUTTON_TYPES,
    INFO_SUBTITLE_LIMIT,
    INFO_TITLE_LIMIT,
    MAX_BUTTONS,
    QUERY_BUTTON_TYPES,
    QUERY_PAYLOAD_LIMIT,
    TEXT_LIMIT,
    error_message,
    zalo_length,
)

_DIGITS = re.compile(r"[0-9]{1,25}")
_URL = re.compile(r"https?://[^\s]+")
_DEAD_TEMPLATE_TYPES = ("list", "promotion", "transaction_")


class ZaloError(Exception):
    """A Zalo error answer ({"error": code, "message": ...}, HTTP 200) and, when the request broke
    the API's contract rather than hitting a runtime condition, the violation to record."""

    def __init__(self, code: int, message: str | None = None, violation: str | None = None, *, field: str = "parameter") -> None:
        self.code = code
        self.message = message if message is not None else error_message(code, field)
        self.violation = violation
        super().__init__(f"{code} {self.message}" + (f" ({violation})" if violation else ""))


def invalid(field: str, violation: str) -> ZaloError:
    """-201 "<field> is invalid!", Zalo's answer to a bad parameter (§3.5)."""
    return ZaloError(-201, field=field, violation=violation)


@dataclass
class Outgoing:
    """A /message/cs body that passed the shape checks; ids are resolved later by the server."""

    user_id: str
    kind: str  # text | image | file | sticker | request_user_info
    text: str = ""
    buttons: list[tuple[str, str, Any]] = field(default_factory=list)
    media_type: str | None = None
    attachment_id: str | None = None
    image_url: str | None = None
    file_token: str | None = None
    quote_message_id: str | None = None
    element: dict[str, Any] | None = None  # the request_user_info element


def _keys(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise invalid(unknown[0], f"{where}: unknown field(s) {unknown} (allowed: {sorted(allowed)})")


def _object(value: Any, where: str, field_name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(field_name, f"{where} must be a JSON object, got {type(value).__name__}")
    return value


def _string(value: Any, where: str, field_name: str, *, limit: int | None = None, limit_code: int = -210) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(field_name, f"{where} must be a non-empty string, got {value!r}"[:300])
    if limit is not None and zalo_length(value) > limit:
        raise ZaloError(limit_code, violation=f"{where} has {zalo_length(value)} characters (max {limit})")
    return value


def _uid(value: Any, where: str) -> str:
    """Zalo ids are numeric strings (§1.1); a bare JSON number loses digits in some clients."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise invalid("user_id", f"{where} must be a string of digits, got {value!r}")
    return value


def check_cs_message(body: Any) -> Outgoing:
    """Check a POST /v3.0/oa/message/cs body (§3.3). One `attachment` at most; text ≤ 2,000."""
    body = _object(body, "request body", "body")
    _keys(body, {"recipient", "message"}, "request body")
    if "recipient" not in body:
        raise invalid("recipient", "missing recipient")
    recipient = _object(body["recipient"], "recipient", "recipient")
    if "message_id" in recipient:
        raise invalid("recipient", "recipient.message_id is the v2 reply form, gone with v2 (§6.1); address recipient.user_id")
    _keys(recipient, {"user_id"}, "recipient")
    if "user_id" not in recipient:
        raise invalid("user_id", "missing recipient.user_id")
    user_id = _uid(recipient["user_id"], "recipient.user_id")
    if "message" not in body:
        raise invalid("message", "missing message")
    message = _object(body["message"], "message", "message")
    if "attachments" in message:
        raise invalid(
            "attachments", "message.attachments: a sent message carries exactly one `attachment` object (§3.3); send several messages"
        )
    _keys(message, {"text", "attachment", "quote_message_id"}, "message")
    text = _string(message["text"], "message.text", "text", limit=TEXT_LIMIT) if "text" in message else ""
    quote = None
    if "quote_message_id" in message:
        quote = _string(message["quote_message_id"], "message.quote_message_id", "quote_message_id")
    if "attachment" not in message:
        if not text:
            raise invalid("message", "message has neither text nor attachment")
        return Outgoing(user_id, "text", text, quote_message_id=quote)
    attachment = _object(message["attachment"], "message.attachment", "attachment")
    _keys(attachment, {"type", "payload"}, "message.attachment")
    kind = attachment.get("type")
    payload = _object(attachment.get("payload"), "message.attachment.payload", "payload")
    if kind == "file":
        _keys(payload, {"token"}, "message.attachment.payload (file)")
        token = _string(payload.get("token"), "message.attachment.payload.token", "token")
        if text:
            raise invalid(
                "text", "text together with a file attachment is UNCONFIRMED (every sample sends the file alone); send the text as its own message"
            )
        return Outgoing(user_id, "file", file_token=token, quote_message_id=quote)
    if kind != "template":
        raise ZaloError(-233, violation=f"message.attachment.type must be 'template' or 'file', got {kind!r}")
    template_type = payload.get("template_type")
    if template_type == "media":
        return _media(user_id, text, quote, payload)
    if template_type == "request_user_info":
        return _request_user_info(user_id, text, quote, payload)
    if isinstance(template_type, str) and template_type.startswith(_DEAD_TEMPLATE_TYPES):
        raise ZaloError(-233, violation=f"template_type {template_type!r} is not a consultation message (v2 list or discontinued UID template, §3.3)")
    if "buttons" in payload:
        return _buttons(user_id, text, quote, payload)
    raise invalid("template_type", f"unknown template_type {template_type!r} without buttons (known: media, request_user_info, buttons)")


def _media(user_id: str, text: str, quote: str | None, payload: dict[str, Any]) -> Outgoing:
    """template/media: one image by url or attachment_id, a gif by attachment_id with width and
    height, or a sticker by attachment_id (§3.3). One element: UNCONFIRMED (every sample has one)."""
    _keys(payload, {"template_type", "elements"}, "message.attachment.payload (media)")
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1:
        raise invalid("elements", f"media template needs exactly one element, got {elements!r}"[:300])
    element = _object(elements[0], "elements[0]", "elements")
    media_type = element.get("media_type")
    where = f"media element ({media_type})"
    if media_type == "image":
        _keys(element, {"media_type", "url", "attachment_id", "width", "height"}, where)
        if ("url" in element) == ("attachment_id" in element):
            raise invalid("elements", "an image element takes either url or attachment_id, exactly one of them (§3.3)")
    elif media_type == "gif":
        _keys(element, {"media_type", "attachment_id", "width", "height"}, where)
        if "attachment_id" not in element or "width" not in element or "height" not in element:
            raise invalid("elements", "a gif element needs attachment_id (from /upload/gif), width and height (§3.3)")
    elif media_type == "sticker":
        _keys(element, {"media_type", "attachment_id"}, where)
        if "attachment_id" not in element:
            raise invalid("elements", "a sticker element needs attachment_id (the sticker id)")
    else:
        raise invalid("media_type", f"media_type must be image, gif or sticker, got {media_type!r}")
    for dimension in ("width", "height"):
        if dimension in element and (type(element[dimension]) is not int or element[dimension] <= 0):
            raise invalid(dimension, f"{where}.{dimension} must be a positive integer, got {element[dimension]!r}")
    url = element.get("url")
    if url is not None and (not isinstance(url, str) or not _URL.fullmatch(url)):
        raise invalid("url", f"{where}.url must be an http(s) URL, got {url!r}")
    attachment_id = element.get("attachment_id")
    if attachment_id is not None:
        attachment_id = _string(attachment_id, f"{where}.attachment_id", "attachment_id")
    kind = "sticker" if media_type == "sticker" else "image"
    if text and media_type != "image":
        raise invalid("text", f"text with a {media_type} is UNCONFIRMED (only images take a caption in the samples)")
    return Outgoing(user_id, kind, text, media_type=media_type, attachment_id=attachment_id, image_url=url, quote_message_id=quote)


def _request_user_info(user_id: str, text: str, quote: str | None, payload: dict[str, Any]) -> Outgoing:
    """template/request_user_info: one element {title ≤ 100, subtitle ≤ 500, image_url} (§3.3).
    One element is [SPEC]'s limit; [REDAI] says up to 5: UNCONFIRMED, the fake takes one."""
    _keys(payload, {"template_type", "elements"}, "message.attachment.payload (request_user_info)")
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1:
        raise invalid("elements", f"request_user_info needs exactly one element, got {elements!r}"[:300])
    element = _object(elements[0], "elements[0]", "elements")
    _keys(element, {"title", "subtitle", "image_url"}, "request_user_info element")
    _string(element.get("title"), "request_user_info title", "title", limit=INFO_TITLE_LIMIT)
    _string(element.get("subtitle"), "request_user_info subtitle", "subtitle", limit=INFO_SUBTITLE_LIMIT)
    image_url = element.get("image_url")
    if image_url is not None and (not isinstance(image_url, str) or not _URL.fullmatch(image_url)):
        raise invalid("image_url", f"request_user_info image_url must be an http(s) URL, got {image_url!r}")
    if text:
        raise invalid("text", "text with request_user_info is UNCONFIRMED (the sample sends the template alone)")
    return Outgoing(user_id, "request_user_info", quote_message_id=quote, element=dict(element))


def _buttons(user_id: str, text: str, quote: str | None, payload: dict[str, Any]) -> Outgoing:
    """A buttons template: payload {buttons: [1-5 buttons]}, template_type absent or "button".

    The whole shape is UNCONFIRMED (§3.3): community v3 code sends it without template_type and
    a production gateway keeps template_type a runtime setting, so both are accepted. Text is
    required because every known sample puts the question in message.text (also UNCONFIRMED)."""
    _keys(payload, {"template_type", "buttons"}, "message.attachment.payload (buttons)")
    if payload.get("template_type", "button") != "button":
        raise invalid("template_type", f"a buttons template takes no template_type or 'button', got {payload['template_type']!r}")
    buttons = payload["buttons"]
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        count = len(buttons) if isinstance(buttons, list) else type(buttons).__name__
        raise invalid("buttons", f"a buttons template needs 1-{MAX_BUTTONS} buttons (UNCONFIRMED limit), got {count}")
    if not text:
        raise invalid("text", "a buttons message without message.text (UNCONFIRMED: every sample carries text)")
    return Outgoing(user_id, "text", text, buttons=[check_button(b, i) for i, b in enumerate(buttons)], quote_message_id=quote)


def check_button(button: Any, index: int) -> tuple[str, str, Any]:
    """One button (§3.3, PHP builder): title ≤ 100; query payloads are strings ≤ 1,000; oa.open.url
    takes {url}, oa.open.phone {phone_code}, oa.open.sms {phone_code, content}."""
    where = f"buttons[{index}]"
    button = _object(button, where, "buttons")
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise invalid("type", f"{where}.type must be one of {sorted(BUTTON_TYPES)}, got {kind!r}")
    allowed = {"title", "type", "payload", "image_icon"} | ({"url"} if kind == "oa.open.url" else set())
    _keys(button, allowed, where)
    title = _string(button.get("title"), f"{where}.title", "title", limit=BUTTON_TITLE_LIMIT)
    payload = button.get("payload")
    if kind in QUERY_BUTTON_TYPES:
        return title, kind, _string(payload, f"{where}.payload ({kind})", "payload", limit=QUERY_PAYLOAD_LIMIT)
    payload = _object(payload, f"{where}.payload ({kind})", "payload")
    if kind == "oa.open.url":
        _keys(payload, {"url"}, f"{where}.payload")
        if not isinstance(payload.get("url"), str) or not _URL.fullmatch(payload["url"]):
            raise invalid("url", f"{where}.payload.url must be an http(s) URL, got {payload.get('url')!r}")
    else:
        _keys(payload, {"phone_code"} | ({"content"} if kind == "oa.open.sms" else set()), f"{where}.payload")
        phone = payload.get("phone_code")
        if not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9]{3,15}", phone):
            raise invalid("phone_code", f"{where}.payload.phone_code must be a phone number string, got {phone!r}")
        if kind == "oa.open.sms":
            _string(payload.get("content"), f"{where}.payload.content", "content")
    return title, kind, dict(payload)


def check_template_message(body: Any, templates: dict[str, list[str]]) -> tuple[str, str, dict[str, Any]]:
    """Check a POST /v3.0/oa/message/template body {user_id, template_id, template_data}.

    The endpoint and its body come from [SPEC] §5.4 only: UNCONFIRMED. The fake refuses a
    template id it was not given in `templates` and template_data whose keys differ from the
    template's fields, with -201 (the real ZBS codes for these are not known here). Values must
    be strings or numbers, as in the ZNS samples."""
    body = _object(body, "request body", "body")
    _keys(body, {"user_id", "template_id", "template_data"}, "request body")
    user_id = _uid(body.get("user_id"), "user_id")
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or template_id not in templates:
        raise invalid("template_id", f"template_id {template_id!r} is not an approved template of this OA (known: {sorted(templates)})")
    data = _object(body.get("template_data"), "template_data", "template_data")
    expected = list(templates[template_id])
    missing = [name for name in expected if name not in data]
    extra = sorted(set(data) - set(expected))
    if missing or extra:
        raise invalid("template_data", f"template {template_id!r} takes fields {expected}; missing {missing}, unknown {extra}")
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (isinstance(value, str) and not value.strip()):
            raise invalid("template_data", f"template_data.{name} must be a non-empty string or a number, got {value!r}")
    return user_id, template_id, dict(data)
