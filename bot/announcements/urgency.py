"""How long an announcement will take, and what an urgent one sent as a paid broadcast costs.

Telegram's figures, from "Paid Broadcasts" in the Bot API manual
(https://core.telegram.org/bots/api#paid-broadcasts, added in Bot API 7.11 on 31 October 2024):
every bot may broadcast up to 30 messages a second; with Paid Broadcasts enabled in @BotFather
it may send up to 1000 a second, and "each message broadcasted over the free amount of 30
messages per second incurs a cost of 0.1 Stars per message", charged only for messages
delivered. The description of `allow_paid_broadcast` in the official api.json
(sandbox/botapi/telegram-bot-api/) says the same ("up to 1000 messages per second ... for a
fee of 0.1 Telegram Stars per message"), and so does the Bots FAQ
(https://core.telegram.org/bots/faq#how-can-i-message-all-of-my-bot-39s-subscribers-at-once).
The two pages disagree on who may enable it: at least 10,000 Stars on the bot's balance (Bot
API manual) or 100,000 Stars and 100,000 monthly active users (FAQ). The bot cannot check
either, so the office sets MOTCUA_ALLOW_PAID_BROADCAST only once BotFather has enabled it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

FREE_RATE = 30
"""Messages a second Telegram lets a bot broadcast free of charge."""
PAID_RATE = 1000
"""Messages a second with `allow_paid_broadcast`."""
PAID_RATE_REACHED = 200
"""Paid messages a second the bot sends in practice on SQLite, far below Telegram's 1,000
(bench/RESULTS.md: 211 a second on a 2-core machine, Telegram answering each send in a tenth of
a second): the expected time of an urgent broadcast counts with it. Its cost counts with the
full paid rate, at which the fewest messages are free: an upper bound."""
PAID_RATE_REACHED_SHARED = 80
"""The same on PostgreSQL, where the outbox keeps 8 sends under way (each claim holds a
connection): 8 for each tenth of a second Telegram takes to answer. Reckoned, not measured."""
STARS_PER_PAID_MESSAGE = Decimal("0.1")


@dataclass(frozen=True)
class Rates:
    """Messages a second the bot's pacing actually allows (below Telegram's figures, which it
    keeps a margin under); `paid` is None when the office has not enabled paid broadcasts."""

    free: float
    paid: float | None = None
    paid_reached: float = PAID_RATE_REACHED
    """Paid messages a second the bot reaches in practice: what the expected time counts with."""


@dataclass(frozen=True)
class Estimate:
    """What the preview tells the staff member before they confirm."""

    recipients: int
    seconds: float
    paid: bool
    stars: Decimal
    """At most this many Stars: the cost if the broadcast goes at the full paid rate, since a
    slower one has more free messages; zero when not paid."""


def estimate(recipients: int, ahead: int, rates: Rates, *, urgent: bool) -> Estimate:
    """`ahead` messages of other announcements go first (at the same rate: an urgent one waits
    only for other urgent ones, a normal one for every announcement queued before it)."""
    paid = urgent and rates.paid is not None
    rate = rates.paid if paid and rates.paid is not None else rates.free
    seconds = (ahead + recipients) / (min(rate, rates.paid_reached) if paid else rate)
    return Estimate(recipients, seconds, paid, paid_cost(recipients, rate) if paid else Decimal(0))


def paid_cost(messages: int, rate: float) -> Decimal:
    """Stars for `messages` sent at `rate` a second: 0.1 for each beyond the free 30 a second."""
    free = math.floor(FREE_RATE * messages / rate) if rate > FREE_RATE else messages
    return max(messages - free, 0) * STARS_PER_PAID_MESSAGE


def split_duration(seconds: float) -> tuple[int, int, int]:
    """Hours, minutes and seconds, rounded up to the second (an estimate is never shorter)."""
    whole = math.ceil(seconds)
    return whole // 3600, whole % 3600 // 60, whole % 60
