"""The local sandbox: the bot working on one computer, without a Telegram bot token.

`sandbox.botapi` is a Bot API emulator that checks every request against the official spec (the
test suite uses it too); `sandbox.runner` starts it, the real bot pointed at it and the page of
`sandbox.web` (`motcua sandbox`).
"""
