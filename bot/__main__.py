"""`python -m bot` is the same as the `motcua` command."""

from bot.cli import app

app(prog_name="motcua")
