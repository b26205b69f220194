"""The Slack channel end to end: real slack-bolt/slack_sdk over real HTTP and WebSocket.

Only Slack is fake (``tests/e2e/slack_api.py`` on 127.0.0.1); the engine,
content, NLU and store are the real ones. Most tests run twice: over Socket
Mode (envelopes on a WebSocket, acked by ``envelope_id``) and over the HTTP
Events API (signed POSTs).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App, build_app
from bot.channels.slack import EVENTS_PATH, SlackChannel, serve_slack
from bot.channels.slack_blocks import message
from bot.errors import ConfigError
from bot.models import Action, Button, Inbound
from bot.responses import Renderer
from tests.e2e.slack_api import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    Call,
    FakeSlack,
    block_actions,
    dm,
    event_body,
    event_request,
    interactive_request,
    mention,
    sign,
)
from tests.e2e.slack_bot import slack_settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]

#: Slack's deadline for acknowledging a request.
ACK_DEADLINE = 3.0


class PreferName(random.Random):
    """Picks the first variant that uses ``{name}``: greetings become predictable."""

    def choice(self, seq: Sequence[Any]) -> Any:  # type: ignore[override]
        return next((v for v in seq if "{name}" in str(v)), seq[0])


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.add_user("U0MINA", "Mina", real_name="Mina Park")
        slack.add_user("U0JUN", "준호", real_name="김준호")
        slack.add_user("U0YUKI", "ゆき", real_name="佐藤ゆき")
        yield slack


async def make_app(tmp_path: Path, fake: FakeSlack, **overrides: Any) -> App:
    settings = slack_settings(fake, f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}", **overrides)
    app = await build_app(settings)
    app.engine.renderer = Renderer(app.content.templates, rng=PreferName())
    return app


class Slack:
    """Plays Slack's part: delivers events and button presses over one transport."""

    def __init__(
        self,
        mode: str,
        fake: FakeSlack,
        app: App,
        channel: SlackChannel,
        http: aiohttp.ClientSession,
    ) -> None:
        self.mode, self.fake, self.app, self.channel, self.http = mode, fake, app, channel, http

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.channel.http_port}{EVENTS_PATH}"

    async def send(self, event: dict[str, Any], *, event_id: str = "", retry: int = 0) -> str:
        """Deliver an event; returns its ``event_id`` once Slack's request was acknowledged."""
        body = event_body(event, event_id=event_id)
        if self.mode == "socket":
            started = time.monotonic()
            envelope = await self.fake.send_envelope("events_api", body, retry_attempt=retry)
            await self.fake.wait_ack(envelope)
            assert time.monotonic() - started < ACK_DEADLINE
        else:
            data, headers = event_request(body, retry=retry)
            status = await self.post(data, headers)
            assert status == 200
        return str(body["event_id"])

    async def press(self, post: Call, button: str | int, *, user: str = "U0MINA") -> None:
        """Press a button of a posted message, as the customer would."""
        payload = block_actions(post, button, user=user, response_url=self.fake.response_url())
        if self.mode == "socket":
            envelope = await self.fake.send_envelope("interactive", payload)
            await self.fake.wait_ack(envelope)
        else:
            data, headers = interactive_request(payload)
            assert await self.post(data, headers) == 200

    async def post(self, data: str, headers: dict[str, str], **signing: Any) -> int:
        started = time.monotonic()
        headers = {**headers, **sign(data, **signing)}
        async with self.http.post(self.url, data=data, headers=headers) as response:
            await response.read()
        assert time.monotonic() - started < ACK_DEADLINE
        return response.status

    async def say(self, event: dict[str, Any], **options: Any) -> list[Call]:
        """Deliver an event and return every message the bot posted for that turn."""
        before = len(self.fake.posts)
        await self.send(event, **options)
        return await self._turn(before)

    async def click(self, post: Call, button: str | int) -> list[Call]:
        """Press a button and return every message the bot posted for that turn."""
        before = len(self.fake.posts)
        await self.press(post, button)
        return await self._turn(before)

    async def _turn(self, before: int) -> list[Call]:
        await self.fake.wait_for("chat.postMessage", before + 1)
        await self.settle()
        return self.fake.posts[before:]

    async def settle(self) -> None:
        """Let every turn in progress finish."""
        await asyncio.sleep(0.05)
        await self.channel.drain()


