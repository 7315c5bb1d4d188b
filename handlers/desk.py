"""What every entry point works with: the desk's services, the channel an update came from, and
the update itself as a channel-neutral request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.announcements.broadcasts import Broadcasts
from bot.cases.lookup import CaseLookup
from bot.cases.work_list import WorkList
from bot.cases.workflow import CaseWorkflow
from bot.conversation.chats import ChatDirectory
from bot.conversation.dialogs import CitizenDialogs
from bot.conversation.turns import Turns
from bot.feedback.feedback import Feedbacks
from bot.feedback.prompts import PromptRef
from bot.feedback.ratings import Ratings
from bot.privacy.rights import CitizenRights
from bot.reports.message import Reports
from bot.staff.members import Invitations
from dialogs.model import IncomingFile, Input
from dialogs.output import Attachment, Reply
from storage.files import FileStore, Incoming


@dataclass(frozen=True)
class Desk:
    """The services, built once by the runtime."""

    turns: Turns
    chats: ChatDirectory
    dialogs: CitizenDialogs
    workflow: CaseWorkflow
    work_list: WorkList
    lookup: CaseLookup
    ratings: Ratings
    feedbacks: Feedbacks
    broadcasts: Broadcasts
    reports: Reports
    invitations: Invitations
    rights: CitizenRights
    files: FileStore


class Channel(Protocol):
    """What the neutral handlers need from the messenger an update came from."""

    async def fetch(self, file: IncomingFile, into: Incoming) -> None:
        """Stream a file the person sent into `into`; `FetchFailed` when the channel cannot give it."""
        ...

    async def send(self, chat_id: int, reply: Reply) -> Sent:
        """Send `reply` now, outside the outcome of the update (a preview, a message to edit later)."""
        ...


@dataclass(frozen=True)
class Sent:
    """The id of the message the channel made, or why the channel refused to make it."""

    message_id: int | None = None
    refusal: str | None = None


class FetchFailed(Exception):
    """The channel could not give a file's bytes (expired, network, too large on its side)."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.size = size


@dataclass(frozen=True)
class Request:
    """One update, as every channel describes it.

    `chat_id` is where it happened, `sender_id` who did it (the same in a private chat; in an
    officers' group the tap is the officer's, and the answer goes to their private chat).
    `replying_to` is the bot's prompt this message answers, when the channel shows replies;
    `formatted_html` is the message with its sender's formatting, where the channel has it;
    `media` is the photo or file of the message as the channel knows it.
    """

    update_id: int
    chat_id: int
    sender_id: int
    private: bool
    input: Input
    channel: Channel
    display_name: str = ""
    replying_to: PromptRef | None = None
    formatted_html: str | None = None
    media: Attachment | None = None
    media_group: str | None = None
    payload: str | None = None


class DeliveryError(Exception):
    """A channel could not deliver an outbox message; the subclass says what the outbox does."""


class RetryLater(DeliveryError):
    """Rate limit or quota: try again after `seconds`, without counting an attempt."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class Unreachable(DeliveryError):
    """The person blocked the bot or left: nothing will reach them; stop announcements to them."""


class Refused(DeliveryError):
    """The channel refuses this message as it is (malformed, too long): retrying cannot help."""


class WindowClosed(DeliveryError):
    """The channel lets the bot write to this person only for a while after they wrote (Zalo):
    the message waits until they write again."""


class Transient(DeliveryError):
    """A network error or a server error: retry with a growing pause."""
