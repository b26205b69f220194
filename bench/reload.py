"""Hot reload: from saving a content file to the running bot answering with it.

    python -m bench.reload [CONTENT_DIR] [--rounds 3]

Copies the content folder (default: the example content) to a temporary one,
starts the bot on it with the watcher polling every second (the default), and
times, per round, from the write to the first turn answered with the new text:

- an FAQ answer edited (same questions: the language model is not retrained);
- a template edited (likewise);
- an FAQ entry added (new questions: the language model is trained again).

While the model retrains, a customer keeps talking to the bot; the latency of
those turns, next to the same talk with no reload going on, shows that the
event loop keeps serving during a reload.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stats import percentile
from bot.app import App, build_app
from bot.config import default_content_dir, load_settings
from bot.models import ConversationKey, Inbound, Reply
from bot.reload import serving_reloads

FAQ = "responses/faq/shipping.yml"
ANSWER_OF = "shipping-cost"
WELCOME = "You're very welcome, {name}!"
NEW_ENTRY = """
  - id: bench-{n}
    questions:
      en: ["Do you gift wrap parcel number {n}?", "Can parcel {n} be gift wrapped?"]
    answer:
      en: "Parcel {n} can be gift wrapped."
      ko: "{n}번 소포는 선물 포장이 가능합니다."
      ja: "{n}番の小包はギフト包装できます。"
"""
#: Seconds of talk with no reload going on, for comparison.
IDLE_TALK = 10.0
#: Give up on a round after this long (a refused edit would never be answered).
LIMIT = 600.0


async def ask(app: App, user: str, text: str = "", button: str | None = None) -> str:
    inbound = Inbound(key=ConversationKey("bench", user), user=user, text=text, button=button)
    actions = await app.engine.handle(inbound)
    return "\n".join(a.text for a in actions if isinstance(a, Reply))


async def until(check: Callable[[], Awaitable[bool]], start: float) -> float:
    """Seconds from ``start`` until ``check`` holds (polled every 20 ms)."""
    while time.perf_counter() - start < LIMIT:
        if await check():
            return time.perf_counter() - start
        await asyncio.sleep(0.02)
    raise SystemExit(f"not taken within {LIMIT:.0f} s")


_asked = itertools.count()


async def answers(app: App, button: str, text: str) -> bool:
    return text in await ask(app, f"b{next(_asked)}", button=button)


async def knows(app: App, question: str, text: str) -> bool:
    """Asked by a new customer each time (one asking again and again would upset the guard)."""
    return text in await ask(app, f"q{next(_asked)}", question)


async def in_template(app: App, name: str, mark: str) -> bool:
    return any(mark in v for v in app.engine.content.templates[name].variants["en"])


async def chatter(app: App, stop: asyncio.Event, samples: list[float]) -> None:
    """A customer talking all along (a fresh one per turn, so the guard stays calm)."""
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        await ask(app, f"talker{n}", "how much is shipping?")
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.05)


async def measure(
    content: Path, rounds: int
) -> tuple[dict[str, list[float]], list[float], list[float]]:
    figures: dict[str, list[float]] = {"FAQ answer": [], "template": [], "new FAQ entry": []}
    idle: list[float] = []
    during: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        for part in ("intents", "responses", "handoff"):
            shutil.copytree(content / part, root / part)
        settings = load_settings(
            environ={}, content_dir=root, database_url=f"sqlite+aiosqlite:///{tmp}/b.db"
        )
        app = await build_app(settings)
        faq = root / FAQ
        templates = root / "responses" / "templates.yml"
        original = templates.read_text()
        try:
            async with serving_reloads(app, command="bench", folder=None, watching=True):
                for n in range(rounds):
                    await asyncio.sleep(1.5)  # let the watcher settle between rounds
                    answer = app.content.faq[ANSWER_OF].answer["en"]
                    new = f"{answer} (round {n})"
                    start = time.perf_counter()
                    faq.write_text(faq.read_text().replace(answer, new))
                    check = partial(answers, app, f"faq:{ANSWER_OF}", new)
                    figures["FAQ answer"].append(await until(check, start))

                    await asyncio.sleep(1.5)
                    mark = f"(round {n})"
                    start = time.perf_counter()
                    templates.write_text(original.replace(WELCOME, f"{WELCOME} {mark}"))
                    check = partial(in_template, app, "thanks", mark)
                    figures["template"].append(await until(check, start))

                    await asyncio.sleep(1.5)
                    stop = asyncio.Event()
                    talk = asyncio.create_task(chatter(app, stop, idle))
                    await asyncio.sleep(IDLE_TALK)  # the same customer with no reload going on
                    stop.set()
                    await talk
                    stop = asyncio.Event()
                    talk = asyncio.create_task(chatter(app, stop, during))
                    start = time.perf_counter()
                    with faq.open("a") as fh:
                        fh.write(NEW_ENTRY.format(n=n))
                    question = f"Can parcel {n} be gift wrapped?"
                    check = partial(knows, app, question, f"Parcel {n} can be")
                    figures["new FAQ entry"].append(await until(check, start))
                    stop.set()
                    await talk
        finally:
            await app.close()
    return figures, idle, during


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", nargs="?", type=Path, default=default_content_dir())
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures, idle, during = asyncio.run(measure(args.content, args.rounds))
    table = Table(title=f"save → answered with it ({args.rounds} rounds, watcher every 1 s)")
    table.add_column("edit")
    table.add_column("median s", justify="right")
    table.add_column("max s", justify="right")
    for name, values in figures.items():
        table.add_row(name, f"{statistics.median(values):.2f}", f"{max(values):.2f}")
    console = Console()
    console.print(table)
    for what, samples in (("with no reload", idle), ("while retraining", during)):
        console.print(
            f"turns served {what}: {len(samples)}, "
            f"p50 {percentile(samples, 50):.1f} ms, p99 {percentile(samples, 99):.1f} ms"
        )


if __name__ == "__main__":
    main()
