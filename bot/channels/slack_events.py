"""Slack payloads → :class:`~bot.models.Inbound`, pure.

What becomes a customer turn:

- a message in a DM with the bot (``message`` with ``channel_type: im``):
  conversation ``slack:<D…>``, replies in the DM;
- a mention of the bot in a channel (``app_mention``): conversation
  ``slack:<C…>:<thread>``, where the thread is the one the mention was written
  in or, for a top-level mention, the mention itself; replies go in that thread;
- a file without text (``subtype: file_share``): kind ``photo``/``video``/
  ``audio``/``file`` (the engine answers that it reads text); a file *with*
  text is answered by its text;
- an edit by the customer (``subtype: message_changed``) whose text changed:
  kind ``edit``, answered as a new message, so a corrected question gets the
  corrected answer; edits that don't change the text (Slack attaching a link
  preview) are ignored;
- a press on one of our buttons (``block_actions``, ``action_id`` ``fd_btn_<n>``):
  kind ``button`` with the button's value as payload.

Everything else is ignored (None): the bot's own messages, other bots
(``bot_id``, ``subtype: bot_message``), deletions, joins and other subtypes,
plain channel messages (only mentions are ours there), and mentions inside a DM
(the DM's own ``message`` event already carries them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.channels.slack_blocks import ACTION_PATTERN
from bot.models import ConversationKey, Inbound

PLATFORM = "slack"
#: Message subtypes that are a customer speaking; all others are ignored.
CUSTOMER_SUBTYPES = frozenset({"", "file_share", "thread_broadcast", "message_changed"})
_MARKUP = re.compile(r"<([^<>]*)>")
_SPACES = re.compile(r"[ \t]+")


def plain_text(text: str, *, bot_user_id: str | None = None, show_urls: bool = False) -> str:
    """Slack's message markup → what the person typed, the bot's own mention removed.

    ``<@U1|mina>`` → ``@mina``, ``<#C1|general>`` → ``#general``, ``<!here>`` →
    ``@here``, ``<https://x|label>`` → ``label`` (``label (https://x)`` with
    ``show_urls``, so a labelled link cannot hide where it goes);
    ``&amp;``/``&lt;``/``&gt;`` unescaped last.
    """

    def one(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return ""
            return f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            if label:
                return label
            return "@" + target[1:].split("^")[0]
        if show_urls and label and label != target and "://" in target:
            return f"{label} ({target})"
        return label or target

    out = _MARKUP.sub(one, text)
    out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = (_SPACES.sub(" ", line).strip() for line in out.splitlines())
    return "\n".join(lines).strip()


def is_dm(channel: str, *, channel_type: str | None = None) -> bool:
    """Whether a channel is a direct message with the bot (IM ids start with ``D``)."""
    return channel_type == "im" if channel_type else channel.startswith("D")


def from_bot(message: Mapping[str, Any], *, bot_user_id: str | None = None) -> bool:
    """Whether a message was written by a bot (this one or another)."""
    return bool(
        message.get("bot_id")
        or message.get("subtype") == "bot_message"
        or message.get("bot_profile")
        or (bot_user_id and message.get("user") == bot_user_id)
    )


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _at(ts: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def _file_kind(files: Any) -> str:
    mimetype = ""
    if isinstance(files, list) and files and isinstance(files[0], Mapping):
        mimetype = str(files[0].get("mimetype") or "")
    for prefix, kind in (("image/", "photo"), ("video/", "video"), ("audio/", "audio")):
        if mimetype.startswith(prefix):
            return kind
    return "file"


def to_inbound(event: Mapping[str, Any], *, bot_user_id: str | None = None) -> Inbound | None:
    """An Events API ``event`` → a customer turn, or None if it is not one."""
    kind = event.get("type")
    channel = str(event.get("channel") or "")
    if not channel or from_bot(event, bot_user_id=bot_user_id):
        return None
    if kind == "app_mention":
        if is_dm(channel, channel_type=event.get("channel_type")):
            return None
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        return _message(event, ConversationKey(PLATFORM, channel, thread), bot_user_id)
    if kind != "message" or not is_dm(channel, channel_type=event.get("channel_type")):
        return None
    subtype = str(event.get("subtype") or "")
    if subtype not in CUSTOMER_SUBTYPES:
        return None
    key = ConversationKey(PLATFORM, channel)
    if subtype != "message_changed":
        return _message(event, key, bot_user_id)
    edited, before = event.get("message"), event.get("previous_message")
    if not isinstance(edited, Mapping) or from_bot(edited, bot_user_id=bot_user_id):
        return None
    old = before.get("text") if isinstance(before, Mapping) else None
    if edited.get("text") == old or not edited.get("user"):
        return None
    inbound = _message(edited, key, bot_user_id)
    if inbound is None:
        return None
    return Inbound(
        key=key,
        user=inbound.user,
        text=inbound.text,
        at=_at(event.get("event_ts") or event.get("ts")),
        message_id=inbound.message_id,
        kind="edit" if inbound.kind == "text" else inbound.kind,
    )


def _message(
    message: Mapping[str, Any], key: ConversationKey, bot_user_id: str | None
) -> Inbound | None:
    user = message.get("user")
    if not isinstance(user, str) or not user:
        return None
    text = plain_text(str(message.get("text") or ""), bot_user_id=bot_user_id)
    files = message.get("files")
    kind = "text" if text or not files else _file_kind(files)
    return Inbound(
        key=key,
        user=user,
        text=text,
        at=_at(message.get("ts")),
        message_id=str(message.get("ts") or "") or None,
        kind=kind,
    )


def block_action_to_inbound(body: Mapping[str, Any]) -> Inbound | None:
    """A ``block_actions`` payload for one of our buttons → a button turn, or None."""
    actions = body.get("actions")
    if body.get("type") != "block_actions" or not isinstance(actions, list) or not actions:
        return None
    action = actions[0]
    if not isinstance(action, Mapping) or not ACTION_PATTERN.match(str(action.get("action_id"))):
        return None
    value = action.get("value")
    user, channel_obj = _obj(body.get("user")), _obj(body.get("channel"))
    container, msg = _obj(body.get("container")), _obj(body.get("message"))
    user_id = str(user.get("id") or "")
    channel = str(channel_obj.get("id") or container.get("channel_id") or "")
    if not isinstance(value, str) or not user_id or not channel:
        return None
    if is_dm(channel) or channel_obj.get("name") == "directmessage":
        key = ConversationKey(PLATFORM, channel)
    else:
        thread = msg.get("thread_ts") or container.get("thread_ts") or msg.get("ts")
        key = ConversationKey(PLATFORM, channel, str(thread or container.get("message_ts") or ""))
    return Inbound(
        key=key,
        user=user_id,
        button=value,
        handle=str(user.get("username") or "") or None,
        at=_at(action.get("action_ts")),
        message_id=str(action.get("action_ts") or "") or None,
        kind="button",
    )


def reply_target(key: ConversationKey) -> tuple[str, str | None]:
    """Where replies of a conversation go: its channel, and its thread (None in a DM)."""
    return key.chat, key.thread or None


def display_name(user: Mapping[str, Any]) -> str | None:
    """The name a person shows in Slack (``users.info`` ``user``), best first."""
    profile = _obj(user.get("profile"))
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
