"""The report as one self-contained HTML page: inline CSS, inline SVG charts drawn by
inline JavaScript from embedded JSON; nothing is fetched when it opens.

Customer text reaches the page twice, both inert: HTML-escaped in the tables,
and inside the JSON data block with ``<``, ``>`` and ``&`` as ``\\u`` escapes
(so it can never close the ``<script>``); the chart code only ever sets
``textContent``, never markup.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

from bot.report.metrics import ALL, Report, Spread
from bot.report.terminal import (
    LABELS,
    OVERVIEW_COLUMNS,
    cut_label,
    duration,
    overview_row,
    pct,
)

#: Groups of unanswered questions drawn in the chart (all of them are in the table).
CHART_GROUPS = 10


def _json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _bars(title: str, bars: list[tuple[str, float]], *, unit: str = "count") -> dict[str, Any]:
    return {
        "title": title,
        "kind": "bars",
        "unit": unit,
        "series": [title],
        "rows": [{"label": label, "values": [value]} for label, value in bars],
    }


def _cut_bars(report: Report, dimension: str) -> list[tuple[str, Any]]:
    return [(c[1], c) for c in report.cuts if c[0] == dimension]


def chart_data(report: Report) -> dict[str, dict[str, Any]]:
    """Every chart's title, kind, unit, series and rows, keyed by chart id."""
    charts: dict[str, dict[str, Any]] = {}
    for dimension in ("language", "channel"):
        charts[f"conversations-{dimension}"] = _bars(
            f"Conversations by {dimension}",
            [(label, report.conversations[c]) for label, c in _cut_bars(report, dimension)],
        )
    charts["answer-rate"] = _bars(
        "FAQ answer rate by language and channel",
        [
            (cut_label(c), round((report.answering[c].rate or 0) * 100, 1))
            for c in report.cuts
            if report.answering[c].questions
        ],
        unit="percent",
    )
    charts["faq"] = _bars("Top FAQ entries (answers given)", list(report.top_faq))
    charts["unanswered"] = _bars(
        "Unanswered questions, largest groups (times asked)",
        [(g.representative, g.count) for g in report.unanswered[:CHART_GROUPS]],
    )
    triggers = report.handoffs[ALL].by_trigger
    charts["triggers"] = _bars(
        "Handoffs by trigger (tickets)", [(LABELS.get(t, t), n) for t, n in triggers.items()]
    )
    charts["handoff-rate"] = _bars(
        "Handoff rate by language and channel",
        [
            (cut_label(c), round((report.handoffs[c].rate or 0) * 100, 1))
            for c in report.cuts
            if report.handoffs[c].conversations
        ],
        unit="percent",
    )
    t = report.timings[ALL]
    measures = [
        ("agent's first reply", t.first_reply),
        ("time to claim", t.claim),
        ("time to resolve", t.resolve),
    ]
    charts["bot-reply"] = {
        "title": "Bot reply time by language and channel (p50 and p90)",
        "kind": "bars",
        "unit": "seconds",
        "series": ["p50", "p90"],
        "rows": [
            {"label": cut_label(c), "values": [s.p50, s.p90]}
            for c in report.cuts
            if (s := report.timings[c].bot_reply).n
        ],
    }
    charts["times"] = {
        "title": "Handoff times (p50 and p90)",
        "kind": "bars",
        "unit": "seconds",
        "series": ["p50", "p90"],
        "rows": [{"label": name, "values": [s.p50, s.p90]} for name, s in measures if s.n],
    }
    f = report.feedback[ALL]
    charts["feedback"] = {
        "title": f"Feedback ({f.n} ratings)",
        "kind": "columns",
        "unit": "count",
        "series": ["ratings"],
        "rows": [{"label": "★" * s, "values": [f.counts.get(s, 0)]} for s in range(1, 6)]
        if f.n
        else [],
    }
    charts["offers"] = {
        "title": "Offers",
        "kind": "bars",
        "unit": "count",
        "series": ["shown", "accepted", "declined"],
        "rows": [
            {"label": k, "values": [o.shown, o.accepted, o.declined]}
            for k, o in report.offers_by_id.items()
        ],
    }
    return charts


# tables -----------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]], *, cls: str = "") -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _spread(s: Spread) -> str:
    return "–" if not s.n else escape(f"{duration(s.p50)} / {duration(s.p90)}")


def _overview(report: Report) -> str:
    rows = [[escape(cut_label(c)), *overview_row(report, c)] for c in report.cuts]
    return _table(["", *OVERVIEW_COLUMNS], rows)


def _groups(report: Report) -> str:
    rows = []
    for i, g in enumerate(report.unanswered, 1):
        others = "".join(f"<li>{escape(x)}</li>" for x in g.examples[1:])
        langs = ", ".join(f"{escape(lang)} {n}" for lang, n in g.languages.items())
        chans = ", ".join(f"{escape(ch)} {n}" for ch, n in g.channels.items())
        rows.append(
            [
                str(i),
                str(g.count),
                f"<q>{escape(g.representative)}</q>",
                f"<ul>{others}</ul>" if others else "–",
                langs,
                chans,
            ]
        )
    head = [
        "#",
        "asked",
        "most typical phrasing",
        "other ways it was asked",
        "languages",
        "channels",
    ]
    return _table(head, rows, cls="groups")


def _triggers(report: Report) -> str:
    triggers = list(report.handoffs[ALL].by_trigger)
    head = ["", *(LABELS.get(t, t) for t in triggers)]
    rows = [
        [escape(cut_label(c)), *(str(report.handoffs[c].by_trigger.get(t, 0)) for t in triggers)]
        for c in report.cuts
    ]
    return _table(head, rows)


