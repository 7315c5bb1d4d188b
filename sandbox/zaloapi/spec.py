"""What the fake knows about Zalo's OA API: paths, limits, error wording and the webhook MAC.

Everything here comes from /work/notes/zalo-oa-api.md (section numbers in the comments). No live
Zalo endpoint was called while writing it; values the notes mark UNCONFIRMED say so here too, so
that a reader knows which refusals of the fake are facts and which are the fake's cautious guess.
"""

from __future__ import annotations

import base64
import hashlib

# ----------------------------------------------------------------------------- paths
# openapi.zalo.me (§3.2, §5, §6.1, §9) and oauth.zaloapp.com (§7) are served by one fake server.
SEND_CS = "/v3.0/oa/message/cs"
SEND_TEMPLATE = "/v3.0/oa/message/template"  # ZBS template by UID: UNCONFIRMED (§3.2, §6.2)
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
UPLOAD_FILE = "/v2.0/oa/upload/file"
UPLOAD_GIF = "/v2.0/oa/upload/gif"
USER_DETAIL = "/v3.0/oa/user/detail"
QUOTA = "/v3.0/oa/quota/message"
OAUTH_TOKEN = "/v4/oa/access_token"
OAUTH_PERMISSION = "/v4/oa/permission"
FILES_PREFIX = "/files/"

# path -> HTTP method the real API expects.
OPENAPI_ROUTES: dict[str, str] = {
    SEND_CS: "POST",
    SEND_TEMPLATE: "POST",
    UPLOAD_IMAGE: "POST",
    UPLOAD_FILE: "POST",
    UPLOAD_GIF: "POST",
    USER_DETAIL: "GET",
    QUOTA: "POST",
}
# Paths that existed once and are dead now, with Zalo's answer and the reason a bot must not use them.
DEAD_ROUTES: dict[str, tuple[int, str]] = {
    "/v2.0/oa/message": (-240, "the v2 message API is shut down; send through /v3.0/oa/message/cs (§3.2)"),
    "/v3.0/oa/message/transaction": (-209, "UID transaction messages were discontinued on 2026-03-01; use a ZBS template (§6.2)"),
    "/v3.0/oa/message/promotion": (-209, "UID promotion messages were discontinued on 2026-03-01 (§6.2)"),
}
# Wrong paths that OSS code is known to use (§10 "Not recommended"), with a hint for the violation.
KNOWN_WRONG_PATHS: dict[str, str] = {
    "/v3.0/oa/message": "there is no /v3.0/oa/message; consultation messages go to /v3.0/oa/message/cs",
    "/v3.0/oa/upload/image": "uploads are v2.0: /v2.0/oa/upload/image (§5)",
    "/v3.0/oa/upload/file": "uploads are v2.0: /v2.0/oa/upload/file (§5)",
    "/v3.0/oa/upload/gif": "uploads are v2.0: /v2.0/oa/upload/gif (§5)",
}

# ---------------------------------------------------------------------------- limits
TEXT_LIMIT = 2000  # message.text, -210 when exceeded (§3.3, seen enforced in a pilot)
MAX_BUTTONS = 5  # UNCONFIRMED (§3.3: SDK comments and one production gateway)
BUTTON_TITLE_LIMIT = 100  # UNCONFIRMED (§3.3)
QUERY_PAYLOAD_LIMIT = 1000  # oa.query.* payload string, UNCONFIRMED (§3.3, §4)
INFO_TITLE_LIMIT = 100  # request_user_info element title (§3.3)
INFO_SUBTITLE_LIMIT = 500  # request_user_info element subtitle (§3.3)
IMAGE_UPLOAD_LIMIT = 1 * 1024 * 1024  # jpg/png (§5; Chatwoot's IMAGE_LIMIT)
FILE_UPLOAD_LIMIT = 5 * 1024 * 1024  # pdf/doc/docx (§5; Chatwoot's FILE_LIMIT)
GIF_UPLOAD_LIMIT = 5 * 1024 * 1024  # UNCONFIRMED: from SDK comments only (§5)
UPLOAD_TTL = 7 * 24 * 3600.0  # uploaded attachment ids and tokens live 7 days, then -100 (§5)
UPLOAD_QUOTA_PER_MONTH = 5000  # upload requests (§5); the error code beyond it is UNCONFIRMED
# Extensions each upload endpoint accepts (§5). CSV/TXT files are sent by Chatwoot and listed by
# [SPEC] but not by the SDKs: UNCONFIRMED, so the fake refuses them rather than let a bot rely on them.
UPLOAD_TYPES: dict[str, frozenset[str]] = {
    UPLOAD_IMAGE: frozenset({"jpg", "jpeg", "png"}),
    UPLOAD_FILE: frozenset({"pdf", "doc", "docx"}),
    UPLOAD_GIF: frozenset({"gif"}),
}
UPLOAD_LIMITS: dict[str, int] = {UPLOAD_IMAGE: IMAGE_UPLOAD_LIMIT, UPLOAD_FILE: FILE_UPLOAD_LIMIT, UPLOAD_GIF: GIF_UPLOAD_LIMIT}
MIME_EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}

