"""A small store with known figures, seeded through the real store and repositories.

Five conversations (times UTC; day A = 2026-11-02, day B = 2026-11-10):

====  ========  ====  =====================================================================
conv  channel   lang  what happened
====  ========  ====  =====================================================================
c1    telegram  en    FAQ shipping-time; "Do you ship to Canada?" unanswered → ticket
                      no_answer: claimed +120 s, agent reply +180 s, resolved +600 s; ★5
c2    slack     ko    "캐나다로 배송되나요?" unanswered; asks for a person → ticket
                      customer_request: claimed +600 s, reply +1200 s, resolved +3600 s; ★2
c3    telegram  ja    FAQ refund; a clarifying question, then the shipping-time button;
                      offer express-shipping shown and accepted
c4    slack     en    two PayPal questions unanswered; ticket frustration (never claimed);
                      offer hardcover shown and declined
c5    telegram  en    day B: FAQ refund; ★4; offer express-shipping shown
====  ========  ====  =====================================================================

Bot turn times (ms): 100, 300 (c1); 200 (c2); 400, 450 (c3); 500, 550 (c4); 600 (c5).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.handoff.repository import TicketRepository
from bot.offers.repository import Event, OfferRepository
from bot.store import Message, SqlStore
from bot.store import tables as t

DAY_A = datetime(2026, 11, 2, tzinfo=UTC)
DAY_B = datetime(2026, 11, 10, tzinfo=UTC)
CANADA_EN = "Yes, we ship to Canada: 5–8 days, CA$12."
CANADA_KO = "네, 캐나다로 배송합니다. 5~8일, 12 캐나다 달러입니다."


async def _conversation(
    store: SqlStore, user: str, channel: str, lang: str, start: datetime
) -> int:
    customer = await store.customer(channel, user)
    conv = await store.start_conversation(f"{channel}:{user}", channel, customer.id, language=lang)
    async with store.engine.begin() as conn:
        await conn.execute(
            t.conversations.update().where(t.conversations.c.id == conv.id).values(started_at=start)
        )
    return conv.id


async def _turn(
    store: SqlStore,
    conv: int,
    at: datetime,
    text: str,
    lang: str,
    *,
    intent: str | None,
    faq_id: str | None = None,
    ms: float | None = None,
    kind: str = "text",
) -> None:
    records = [
        Message(conv, "in", text, at, kind=kind, language=lang, intent=intent, faq_id=faq_id)
    ]
    if ms is not None:
        reply_at = at + timedelta(milliseconds=ms)
        records.append(
            Message(conv, "out", "…", reply_at, kind="reply", language=lang, latency_ms=ms)
        )
    await store.add_messages(records)


async def _rate(store: SqlStore, conv: int, score: int, at: datetime) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            t.feedback.insert().values(conversation_id=conv, score=score, created_at=at)
        )


async def seed(store: SqlStore) -> None:
    tickets, offers = TicketRepository(store.engine), OfferRepository(store.engine)
    s = timedelta(seconds=1)

    async def ticket(
        conv: int, reason: str, at: datetime, claim: float | None, reply: float | None,
        resolve: float | None, answer: str = "",
    ) -> None:  # fmt: skip
        row = await store.conversation(conv)
        assert row is not None
        made = await tickets.create(
            conversation_id=conv, conv_key=row.key, customer_id=row.customer_id,
            customer_user="u", reason=reason, priority="normal", note="", at=at,
        )  # fmt: skip
        if claim is not None:
            assert await tickets.claim(made.id, "a1", "Agent", at + claim * s)
        if reply is not None:
            await store.add_messages([Message(conv, "out", answer, at + reply * s, kind="agent")])
        if resolve is not None:
            assert await tickets.close(made.id, "resolved", at + resolve * s)

    async def offer(conv: int, offer_id: str, lang: str, at: datetime, *events: Event) -> None:
        row = await store.conversation(conv)
        assert row is not None
        for event in events:
            await offers.record(
                event, offer_id=offer_id, kind="upsell", language=lang,
                customer_id=row.customer_id, conversation_id=conv, at=at,
            )  # fmt: skip

    at = DAY_A + timedelta(hours=10)
    c1 = await _conversation(store, "u1", "telegram", "en", at)
    await _turn(store, c1, at, "How long does delivery take?", "en", intent="faq",
                faq_id="shipping-time", ms=100)  # fmt: skip
    await _turn(store, c1, at + 60 * s, "Do you ship to Canada?", "en", intent="fallback", ms=300)
    await ticket(c1, "no_answer", at + 60 * s, 120, 180, 600, CANADA_EN)
    await _rate(store, c1, 5, at + 700 * s)

    at = DAY_A + timedelta(hours=11)
    c2 = await _conversation(store, "u2", "slack", "ko", at)
    await _turn(store, c2, at, "캐나다로 배송되나요?", "ko", intent="fallback", ms=200)
    await _turn(store, c2, at + 30 * s, "상담원 연결해 주세요", "ko", intent="human")
    await ticket(c2, "customer_request", at + 60 * s, 600, 1200, 3600, CANADA_KO)
    await _rate(store, c2, 2, at + 3700 * s)

    at = DAY_A + timedelta(hours=12)
    c3 = await _conversation(store, "u3", "telegram", "ja", at)
    await _turn(store, c3, at, "返金したい", "ja", intent="faq", faq_id="refund", ms=400)
    await _turn(store, c3, at + 60 * s, "カナダまで何日？", "ja", intent="clarify", ms=450)
    await _turn(store, c3, at + 70 * s, "faq:shipping-time", "ja", intent="button",
                faq_id="shipping-time", kind="button")  # fmt: skip
    await offer(c3, "express-shipping", "ja", at + 80 * s, Event.SHOWN, Event.ACCEPTED)

    at = DAY_A + timedelta(hours=13)
    c4 = await _conversation(store, "u4", "slack", "en", at)
    await _turn(store, c4, at, "Can I pay with PayPal?", "en", intent="fallback", ms=500)
    await _turn(store, c4, at + 60 * s, "do you accept paypal", "en", intent="fallback", ms=550)
    await ticket(c4, "frustration", at + 120 * s, None, None, None)
    await offer(c4, "hardcover", "en", at + 10 * s, Event.SHOWN, Event.DECLINED)

    at = DAY_B + timedelta(hours=9)
    c5 = await _conversation(store, "u5", "telegram", "en", at)
    await _turn(store, c5, at, "refund please", "en", intent="faq", faq_id="refund", ms=600)
    await _rate(store, c5, 4, at + 60 * s)
    await offer(c5, "express-shipping", "en", at + 30 * s, Event.SHOWN)