def _timings(report: Report) -> str:
    head = ["p50 / p90", "bot reply", "agent's first reply", "time to claim", "time to resolve"]
    rows = []
    for c in report.cuts:
        t = report.timings[c]
        rows.append(
            [
                escape(cut_label(c)),
                _spread(t.bot_reply),
                _spread(t.first_reply),
                _spread(t.claim),
                _spread(t.resolve),
            ]
        )
    return _table(head, rows)


def _feedback(report: Report) -> str:
    head = ["", "★1", "★2", "★3", "★4", "★5", "ratings", "average"]
    rows = []
    for c in report.cuts:
        f = report.feedback[c]
        mean = "–" if f.mean is None else f"{f.mean:.2f}"
        counts = [str(f.counts.get(s, 0)) for s in range(1, 6)]
        rows.append([escape(cut_label(c)), *counts, str(f.n), mean])
    return _table(head, rows)


def _offers(report: Report) -> str:
    head = ["", "shown", "accepted", "declined", "accepted per shown"]
    pairs = [(cut_label(c), report.offers[c]) for c in report.cuts]
    pairs += [(f"offer: {k}", v) for k, v in report.offers_by_id.items()]
    rows = [
        [escape(label), str(o.shown), str(o.accepted), str(o.declined), pct(o.acceptance)]
        for label, o in pairs
    ]
    return _table(head, rows)


def _faq(report: Report) -> str:
    total = report.answering[ALL].answered
    rows = [
        [escape(faq_id), str(n), pct(n / total if total else None)] for faq_id, n in report.top_faq
    ]
    return _table(["entry", "answers", "share of answers"], rows)


# the page -----------------------------------------------------------------------


def _kpis(report: Report) -> str:
    a, h, f = report.answering[ALL], report.handoffs[ALL], report.feedback[ALL]
    o, t = report.offers[ALL], report.timings[ALL]
    tiles = [
        ("conversations", str(report.conversations[ALL]), ""),
        ("FAQ answer rate", pct(a.rate), f"{a.answered} of {a.questions} questions"),
        ("handoff rate", pct(h.rate), f"{h.handed_off} conversations"),
        ("average rating", "–" if f.mean is None else f"{f.mean:.1f} ★", f"{f.n} ratings"),
        ("time to claim, p50", duration(t.claim.p50), f"p90 {duration(t.claim.p90)}"),
        ("offers accepted", pct(o.acceptance), f"{o.accepted} of {o.shown} shown"),
    ]
    return "".join(
        f'<div class="kpi"><div class="kpi-label">{escape(label)}</div>'
        f'<div class="kpi-value">{escape(value)}</div>'
        f'<div class="kpi-note">{escape(note)}</div></div>'
        for label, value, note in tiles
    )


def _figure(chart_id: str) -> str:
    return f'<figure class="chart" data-chart="{chart_id}"></figure>'


def _section(title: str, intro: str, charts: list[str], table: str) -> str:
    figures = "".join(_figure(c) for c in charts)
    return (
        f"<section><h2>{escape(title)}</h2><p class='intro'>{escape(intro)}</p>"
        f"<div class='charts'>{figures}</div>{table}</section>"
    )


def _body(report: Report) -> str:
    if report.empty:
        return (
            '<section class="empty"><h2>Nothing to report yet</h2><p>No conversations, '
            "questions, handoffs, ratings or offers were recorded in this period. Try a wider "
            "period (<code>--since</code>), or check that <code>--database</code> points at "
            "the bot's database.</p></section>"
        )
    sections = [
        f'<div class="kpis">{_kpis(report)}</div>',
        _section(
            "Conversations and answers",
            "Conversations started in the period; customer questions answered from the FAQ, "
            "clarified with choices, or not answered.",
            ["conversations-language", "conversations-channel", "answer-rate", "faq"],
            _overview(report) + _faq(report),
        ),
        _section(
            "Questions the bot could not answer, grouped by meaning",
            "Each group is one thing customers asked in different words (and languages) that "
            "no FAQ entry answered: candidates for new entries (frontdesk faq suggest).",
            ["unanswered"],
            _groups(report) if report.unanswered else "<p>Every question found an answer.</p>",
        ),
        _section(
            "Handoffs",
            "Conversations handed to a person, and what triggered each ticket.",
            ["triggers", "handoff-rate"],
            _triggers(report),
        ),
        _section(
            "Times",
            "The bot's reply time per turn; for handoffs, from the ticket to the agent's first "
            "reply, to the claim and to the resolution. p50: half were faster; p90: nine in "
            "ten were faster.",
            ["times", "bot-reply"],
            _timings(report),
        ),
        _section(
            "Feedback", "Ratings customers gave, 1 to 5 stars.", ["feedback"], _feedback(report)
        ),
        _section(
            "Offers",
            "Upsell and cross-sell offers shown, accepted and declined.",
            ["offers"],
            _offers(report),
        ),
    ]
    return "".join(sections)


def render_html(report: Report) -> str:
    """The whole page."""
    asset = resources.files("bot.report") / "page"
    css = (asset / "report.css").read_text(encoding="utf-8")
    js = (asset / "charts.js").read_text(encoding="utf-8")
    title = f"frontdesk report · {report.period.label()}"
    generated = f"{report.generated_at:%Y-%m-%d %H:%M} UTC"
    data = _json({"charts": {} if report.empty else chart_data(report)})
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{css}</style></head><body>"
        f"<header><h1>frontdesk report</h1><p class='period'>{escape(report.period.label())}"
        f" · generated {escape(generated)}</p></header><main>{_body(report)}</main>"
        f'<script type="application/json" id="report-data">{data}</script>'
        f"<script>{js}</script></body></html>\n"
    )
