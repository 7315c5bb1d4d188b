"""The one route table: every command, every button and deep link, and who takes a message.

Channel adapters (`handlers/telegram`, later others) parse their events into a `Request` and
call `dispatch`; nothing else decides where an update goes. Button payloads are `Press` data
encoded as 'route:field:field' (see `dialogs.output.Press`); this module is the only place
that reads them back, and a payload that does not decode goes to the route's refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace

from bot.announcements.presses import AnnouncementPress, Subscribe, Unsubscribe
from bot.cases.presses import CaseLink, LookupMenu, MyCasesMenu, OfficerPress, SendSupplement, ShowCase
from bot.conversation.language import ChooseLanguage, LanguageMenu
from bot.feedback.presses import AnswerPress, FeedbackMenu, RatePress
from bot.privacy.presses import DataPress
from bot.staff.members import InviteLink
from dialogs.output import Outcome, Press
from dialogs.steps import Navigate, StepPress
from handlers import announcements, awaited, citizens, feedback, lookup, officers, privacy, reports
from handlers.desk import Desk, Request
from handlers.refusals import refuse

Handler = Callable[[Desk, Request], Awaitable[Outcome | None]]
Check = Callable[[Desk, Request], Awaitable[bool]]


@dataclass(frozen=True)
class Route:
    press: type[Press]
    handler: Handler
    refusal: Handler
    """What a payload of this route that does not decode gets (a forged or damaged button)."""
    in_groups: bool = False
    """Honoured in group chats too (officers' groups); every other button only in private chats."""


BUTTONS = {route.press.ROUTE: route for route in (
    Route(StepPress, citizens.on_dialog, citizens.on_unknown_button),
    Route(Navigate, citizens.on_dialog, citizens.on_unknown_button),
    Route(SendSupplement, citizens.on_dialog, citizens.on_unknown_button),
    Route(LanguageMenu, citizens.on_language_menu, citizens.on_unknown_button),
    Route(ChooseLanguage, citizens.on_language_choice, citizens.on_unknown_button),
    Route(LookupMenu, lookup.on_lookup_menu, citizens.on_unknown_button),
    Route(MyCasesMenu, lookup.on_my_cases, citizens.on_unknown_button),
    Route(ShowCase, lookup.on_case_button, lookup.on_unknown_case),
    Route(OfficerPress, officers.on_press, refuse, in_groups=True),
    Route(RatePress, feedback.on_rating, refuse),
    Route(AnswerPress, feedback.on_answer_button, refuse),
    Route(FeedbackMenu, feedback.on_feedback_menu, citizens.on_unknown_button),
    Route(AnnouncementPress, announcements.on_decision, refuse),
    Route(Unsubscribe, announcements.on_unsubscribe, citizens.on_unknown_button),
    Route(Subscribe, announcements.on_subscribe, citizens.on_unknown_button),
    Route(DataPress, privacy.on_press, citizens.on_unknown_button),
)}

DEEP_LINKS: dict[str, tuple[type[Press], Handler]] = {
    CaseLink.ROUTE: (CaseLink, lookup.on_case_link),
    InviteLink.ROUTE: (InviteLink, officers.on_invite),
}
"""/start <payload>: 'c_<case code>' from a receipt's QR code, 'inv_<code>' from a staff invite."""

COMMANDS: dict[str, Handler] = {
    "start": citizens.on_dialog,
    "help": citizens.on_dialog,
    "menu": citizens.on_dialog,
    "cancel": citizens.on_dialog,
    "language": citizens.on_language_menu,
    "tracuu": lookup.on_lookup_command,
    "gopy": feedback.on_feedback_menu,
    "huythongbao": announcements.on_unsubscribe,
    "nhanthongbao": announcements.on_subscribe,
    "dulieu": privacy.on_command,
    "hoso": officers.on_work_list,
    "thongke": reports.on_report,
    "thongbao": announcements.on_announce,
}
"""Any other command goes to the dialog, which says it does not know it."""


async def _always(desk: Desk, request: Request) -> bool:
    return True


MESSAGES: tuple[tuple[Check, Handler], ...] = (
    (feedback.is_prompt_reply, feedback.on_prompt_reply),
    (awaited.is_awaited, awaited.on_awaited),
    (lookup.is_typed_code, lookup.on_typed_code),
    (_always, citizens.on_dialog),
)
"""Who takes a message that is not a command, in this order: a reply to a feedback prompt, the
text an officer's action waits for or the announcement a staff member is writing (one check,
see `handlers.awaited`), a case code typed on its own, the dialog."""


def decode(payload: str) -> Press | None:
    """The press a button payload or deep link stands for; None for anything this bot did not make."""
    payload = _legacy(payload) or payload
    press = _press_type(payload)
    if press is None:
        return None
    count = len(fields(press))
    if count == 0:
        return press() if payload == press.ROUTE else None
    head = press.ROUTE + press.SEPARATOR
    if not payload.startswith(head):
        return None
    return press.decode(payload[len(head):].split(press.SEPARATOR, count - 1))


def _press_type(payload: str) -> type[Press] | None:
    route = BUTTONS.get(payload.partition(":")[0])
    if route is not None:
        return route.press
    link = DEEP_LINKS.get(payload.partition("_")[0])
    return link[0] if link is not None else None


def route_of(payload: str) -> Route | None:
    """The button route a payload claims, even when it does not decode: its refusal applies."""
    return BUTTONS.get((_legacy(payload) or payload).partition(":")[0])


_LEGACY_ROUTES = {"o": "officer", "r": "rate", "f": "answer", "b": "announce", "k": "case", "s": "supplement",
                  "l": "language"}
_LEGACY_VALUES = {"more": "supplement", "ready0": "ready-standard"}
_LEGACY_MENU = {"apply": "nav:apply", "info": "nav:info", "resume": "nav:resume", "menu": "nav:home",
                "lookup": "lookup", "mine": "mine", "feedback": "feedback", "lang": "lang", "unsub": "unsub"}


def _legacy(payload: str) -> str | None:
    """Buttons sent before payloads became readable (November 2026) still work: 'o.12.3.accept'
    is 'officer:12:3:accept', a dialog's '1234.5.yes' is 'step:1234:5:yes'."""
    head, _, rest = payload.partition(".")
    if not rest or ":" in payload:
        return None
    if head.isdigit():
        return "step:" + payload.replace(".", ":", 2)
    if head == "m":
        return _LEGACY_MENU.get(rest, "nav:" + rest)
    if head not in _LEGACY_ROUTES:
        return None
    return ":".join([_LEGACY_ROUTES[head], *(_LEGACY_VALUES.get(value, value) for value in rest.split("."))])


async def dispatch(desk: Desk, request: Request) -> Outcome | None:
    """Hand the request to the code that takes it; None when nothing is to be said."""
    if request.payload is not None:
        return await _button(desk, request, request.payload)
    if not request.private:
        return None
    inp = request.input
    if inp.command == "start" and inp.command_args:
        link = decode(inp.command_args)
        if link is not None and link.ROUTE in DEEP_LINKS:
            return await DEEP_LINKS[link.ROUTE][1](desk, replace(request, input=replace(inp, press=link)))
    if inp.command is not None:
        return await COMMANDS.get(inp.command, citizens.on_dialog)(desk, request)
    for wants, handler in MESSAGES:
        if await wants(desk, request):
            return await handler(desk, request)
    return None


async def _button(desk: Desk, request: Request, payload: str) -> Outcome | None:
    route = route_of(payload)
    if route is None:
        return await citizens.on_unknown_button(desk, request) if request.private else None
    if not (request.private or route.in_groups):
        return None
    press = decode(payload)
    if press is None:
        return await route.refusal(desk, request)
    return await route.handler(desk, replace(request, input=replace(request.input, press=press)))
