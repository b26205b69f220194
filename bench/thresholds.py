"""Choose the answer / margin / clarify thresholds by measurement on a content folder.

    python bench/thresholds.py [CONTENT_DIR] [--folds 1] [--seed 0]

Held-out messages: with ``--folds 1`` (the default) the phrasings of the
content's conversation tests (``tests/conversations/*.yml``, written apart from
the FAQ's ways of asking), the model trained on the whole content; with
``--folds N`` a cross-validation over the content's own examples. Plus the
hand-written out-of-scope messages in ``bench/data/out_of_scope.yml``. Each
candidate setting is scored with the engine's own rule (``bot.policy.decide``); the
table shows the best few and the chosen one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import training_examples  # noqa: E402
from bot.content import load_content  # noqa: E402
from bot.language import detect  # noqa: E402
from bot.nlu import Scored, create_embedded  # noqa: E402
from bot.policy import Thresholds, decide  # noqa: E402

INTENTS = {"greet", "goodbye", "thanks", "affirm", "deny", "human", "complaint", "bot_challenge"}
#: A wrong confident answer costs more than a clarifying question or a handoff.
WRONG_ANSWER_BUDGET = float(os.environ.get("WRONG_BUDGET", "0.02"))
OOS_ANSWER_BUDGET = 0.05


@dataclass
class Case:
    text: str
    gold: str | None  # None: out of scope
    lang: str
    ranked: list[Scored]


async def _parse_all(nlu, texts: list[str]) -> list[list[Scored]]:  # type: ignore[no-untyped-def]
    return [await nlu.parse(t, k=5) for t in texts]


def paraphrases(content_dir: Path) -> list[tuple[str, str]]:
    """(text, label) from the content's conversation tests: phrasings not in training."""
    pairs = []
    for path in sorted((content_dir / "tests" / "conversations").glob("*.yml")):
        for test in yaml.safe_load(path.read_text(encoding="utf-8")).get("tests", []):
            for step in test.get("steps", []):
                if isinstance(step.get("user"), str) and step.get("faq"):
                    pairs.append((step["user"], f"faq:{step['faq']}"))
                elif isinstance(step.get("user"), str) and step.get("intent") in INTENTS:
                    pairs.append((step["user"], step["intent"]))
    return pairs


def collect(content_dir: Path, folds: int, seed: int) -> list[Case]:
    content = load_content(content_dir)
    examples = training_examples(content)
    if folds <= 1:  # held-out set: the conversation tests
        nlu = create_embedded()
        nlu.fit(examples)
        pairs = paraphrases(content_dir)
        ranked = asyncio.run(_parse_all(nlu, [t for t, _ in pairs]))
        cases = [Case(t, g, detect(t), r) for (t, g), r in zip(pairs, ranked, strict=True)]
        return cases + _out_of_scope(nlu)
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    cases: list[Case] = []
    for fold in track(range(folds), description="cross-validating"):
        held = {i for n, i in enumerate(order) if n % folds == fold}
        nlu = create_embedded()
        nlu.fit([e for i, e in enumerate(examples) if i not in held])
        test = [examples[i] for i in sorted(held)]
        ranked = asyncio.run(_parse_all(nlu, [e.text for e in test]))
        cases += [
            Case(e.text, e.label, detect(e.text), r) for e, r in zip(test, ranked, strict=True)
        ]
    nlu = create_embedded()
    nlu.fit(examples)
    return cases + _out_of_scope(nlu)


def _out_of_scope(nlu) -> list[Case]:  # type: ignore[no-untyped-def]
    oos = yaml.safe_load((ROOT / "bench/data/out_of_scope.yml").read_text())["out_of_scope"]
    cases = []
    for lang, texts in oos.items():
        ranked = asyncio.run(_parse_all(nlu, texts))
        cases += [Case(t, None, lang, r) for t, r in zip(texts, ranked, strict=True)]
    return cases


@dataclass
class Outcome:
    th: Thresholds
    correct: float  # in scope, acted on correctly (answer or intent)
    clarified_ok: float  # in scope, clarification containing the right entry
    wrong: float  # in scope, acted on the wrong label
    fallback: float  # in scope, handed off
    oos_answered: float  # out of scope, answered anyway
    oos_clarified: float

    @property
    def utility(self) -> float:
        inscope = self.correct + 0.5 * self.clarified_ok - 3 * self.wrong - 0.5 * self.fallback
        return inscope - 0.25 * self.oos_clarified


def evaluate(cases: list[Case], th: Thresholds, faq_ids: set[str]) -> Outcome:
    counts: dict[str, int] = defaultdict(int)
    inscope = [c for c in cases if c.gold is not None]
    oos = [c for c in cases if c.gold is None]
    for c in inscope:
        d = decide(c.ranked, th, faq_ids)
        if d.kind in ("intent", "answer"):
            counts["correct" if d.choices[0].label == c.gold else "wrong"] += 1
        elif d.kind == "clarify":
            counts["clarified_ok" if any(x.label == c.gold for x in d.choices) else "fallback"] += 1
        else:
            counts["fallback"] += 1
    for c in oos:
        d = decide(c.ranked, th, faq_ids)
        if d.kind == "answer":
            counts["oos_answered"] += 1
        elif d.kind == "clarify":
            counts["oos_clarified"] += 1
    n, m = max(1, len(inscope)), max(1, len(oos))
    return Outcome(
        th,
        counts["correct"] / n,
        counts["clarified_ok"] / n,
        counts["wrong"] / n,
        counts["fallback"] / n,
        counts["oos_answered"] / m,
        counts["oos_clarified"] / m,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("content", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--folds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cases = collect(args.content, args.folds, args.seed)
    faq_ids = set(load_content(args.content).faq)
    grid = [x / 100 for x in range(5, 100, 5)]
    margins = [x / 100 for x in range(0, 31, 2)]
    outcomes = [
        evaluate(cases, Thresholds(answer=a, margin=m, clarify=c), faq_ids)
        for a, m, c in itertools.product(grid, margins, grid)
        if c <= a
    ]
    fine = [
        o
        for o in outcomes
        if o.wrong <= WRONG_ANSWER_BUDGET and o.oos_answered <= OOS_ANSWER_BUDGET
    ]
    best = sorted(fine or outcomes, key=lambda o: o.utility, reverse=True)
    if not fine:
        print("no setting meets the wrong-answer budgets; showing the best anyway")
    table = Table(title=f"thresholds on {args.content} ({len(cases)} cases, {args.folds}-fold)")
    for col in (
        "answer",
        "margin",
        "clarify",
        "correct",
        "clarify ok",
        "wrong",
        "handoff",
        "OOS answered",
        "OOS clarified",
        "utility",
    ):
        table.add_column(col, justify="right")
    for o in best[:8]:
        table.add_row(
            f"{o.th.answer:.2f}",
            f"{o.th.margin:.2f}",
            f"{o.th.clarify:.2f}",
            f"{o.correct:.1%}",
            f"{o.clarified_ok:.1%}",
            f"{o.wrong:.1%}",
            f"{o.fallback:.1%}",
            f"{o.oos_answered:.1%}",
            f"{o.oos_clarified:.1%}",
            f"{o.utility:.3f}",
        )
    Console(width=150).print(table)
    chosen = best[0].th
    print(f"chosen: answer={chosen.answer} margin={chosen.margin} clarify={chosen.clarify}")


if __name__ == "__main__":
    main()
