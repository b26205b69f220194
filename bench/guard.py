"""Measure the guard: abuse, ordinary customers, frustration, cost. One table per language.

    python bench/guard.py [--data DIR] [--content DIR] [--errors]

DIR holds the public datasets (default ``../shared/datasets`` beside the repo,
or ``$FRONTDESK_DATASETS``; its README describes them). Figures and gates:

- **abuse** on public sets, held-out parts only: ``ko-hate-speech-beep``
  ``dev.tsv`` (its test labels are not public), ``ja-toxic-inspection`` odd rows,
  ``en-hate-offensive-davidson`` rows whose index is a multiple of 5; the rest
  (BEEP ``train.tsv``, even rows, other rows) is the dev part, the only part
  looked at while writing the word lists. Gate: precision ≥ 0.90 (recall is a
  figure to watch: much of that hate is implicit news-comment talk).
- **directed abuse** (``bench/data/guard/directed_abuse.yml``, a third
  disguised; ``holdout.yml`` was written after the word lists and never tuned
  on). Gate: recall ≥ 0.95.
- **ordinary customers**: the content's FAQ questions plus
  ``complaints.yml``. Gate: flagged (abuse or threat) < 1 %.
- **frustration**: ``frustration.yml`` conversations run through the same
  code as the stage. Escalation = the guard brings a person into play (offers
  one, or hands off); precision, recall, the turn it escalates at and how far
  that is from the turn a good agent would have (``by``). Handing off itself
  (the customer does not answer the offer) is shown apart.
- **per-message frustration** on emotion sets (``en-goemotions`` test,
  ``ko-kote-emotions`` test): a figure to watch.
- **cost**: the guard's checks (reading, repeats, the decision) per message,
  p50 and p99 over every message above. Gate: p99 < 1 ms.

``--errors`` lists what the dev parts and the hand-written sets get wrong.
Exit status 1 when a gate fails.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.guard.content import GuardContent, load_guard  # noqa: E402
from bot.guard.mood import Act, Memory, is_repeat, relieve, step, unhold  # noqa: E402
from bot.guard.signals import Reader  # noqa: E402

DATA_DIR = Path(os.environ.get("FRONTDESK_DATASETS", ROOT.parent / "shared" / "datasets"))
OWN = ROOT / "bench" / "data" / "guard"
LANGS = ("en", "ko", "ja")
csv.field_size_limit(1 << 24)

GATES = {"abuse precision": 0.90, "directed recall": 0.95, "false flags": 0.01, "p99 ms": 1.0}


@dataclass
class Scores:
    """Binary decisions against gold labels."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, gold: bool, got: bool, text: str) -> None:
        self.tp += gold and got
        self.fp += got and not gold
        self.fn += gold and not got
        self.tn += not gold and not got
        if gold != got:
            self.wrong.append(("missed: " if gold else "wrong: ") + text)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# public sets -------------------------------------------------------------------------


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def abuse_sets(data: Path, part: str) -> dict[str, list[tuple[str, bool]]]:
    """(text, toxic) per language from the public sets; ``part`` is "test" or "dev"."""
    out: dict[str, list[tuple[str, bool]]] = {}
    beep = data / "ko-hate-speech-beep" / ("dev.tsv" if part == "test" else "train.tsv")
    if beep.is_file():
        out["ko"] = [(r[0], r[3] in ("hate", "offensive")) for r in _tsv(beep)[1:] if len(r) >= 4]
    ja = data / "ja-toxic-inspection" / "subset.csv"
    if ja.is_file():
        rows = [r for i, r in enumerate(_csv(ja)) if i % 2 == (1 if part == "test" else 0)]
        out["ja"] = [
            (r["text"], int(r["Toxic"]) + int(r["Very Toxic"]) > int(r["Not Toxic"])) for r in rows
        ]
    en = data / "en-hate-offensive-davidson" / "labeled_data.csv"
    if en.is_file():
        rows = [r for i, r in enumerate(_csv(en)) if (i % 5 == 0) == (part == "test")]
        out["en"] = [(r["tweet"].replace("&amp;", "&"), r["class"] in ("0", "1")) for r in rows]
    return out


def emotion_sets(data: Path) -> dict[str, list[tuple[str, bool]]]:
    """(text, frustrated) per language from the emotion sets' test parts."""
    out: dict[str, list[tuple[str, bool]]] = {}
    go = data / "en-goemotions" / "test.tsv"
    if go.is_file():
        angry = {"2", "3", "9", "10"}  # anger, annoyance, disappointment, disapproval
        out["en"] = [(r[0], bool(angry & set(r[1].split(",")))) for r in _tsv(go) if len(r) >= 2]
    kote = data / "ko-kote-emotions" / "test.tsv"
    if kote.is_file():
        angry = {
            "0",
            "3",
            "6",
            "22",
            "23",
            "26",
        }  # 불평/불만, 지긋지긋, 화남/분노, 짜증, 어이없음, 귀찮음
        out["ko"] = [(r[1], bool(angry & set(r[2].split(",")))) for r in _tsv(kote) if len(r) >= 3]
    return out


