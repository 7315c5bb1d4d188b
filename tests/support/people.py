"""A citizen using the bot from one private chat: types, taps buttons by their label, sends
photos and files, and reads what the bot answered — only what a real person could do and see."""

from __future__ import annotations

from pathlib import Path

from sandbox.botapi import BotMessage, FakeBotAPI

DATA = Path(__file__).parents[1] / "data"
JPEG = (DATA / "page.jpg").read_bytes()
PNG = (DATA / "page.png").read_bytes()
PDF = (DATA / "scan.pdf").read_bytes()


class Citizen:
    def __init__(self, fake: FakeBotAPI, chat_id: int) -> None:
        self.fake = fake
        self.chat_id = chat_id

    @property
    def messages(self) -> list[BotMessage]:
        return self.fake.bot_messages(self.chat_id)

    @property
    def last(self) -> BotMessage:
        return self.messages[-1]

    def _expect(self, before: int, expect: int) -> BotMessage:
        self.fake.wait_for_messages(self.chat_id, before + expect)
        return self.messages[-1]

    def send(self, text: str, expect: int = 1) -> BotMessage:
        before = len(self.messages)
        self.fake.send_text(self.chat_id, text)
        return self._expect(before, expect)

    def tap(self, label: str, expect: int = 1) -> BotMessage:
        """Press the button whose label contains `label` on the newest message that has one."""
        message = next((m for m in reversed(self.messages) if any(label in b for b in m.button_labels())), None)
        if message is None:
            raise AssertionError(f"no button '{label}'; last message:\n{self.last.text}\n{self.last.button_labels()}")
        return self.press(message.callback_data(label), message.message_id, expect)

    def press(self, callback_data: str, message_id: int | None = None, expect: int = 1) -> BotMessage:
        before = len(self.messages)
        self.fake.press(self.chat_id, callback_data, message_id=message_id)
        return self._expect(before, expect)

    def photo(self, content: bytes = JPEG, expect: int = 1) -> BotMessage:
        before = len(self.messages)
        self.fake.send_photo(self.chat_id, content)
        return self._expect(before, expect)

    def album(self, contents: list[bytes], expect: int = 1) -> BotMessage:
        before = len(self.messages)
        self.fake.send_album(self.chat_id, contents)
        return self._expect(before, expect)

    def document(self, content: bytes, file_name: str, mime_type: str | None, expect: int = 1) -> BotMessage:
        before = len(self.messages)
        self.fake.send_document(self.chat_id, content, file_name=file_name, mime_type=mime_type)
        return self._expect(before, expect)

    def quiet(self) -> None:
        """Wait until the bot has handled everything and sent nothing more for a moment."""
        self.fake.wait_idle()