async def open_slack(
    mode: str, fake: FakeSlack, app: App
) -> tuple[Slack, SlackChannel, aiohttp.ClientSession]:
    channel = SlackChannel.from_settings(app.engine, app.settings)
    await channel.start(http_port=0 if mode == "http" else None)
    if mode == "socket":
        await fake.wait_connected()
    http = aiohttp.ClientSession()
    return Slack(mode, fake, app, channel, http), channel, http


@pytest.fixture
async def app(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[App]:
    app = await make_app(tmp_path, fake)
    yield app
    await app.close()


@pytest.fixture(params=["socket", "http"])
async def slack(request: pytest.FixtureRequest, fake: FakeSlack, app: App) -> AsyncIterator[Slack]:
    driver, channel, http = await open_slack(request.param, fake, app)
    yield driver
    await http.close()
    await channel.stop()


@pytest.fixture
async def http_slack(fake: FakeSlack, app: App) -> AsyncIterator[Slack]:
    driver, channel, http = await open_slack("http", fake, app)
    yield driver
    await http.close()
    await channel.stop()


def said(post: Call) -> str:
    """What the customer reads: the sections' text, Slack escaping undone."""
    texts = [b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section"]
    text = "\n".join(texts)
    text = re.sub(r"<(https?://[^|>]+)>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_message(text: str, *payloads: str) -> list[dict[str, Any]]:
    """The blocks the bot posts for ``text`` with buttons carrying ``payloads``."""
    blocks = message(text, [Button(p, p) for p in payloads])
    assert blocks is not None
    return list(blocks["blocks"])


def buttons(post: Call) -> list[str]:
    return [
        e["value"] for b in post.args["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def render(app: App, template: str, lang: str, name: str | None = None) -> str:
    """What the bot says for ``template`` (deterministic with :class:`PreferName`)."""
    company = app.engine.renderer.render("company_name", lang)
    return app.engine.renderer.render(template, lang, name=name, company=company)


# turns -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "text", "lang", "name"),
    [
        ("U0MINA", "hello", "en", "Mina"),
        ("U0JUN", "안녕하세요", "ko", "준호"),
        ("U0YUKI", "こんにちは", "ja", "ゆき"),
    ],
)
async def test_greeting_in_each_language_uses_the_slack_display_name(
    slack: Slack, app: App, user: str, text: str, lang: str, name: str
) -> None:
    [post, *_] = await slack.say(dm(text, user=user, channel=f"D{user}"))
    assert post.args["channel"] == f"D{user}" and "thread_ts" not in post.args
    assert said(post) == render(app, "greet", lang, name)
    assert name in said(post)
    assert slack.fake.counts["users.info"] == 1
    conv = await app.engine.conversation(f"slack:D{user}")
    assert conv is not None and conv.language == lang


async def test_display_names_are_cached(slack: Slack) -> None:
    await slack.say(dm("hello"))
    await slack.say(dm("how long does delivery take?"))
    assert slack.fake.counts["users.info"] == 1
    # someone users.info doesn't know is greeted without a name, and not looked up again
    [hello, *_] = await slack.say(dm("hello", user="U0GHOST", channel="D0GHOST"))
    assert said(hello) == render(slack.app, "greet", "en")
    await slack.say(dm("how long does delivery take?", user="U0GHOST", channel="D0GHOST"))
    assert slack.fake.counts["users.info"] == 2


async def test_faq_question_gets_the_faq_answer(slack: Slack, app: App) -> None:
    [post, *_] = await slack.say(dm("How long does delivery take?"))
    answers = {entry.answer["en"] for entry in app.content.faq.values()}
    assert said(post) in answers
    assert post.args["blocks"][0]["text"]["verbatim"] is True


async def test_mention_in_a_channel_is_answered_in_its_thread(slack: Slack, app: App) -> None:
    event = mention("hello")
    [post] = await slack.say(event)
    assert post.args["channel"] == "C0GENERAL"
    assert post.args["thread_ts"] == event["ts"]
    assert said(post) == render(app, "greet", "en", "Mina")
    posts = await slack.say(mention("how long does delivery take?", thread_ts=event["ts"]))
    assert {(p.args["channel"], p.args["thread_ts"]) for p in posts} == {("C0GENERAL", event["ts"])}
    conv = await app.engine.conversation(f"slack:C0GENERAL:{event['ts']}")
    assert conv is not None


async def test_a_file_without_text_gets_the_non_text_reply(slack: Slack, app: App) -> None:
    files = [{"id": "F1", "name": "receipt.png", "mimetype": "image/png", "filetype": "png"}]
    [post] = await slack.say(dm("", subtype="file_share", files=files))
    assert said(post) == render(app, "non_text", "en", "Mina")


async def test_an_edited_question_is_answered_again(slack: Slack, app: App) -> None:
    first = dm("how long does dlivery tak")
    await slack.say(first)
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": first["channel"],
        "channel_type": "im",
        "hidden": True,
        "message": {**first, "text": "How long does delivery take?", "edited": {"user": "U0MINA"}},
        "previous_message": first,
        "event_ts": f"{time.time():.6f}",
        "ts": f"{time.time():.6f}",
    }
    [post, *_] = await slack.say(edit)
    assert said(post) in {entry.answer["en"] for entry in app.content.faq.values()}


async def test_own_and_other_bots_messages_are_ignored(slack: Slack) -> None:
    await slack.send(dm("I am the bot", user=BOT_USER, bot_id=BOT_ID))
    await slack.send(dm("beep", user="U0OTHERBOT", bot_id="B0OTHER", subtype="bot_message"))
    [_] = await slack.say(dm("hello"))
    assert len(slack.fake.posts) == 1
    assert slack.channel.stats["turn"] == 1


# buttons -----------------------------------------------------------------------------------


async def test_a_clarifying_question_is_answered_by_pressing_a_button(
    tmp_path: Path, fake: FakeSlack
) -> None:
    # Nothing is confident enough to answer outright, so every FAQ question is clarified.
    app = await make_app(tmp_path, fake, answer_threshold=1.01, clarify_threshold=0.0)
    for mode in ("socket", "http"):
        driver, channel, http = await open_slack(mode, fake, app)
        try:
            [question] = await driver.say(dm("How long does delivery take?", channel=f"D{mode}"))
            choices = [b for b in buttons(question) if b.startswith("faq:")]
            assert choices, question.args
            assert said(question) == render(app, "clarify", "en", "Mina")
            pressed = len(fake.responses)
            [answer, *_] = await driver.click(question, choices[0])
            assert said(answer) == app.content.faq[choices[0].removeprefix("faq:")].answer["en"]
            # The pressed message loses its buttons and shows the choice.
            response = (await fake.wait_responses(pressed + 1))[-1]
            assert response.args["replace_original"] is True
            kinds = [b["type"] for b in response.args["blocks"]]
            assert "actions" not in kinds and kinds[-1] == "context"
        finally:
            await http.close()
            await channel.stop()
    await app.close()


async def test_feedback_buttons(slack: Slack, app: App) -> None:
    await slack.say(dm("How long does delivery take?"))
    posts = await slack.say(dm("thank you!"))
    offers = [p for p in posts if any(b.startswith("offer:") for b in buttons(p))]
    if offers:  # the rating waits until the customer has answered an offer
        [decline] = [b for b in buttons(offers[0]) if b.startswith("offer:no:")]
        posts = await slack.click(offers[0], decline)
    [ask] = [p for p in posts if any(b.startswith("feedback:") for b in buttons(p))]
    assert said(ask) == render(app, "feedback_ask", "en", "Mina")
    assert buttons(ask) == [f"feedback:{n}" for n in range(1, 6)]
    [thanks, *_] = await slack.click(ask, "feedback:5")
    assert said(thanks) == render(app, "feedback_thanks", "en", "Mina")
    response = slack.fake.responses[-1]  # sent before the turn ran
    assert response.args["blocks"][-1]["elements"][0]["text"] == "✓ ⭐⭐⭐⭐⭐"


# delivery guarantees -------------------------------------------------------------------------


async def test_a_slack_retry_of_the_same_event_is_answered_once(slack: Slack) -> None:
    event = dm("hello")
    event_id = await slack.send(event)
    await slack.send(event, event_id=event_id, retry=1)
    await slack.fake.wait_for("chat.postMessage")
    await slack.settle()
    assert slack.channel.stats["duplicate"] == 1
    assert slack.channel.stats["turn"] == 1
    assert len(slack.fake.posts) == 1


async def test_a_429_is_retried_after_retry_after_and_delivered_once(
    slack: Slack, app: App
) -> None:
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    [post] = await slack.say(dm("hello"))
    [limited, delivered] = slack.fake.called("chat.postMessage", ok=False)
    assert limited.status == 429 and delivered is post
    assert delivered.at - limited.at >= 0.95
    assert limited.args == delivered.args
    await slack.settle()
    assert len(slack.fake.posts) == 1 and slack.channel.stats["sent"] == 1


async def test_a_reply_that_keeps_failing_is_logged_not_dropped_silently(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.fail_next(
        "chat.postMessage", status=500, error="fatal_error", retry_after=0, times=5
    )
    await slack.send(dm("hello"))
    for _ in range(100):
        if slack.channel.stats["dead"]:
            break
        await asyncio.sleep(0.1)
    assert slack.channel.stats["dead"] == 1
    assert "could not be delivered after 5 tries (dead letter" in caplog.text
    [letter] = await slack.channel.turns.dead_letters()
    assert letter["conv_key"] == "slack:D0MINA" and letter["tries"] == 5


async def test_a_bad_signature_and_a_stale_timestamp_are_rejected(http_slack: Slack) -> None:
    data, headers = event_request(event_body(dm("hello")))
    assert await http_slack.post(data, headers, secret="not-the-secret") == 401
    stale = int(time.time()) - 6 * 60
    assert await http_slack.post(data, headers, timestamp=stale) == 401
    async with http_slack.http.post(http_slack.url, data=data, headers=headers) as unsigned:
        assert unsigned.status == 401
    await http_slack.settle()
    assert http_slack.fake.posts == [] and http_slack.channel.stats["turn"] == 0


async def test_a_tampered_body_or_a_bad_timestamp_never_becomes_a_turn(
    http_slack: Slack,
) -> None:
    signed, headers = event_request(event_body(dm("hello")))
    tampered = signed.replace("hello", "<!channel> pay here")
    # signed for another body
    headers_for_other = {**headers, **sign(signed)}
    async with http_slack.http.post(
        http_slack.url, data=tampered, headers=headers_for_other
    ) as response:
        assert response.status == 401
    future = int(time.time()) + 6 * 60
    assert await http_slack.post(signed, headers, timestamp=future) == 401
    for bad in ({"X-Slack-Request-Timestamp": "soon"}, {"X-Slack-Signature": ""}):
        spoiled = {**headers, **sign(signed), **bad}
        async with http_slack.http.post(http_slack.url, data=signed, headers=spoiled) as response:
            assert response.status == 401
    await http_slack.settle()
    assert http_slack.fake.posts == [] and http_slack.channel.stats["turn"] == 0


async def test_a_button_press_with_a_bad_signature_is_rejected(http_slack: Slack) -> None:
    shown = Call(
        "chat.postMessage",
        {"channel": "D0MINA", "ts": "1.000001", "blocks": render_message("Rate us", "1")},
        {},
    )
    payload = block_actions(shown, 0, response_url=http_slack.fake.response_url())
    data, headers = interactive_request(payload)
    assert await http_slack.post(data, headers, secret="guessed") == 401
    await http_slack.settle()
    assert http_slack.fake.posts == [] and http_slack.fake.responses == []
    assert http_slack.channel.stats["turn"] == 0


async def test_url_verification_is_answered(http_slack: Slack) -> None:
    data = '{"token": "t", "challenge": "c-123", "type": "url_verification"}'
    async with http_slack.http.post(
        http_slack.url, data=data, headers={"Content-Type": "application/json", **sign(data)}
    ) as response:
        assert response.status == 200
        assert "c-123" in await response.text()


async def test_socket_mode_reconnects_when_slack_asks(fake: FakeSlack, app: App) -> None:
    driver, channel, http = await open_slack("socket", fake, app)
    try:
        await fake.disconnect()
        for _ in range(100):
            if fake.connections == 2 and fake.open_sockets == 1:
                break
            await asyncio.sleep(0.05)
        assert (fake.connections, fake.open_sockets) == (2, 1)
        assert fake.counts["apps.connections.open"] == 2
        assert await driver.say(dm("hello"))
    finally:
        await http.close()
        await channel.stop()


# serve_slack, as `frontdesk run slack` calls it ------------------------------------------------


async def test_serve_slack_serves_until_cancelled(fake: FakeSlack, app: App) -> None:
    task = asyncio.create_task(serve_slack(app, app.settings, http_port=None, host="127.0.0.1"))
    try:
        await fake.wait_connected()
        await fake.wait_ack(await fake.send_envelope("events_api", event_body(dm("hello"))))
        await fake.wait_for("chat.postMessage")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_rejected_tokens_are_named(fake: FakeSlack, app: App) -> None:
    wrong_bot = SlackChannel(app.engine, bot_token="xoxb-wrong", api_base_url=fake.base_url)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN was rejected by Slack: invalid_auth"):
        await wrong_bot.start()
    wrong_app = SlackChannel(
        app.engine, bot_token=BOT_TOKEN, app_token="xapp-wrong", api_base_url=fake.base_url
    )
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN was rejected by Slack: invalid_auth"):
        await wrong_app.start()
    no_secret = SlackChannel(app.engine, bot_token=BOT_TOKEN, api_base_url=fake.base_url)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is missing"):
        await no_secret.start(http_port=0)


# the 3-second rule and failures inside the bot ------------------------------------------------


async def test_requests_are_acknowledged_before_a_slow_turn_finishes(
    slack: Slack, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = app.engine.handle

    async def slow(inbound: Inbound, **options: Any) -> list[Action]:
        await asyncio.sleep(1.0)
        return await handle(inbound, **options)

    monkeypatch.setattr(app.engine, "handle", slow)
    started = time.monotonic()
    await slack.send(dm("hello"))
    assert time.monotonic() - started < 0.5
    assert slack.fake.posts == []
    await slack.fake.wait_for("chat.postMessage")
    assert time.monotonic() - started >= 1.0


async def test_a_failing_turn_gets_a_polite_apology_in_the_customers_language(
    slack: Slack, app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(inbound: Inbound, **options: Any) -> list[Action]:
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(app.engine, "handle", broken)
    [post] = await slack.say(dm("배송은 얼마나 걸리나요?"))
    assert said(post) == render(app, "error", "ko")
    assert "the turn of slack:D0MINA failed (try 3 of 3)" in caplog.text
    assert "the database is on fire" in caplog.text
    # and the channel keeps serving
    monkeypatch.undo()
    assert await slack.say(dm("hello"))