# hand-written sets --------------------------------------------------------------------


def _own(name: str) -> Any:
    path = OWN / name
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def faq_questions(content_dir: Path) -> dict[str, list[str]]:
    content = load_content(content_dir)
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for entry in content.faq.values():
        for lang, questions in entry.questions.items():
            out.setdefault(lang, []).extend(questions)
    return out


@dataclass
class Escalation:
    scores: Scores = field(default_factory=Scores)
    handoffs: Scores = field(default_factory=Scores)
    turns: list[int] = field(default_factory=list)
    delays: list[int] = field(default_factory=list)


def run_conversation(
    reader: Reader, guard: GuardContent, conv: dict[str, Any]
) -> tuple[int | None, int | None]:
    """The turns (1-based) at which the guard first acts (offer or handoff) and hands off."""
    memory, failures = Memory(), 0
    acted = None
    for number, turn in enumerate(conv["turns"], 1):
        text, bot = (turn, None) if isinstance(turn, str) else (turn["user"], turn.get("bot"))
        reading = reader.read(text, conv["lang"])
        repeat = is_repeat(memory, text, guard.settings)
        verdict = step(memory, reading, guard.settings, repeat=repeat, failures=failures)
        if verdict.held:  # a calm message: it stands only if the bot fails again
            verdict = unhold(memory, verdict, bot)
        if verdict.act in (Act.OFFER, Act.HANDOFF, Act.THREAT) and acted is None:
            acted = number
        if verdict.act in (Act.HANDOFF, Act.THREAT):
            return acted, number
        if bot == "answered":
            relieve(memory, guard.settings)
            failures = 0
        elif bot in ("clarify", "fallback"):
            failures += 1
    return acted, None


# the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    rows: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: {lang: [] for lang in LANGS}
    )
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def row(self, lang: str, name: str, value: str, gate: str = "") -> None:
        self.rows[lang].append((name, value, gate))

    def gate(self, lang: str, name: str, ok: bool) -> str:
        if not ok:
            self.failed.append(f"{lang}: {name}")
        return "[green]pass[/]" if ok else "[bold red]FAIL[/]"


