"""Agents' commands outside Slack and Telegram: JSONL lines and console ``/agent`` lines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.jsonl import PLATFORM, AgentCommand, render
from bot.handoff.desk import ACTIONS, TAKEOVER, Desk, Outcome
from bot.models import Action

CONSOLE_HELP = (
    "/agent claim T1 · /agent reply T1 text (// text: internal note) · /agent release T1 · "
    "/agent return T1 · /agent resolve T1 · /agent save_faq T1 · /agent transcript T1 · "
    "/agent takeover USER (a customer's open conversation) · /agent as NAME"
)


def conversation_key(target: str) -> str:
    """A takeover's target: a conversation key, or a bare user (``u1`` → ``console:u1``)."""
    target = target.strip()
    return target if ":" in target or target.isdigit() else f"{PLATFORM}:{target}"


def outcome_json(outcome: Outcome) -> list[dict[str, Any]]:
    """An outcome as JSONL objects: errors, desk events, then what the customer gets."""
    out: list[dict[str, Any]] = []
    code = outcome.ticket.code if outcome.ticket else None
    if outcome.error:
        out.append({"type": "error", "error": outcome.error, **({"ticket": code} if code else {})})
    out += [e.to_json() for e in outcome.events]
    if outcome.ticket is not None:
        to = outcome.ticket.customer_user
        out += [{**render(a, to), "ticket": outcome.ticket.code} for a in outcome.customer]
    return out


def jsonl_agent(desk: Desk) -> Callable[[AgentCommand], Awaitable[list[dict[str, Any]]]]:
    """The agent handler for ``run_jsonl``: DESIGN.md's agent lines on the desk."""

    async def handle(command: AgentCommand) -> list[dict[str, Any]]:
        if command.action == TAKEOVER:
            outcome = await desk.takeover(command.agent, conversation_key(command.conversation))
        else:
            outcome = await desk.act(command.agent, command.ticket, command.action, command.text)
        return outcome_json(outcome)

    return handle


class ConsoleAgent:
    """``/agent …`` lines in the console chat, so one person can try both sides."""

    def __init__(self, desk: Desk, *, agent: str = "agent", name: str = "Alex") -> None:
        self.desk = desk
        self.agent = agent
        self.name = name

    async def __call__(self, line: str) -> tuple[list[Action], list[str]]:
        """Run one command (the text after ``/agent``); customer actions and desk lines."""
        parts = line.strip().split(maxsplit=2)
        if len(parts) >= 2 and parts[0] == "as":
            self.agent = self.name = " ".join(parts[1:])
            return [], [f"acting as {self.name}"]
        if len(parts) < 2 or parts[0] not in (*ACTIONS, TAKEOVER):
            return [], [CONSOLE_HELP]
        action, code = parts[0], parts[1]
        text = parts[2] if len(parts) > 2 else ""
        if action == TAKEOVER:
            outcome = await self.desk.takeover(self.agent, conversation_key(code), name=self.name)
        else:
            outcome = await self.desk.act(self.agent, code, action, text, name=self.name)
        lines = [f"✗ {outcome.error}"] if outcome.error else []
        for event in outcome.events:
            lines.append(
                f"desk · {event.ticket.code} {event.event}"
                + (f": {event.text}" if event.text else "")
            )
        return outcome.customer, lines
