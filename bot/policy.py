"""Deciding what to do with an understood message: answer, clarify or hand off.

Candidates (intents and FAQ entries) come back scored from the NLU; this module
ranks them against the configured thresholds and acts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.content.model import Content, FaqEntry
from bot.models import Button, Handoff
from bot.nlu import Scored
from bot.turn import Turn

FAQ_PREFIX = "faq:"
FEEDBACK_PREFIX = "feedback:"
BUTTON_HUMAN = "human"
BUTTON_ELSE = "else"
MAX_CHOICES = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Confidence cut-offs, chosen by ``bench/thresholds.py`` on the example content."""

    answer: float
    margin: float
    clarify: float


def is_faq(label: str) -> bool:
    """Whether an NLU label names an FAQ entry."""
    return label.startswith(FAQ_PREFIX)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with ranked candidates: ``intent``, ``answer``, ``clarify`` or ``fallback``."""

    kind: str
    choices: tuple[Scored, ...] = ()


def decide(ranked: Sequence[Scored], th: Thresholds, faq_ids: Collection[str]) -> Decision:
    """The pure ranking rule, shared by the policy and ``bench/thresholds.py``.

    A confident intent wins; a confident FAQ entry clearly ahead of the next FAQ
    entry is answered; FAQ entries above the clarify threshold are offered as
    choices; a weaker intent is still taken; otherwise fall back.
    """
    faqs = [c for c in ranked if is_faq(c.label) and c.label[len(FAQ_PREFIX) :] in faq_ids]
    intents = [c for c in ranked if not is_faq(c.label)]
    if ranked and not is_faq(ranked[0].label) and ranked[0].score >= th.answer:
        return Decision("intent", (ranked[0],))
    if faqs and faqs[0].score >= th.answer:
        runner_up = faqs[1].score if len(faqs) > 1 else 0.0
        if faqs[0].score - runner_up >= th.margin:
            return Decision("answer", (faqs[0],))
    choices = tuple(c for c in faqs[:MAX_CHOICES] if c.score >= th.clarify)
    if choices:
        return Decision("clarify", choices)
    if intents and intents[0].score >= th.clarify:
        return Decision("intent", (intents[0],))
    return Decision("fallback")


class Policy:
    """The bot's manners, as code: what each kind of message gets."""

    def __init__(self, content: Content, thresholds: Thresholds) -> None:
        self.content = content
        self.thresholds = thresholds

    # text -----------------------------------------------------------------

    def respond(self, turn: Turn, ranked: Sequence[Scored]) -> None:
        """Act on a text message given the NLU's ranked candidates."""
        decision = decide(ranked, self.thresholds, self.content.faq.keys())
        if decision.kind == "intent":
            return self.intent(turn, decision.choices[0])
        if decision.kind == "answer":
            best = decision.choices[0]
            return self.answer(turn, best.label[len(FAQ_PREFIX) :], best.score)
        if decision.kind == "clarify":
            return self.clarify(turn, decision.choices)
        return self.fallback(turn, ranked[0] if ranked else None)

    def intent(self, turn: Turn, match: Scored) -> None:
        """Handle a recognised intent."""
        name = match.label
        turn.understood.intent, turn.understood.confidence = name, match.score
        handler = getattr(self, f"on_{name}", None)
        if handler is not None:
            handler(turn)
        elif turn.renderer.has(name):
            turn.say(name)
        else:
            self.fallback(turn, match)

    def answer(self, turn: Turn, faq_id: str, score: float | None = None) -> None:
        """Give an FAQ entry's answer in the customer's language."""
        entry = self.content.faq[faq_id]
        turn.understood.faq_id, turn.understood.confidence = faq_id, score
        turn.understood.intent = turn.understood.intent or "faq"
        text = (
            entry.answer.get(turn.lang)
            or entry.answer.get("en")
            or next(iter(entry.answer.values()))
        )
        turn.say_text(text)
        answered = turn.state.setdefault("answered", [])
        answered.append(faq_id)
        turn.state["failures"] = 0
        turn.state.pop("pending", None)
        if entry.handoff:
            turn.actions.append(Handoff(reason=f"faq:{faq_id}", summary=turn.text))

    def clarify(self, turn: Turn, choices: Sequence[Scored]) -> None:
        """Ask which of a few close entries the customer meant, with buttons."""
        entries = [self.content.faq[c.label[4:]] for c in choices]
        turn.understood.intent = "clarify"
        turn.understood.confidence = choices[0].score
        buttons = tuple(Button(_label(e, turn.lang), f"{FAQ_PREFIX}{e.id}") for e in entries)
        buttons += (Button(turn.render("button_something_else") or "…", BUTTON_ELSE),)
        turn.say("clarify", buttons=buttons)
        turn.state["pending"] = {"kind": "clarify", "options": [e.id for e in entries]}
        turn.state["failures"] = turn.state.get("failures", 0) + 1

    def fallback(self, turn: Turn, best: Scored | None) -> None:
        """Nothing fits well: promise to find out, and hand to a person."""
        turn.understood.intent = "fallback"
        turn.understood.confidence = best.score if best else None
        turn.state["failures"] = turn.state.get("failures", 0) + 1
        turn.state.pop("pending", None)
        turn.say("fallback")
        turn.actions.append(Handoff(reason="no_answer", summary=turn.text))

    # intents ----------------------------------------------------------------

    def on_greet(self, turn: Turn) -> None:
        returning = turn.customer.earlier_conversations > 0 and turn.renderer.has("greet_returning")
        turn.say("greet_returning" if returning else "greet")

    def on_thanks(self, turn: Turn) -> None:
        turn.say("thanks")
        self.ask_feedback(turn)

    def on_goodbye(self, turn: Turn) -> None:
        turn.say("goodbye")
        self.ask_feedback(turn)

    def on_affirm(self, turn: Turn) -> None:
        pending = turn.state.get("pending") or {}
        options = pending.get("options") or []
        if (
            pending.get("kind") == "clarify"
            and len(options) == 1
            and options[0] in self.content.faq
        ):
            return self.answer(turn, options[0])
        turn.say("affirm")

    def on_deny(self, turn: Turn) -> None:
        if (turn.state.get("pending") or {}).get("kind") == "clarify":
            turn.state.pop("pending", None)
            turn.say("rephrase") if turn.renderer.has("rephrase") else turn.say("deny")
            return
        turn.say("deny")

    def on_human(self, turn: Turn) -> None:
        turn.say("human")
        turn.actions.append(Handoff(reason="customer_request", summary=turn.text))

    def on_bot_challenge(self, turn: Turn) -> None:
        label = turn.render("button_human") or "👤"
        turn.say("bot_challenge", buttons=(Button(label, BUTTON_HUMAN),))

    def ask_feedback(self, turn: Turn) -> None:
        """After an answered question, once per conversation: rate 1–5."""
        if not turn.state.get("answered") or turn.state.get("feedback_asked"):
            return
        turn.state["feedback_asked"] = True
        stars = tuple(Button("⭐" * n, f"{FEEDBACK_PREFIX}{n}") for n in range(1, 6))
        turn.say("feedback_ask", buttons=stars)


def _label(entry: FaqEntry, lang: str, limit: int = 60) -> str:
    title = entry.title(lang)
    return title if len(title) <= limit else title[: limit - 1] + "…"
