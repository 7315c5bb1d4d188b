"""Fake Zalo Official Account API: the Zalo counterpart of sandbox/botapi for e2e tests and the sandbox.

One local server stands in for openapi.zalo.me (/v3.0/oa/message/cs, /v3.0/oa/message/template,
/v2.0/oa/upload/image|file|gif, /v3.0/oa/user/detail, /v3.0/oa/quota/message), for
oauth.zaloapp.com (/v4/oa/access_token, /v4/oa/permission) and for the CDN that serves what users
upload (/files/<token>). Point the bot's API, OAuth and file hosts at ``fake.url``, set
``fake.webhook_url`` to the bot's webhook, then:

- play users with ``follow`` / ``send_text`` / ``tap`` / ``send_image`` / ``send_file`` / ... :
  each event is built as Zalo sends it (ids and timestamp as strings, msg_id 20 hex chars),
  POSTed and signed with ``X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + OA secret
  key)``, and the call returns the HTTP status the webhook answered. ``send_event`` (forged,
  unsigned, stale events), ``last_event`` + ``post_raw`` (replays) give raw control;
- observe with ``messages`` / ``wait_for_messages`` / ``wait_idle`` / ``transcript``;
- finish with ``assert_no_violations()``: every request is checked against the API's shape and
  limits as /work/notes/zalo-oa-api.md describes them, refused with Zalo's error (HTTP 200,
  {"error", "message"}) and listed in ``violations``.

Tokens rotate as on Zalo (``access_token`` / ``refresh_token``, ``expire_access_token``,
``fail_refresh``, ``refreshes``); the 7-day consultation window is kept per user
(``set_last_interaction``); ``fail_next`` injects Zalo errors and ``rate_limit_per_minute``
answers -32 beyond it. Rules the notes mark UNCONFIRMED are marked so in the docstrings of
``spec``, ``shapes`` and ``server``: the fake then takes the stricter reading, so a bot that
passes here does not lean on a guess.
"""

from .models import WebhookDelivery, ZaloMessage, ZaloRequest, ZaloUser
from .server import SIGNATURE_HEADER, FakeZaloOA, parse_multipart
from .shapes import ZaloError
from .spec import ZALO_RETRY_DELAYS, event_signature, pkce_challenge, zalo_length

__all__ = [
    "SIGNATURE_HEADER",
    "ZALO_RETRY_DELAYS",
    "FakeZaloOA",
    "WebhookDelivery",
    "ZaloError",
    "ZaloMessage",
    "ZaloRequest",
    "ZaloUser",
    "event_signature",
    "parse_multipart",
    "pkce_challenge",
    "zalo_length",
]