CONSULTATION_WINDOW = 7 * 24 * 3600.0  # a user must have interacted within 7 days, else -230 (§6.1)
FREE_WINDOW = 48 * 3600.0  # consultation messages are free within 48 h, billed up to 7 days (§6.1)
RATE_LIMIT_PER_MINUTE = 4000  # OA API per app; beyond: -32 (§8)
ACCESS_TOKEN_LIFETIME = 90000.0  # 25 h, expires_in "90000" (§7.2)
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600.0  # 3 months (§7.2); whether rotation resets it is UNCONFIRMED
AUTHORIZATION_CODE_LIFETIME = 600.0  # 10 minutes, single use (§7.2)
ACK_DEADLINE = 2.0  # a webhook must answer 200 within 2 s or the delivery counts as failed (§2.3)
# Webhook retries after a failed delivery (§2.3): 30 s, 5 min, 15 min, 30 min, 1 h. UNCONFIRMED, as is
# the num_retry header they carry; the fake only retries when told to (FakeZaloOA.retry_delays).
ZALO_RETRY_DELAYS: tuple[float, ...] = (30.0, 300.0, 900.0, 1800.0, 3600.0)

BUTTON_TYPES = frozenset({"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms"})
QUERY_BUTTON_TYPES = frozenset({"oa.query.show", "oa.query.hide"})

# ------------------------------------------------------------------------ error text
# The OA API error table (§3.5), Zalo's wording and typos included. -201 interpolates the field.
OPENAPI_ERRORS: dict[int, str] = {
    -32: "Your application reached limit call api",
    -100: "attachment_id was expired",
    -200: "Send message failed",
    -201: "{field} is invalid!",
    -204: "Offical Account is disable",
    -205: "Offical Account is not exist",
    -209: "Not supported this api",
    -210: "Parameter exceeds allowable limit",
    -211: "Out of quota",
    -212: "App has not registed this api",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -217: "User has blocked invitation from OA",
    -218: "Out of quota receive",
    -219: "App is removed or disabled",
    -220: "access_token is expired or removed",
    -221: "The OA needs to be verified to use this feature",
    -223: "Official Account has not authorized this API",
    -224: "The OA needs to upgrade OA Tier Package",
    -227: "User is banned or has been inactive for more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
    -233: "message type is invalid or not support",
    -234: "This message cannot be sent at night (10:00PM - 6:00AM)",
    -235: "This API does not support this type of OA",
    -240: "MessageV2 API has been shut down, please switch to MessageV3",
    -242: "Invalid appsecret_proof provided in the API argument",
    -244: "User has restricted this message type from your OA",
    -248: "Violates our platform standards",
    -320: "Your app must connect with a Zalo Cloud Account",
    -321: "Your Zalo Cloud Account is out of money",
}
# oauth.zaloapp.com error_name values (§7.3). -14002 and -14014 are quoted; the other names are the
# fake's wording for the documented meaning (UNCONFIRMED text, confirmed codes).
OAUTH_ERRORS: dict[int, str] = {
    -14002: "Invalid appId",
    -14003: "Invalid redirect uri",
    -14004: "Invalid secret key",
    -14005: "Invalid code",
    -14014: "Invalid refresh token.",
    -14018: "Invalid grant type",
}
OAUTH_REF_DOC = "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new"


def error_message(code: int, field: str = "parameter") -> str:
    """Zalo's message for an OA API error code (the field name goes into -201's text)."""
    return OPENAPI_ERRORS.get(code, "Unknown error").format(field=field)


def event_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The X-ZEvent-Signature header value (§2.1): "mac=" + lowercase hex of the plain SHA-256
    (not HMAC) of app_id + raw body bytes + the body's timestamp string + the OA Secret Key.

    Two points are UNCONFIRMED (§2.2): which secret signs (most sources: the OA Secret Key from
    the Webhook page; [SPEC]: the app secret) and whether the first term is ever oa_id. The fake
    signs with app_id and a separate OA secret key, so a bot that verifies with the app secret,
    or with oa_id, fails here; a bot that wants to be tolerant must try the variants itself."""
    digest = hashlib.sha256(app_id.encode("utf-8") + body + timestamp.encode("utf-8") + oa_secret_key.encode("utf-8"))
    return "mac=" + digest.hexdigest()


def pkce_challenge(code_verifier: str) -> str:
    """S256 code_challenge for a code_verifier: base64url(sha256(verifier)) without padding (§7.4)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def zalo_length(text: str) -> int:
    """Characters as a Java server counts them (UTF-16 code units: an emoji counts 2).

    Zalo documents "2.000 ký tự" without saying how it counts (UNCONFIRMED). UTF-16 units are the
    strictest plausible reading for a Java backend: an emoji counts 2 and a decomposed (NFD)
    Vietnamese string counts its combining marks, so a bot that splits plain NFC text at 2,000
    code points passes while one that ignores emoji or sends NFD text is caught here rather than
    in production."""
    return len(text.encode("utf-16-le")) // 2
