"""Slack rendering, pure: engine actions → ``chat.postMessage`` arguments in Block Kit.

Every text the bot sends goes into ``mrkdwn`` with ``&``, ``<`` and ``>``
escaped and ``verbatim`` on, so neither content nor a customer's words echoed
back can ping ``<!channel>``/``<!here>``, mention someone or disguise a link.
Bare ``http(s)`` URLs are turned into links by us (their label is the URL
itself). Slack's limits are applied here: a section holds at most 3000
characters (longer text is split at paragraph, line, sentence or word
boundaries), a button label 75, a button value 2000, an ``actions`` block 25
buttons, a message 50 blocks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.models import Action, Button, Offer, Reply

log = logging.getLogger(__name__)

MAX_SECTION = 3000
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000
MAX_PER_ACTIONS = 25
MAX_BLOCKS = 50
#: The top-level ``text`` is the notification/accessibility fallback; keep it short.
MAX_FALLBACK = 3000
#: ``action_id`` of the n-th button of a message is ``fd_btn_<n>``.
ACTION_PREFIX = "fd_btn_"
ACTION_PATTERN = re.compile(rf"^{ACTION_PREFIX}\d+$")
#: ``block_id`` prefix of our ``actions`` blocks, so a pressed message can drop them.
ACTIONS_BLOCK = "fd_actions_"

_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_URL_TAIL = ".,;:!?'\")]"
#: Where a long text may be split, best first.
_BREAKS = ("\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", " ", "、")


def escape(text: str) -> str:
    """Escape Slack's three control characters (``&`` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Escaped ``mrkdwn`` with bare ``http(s)`` URLs turned into links."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_URL_TAIL)
        out.append(escape(text[pos : match.start()]))
        out.append(f"<{escape(url)}>")
        pos = match.start() + len(url)
    out.append(escape(text[pos:]))
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split ``text`` into pieces whose ``mrkdwn`` form is at most ``limit`` characters.

    Cuts at a paragraph, then a line, a sentence end or a space (in the later
    half of the piece), and only as a last resort in the middle of a word.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(mrkdwn(rest)) > limit:
        fits = _longest_prefix(rest, limit)
        cut = _boundary(rest[:fits]) or fits
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _longest_prefix(text: str, limit: int) -> int:
    """The largest ``n`` such that ``mrkdwn(text[:n])`` fits in ``limit`` (at least 1)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(mrkdwn(text[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _boundary(prefix: str) -> int:
    """Where to cut ``prefix``: just after the best break in its later half, or 0."""
    half = len(prefix) // 2
    for mark in _BREAKS:
        at = prefix.rfind(mark)
        if at >= half:
            return at + len(mark)
    return 0


def section(text: str) -> dict[str, Any]:
    """A ``section`` block with escaped, verbatim ``mrkdwn``."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(text), "verbatim": True}}


def button(index: int, choice: Button) -> dict[str, Any]:
    """One Block Kit button; its value is the payload the engine gave it."""
    label = shorten(" ".join(choice.label.split()), MAX_BUTTON_TEXT) or "…"
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": f"{ACTION_PREFIX}{index}",
        "value": choice.payload,
    }


def actions_blocks(buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """``actions`` blocks of at most 25 buttons; a payload over 2000 characters is dropped."""
    elements: list[dict[str, Any]] = []
    for index, choice in enumerate(buttons):
        if len(choice.payload) > MAX_VALUE:
            log.warning(
                "button %r dropped: its payload is over %d characters", choice.label, MAX_VALUE
            )
            continue
        elements.append(button(index, choice))
    return [
        {
            "type": "actions",
            "block_id": f"{ACTIONS_BLOCK}{n}",
            "elements": elements[start : start + MAX_PER_ACTIONS],
        }
        for n, start in enumerate(range(0, len(elements), MAX_PER_ACTIONS))
    ]


def message(text: str, buttons: Sequence[Button] = ()) -> dict[str, Any] | None:
    """``chat.postMessage`` arguments (``text`` fallback + ``blocks``), or None if empty."""
    sections = [section(piece) for piece in split_text(text)]
    actions = actions_blocks(buttons)[:MAX_BLOCKS]
    room = MAX_BLOCKS - len(actions)
    if len(sections) > room:
        log.warning("reply of %d characters cut to %d sections", len(text), room)
        sections = sections[:room]
    blocks = sections + actions
    if not blocks:
        return None
    fallback = text.strip() or " / ".join(b.label for b in buttons)
    return {"text": escape(shorten(" ".join(fallback.split()), MAX_FALLBACK)), "blocks": blocks}


def render(action: Action) -> dict[str, Any] | None:
    """An action → ``chat.postMessage`` arguments, or None if the customer sees nothing.

    Replies and offers are shown (text and buttons). Handoff, end, flag and
    relay are for the desk and the logs: the engine already adds the text the
    customer should read.
    """
    if isinstance(action, Reply | Offer):
        return message(action.text, action.buttons)
    return None


def pressed(blocks: Iterable[Mapping[str, Any]], label: str) -> list[dict[str, Any]]:
    """A pressed message's blocks: our buttons removed, the choice noted underneath."""
    kept = [
        dict(block)
        for block in blocks
        if not str(block.get("block_id", "")).startswith(ACTIONS_BLOCK)
    ]
    note = {
        "type": "mrkdwn",
        "text": f"✓ {escape(shorten(label, MAX_BUTTON_TEXT))}",
        "verbatim": True,
    }
    return [*kept, {"type": "context", "elements": [note]}]
