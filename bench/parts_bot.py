"""The bot with parts taken away, run by `bench.cost_parts` and by nothing else: what an update
costs without a part is the difference the part makes. `MOTCUA_BENCH_WITHOUT` lists the parts:

- `database`: each kind of message (/start, typed text) is handled once, in full; every later
  one gets that same answer without the database (no claim, no dialog state, no staff check).
- `rich-replies`: a reply goes as its first line of plain text: no HTML, buttons or long text.

    python -m bench.parts_bot run     (with the environment bench.cost_parts gives it)
"""

from __future__ import annotations

import os

from bench.cost_parts import DATABASE, RICH_REPLIES
from dialogs.output import Outcome, Reply
from handlers import citizens, routes
from handlers.desk import Desk, Request
from handlers.telegram.channel import TelegramChannel


def without_database() -> None:
    answers: dict[str, Outcome | None] = {}

    async def replayed(desk: Desk, request: Request) -> Outcome | None:
        kind = request.input.command or "text"
        if kind not in answers:
            answers[kind] = await citizens.on_dialog(desk, request)
        return answers[kind]

    async def always(desk: Desk, request: Request) -> bool:
        return True

    routes.COMMANDS["start"] = replayed
    routes.MESSAGES = ((always, replayed),)


def without_rich_replies() -> None:
    async def first_lines(self: TelegramChannel, chat_id: int, replies: list[Reply]) -> None:
        for reply in replies:
            await self.bot.send_message(chat_id, "".join(s.text for s in reply.full_text.segments).split("\n", 1)[0])

    TelegramChannel.reply = first_lines  # type: ignore[method-assign]


if __name__ == "__main__":
    parts = set(os.environ.get("MOTCUA_BENCH_WITHOUT", "").split(","))
    if DATABASE in parts:
        without_database()
    if RICH_REPLIES in parts:
        without_rich_replies()
    from bot.cli import app

    app(prog_name="motcua")
