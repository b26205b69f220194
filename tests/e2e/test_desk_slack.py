"""The agents' desk in a Slack channel, end to end on the fake Slack (Socket Mode).

A customer in a DM is handed off; the note is posted in the desk channel with
Claim; claiming updates the note in place; the customer's messages come into
the note's thread and the agent's thread replies go to the customer; ``//``
notes and channel chatter never leak; Resolve thanks the customer and asks
for feedback.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.slack import serve_slack
from bot.handoff.settings import DeskSettings
from tests.e2e.slack_api import Call, FakeSlack, block_actions, dm
from tests.e2e.slack_bot import (
    DESK,
    in_thread,
    posts_to,
    send,
    slack_settings,
    ticket_ts,
    wait_posts,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]


@asynccontextmanager
async def serving(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[App]:
    settings = slack_settings(fake, f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}")
    app = await build_app(settings)
    assert app.desk is not None
    where = DeskSettings(platform="slack", channel=DESK)
    app.desk.settings = dataclasses.replace(app.desk.settings, desk=where)
    task = asyncio.create_task(serve_slack(app, settings, http_port=None, host="127.0.0.1"))
    try:
        await fake.wait_connected()
        yield app
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await app.close()


async def press(fake: FakeSlack, post: Call, index: int, user: str) -> None:
    payload = block_actions(post, index, user=user, response_url=fake.response_url())
    await fake.wait_ack(await fake.send_envelope("interactive", payload))


async def test_claim_relay_reply_note_and_resolve_from_a_slack_channel(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.add_user("U0MINA", "Mina")
        fake.add_user("U0SORA", "Sora")
        fake.add_user("U0BO", "Bo")
        async with serving(tmp_path, fake) as app:
            await send(fake, dm("can I speak to a human"))
            (note,) = await wait_posts(fake, DESK, 1)
            assert note.args["text"].startswith("🎫 Ticket T1")
            told = await wait_posts(fake, "D0MINA", 2)
            assert "expected wait" in told[1].args["text"]
            note_ts = await ticket_ts(app)

            await send(fake, dm("my order #777 is late"))
            relayed = (await wait_posts(fake, DESK, 2))[1]
            assert relayed.args["thread_ts"] == note_ts
            assert relayed.args["text"] == "👤 my order #777 is late"

            await press(fake, note, 0, "U0SORA")
            joined = (await wait_posts(fake, "D0MINA", 3))[2]
            assert "Sora" in joined.args["text"]
            (update,) = await fake.wait_for("chat.update")
            assert update.args["ts"] == note_ts
            assert "claimed by Sora" in str(update.args["blocks"])

            await press(fake, note, 0, "U0BO")  # the old Claim button, pressed late
            (told_bo,) = await fake.wait_for("chat.postEphemeral")
            assert "already claimed" in told_bo.args["text"] and told_bo.args["user"] == "U0BO"

            await send(fake, in_thread("// checking the warehouse", note_ts))
            await send(fake, {**in_thread("lunch anyone?", note_ts), "thread_ts": None})
            await send(fake, in_thread("Hi Mina, it ships today.", note_ts))
            sent = (await wait_posts(fake, "D0MINA", 4))[3]
            assert sent.args["text"] == "Hi Mina, it ships today."

            await press(fake, update, 1, "U0SORA")  # Resolve on the updated note
            resolved = (await wait_posts(fake, "D0MINA", 5))[4]
            assert "resolved" in resolved.args["text"]
            updates = await fake.wait_for("chat.update", 2)
            assert "T1 resolved by Sora" in str(updates[1].args["blocks"])
            await asyncio.sleep(0.1)
            assert len(posts_to(fake, "D0MINA")) == 5  # nothing else leaked


async def test_a_chat_ended_for_abuse_shows_a_marked_notice_in_the_desk(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.add_user("U0MINA", "Mina")
        async with serving(tmp_path, fake):
            await send(fake, dm("you stupid bot"))
            await wait_posts(fake, "D0MINA", 1)
            assert posts_to(fake, DESK) == []
            await send(fake, dm("fuck off"))
            (notice,) = await wait_posts(fake, DESK, 1)
            assert notice.args["text"].startswith("⚠ abuse") and "Mina" in notice.args["text"]
            assert "thread_ts" not in notice.args
            assert {b["text"]["type"] for b in notice.args["blocks"]} == {"plain_text"}


async def test_markup_from_a_customer_or_an_agent_never_pings_or_hides_a_link(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as fake:
        fake.add_user("U0MINA", "<!channel> Mina")
        fake.add_user("U0SORA", "Sora")
        async with serving(tmp_path, fake) as app:
            await send(fake, dm("can I speak to a human"))
            (note,) = await wait_posts(fake, DESK, 1)
            # Slack sends what the customer typed literally as &lt;…&gt;
            await send(fake, dm("&lt;!here&gt; &lt;@U0BOSS&gt; &lt;http://evil|bank.com&gt;"))
            relayed = (await wait_posts(fake, DESK, 2))[1]
            for post in (note, relayed):
                assert "<!" not in post.args["text"] and "<@" not in post.args["text"]
                assert all(b["text"]["type"] == "plain_text" for b in post.args["blocks"][:1])
            assert relayed.args["blocks"][0]["text"]["text"] == (
                "👤 <!here> <@U0BOSS> <http://evil|bank.com>"
            )
            assert "<!channel> Mina" in note.args["blocks"][0]["text"]["text"]

            await press(fake, note, 0, "U0SORA")
            await wait_posts(fake, "D0MINA", 3)
            ts = await ticket_ts(app)
            await send(fake, in_thread("Log in at <https://evil.example/x|bank.com> <!here>", ts))
            sent = (await wait_posts(fake, "D0MINA", 4))[3]
            shown = sent.args["blocks"][0]["text"]["text"]
            assert "bank.com (<https://evil.example/x>)" in shown
            assert "|bank.com>" not in shown and "<!here>" not in shown


async def test_a_press_from_outside_the_desk_channel_is_refused_privately(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as fake:
        for user, name in (("U0MINA", "Mina"), ("U0SORA", "Sora"), ("U0EVE", "Eve")):
            fake.add_user(user, name)
        fake.add_user("U0BO", "Bo")
        fake.outsiders[DESK] = {"U0EVE"}  # in the workspace, previewing the public channel
        async with serving(tmp_path, fake) as app:
            assert app.desk is not None
            where = DeskSettings(platform="slack", channel=DESK, agents=("U0SORA", "U0EVE"))
            app.desk.settings = dataclasses.replace(app.desk.settings, desk=where)
            await send(fake, dm("can I speak to a human"))
            (note,) = await wait_posts(fake, DESK, 1)
            await wait_posts(fake, "D0MINA", 2)
            before = len(fake.responses)
            await press(fake, note, 0, "U0EVE")  # on the list, not in the channel
            refusal = (await fake.wait_responses(before + 1))[-1]
            assert refusal.args["response_type"] == "ephemeral"
            assert "only members of the agents' desk channel" in refusal.args["text"]
            await press(fake, note, 0, "U0BO")  # in the channel, not on the list
            (told_bo,) = await fake.wait_for("chat.postEphemeral")
            assert "not a member" in told_bo.args["text"] and told_bo.args["user"] == "U0BO"
            ticket = await app.desk.repository.get(1)
            assert ticket is not None and ticket.status == "queued"
            assert fake.called("chat.update") == [] and len(posts_to(fake, "D0MINA")) == 2

            await press(fake, note, 0, "U0SORA")
            joined = (await wait_posts(fake, "D0MINA", 3))[2]
            assert "Sora" in joined.args["text"]
            members = fake.called("conversations.members")
            assert len(members) >= 2  # every page read (two per page in the fake)
