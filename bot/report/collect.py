"""Read the store and compute every figure of the report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nlu.encoder import Encoder
from bot.report import queries
from bot.report.groups import Group, group_questions
from bot.report.metrics import Report, build
from bot.report.period import Period


async def collect(
    engine: AsyncEngine,
    period: Period,
    *,
    encoder: Encoder | None = None,
    now: datetime | None = None,
) -> Report:
    """Read the store and compute every figure for ``period``.

    ``encoder`` groups the unanswered questions (the embedded NLU's by default;
    it is only loaded when there is something to group).
    """
    asked = await queries.unanswered(engine, period)
    groups: list[Group] = []
    if asked:
        if encoder is None:
            from bot.nlu.encoder import use_encoder

            encoder = use_encoder()
        groups = group_questions(asked, encoder)
    return build(
        period=period,
        generated_at=now or datetime.now(UTC),
        conversations=await queries.conversations(engine, period),
        questions=await queries.questions(engine, period),
        groups=groups,
        tickets=await queries.handoff_tickets(engine, period),
        latencies=await queries.bot_latencies(engine, period),
        ratings=await queries.feedback(engine, period),
        offers=await queries.offers(engine, period),
    )
