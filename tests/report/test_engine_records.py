"""The report reads what the real engine records (not only what the seed writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.encoder import UseEncoder
from bot.report.collect import collect
from bot.report.metrics import ALL
from bot.report.period import Period
from tests.harness import Chat, start_app
from tests.unit.contentkit import make_content


@pytest.mark.slow  # trains the NLU on a content folder: seconds, not milliseconds
async def test_a_real_conversation_shows_up_in_the_report(
    tmp_path: Path, encoder: UseEncoder
) -> None:
    app = await start_app(tmp_path, make_content(tmp_path / "content"))
    try:
        chat = Chat(app, user="mina", name="Mina")
        await chat.say("hello")
        await chat.say("How long does delivery take?")
        await chat.say("delivery or return?")  # close to two entries: a clarifying question
        await chat.say("zxqv plorth")  # nothing fits: fallback, and a ticket
        understood = [(m.intent, m.faq_id) for m in await chat.recorded() if m.direction == "in"]
        report = await collect(app.store.engine, Period(), encoder=encoder)
    finally:
        await app.close()

    assert understood == [
        ("greet", None), ("faq", "shipping-time"), ("clarify", None), ("fallback", None),
    ]  # fmt: skip
    assert report.conversations[ALL] == 1
    assert report.conversations[("channel", "test")] == 1
    a = report.answering[ALL]
    assert (a.questions, a.answered, a.clarified, a.unanswered) == (3, 1, 1, 1)
    assert report.top_faq == [("shipping-time", 1)]
    [group] = report.unanswered
    assert group.representative == "zxqv plorth"
    assert report.timings[ALL].bot_reply.n == 4
    assert report.handoffs[ALL].by_trigger == {"no_answer": 1}
