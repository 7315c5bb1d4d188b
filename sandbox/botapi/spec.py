"""Validation of Bot API requests and objects against the official spec (api.json).

The fake server must refuse exactly what Telegram refuses, otherwise a bot that passes
the tests can still fail in production. Types, required flags and union members come
from api.json; the rules Telegram states only in prose (length limits, "one of" address
rules, HTML parsing, button actions) are encoded by hand here, next to the generic check.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from sandbox.multipart import Part as Upload

from .tg_html import HtmlParseError, parse_html

PARSE_MODES = ("HTML", "Markdown", "MarkdownV2")
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
CALLBACK_ANSWER_LIMIT = 200
_INT_RE = re.compile(r"-?\d+")
_USERNAME_RE = re.compile(r"@[A-Za-z0-9_]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# "Type of the media, must be photo" / 'Type of the reaction, always "emoji"'
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?\.?$')
# InlineKeyboardButton fields that decorate a button without being its action.
_BUTTON_COSMETIC_FIELDS = {"text", "icon_custom_emoji_id", "style"}


def text_problems(text: str, parse_mode: Any, limit: int, what: str, *, allow_empty: bool) -> list[str]:
    """Problems Telegram reports for a message text or caption: unknown parse_mode,
    unparsable HTML, too long after entity parsing, or empty."""
    if parse_mode is not None and parse_mode not in PARSE_MODES:
        return [f"unsupported parse_mode {parse_mode!r} (one of {', '.join(PARSE_MODES)})"]
    plain = text
    if parse_mode == "HTML":
        try:
            plain, _ = parse_html(text)
        except HtmlParseError as exc:
            return [f"{what}: can't parse entities: {exc}"]
    problems = []
    if len(plain) > limit:
        problems.append(f"{what} is {len(plain)} characters after entity parsing (limit {limit})")
    if not allow_empty and not plain.strip():
        problems.append(f"{what} is empty")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def attach_references(value: Any) -> set[str]:
    """Names of the file parts referenced as "attach://name" anywhere inside a value."""
    if isinstance(value, str):
        return {value.removeprefix("attach://")} if value.startswith("attach://") else set()
    if isinstance(value, dict):
        return set().union(*map(attach_references, value.values()))
    if isinstance(value, list):
        return set().union(*map(attach_references, value))
    return set()


class ApiSpec:
    """The method/type tables of api.json plus a recursive value checker.

    Values may be "textual" (top-level form/query/multipart fields, where the client
    JSON-encodes everything that is not a string) or native JSON values (a JSON body, or
    anything nested inside a decoded object)."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.version: str = data["version"]
        self.methods: dict[str, dict[str, dict]] = {
            name: {f["name"]: f for f in record.get("fields", [])} for name, record in data["methods"].items()
        }
        self.types: dict[str, dict] = data["types"]
        self._fields: dict[str, dict[str, dict]] = {
            name: {f["name"]: f for f in record.get("fields", [])} for name, record in self.types.items()
        }
        self._discriminators: dict[str, tuple[str, str]] = {}
        for name, record in self.types.items():
            if not record.get("subtype_of"):
                continue
            for field in record.get("fields", []):
                m = _DISCRIMINATOR_RE.search(field["description"])
                if field["name"] in ("type", "source", "status") and m:
                    self._discriminators[name] = (field["name"], m.group(1))

    # ----------------------------------------------------------------- requests
    def check_request(
        self, method: str, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> tuple[dict[str, Any], list[str]]:
        """Decode and check one call; returns (decoded params, problems)."""
        fields = self.methods[method]
        errors = [f"unknown parameter {name!r}" for name in params if name not in fields]
        decoded: dict[str, Any] = {}
        for name, field in fields.items():
            if name in uploads:
                if "InputFile" not in field["types"]:
                    errors.append(f"{name}: a file upload is not allowed here (expects {' or '.join(field['types'])})")
                continue
            if name not in params:
                if field["required"]:
                    errors.append(f"missing required parameter {name!r}")
                continue
            value = params[name]
            decoded[name], problems = self._check(value, field["types"], name, isinstance(value, str), field["description"])
            errors += problems
        references = attach_references(decoded)
        errors += [f"attach://{name} refers to no uploaded file part" for name in sorted(references - uploads.keys())]
        errors += [
            f"uploaded file part {name!r} is neither a parameter nor referenced by attach://"
            for name in sorted(uploads.keys() - references - fields.keys())
        ]
        if not errors:
            errors = self._method_rules(method, decoded)
        return decoded, errors

    def _method_rules(self, method: str, p: dict[str, Any]) -> list[str]:
        """Rules that the spec states only in prose (see README "Caveat for validators")."""
        fields = self.methods[method]
        errors: list[str] = []
        if "inline_message_id" in fields and "message_id" in fields and not fields["message_id"]["required"]:
            if "inline_message_id" not in p and not ("chat_id" in p and "message_id" in p):
                errors.append("needs chat_id and message_id, or inline_message_id")
        if method == "editMessageText" and "text" not in p and "rich_message" not in p:
            errors.append("missing required parameter 'text'")
        if method in ("sendMessage", "editMessageText") and "text" in p:
            errors += text_problems(p["text"], p.get("parse_mode"), TEXT_LIMIT, "text", allow_empty=False)
        elif "caption" in p:
            errors += text_problems(p["caption"], p.get("parse_mode"), CAPTION_LIMIT, "caption", allow_empty=True)
        elif "parse_mode" in p and p["parse_mode"] not in PARSE_MODES:
            errors.append(f"unsupported parse_mode {p['parse_mode']!r}")
        if method == "answerCallbackQuery" and len(p.get("text", "")) > CALLBACK_ANSWER_LIMIT:
            errors.append(f"text is {len(p['text'])} characters (limit {CALLBACK_ANSWER_LIMIT})")
        if method == "sendMediaGroup":
            media = p["media"]
            if not 2 <= len(media) <= 10:
                errors.append(f"media must contain 2-10 items, got {len(media)}")
            kinds = {item["type"] for item in media}
            if kinds & {"document", "audio"} and len(kinds) > 1:
                errors.append(f"documents and audio can only be grouped with items of the same type, got {sorted(kinds)}")
        if method == "setMyCommands" and len(p["commands"]) > 100:
            errors.append(f"at most 100 commands, got {len(p['commands'])}")
        if method == "setWebhook":
            errors += _webhook_problems(p)
        if method == "getUpdates":
            if not 1 <= p.get("limit", 100) <= 100:
                errors.append(f"limit must be 1-100, got {p['limit']}")
            if p.get("timeout", 0) < 0:
                errors.append(f"timeout must be >= 0, got {p['timeout']}")
        return errors

    # ------------------------------------------------------------------ objects
    def check_object(self, value: Any, type_name: str, path: str = "") -> list[str]:
        """Problems of a native JSON value as an instance of `type_name` (e.g. "Update")."""
        return self._check(value, [type_name], path or type_name, False, "")[1]

    def _check(self, value: Any, types: list[str], path: str, textual: bool, description: str) -> tuple[Any, list[str]]:
        """Try each alternative type; return (decoded value, problems of the best match)."""
        if len(types) > 1 and all(t.startswith("Array of ") for t in types):
            # sendMediaGroup.media: photos and videos may be mixed, so it is really an array of a union.
            return self._check_array(value, [t.removeprefix("Array of ") for t in types], path, textual)
        failures: list[list[str]] = []
        for type_name in types:
            decoded, problems = self._check_one(value, type_name, path, textual, description)
            if not problems:
                return decoded, []
            failures.append(problems)
        if len(failures) == 1:
            return value, failures[0]
        shape_error = f"{path}: expected "
        deep = [p for p in failures if not (len(p) == 1 and p[0].startswith(shape_error))]
        if deep:
            return value, min(deep, key=len)
        return value, [f"{path}: expected {' or '.join(types)}, got {_short(value)}"]

    def _check_array(self, value: Any, item_types: list[str], path: str, textual: bool) -> tuple[Any, list[str]]:
        if textual and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value, [f"{path}: expected a JSON array, got {_short(value)}"]
        if not isinstance(value, list):
            return value, [f"{path}: expected Array of {' or '.join(item_types)}, got {_short(value)}"]
        decoded, problems = [], []
        for i, item in enumerate(value):
            item_value, item_problems = self._check(item, item_types, f"{path}[{i}]", False, "")
            decoded.append(item_value)
            problems += item_problems
        return decoded, problems

    def _check_one(self, value: Any, type_name: str, path: str, textual: bool, description: str) -> tuple[Any, list[str]]:
        mismatch = [f"{path}: expected {type_name}, got {_short(value)}"]
        if type_name == "String":
            if not isinstance(value, str):
                return value, mismatch
            if "format @" in description and not _USERNAME_RE.fullmatch(value):
                return value, [f"{path}: expected String in the format @username, got {_short(value)}"]
            return value, []
        if type_name == "Integer":
            if textual and isinstance(value, str) and _INT_RE.fullmatch(value):
                return int(value), []
            return value, [] if isinstance(value, int) and not isinstance(value, bool) else mismatch
        if type_name == "Float":
            if textual and isinstance(value, str):
                try:
                    return float(value), []
                except ValueError:
                    return value, mismatch
            return value, [] if isinstance(value, (int, float)) and not isinstance(value, bool) else mismatch
        if type_name == "Boolean":
            if textual and value in ("true", "false"):
                return value == "true", []
            return value, [] if isinstance(value, bool) else mismatch
        if type_name == "InputFile":
            # A file part is matched by name in check_request; inside values only references remain.
            return value, [] if isinstance(value, str) and value.startswith("attach://") else mismatch
        if type_name.startswith("Array of "):
            return self._check_array(value, [type_name.removeprefix("Array of ")], path, textual)
        record = self.types[type_name]
        if textual and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value, [f"{path}: expected {type_name} as JSON, got {_short(value)}"]
        if "subtypes" in record:
            decoded, problems = self._check(value, record["subtypes"], path, False, "")
            if len(problems) == 1 and problems[0].startswith(f"{path}: expected "):
                return value, mismatch
            return decoded, problems
        if not isinstance(value, dict):
            return value, mismatch
        if type_name in self._discriminators:
            key, expected = self._discriminators[type_name]
            if value.get(key) != expected:
                return value, [f"{path}: expected {type_name} ({key} must be {expected!r}), got {_short(value)}"]
        return self._check_fields(value, type_name, path)

    def _check_fields(self, value: dict, type_name: str, path: str) -> tuple[dict, list[str]]:
        fields = self._fields[type_name]
        problems = [f"{path}.{key}: unknown field of {type_name}" for key in value if fields and key not in fields]
        decoded: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in value:
                if field["required"]:
                    problems.append(f"{path}.{name}: required field of {type_name} is missing")
                continue
            decoded[name], field_problems = self._check(value[name], field["types"], f"{path}.{name}", False, field["description"])
            problems += field_problems
        if not fields:  # placeholder types such as CallbackGame carry no declared fields
            decoded = value
        if not problems:
            problems = self._type_rules(type_name, decoded, path)
        return decoded, problems

    @staticmethod
    def _type_rules(type_name: str, value: dict, path: str) -> list[str]:
        """Per-type limits that only the field descriptions state."""
        problems: list[str] = []
        if type_name == "InlineKeyboardButton":
            data = value.get("callback_data")
            size = len(data.encode("utf-8")) if data is not None else 1
            if not 1 <= size <= CALLBACK_DATA_BYTES:
                problems.append(f"{path}.callback_data: must be 1-{CALLBACK_DATA_BYTES} bytes, got {size} bytes ({_short(data)})")
            actions = sorted(set(value) - _BUTTON_COSMETIC_FIELDS)
            if len(actions) != 1:
                problems.append(f"{path}: an inline keyboard button needs exactly one action field, got {actions or 'none'}")
        elif type_name == "BotCommand":
            if not _COMMAND_RE.fullmatch(value["command"]):
                problems.append(f"{path}.command: 1-32 lowercase letters, digits or underscores, got {_short(value['command'])}")
            if not 1 <= len(value["description"]) <= 256:
                problems.append(f"{path}.description: must be 1-256 characters, got {len(value['description'])}")
        elif type_name.startswith("InputMedia") and "caption" in value:
            problems += [
                f"{path}: {p}"
                for p in text_problems(value["caption"], value.get("parse_mode"), CAPTION_LIMIT, "caption", allow_empty=True)
            ]
        return problems


@functools.lru_cache(maxsize=4)
def load_spec(path: Path) -> ApiSpec:
    """api.json is ~1 MB; parse it once per test session, not once per server."""
    return ApiSpec(path)


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_problems(p: dict[str, Any]) -> list[str]:
    """setWebhook's limits, stated in its field descriptions."""
    errors = []
    if not 1 <= p.get("max_connections", 40) <= 100:
        errors.append(f"max_connections must be 1-100, got {p['max_connections']}")
    if "secret_token" in p and not _SECRET_TOKEN.fullmatch(p["secret_token"]):
        errors.append("secret_token must be 1-256 characters A-Z, a-z, 0-9, _ and -")
    return errors
