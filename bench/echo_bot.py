"""The yardstick of bench.full_flow: the smallest python-telegram-bot application that answers
every text, run against the same fake Bot API, so the bot's cost per update can be read as a
multiple of what the library itself costs.

With `--paced` it keeps Telegram's limit of 30 messages a second the library's own way, with
`AIORateLimiter`, as an echo bot must on the real Bot API once more than 30 people a second write
to it; otherwise it answers as fast as the fake Bot API lets it (bench/RESULTS.md compares both).

    python -m bench.echo_bot API_URL TOKEN [--paced]
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    api_url, token = sys.argv[1], sys.argv[2]
    builder = Application.builder().token(token).base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
    application = (builder.rate_limiter(AIORateLimiter()) if "--paced" in sys.argv[3:] else builder).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(allowed_updates=["message"], poll_interval=0.0)


if __name__ == "__main__":
    main()
