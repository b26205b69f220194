"""The interactive console chat: one person, one terminal, numbered buttons."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.text import Text

from bot.channels.jsonl import PLATFORM, Handler
from bot.models import Action, Button, ConversationKey, Handoff, Inbound, Offer, Relay, Reply

HELP = "Type a message. A number presses a button. /name NAME, /agent …, /help, /quit."
#: Runs an agent's ``/agent …`` line: actions for the customer, lines for the desk.
AgentConsole = Callable[[str], Awaitable[tuple[list[Action], list[str]]]]


def press(choice: str, buttons: tuple[Button, ...]) -> str | None:
    """The payload of the button numbered ``choice`` (1-based), if any."""
    if choice.isdigit() and 1 <= int(choice) <= len(buttons):
        return buttons[int(choice) - 1].payload
    return None


def show(console: Console, action: Action) -> tuple[Button, ...]:
    """Print an action; return its buttons (numbered for the next input)."""
    if isinstance(action, Reply | Offer):
        console.print(Text("bot › ", style="bold cyan") + Text(action.text))
        for n, button in enumerate(action.buttons, 1):
            console.print(Text(f"      [{n}] ", style="cyan") + Text(button.label))
        return action.buttons
    if isinstance(action, Handoff):
        note = f"⤷ handoff to a person ({action.reason}) {action.ticket}"
        console.print(Text(note, style="yellow"))
        if action.summary:
            console.print(Text(action.summary, style="dim"))
        return ()
    if isinstance(action, Relay):
        console.print(Text(f"⤷ to the agent ({action.ticket}): {action.text}", style="yellow"))
        return ()
    console.print(Text(f"⤷ {action.type}: {getattr(action, 'reason', '')}", style="magenta"))
    return ()


async def run_console(
    handle: Handler,
    *,
    name: str | None = None,
    user: str | None = None,
    agent: AgentConsole | None = None,
) -> None:
    """Chat until end of input or /quit."""
    console = Console(highlight=False)
    user = user or getpass.getuser() or "you"
    console.print(Text(HELP, style="dim"))
    if name is None:
        try:
            name = (await asyncio.to_thread(console.input, "Your name (Enter to skip): ")).strip()
        except (EOFError, KeyboardInterrupt):
            return
        name = name or None
    buttons: tuple[Button, ...] = ()
    while True:
        try:
            line = await asyncio.to_thread(console.input, "[bold green]you › [/]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line.strip() in ("/quit", "/exit"):
            return
        if line.strip() == "/help":
            console.print(Text(HELP, style="dim"))
            continue
        if line.startswith("/name "):
            name = line[6:].strip() or None
            continue
        if agent is not None and line.startswith("/agent"):
            actions, notes = await agent(line[6:])
            for note in notes:
                console.print(Text(note, style="magenta"))
            for action in actions:
                buttons = show(console, action) or buttons
            continue
        payload = press(line.strip(), buttons)
        inbound = Inbound(
            key=ConversationKey(PLATFORM, user),
            user=user,
            text="" if payload else line,
            button=payload,
            name=name,
            kind="button" if payload else "text",
        )
        shown: tuple[Button, ...] = ()
        for action in await handle(inbound):
            shown += show(console, action)
        buttons = shown
