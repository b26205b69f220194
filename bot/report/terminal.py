"""The report as rich tables in the terminal."""

from __future__ import annotations

import os

from rich.console import Console, RenderableType
from rich.console import Group as RichGroup
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.report.metrics import ALL, Cut, Report, Spread

#: Columns of a report written to a file or a pager rather than a terminal (whose own
#: width would apply): wide enough that no table squashes its headers and labels.
PIPED_WIDTH = 160

LABELS = {
    "no_answer": "the bot had no answer",
    "customer_request": "the customer asked for a person",
    "frustration": "the customer was frustrated",
    "threat": "a threat",
    "faq": "an FAQ entry that hands off",
    "agent_takeover": "an agent took over",
}


def cut_label(cut: Cut) -> str:
    """``all``, ``language: ko``, ``channel: slack``."""
    return "all" if cut == ALL else f"{cut[0]}: {cut[1]}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def duration(seconds: float | None) -> str:
    """Seconds as a person reads them: 850 ms, 12 s, 4.5 min, 3.2 h, 2.1 d."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def spread(s: Spread) -> str:
    return "–" if not s.n else f"{duration(s.p50)} / {duration(s.p90)}"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


#: The overview's columns after the cut's own, shared by the terminal and the page.
OVERVIEW_COLUMNS = (
    "conversations",
    "questions",
    "answered (FAQ)",
    "clarified",
    "unanswered",
    "answer rate",
    "handed off",
    "handoff rate",
)


def overview_row(report: Report, cut: Cut) -> list[str]:
    """One cut's figures, in the order of :data:`OVERVIEW_COLUMNS`."""
    a, h = report.answering[cut], report.handoffs[cut]
    return [
        str(report.conversations[cut]),
        str(a.questions),
        str(a.answered),
        str(a.clarified),
        str(a.unanswered),
        pct(a.rate),
        str(h.handed_off),
        pct(h.rate),
    ]


def _overview(report: Report) -> Table:
    table = _table("Conversations", "", *OVERVIEW_COLUMNS)
    for cut in report.cuts:
        table.add_row(cut_label(cut), *overview_row(report, cut))
    return table


def _top_faq(report: Report) -> Table:
    table = _table("Top FAQ entries", "entry", "answers", "share of answers")
    total = report.answering[ALL].answered
    for faq_id, n in report.top_faq:
        table.add_row(escape(faq_id), str(n), pct(n / total if total else None))
    return table


def _unanswered(report: Report, limit: int) -> Table:
    table = _table(
        "Questions the bot could not answer, grouped by meaning",
        "#",
        "asked",
        "most typical phrasing",
        "languages",
        "other ways it was asked",
    )
    table.columns[2].justify = table.columns[4].justify = "left"
    for i, group in enumerate(report.unanswered[:limit], 1):
        langs = ", ".join(f"{lang} {n}" for lang, n in group.languages.items())
        table.add_row(
            str(i),
            str(group.count),
            Text(group.representative),
            langs,
            Text("\n".join(group.examples[1:])),
        )
    return table


def _triggers(report: Report) -> Table:
    triggers = list(report.handoffs[ALL].by_trigger)
    table = _table("Handoffs by trigger (tickets)", "", *triggers)
    for cut in report.cuts:
        h = report.handoffs[cut]
        table.add_row(cut_label(cut), *(str(h.by_trigger.get(t, 0)) for t in triggers))
    return table


def _timings(report: Report) -> Table:
    table = _table(
        "Times, p50 / p90",
        "",
        "bot reply",
        "agent's first reply",
        "time to claim",
        "time to resolve",
    )
    for cut in report.cuts:
        t = report.timings[cut]
        table.add_row(
            cut_label(cut),
            spread(t.bot_reply),
            spread(t.first_reply),
            spread(t.claim),
            spread(t.resolve),
        )
    return table


def _feedback(report: Report) -> Table:
    table = _table("Feedback", "", "★1", "★2", "★3", "★4", "★5", "ratings", "average")
    for cut in report.cuts:
        f = report.feedback[cut]
        mean = "–" if f.mean is None else f"{f.mean:.2f}"
        table.add_row(
            cut_label(cut), *(str(f.counts.get(s, 0)) for s in range(1, 6)), str(f.n), mean
        )
    return table


def _offers(report: Report) -> Table:
    table = _table("Offers", "", "shown", "accepted", "declined", "accepted per shown")
    rows = [(cut_label(c), report.offers[c]) for c in report.cuts]
    rows += [(f"offer: {k}", v) for k, v in report.offers_by_id.items()]
    for label, o in rows:
        table.add_row(
            escape(label), str(o.shown), str(o.accepted), str(o.declined), pct(o.acceptance)
        )
    return table


def render(report: Report, *, groups: int = 10) -> RenderableType:
    """The report as one rich renderable."""
    head = Text.assemble(
        ("frontdesk report", "bold"),
        f" · {report.period.label()} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC",
    )
    if report.empty:
        return Panel(
            Text(
                "No conversations in this period yet: nothing to report. "
                "Try a wider period (--since), or check --database."
            ),
            title=head,
        )
    parts: list[RenderableType] = [head, _overview(report)]
    if report.top_faq:
        parts.append(_top_faq(report))
    if report.unanswered:
        parts.append(_unanswered(report, groups))
        if len(report.unanswered) > groups:
            parts.append(
                Text(
                    f"… and {len(report.unanswered) - groups} smaller groups "
                    "(all of them in --html)",
                    style="dim",
                )
            )
    if report.handoffs[ALL].by_trigger:
        parts.append(_triggers(report))
    parts += [_timings(report), _feedback(report)]
    if report.offers[ALL].shown or report.offers_by_id:
        parts.append(_offers(report))
    return RichGroup(*parts)


def print_report(report: Report, console: Console | None = None) -> None:
    """Print the report to the terminal (or, piped, :data:`PIPED_WIDTH` columns wide)."""
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal and "COLUMNS" not in os.environ:
            console = Console(highlight=False, width=PIPED_WIDTH)
    console.print(render(report))
