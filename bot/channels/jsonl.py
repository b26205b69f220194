"""Scripted driving: one JSON object per line in, one per action out, then ``done``.

The contract is in DESIGN.md ("Scripted driving"); scripts and tests rely on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TextIO

from bot.models import Action, ConversationKey, Handoff, Inbound, Reply

log = logging.getLogger(__name__)

PLATFORM = "console"
CUSTOMER_KEYS = frozenset({"user", "text", "name", "button", "kind", "chat", "handle", "id"})
AGENT_KEYS = frozenset({"agent", "ticket", "action", "text", "conversation"})
#: DESIGN.md's four, plus ``release`` (back to the queue) and ``takeover`` (an agent
#: takes a customer's open conversation on their own: ``conversation`` instead of ``ticket``).
AGENT_ACTIONS = ("claim", "reply", "return", "resolve", "release", "takeover")


class BadLine(ValueError):
    """An input line the contract cannot accept."""


@dataclass(frozen=True, slots=True)
class AgentCommand:
    """An agent acting on a ticket."""

    agent: str
    ticket: str
    action: str
    text: str = ""
    #: The conversation key (``jsonl:u1``) a ``takeover`` is for.
    conversation: str = ""


def parse_line(line: str) -> tuple[Inbound | AgentCommand, list[str]]:
    """One input line → an inbound message or an agent command, plus ignored keys."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise BadLine("expected a JSON object")
    if "agent" in obj:
        return _agent(obj), sorted(set(obj) - AGENT_KEYS)
    return to_inbound(obj), sorted(set(obj) - CUSTOMER_KEYS)


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadLine(f"'{key}' must be a string")
    return str(value)


def to_inbound(obj: dict[str, Any]) -> Inbound:
    """A customer line → :class:`Inbound` (pure)."""
    user = _text(obj, "user")
    if not user:
        raise BadLine("a customer line needs 'user' (or 'agent' for an agent line)")
    button = _text(obj, "button")
    text = _text(obj, "text") or ""
    if button is None and "text" not in obj and "kind" not in obj:
        raise BadLine("a customer line needs 'text' or 'button'")
    return Inbound(
        key=ConversationKey(PLATFORM, _text(obj, "chat") or user),
        user=user,
        text=text,
        button=button,
        name=_text(obj, "name"),
        handle=_text(obj, "handle"),
        message_id=_text(obj, "id"),
        kind=_text(obj, "kind") or ("button" if button is not None else "text"),
    )


def _agent(obj: dict[str, Any]) -> AgentCommand:
    agent, ticket, action = _text(obj, "agent"), _text(obj, "ticket"), _text(obj, "action")
    if action == "takeover":
        conversation = _text(obj, "conversation")
        if not agent or not conversation:
            raise BadLine("a takeover line needs 'agent' and 'conversation' (e.g. \"jsonl:u1\")")
        return AgentCommand(agent, "", action, conversation=conversation)
    if not agent or not ticket or action not in AGENT_ACTIONS:
        raise BadLine(f"an agent line needs 'agent', 'ticket' and 'action' in {AGENT_ACTIONS}")
    return AgentCommand(agent, ticket, action, _text(obj, "text") or "")


def render(action: Action, to: str) -> dict[str, Any]:
    """An action → its JSON object (pure)."""
    if isinstance(action, Reply):
        out: dict[str, Any] = {"type": "reply", "to": to, "text": action.text}
        if action.buttons:
            out["buttons"] = [{"label": b.label, "payload": b.payload} for b in action.buttons]
        return out
    if isinstance(action, Handoff):
        return {
            "type": "handoff",
            "to": to,
            "ticket": action.ticket,
            "reason": action.reason,
            "summary": action.summary,
            "priority": action.priority,
        }
    data = {k: getattr(action, k) for k in action.__slots__}
    if "buttons" in data:
        data["buttons"] = [{"label": b.label, "payload": b.payload} for b in data["buttons"]]
    return {"to": to, **data}


Handler = Callable[[Inbound], Awaitable[list[Action]]]
AgentHandler = Callable[[AgentCommand], Awaitable[list[dict[str, Any]]]]


async def _no_desk(command: AgentCommand) -> list[dict[str, Any]]:
    return [{"type": "error", "error": f"no open ticket '{command.ticket}'"}]


async def run_jsonl(
    handle: Handler,
    *,
    agent: AgentHandler = _no_desk,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Serve lines from ``stdin`` until it closes."""
    src, out = stdin or sys.stdin, stdout or sys.stdout

    def emit(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")

    while True:
        line = await asyncio.to_thread(src.readline)
        if not line:
            break
        if not line.strip():
            continue
        try:
            item, ignored = parse_line(line)
            if ignored:
                emit({"type": "error", "error": f"unknown key(s) ignored: {', '.join(ignored)}"})
            if isinstance(item, AgentCommand):
                for obj in await agent(item):
                    emit(obj)
            else:
                for action in await handle(item):
                    emit(render(action, item.user))
        except BadLine as exc:
            emit({"type": "error", "error": str(exc)})
        except Exception as exc:
            log.exception("turn failed")
            emit({"type": "error", "error": f"internal error: {type(exc).__name__}"})
        emit({"type": "done"})
        out.flush()
