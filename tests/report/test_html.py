"""The HTML page: self-contained, chart data right, customer text inert."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from bot.nlu.encoder import UseEncoder
from bot.report.collect import collect
from bot.report.html import chart_data, render_html
from bot.report.metrics import Report
from bot.report.period import Period
from bot.store import Message, SqlStore
from tests.report.seed import DAY_B

EVIL = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)> & more?"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = dict(attrs).get("id") if tag == "script" else None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


async def evil_report(store: SqlStore, encoder: UseEncoder) -> Report:
    conv = await store.start_conversation("telegram:x", "telegram", 1, language="en")
    at = DAY_B
    await store.add_messages([Message(conv.id, "in", EVIL, at, language="en", intent="fallback")])
    return await collect(store.engine, Period(), encoder=encoder)


async def test_the_page_needs_nothing_from_the_network(
    store: SqlStore, encoder: UseEncoder
) -> None:
    page = render_html(await collect(store.engine, Period(), encoder=encoder))
    parser = Tags()
    parser.feed(page)
    names = [tag for tag, _ in parser.tags]
    assert names.count("script") == 2 and "link" not in names and "img" not in names
    assert not any("src" in attrs or "href" in attrs for _, attrs in parser.tags)
    assert not re.search(r"@import|url\(|https?://(?!www\.w3\.org/2000/svg)", page)
    assert "all time" in page and "generated" in page


async def test_customer_text_cannot_inject_markup(store: SqlStore, encoder: UseEncoder) -> None:
    report = await evil_report(store, encoder)
    page = render_html(report)
    assert EVIL not in page and "<img" not in page and "document.title='pwned'</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;document.title=&#x27;pwned&#x27;" in page
    parser = Tags()
    parser.feed(page)
    assert [tag for tag, _ in parser.tags].count("script") == 2
    data = json.loads(parser.data["report-data"])
    labels = [row["label"] for row in data["charts"]["unanswered"]["rows"]]
    assert EVIL in labels  # intact as data, drawn as text by the chart code


async def test_chart_data_follows_the_figures(store: SqlStore, encoder: UseEncoder) -> None:
    charts = chart_data(await collect(store.engine, Period(), encoder=encoder))
    rows = {k: [(r["label"], r["values"]) for r in c["rows"]] for k, c in charts.items()}
    assert rows["faq"] == [("refund", [2]), ("shipping-time", [2])]
    assert rows["conversations-channel"] == [("slack", [2]), ("telegram", [3])]
    assert rows["triggers"] == [
        ("the customer asked for a person", [1]),
        ("the customer was frustrated", [1]),
        ("the bot had no answer", [1]),
    ]
    assert rows["feedback"] == [
        ("★", [0]),
        ("★★", [1]),
        ("★★★", [0]),
        ("★★★★", [1]),
        ("★★★★★", [1]),
    ]
    assert rows["times"] == [
        ("agent's first reply", [180.0, 1200.0]),
        ("time to claim", [120.0, 600.0]),
        ("time to resolve", [600.0, 3600.0]),
    ]
    assert rows["answer-rate"][0] == ("all", [50.0])
    assert rows["offers"] == [("express-shipping", [2, 1, 0]), ("hardcover", [1, 0, 1])]


async def test_an_empty_period_gives_a_friendly_page(store: SqlStore, encoder: UseEncoder) -> None:
    period = Period(since=datetime(2030, 1, 1, tzinfo=UTC))
    page = render_html(await collect(store.engine, period, encoder=encoder))
    assert "Nothing to report yet" in page and "since 2030-01-01" in page
    assert 'class="chart"' not in page
