"""The HTML page opened in headless Chromium: the charts are drawn, customer text stays text."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.nlu.encoder import UseEncoder
from bot.report.html import render_html
from bot.store import SqlStore
from tests.report.test_html import evil_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.slow


def chromium() -> str:
    found = shutil.which(CHROMIUM) or shutil.which("chromium")
    if found:
        return found
    message = "headless Chromium is needed to check the report page: apt-get install chromium"
    if os.environ.get("FRONTDESK_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message)
    pytest.skip(message)


class Drawn(HTMLParser):
    """Bars per chart (``figure[data-chart]``), with their labels and widths/heights."""

    def __init__(self) -> None:
        super().__init__()
        self.chart: str | None = None
        self.bars: dict[str, list[dict[str, str]]] = {}
        self.svg_width: dict[str, float] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        self._title = tag == "title" and self.chart is None
        if tag == "figure" and "data-chart" in a:
            self.chart = a["data-chart"]
            self.bars[self.chart] = []
        elif tag == "svg" and self.chart:
            self.svg_width[self.chart] = float(a.get("width", "0"))
        elif tag == "rect" and self.chart and "bar" in a.get("class", "").split():
            self.bars[self.chart].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.chart = None
        self._title = False

    def handle_data(self, data: str) -> None:
        if self._title:
            self.title += data


async def test_chromium_draws_every_chart(
    store: SqlStore, encoder: UseEncoder, tmp_path: Path
) -> None:
    browser = chromium()
    page = tmp_path / "report.html"
    page.write_text(render_html(await evil_report(store, encoder)), encoding="utf-8")
    profile = tmp_path / "profile"
    result = await asyncio.to_thread(
        subprocess.run,
        [browser, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Drawn()
    dom.feed(result.stdout)

    def labels(chart: str) -> list[str]:
        return [bar["data-label"] for bar in dom.bars[chart]]

    assert labels("faq") == ["refund", "shipping-time"]
    assert labels("conversations-language") == ["en", "ja", "ko"]
    assert labels("conversations-channel") == ["slack", "telegram"]
    assert labels("triggers") == [
        "the customer asked for a person", "the customer was frustrated", "the bot had no answer",
    ]  # fmt: skip
    assert labels("feedback") == ["★", "★★", "★★★", "★★★★", "★★★★★"]
    assert len(dom.bars["times"]) == 6  # three handoff times × p50, p90
    assert len(dom.bars["offers"]) == 6  # two offers × shown, accepted, declined
    assert len(dom.bars["unanswered"]) == 3  # Canada, PayPal, and the evil one

    # drawn to scale in a laid-out page: the longest bar is the widest, zero is flat
    for chart in dom.bars:
        assert dom.svg_width[chart] >= 320, chart
    claim_p50, claim_p90 = (float(b["width"]) for b in dom.bars["times"][2:4])
    assert claim_p90 == pytest.approx(5 * claim_p50, rel=0.02)
    stars = {b["data-label"]: float(b["height"]) for b in dom.bars["feedback"]}
    assert stars["★"] == 0 and stars["★★"] == stars["★★★★★"] > 50

    # the customer's markup stayed text: no image, no extra script ran
    assert dom.title.startswith("frontdesk report")
    assert not any(tag == "img" for tag, _ in dom.tags)
    assert "<script>document.title" not in result.stdout