def _pct(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def judge(
    reader: Reader, items: Iterable[tuple[str, bool]], lang: str, what: Callable[..., bool]
) -> Scores:
    scores = Scores()
    for text, gold in items:
        scores.add(gold, what(reader.read(text, lang)), text)
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--content", type=Path, default=ROOT)
    parser.add_argument("--errors", action="store_true", help="list mistakes on dev and own sets")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    guard = load_guard(args.content, fallback=ROOT)
    reader = Reader(guard.lexicons, guard.settings)
    report = Report()
    abusive = lambda r: r.abuse  # noqa: E731
    flagged = lambda r: r.abuse or r.threat is not None  # noqa: E731

    if not args.data.is_dir():
        console.print(f"[yellow]no datasets at {args.data}: public-set figures skipped[/]")
    test = abuse_sets(args.data, "test") if args.data.is_dir() else {}
    dev = abuse_sets(args.data, "dev") if args.data.is_dir() and args.errors else {}
    for lang, items in test.items():
        s = judge(reader, items, lang, abusive)
        ok = s.precision >= GATES["abuse precision"]
        report.row(
            lang,
            "abuse precision (public test part)",
            _pct(s.precision),
            report.gate(lang, "abuse precision", ok) + " ≥ 0.90",
        )
        report.row(lang, "abuse recall / F1 (watch)", f"{_pct(s.recall)} / {_pct(s.f1)}")
        report.row(lang, "  flagged / toxic / messages", f"{s.tp + s.fp} / {s.tp + s.fn} / {s.n}")
    for lang, items in dev.items():
        s = judge(reader, items, lang, abusive)
        report.errors += [
            f"[{lang} dev P={_pct(s.precision)} R={_pct(s.recall)}] {w}"
            for w in s.wrong
            if w.startswith("wrong")
        ]

    directed, holdout = _own("directed_abuse.yml"), _own("holdout.yml")
    for lang in LANGS:
        sets = directed.get(lang) or {}
        plain = judge(reader, [(t, True) for t in sets.get("plain", [])], lang, abusive)
        hidden = judge(reader, [(t, True) for t in sets.get("disguised", [])], lang, abusive)
        total = Scores(plain.tp + hidden.tp, 0, plain.fn + hidden.fn, 0, plain.wrong + hidden.wrong)
        ok = total.recall >= GATES["directed recall"]
        report.row(
            lang,
            "directed abuse recall",
            _pct(total.recall),
            report.gate(lang, "directed recall", ok) + " ≥ 0.95",
        )
        report.row(
            lang,
            "  plain / disguised (messages)",
            f"{_pct(plain.recall)} / {_pct(hidden.recall)} ({plain.n}+{hidden.n})",
        )
        report.errors += [f"[{lang} directed] {w}" for w in total.wrong]
        held = (holdout.get(lang) or {}) if isinstance(holdout, dict) else {}
        if held.get("abuse"):
            h = judge(reader, [(t, True) for t in held["abuse"]], lang, abusive)
            report.row(lang, "  hold-out recall (not tuned on)", f"{_pct(h.recall)} ({h.n})")

    faq = faq_questions(args.content)
    complaints = _own("complaints.yml")
    for lang in LANGS:
        items = [(t, False) for t in faq.get(lang, []) + (complaints.get(lang) or [])]
        s = judge(reader, items, lang, flagged)
        rate = s.fp / s.n if s.n else float("nan")
        report.row(
            lang,
            "ordinary customers flagged",
            f"{_pct(rate)} ({s.fp}/{s.n})",
            report.gate(lang, "false flags", rate < GATES["false flags"]) + " < 0.01",
        )
        report.errors += [f"[{lang} ordinary] {w}" for w in s.wrong]
        held = (holdout.get(lang) or {}) if isinstance(holdout, dict) else {}
        if held.get("ordinary"):
            h = judge(reader, [(t, False) for t in held["ordinary"]], lang, flagged)
            report.row(lang, "  hold-out flagged (not tuned on)", f"{h.fp}/{h.n}")

    escalation = {lang: Escalation() for lang in LANGS}
    for conv in (_own("frustration.yml") or {}).get("conversations", []):
        e = escalation[conv["lang"]]
        at, handed = run_conversation(reader, guard, conv)
        gold = bool(conv["escalate"])
        e.scores.add(gold, at is not None, f"{conv['id']} (at turn {at})")
        e.handoffs.add(gold, handed is not None, f"{conv['id']} (handoff at turn {handed})")
        if at is not None and gold:
            e.turns.append(at)
            e.delays.append(at - int(conv.get("by", at)))
    for lang, e in escalation.items():
        s, h = e.scores, e.handoffs
        report.row(
            lang,
            "frustration escalation P / R",
            f"{_pct(s.precision)} / {_pct(s.recall)} ({s.n} conversations)",
        )
        if e.turns:
            report.row(
                lang,
                "  escalates at turn (mean) / vs 'by' (mean)",
                f"{statistics.mean(e.turns):.2f} / {statistics.mean(e.delays):+.2f}",
            )
        report.row(
            lang,
            "  handed off without an answer to the offer P / R",
            f"{_pct(h.precision)} / {_pct(h.recall)}",
        )
        report.errors += [f"[{lang} frustration] {w}" for w in s.wrong]

    if args.data.is_dir():
        for lang, items in emotion_sets(args.data).items():
            s = judge(reader, items, lang, lambda r: r.added > 0)
            report.row(
                lang,
                "per-message frustration P / R (watch)",
                f"{_pct(s.precision)} / {_pct(s.recall)} ({s.n})",
            )

    for lang in LANGS:
        texts = [t for t, _ in test.get(lang, [])][:2000]
        texts += faq.get(lang, []) + (complaints.get(lang) or [])
        p50, p99 = cost(reader, guard, texts, lang)
        report.row(
            lang,
            "guard checks per message p50 / p99 (ms)",
            f"{p50:.3f} / {p99:.3f}",
            report.gate(lang, "p99 ms", p99 < GATES["p99 ms"]) + " p99 < 1",
        )

    for lang in LANGS:
        table = Table(title=f"guard — {lang}", title_justify="left")
        table.add_column("check")
        table.add_column("figure", justify="right")
        table.add_column("gate")
        for name, value, gate in report.rows[lang]:
            table.add_row(name, value, gate)
        console.print(table)
    if args.errors:
        for line in report.errors:
            console.print(line, markup=False)
    console.print(
        f"[bold red]gates failed:[/] {', '.join(report.failed)}"
        if report.failed
        else "[bold green]all gates pass[/]"
    )
    return 1 if report.failed else 0


def cost(reader: Reader, guard: GuardContent, texts: list[str], lang: str) -> tuple[float, float]:
    """Milliseconds per message for reading, repeat detection and the decision.

    The datasets this script holds in memory are frozen out of the garbage
    collector first: their collection is the bench's cost, not the guard's.
    """
    gc.collect()
    gc.freeze()
    memory = Memory()
    for text in texts[:50]:  # warm up
        step(memory, reader.read(text, lang), guard.settings)
    times = []
    for text in texts:
        memory = Memory(recent=memory.recent)
        start = time.perf_counter_ns()
        repeat = is_repeat(memory, text, guard.settings)
        step(memory, reader.read(text, lang), guard.settings, repeat=repeat)
        times.append((time.perf_counter_ns() - start) / 1e6)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


if __name__ == "__main__":
    raise SystemExit(main())
