"""Human handoff through whole turns: triggers, the note, the desk, timeouts, a restart."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.jsonl import AgentCommand
from bot.handoff import Desk
from bot.handoff.commands import jsonl_agent
from bot.handoff.settings import BusinessHours, DeskSettings
from bot.models import Flag, Offer, Relay, Reply, State
from tests.harness import Chat, start_app

HUMAN = {"en": "can I speak to a human", "ko": "상담원 연결해 주세요", "ja": "担当者をお願いします"}
CONNECTING = {"en": "expected wait", "ko": "예상 대기 시간", "ja": "待ち時間の目安"}


def desk_of(app: App) -> Desk:
    assert app.desk is not None
    return app.desk


def configure(app: App, **changes: object) -> Desk:
    desk = desk_of(app)
    desk.settings = dataclasses.replace(desk.settings, **changes)  # type: ignore[arg-type]
    return desk


async def hand_off(chat: Chat, text: str = HUMAN["en"]) -> str:
    await chat.say(text)
    assert len(chat.handoffs) == 1, chat.last
    return chat.handoffs[0].ticket


async def first_note(app: App) -> str:
    """The note of the first ticket (whichever turn opened it)."""
    ticket = await desk_of(app).repository.get(1)
    assert ticket is not None
    return ticket.note


def relays(chat: Chat) -> list[Relay]:
    return [a for a in chat.last if isinstance(a, Relay)]


async def status(app: App, chat: Chat) -> State:
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None
    return conv.status


# triggers -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko", "ja"])
async def test_asking_for_a_person_opens_a_ticket_and_tells_the_wait(
    app: App, chat: Chat, lang: str
) -> None:
    code = await hand_off(chat, HUMAN[lang])
    assert code == "T1"
    handoff = chat.handoffs[0]
    assert handoff.reason == "customer_request"
    assert "T1" in handoff.summary and HUMAN[lang] in handoff.summary
    assert CONNECTING[lang] in chat.text
    assert await status(app, chat) is State.WITH_AGENT


async def test_no_answer_hands_off(app: App, chat: Chat) -> None:
    await chat.say("xyzzy plugh frobnicate quux")
    assert [h.reason for h in chat.handoffs] == ["no_answer"]
    assert chat.handoffs[0].ticket.startswith("T")


async def test_an_faq_marked_for_a_person_hands_off(app: App, chat: Chat) -> None:
    await chat.press("faq:damaged-item")
    assert [h.reason for h in chat.handoffs] == ["faq:damaged-item"]
    assert "damaged-item" in chat.handoffs[0].summary  # what the bot tried


async def test_rising_frustration_hands_off(app: App, chat: Chat) -> None:
    await chat.say("It still hasn't arrived, this is ridiculous!!")
    await chat.say("Seriously? I've waited two weeks, useless")
    assert [h.reason for h in chat.handoffs] == ["frustration"]
    assert "Mood: " in chat.handoffs[0].summary


async def test_a_threat_is_an_urgent_ticket_marked_at_the_top(app: App, chat: Chat) -> None:
    await chat.say("I will sue you, see you in court")
    (handoff,) = chat.handoffs
    assert handoff.priority == "urgent"
    assert handoff.summary.startswith("🚨")
    assert any(isinstance(a, Flag) for a in chat.last)


async def test_one_ticket_per_turn_and_no_offer_at_a_handoff(app: App, chat: Chat) -> None:
    await chat.say(HUMAN["en"])
    assert len(chat.handoffs) == 1
    assert not any(isinstance(a, Offer) for a in chat.last)


# the note --------------------------------------------------------------------------------


async def test_note_in_korean_with_facts_and_the_customers_words(app: App) -> None:
    configure(app, desk=DeskSettings(language="ko"))
    chat = Chat(app, user="jimin", name="지민")
    await chat.say("주문번호 12345 책이 아직 안 왔어요. 연락처는 010-1234-5678 입니다")
    await chat.say(HUMAN["ko"])
    note = await first_note(app)
    assert "티켓 T1" in note and "고객: 지민" in note and "사유: " in note
    assert "12345" in note and "010-1234-5678" in note
    assert "“주문번호 12345 책이 아직 안 왔어요.”" in note


async def test_note_in_japanese_with_facts(app: App) -> None:
    configure(app, desk=DeskSettings(language="ja"))
    chat = Chat(app, user="taro", name="太郎")
    await chat.say("注文番号 98765 の本がまだ届きません。メールは taro@example.jp です。")
    await chat.say(HUMAN["ja"])
    note = await first_note(app)
    assert "チケット T1" in note and "お客様: 太郎" in note and "理由: " in note
    assert "98765" in note and "taro@example.jp" in note
    assert "“注文番号 98765 の本がまだ届きません。”" in note


async def test_note_in_english_shows_who_why_facts_tried_mood_wait(app: App, chat: Chat) -> None:
    await chat.say("How long does delivery take?")
    await chat.say("My order #55501 for $42.50 was due on 2026-11-20 and never came.")
    note = await first_note(app)
    for part in ("Who: Mina", "Why now: ", "order 55501", "$42.50"):
        assert part in note
    assert "2026-11-20" in note
    assert "Bot tried: " in note and "shipping" in note.split("Bot tried: ")[1]
    assert "Mood: " in note and "Waiting: " in note and "//" in note


# the desk --------------------------------------------------------------------------------


async def test_claim_relay_both_ways_resolve_and_feedback(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    await chat.say("how long does delivery take?")
    assert [r.text for r in relays(chat)] == ["how long does delivery take?"]
    assert not any(isinstance(a, Reply) for a in chat.last)  # the bot stays quiet

    claimed = await desk.act("a1", code, "claim", name="Sora")
    assert not claimed.error
    assert "Sora" in claimed.customer[0].text  # type: ignore[union-attr]

    sent = await desk.act("a1", code, "reply", "Hi Mina, I'm checking your parcel now.")
    assert [a.text for a in sent.customer] == ["Hi Mina, I'm checking your parcel now."]  # type: ignore[union-attr]
    await chat.say("thank you!")
    assert [r.text for r in relays(chat)] == ["thank you!"]

    resolved = await desk.act("a1", code, "resolve")
    (reply, *rest) = resolved.customer
    assert isinstance(reply, Reply) and "resolved" in reply.text
    assert [b.payload for b in reply.buttons] == [f"feedback:{n}" for n in range(1, 6)]
    assert all(isinstance(a, Offer) for a in rest)
    assert await status(app, chat) is State.ACTIVE
    await chat.press("feedback:5")
    assert chat.text and not relays(chat)
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None
    assert await app.store.feedback(conv.id) == [5]


async def test_internal_notes_are_never_sent(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    await desk.act("a1", code, "claim")
    outcome = await desk.act("a1", code, "reply", "// customer sounds upset, go gently")
    assert outcome.customer == []
    assert [e.event for e in outcome.events] == ["note"]
    transcript = await desk.act("a1", code, "transcript")
    assert "go gently" in transcript.events[0].text


async def test_return_to_the_bot_says_so_and_continues(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    await desk.act("a1", code, "claim")
    returned = await desk.act("a1", code, "return")
    assert "back with me" in returned.customer[0].text  # type: ignore[union-attr]
    await chat.say("How long does delivery take?")
    assert not relays(chat) and "business day" in chat.text


async def test_a_resolve_during_a_customers_turn_waits_for_it(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    await desk.act("a1", code, "claim")
    async with app.coord.hold(str(chat.key)):  # the customer's turn is under way
        resolving = asyncio.create_task(desk.act("a1", code, "resolve"))
        await asyncio.sleep(0.1)
        assert not resolving.done()
        await chat.say("one more thing: can I pay by card?")
        assert [r.text for r in relays(chat)] == ["one more thing: can I pay by card?"]
    resolved = await resolving
    assert not resolved.error and "resolved" in resolved.customer[0].text  # type: ignore[union-attr]
    assert await status(app, chat) is State.ACTIVE
    await chat.press("feedback:4")  # the stars of the resolve count: the turn kept them
    assert (await chat.understood()).intent == "feedback" and not relays(chat)


async def test_a_takeover_during_a_customers_turn_waits_for_it(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    await chat.say("hello")
    async with app.coord.hold(str(chat.key)):
        taking = asyncio.create_task(desk.takeover("a1", str(chat.key), name="Sora"))
        await asyncio.sleep(0.1)
        assert not taking.done()
        await chat.say("How long does delivery take?")
        assert "business day" in chat.text and not relays(chat)  # the bot still answers
    assert not (await taking).error
    assert await status(app, chat) is State.WITH_AGENT
    await chat.say("are you there?")
    assert [r.text for r in relays(chat)] == ["are you there?"]


async def test_the_claim_race_has_exactly_one_winner(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    first, second = await asyncio.gather(
        desk.act("a1", code, "claim", name="Ann"), desk.act("a2", code, "claim", name="Bo")
    )
    outcomes = sorted([first, second], key=lambda o: bool(o.error))
    assert not outcomes[0].error and "already claimed" in outcomes[1].error
    assert len(outcomes[0].customer) == 1 and outcomes[1].customer == []


async def test_only_the_claiming_agent_replies_and_release_requeues(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    assert "claim" in (await desk.act("a1", code, "reply", "hi")).error
    await desk.act("a1", code, "claim")
    assert "a1" in (await desk.act("a2", code, "reply", "hi")).error
    released = await desk.act("a1", code, "release")
    assert not released.error and released.ticket is not None
    assert released.ticket.status == "queued"
    assert not (await desk.act("a2", code, "claim")).error


async def test_a_non_member_is_rejected(app: App, chat: Chat) -> None:
    desk = configure(app, desk=DeskSettings(agents=("a1",)))
    code = await hand_off(chat)
    rejected = await desk.act("intruder", code, "claim")
    assert "not a member" in rejected.error and rejected.customer == []
    assert not (await desk.act("a1", code, "claim")).error


async def test_pii_in_notes_and_relays_is_masked_only_when_asked(app: App, chat: Chat) -> None:
    desk = configure(app, mask_pii_in_notes=True)
    await chat.say("my card 4111 1111 1111 1111 was charged twice for order #777")
    code = await hand_off(chat)
    note = await first_note(app)
    assert "4111" not in note and "[card …1111]" in note
    await chat.say("mail me at mina@example.com or call 010-1234-5678")
    assert [r.text for r in relays(chat)] == ["mail me at [email] or call [phone]"]
    # the conversation keeps what was written, for an agent who needs it
    transcript = (await desk.act("a1", code, "transcript")).events[0].text
    assert "mina@example.com" in transcript and "4111 1111 1111 1111" in transcript

    configure(app, mask_pii_in_notes=False)
    await chat.say("or +82 10-9876-5432")
    assert [r.text for r in relays(chat)] == ["or +82 10-9876-5432"]


async def test_off_the_allow_list_nothing_changes_on_jsonl(app: App, chat: Chat) -> None:
    desk = configure(app, desk=DeskSettings(agents=("a1", "@sora")))
    agent = jsonl_agent(desk)
    code = await hand_off(chat)
    for action, text in (("claim", ""), ("reply", "hi"), ("resolve", ""), ("transcript", "")):
        out = await agent(AgentCommand("intruder", code, action, text))
        assert out == [{"type": "error", "error": "'intruder' is not a member of the agents' desk"}]
    takeover = await agent(AgentCommand("intruder", "", "takeover", conversation=str(chat.key)))
    assert takeover[0]["type"] == "error" and len(takeover) == 1
    ticket = await desk.repository.get(1)
    assert ticket is not None and ticket.status == "queued" and ticket.agent is None
    assert await status(app, chat) is State.WITH_AGENT
    # an agent on the list by username (Telegram) may act
    claimed = await desk.act("555", code, "claim", name="Sora", handle="Sora")
    assert not claimed.error and claimed.ticket is not None and claimed.ticket.agent == "555"


async def test_unknown_and_closed_tickets_are_errors(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    assert "no ticket" in (await desk.act("a1", "T99", "claim")).error
    code = await hand_off(chat)
    await desk.act("a1", code, "claim")
    await desk.act("a1", code, "resolve")
    assert "resolved" in (await desk.act("a1", code, "reply", "late")).error


async def test_a_threat_while_with_an_agent_is_relayed_marked_and_flagged(
    app: App, chat: Chat
) -> None:
    await hand_off(chat)
    await chat.say("I know where you are, I'll come and hurt you")
    (relay,) = relays(chat)
    assert relay.text.startswith("🚨")


async def test_the_expected_wait_grows_with_the_queue(app: App) -> None:
    first, second = Chat(app, user="a", name="A"), Chat(app, user="b", name="B")
    await hand_off(first)
    assert "about 5 minutes" in first.text
    await hand_off(second)
    assert "about 10 minutes" in second.text


async def test_the_expected_wait_follows_recent_claim_times(app: App) -> None:
    desk = desk_of(app)
    start = datetime.now(UTC)
    desk.clock = lambda: start + timedelta(minutes=2)
    early = Chat(app, user="early")
    code = await hand_off(early)
    await desk.act("a1", code, "claim")
    later = Chat(app, user="later")
    await hand_off(later)
    assert "about 2 minutes" in later.text


# never silence ------------------------------------------------------------------------------


async def test_no_agent_within_the_time_limit_on_the_next_message(app: App, chat: Chat) -> None:
    configure(app, claim_timeout=timedelta(minutes=10))
    code = await hand_off(chat)
    later = datetime.now(UTC) + timedelta(minutes=11)
    await chat.say("hello? anyone?", at=later)  # type: ignore[arg-type]
    assert "sorry for the wait" in chat.text and "follow-up" in chat.text
    assert [r.text for r in relays(chat)] == ["hello? anyone?"]
    ticket = await desk_of(app).repository.get(1)
    assert ticket is not None and ticket.follow_up and ticket.promised_at is not None
    assert ticket.code == code
    await chat.say("still there?", at=later + timedelta(minutes=1))  # type: ignore[arg-type]
    assert "sorry" not in chat.text  # told once


async def test_writing_while_queued_hears_where_it_stands_once_a_minute(
    app: App, chat: Chat
) -> None:
    configure(app, claim_timeout=timedelta(minutes=10))
    code = await hand_off(chat)
    start = datetime.now(UTC)

    async def say_at(seconds: int, text: str) -> list[str]:
        await chat.say(text, at=start + timedelta(seconds=seconds))  # type: ignore[arg-type]
        assert [r.text for r in relays(chat)] == [text]  # the agent gets it either way
        return [a.text for a in chat.last if isinstance(a, Reply)]

    assert await say_at(20, "ok") == []  # just told the wait
    [news] = await say_at(90, "how much longer?")
    assert "still in the queue" in news and "minute" in news and "Mina" in news
    assert await say_at(110, "hello??") == []  # once a minute at most
    assert len(await say_at(200, "anyone?")) == 1
    await desk_of(app).act("a1", code, "claim")
    assert await say_at(400, "hi!") == []  # a person is here: no more queue news


async def test_no_agent_within_the_time_limit_by_the_periodic_check(app: App, chat: Chat) -> None:
    desk = configure(app, claim_timeout=timedelta(minutes=10))
    await hand_off(chat)
    assert await desk.sweep(datetime.now(UTC) + timedelta(minutes=5)) == []
    (outcome,) = await desk.sweep(datetime.now(UTC) + timedelta(minutes=11))
    assert "sorry for the wait" in outcome.customer[0].text  # type: ignore[union-attr]
    assert outcome.ticket is not None and outcome.ticket.customer_user == chat.user
    assert await desk.sweep(datetime.now(UTC) + timedelta(minutes=30)) == []


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


async def test_outside_business_hours_apology_promise_and_follow_up(app: App, chat: Chat) -> None:
    hours = BusinessHours(timezone="Asia/Seoul", days=WEEKDAYS, open=time(9), close=time(18))
    configure(app, hours=hours)
    sunday = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Sunday 12:00 in Seoul
    await chat.say(HUMAN["en"], at=sunday)  # type: ignore[arg-type]
    assert "away right now" in chat.text
    assert "2026-11-23 09:05 (Asia/Seoul)" in chat.text  # Monday opening + the usual wait
    ticket = await desk_of(app).repository.get(1)
    assert ticket is not None and ticket.follow_up


async def test_a_restart_keeps_the_ticket_and_the_relay(tmp_path: Path) -> None:
    app = await start_app(tmp_path)
    chat = Chat(app, user="mina", name="Mina")
    code = await hand_off(chat)
    await app.close()

    app = await start_app(tmp_path)
    try:
        chat = Chat(app, user="mina", name="Mina")
        await chat.say("are you still there?")
        assert [r.text for r in relays(chat)] == ["are you still there?"]
        desk = desk_of(app)
        assert not (await desk.act("a1", code, "claim")).error
        sent = await desk.act("a1", code, "reply", "Yes, here!")
        assert [a.text for a in sent.customer] == ["Yes, here!"]  # type: ignore[union-attr]
    finally:
        await app.close()


async def test_a_ticket_outlives_an_idle_conversation(app: App, chat: Chat) -> None:
    code = await hand_off(chat)
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None
    later = datetime.now(UTC) + timedelta(hours=2)
    configure(app, claim_timeout=timedelta(days=1))
    await chat.say("back again", at=later)  # type: ignore[arg-type]
    assert [r.ticket for r in relays(chat)] == [code]
    ticket = await desk_of(app).repository.get(1)
    assert ticket is not None and ticket.conversation_id != conv.id


async def test_console_agent_commands(app: App, chat: Chat) -> None:
    from bot.handoff.commands import CONSOLE_HELP, ConsoleAgent

    agent = ConsoleAgent(desk_of(app))
    code = await hand_off(chat)
    assert (await agent("as Sora")) == ([], ["acting as Sora"])
    actions, lines = await agent(f"claim {code}")
    assert "Sora" in actions[0].text  # type: ignore[union-attr]
    assert lines[0].startswith(f"desk · {code} claimed: Sora at ")
    actions, _ = await agent(f"reply {code} Hello from the desk")
    assert [a.text for a in actions] == ["Hello from the desk"]  # type: ignore[union-attr]
    actions, lines = await agent(f"reply {code} // private")
    assert actions == [] and "note" in lines[0]
    actions, lines = await agent("claim T42")
    assert actions == [] and lines == ["✗ no ticket 'T42'"]
    assert (await agent("dance T1")) == ([], [CONSOLE_HELP])


async def test_save_as_faq_writes_a_draft_for_review(app: App, chat: Chat, tmp_path: Path) -> None:
    desk = desk_of(app)
    desk.drafts_root = tmp_path / "content"
    await chat.say("My gift card code GC-88123 says it was already used, help")
    code = await hand_off(chat)
    await desk.act("a1", code, "claim", name="Sora")
    assert "resolve" in (await desk.act("a1", code, "save_faq")).error
    await desk.act("a1", code, "reply", "I've issued a new code to your e-mail.")
    await desk.act("a1", code, "resolve")
    saved = await desk.act("a1", code, "save_faq")
    assert [e.event for e in saved.events] == ["faq_draft"]
    path = desk.drafts_root / saved.events[0].text
    text = path.read_text(encoding="utf-8")
    assert "GC-88123" in text and "issued a new code" in text and "draft-t1" in text


# an agent taking over on their own ------------------------------------------------------


async def test_an_agent_takes_over_an_open_conversation(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    await chat.say("My order #55501 never came.")
    taken = await desk.takeover("a1", str(chat.key), name="Sora")
    assert not taken.error and taken.ticket is not None
    ticket = taken.ticket
    assert ticket.reason == "agent_takeover" and ticket.status == "claimed"
    assert ticket.agent == "a1" and ticket.agent_name == "Sora"
    assert "55501" in ticket.note and "Why now: an agent took over" in ticket.note
    assert "Who: Mina @mina" in ticket.note and ticket.customer_user == "mina"
    assert [e.event for e in taken.events] == ["ticket", "claimed"]
    assert "Sora" in taken.customer[0].text  # type: ignore[union-attr]
    assert await status(app, chat) is State.WITH_AGENT
    await chat.say("oh hello")
    assert [r.text for r in relays(chat)] == ["oh hello"]  # the bot stays quiet
    sent = await desk.act("a1", ticket.code, "reply", "Hi, I'm looking into it.")
    assert [a.text for a in sent.customer] == ["Hi, I'm looking into it."]  # type: ignore[union-attr]
    # a second takeover of the same conversation is told it is taken
    assert "Sora" in (await desk.takeover("a2", str(chat.key))).error


async def test_takeover_rejects_non_members_and_unknown_conversations(app: App, chat: Chat) -> None:
    desk = configure(app, desk=DeskSettings(agents=("a1",)))
    await chat.say("hello")
    assert "not a member" in (await desk.takeover("zz", str(chat.key))).error
    assert "no open conversation" in (await desk.takeover("a1", "jsonl:nobody")).error
    assert await desk.repository.open_tickets() == []


async def test_takeover_of_a_queued_ticket_claims_it(app: App, chat: Chat) -> None:
    desk = desk_of(app)
    code = await hand_off(chat)
    taken = await desk.takeover("a1", str(chat.key), name="Sora")
    assert not taken.error and taken.ticket is not None and taken.ticket.code == code
    assert taken.ticket.status == "claimed"


async def test_console_agent_takeover(app: App, chat: Chat) -> None:
    from bot.handoff.commands import ConsoleAgent

    agent = ConsoleAgent(desk_of(app), agent="a1", name="Sora")
    await chat.say("hello")
    actions, lines = await agent(f"takeover {chat.key}")
    assert "Sora" in actions[0].text  # type: ignore[union-attr]
    assert any("claimed" in line and "takeover" in line for line in lines)


# the note: earlier conversations and their last feedback ------------------------------


async def test_the_note_shows_earlier_conversations_and_their_last_feedback(
    app: App, chat: Chat
) -> None:
    await chat.say("hello")
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None
    await app.store.add_feedback(conv.id, 2)
    conv.status = State.ENDED
    conv.ended_at = datetime.now(UTC)
    await app.store.save_conversation(conv)
    await hand_off(chat)
    note = await first_note(app)
    assert "earlier conversations: 1 (last feedback: 2/5)" in note


async def test_the_note_without_earlier_feedback_says_so(app: App, chat: Chat) -> None:
    await hand_off(chat)
    note = await first_note(app)
    assert "earlier conversations: 0" in note and "last feedback" not in note


# abuse notices ----------------------------------------------------------------------------


async def test_a_chat_ended_for_abuse_posts_a_marked_notice(app: App, chat: Chat) -> None:
    notices: list[str] = []

    async def show(text: str) -> None:
        notices.append(text)

    desk_of(app).notice_listeners.append(show)
    await chat.say("you stupid bot")
    assert notices == []  # a first warning is no notice
    await chat.say("fuck off")
    [notice] = notices
    assert notice.startswith("⚠ abuse") and "Mina" in notice and str(chat.key) in notice
    assert await desk_of(app).repository.open_tickets() == []  # a notice, not a ticket


async def test_a_failing_notice_listener_never_costs_the_turn(app: App, chat: Chat) -> None:
    async def broken(text: str) -> None:
        raise RuntimeError("desk down")

    desk_of(app).notice_listeners.append(broken)
    await chat.say("you stupid bot")
    await chat.say("fuck off")
    assert await app.store.current_conversation(str(chat.key)) is None  # ended all the same
