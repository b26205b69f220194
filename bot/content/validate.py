"""``frontdesk validate``: every problem of a content folder, with file and line.

Structural problems (broken YAML, wrong shapes) come from the loader and stop
the other checks. On a folder that loads, these semantic checks run:

==========================================================================  ========
finding                                                                     severity
==========================================================================  ========
an example under two intents                                                error
an example twice within one intent                                          warning
an FAQ question under two entries                                           error
an FAQ question twice within one entry                                      warning
an FAQ question that is also an intent example                              error
a built-in intent with no examples                                          error
a built-in intent with fewer than 3 examples in a declared language         warning
a template the engine renders (:data:`REQUIRED_TEMPLATES`) is missing       error
an engine template (see below) or FAQ answer missing a declared language    error
any other template, FAQ questions or an offer pitch without a language      warning
an unknown ``{variable}`` (:data:`VARIABLES`) or braces that don't parse    error
"I don't know" in any language in a template, FAQ answer or pitch           error
an FAQ's ``offers:`` id that is not in the catalog                          error
an offer's ``for:`` slug that is neither an FAQ id nor a tag                warning
a live FAQ answer still saying ``TODO: write the answer`` (from a draft)      error
a draft FAQ entry (``responses/drafts/``), awaiting review                  draft
a problem in ``handoff/settings.yml`` (its loader's own checks)             error
==========================================================================  ========

Drafts are listed apart, after the warnings, with what is left to do in each
(answers still ``TODO``); they never fail validation and are never served.

"Engine templates" are :data:`ENGINE_TEMPLATES` plus every template named
after an intent (an intent with a same-named response just answers); a
missing translation there means a customer gets no reply, hence an error.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.content.loader import load_content
from bot.content.model import BUILTIN_INTENTS, Content, Where
from bot.errors import ContentError, Problem
from bot.guard.validate import validate_guard
from bot.handoff.settings import settings_problems
from bot.language import detect

#: Variables the engine fills in every template.
VARIABLES = frozenset({"name", "company", "topic", "wait", "agent"})
#: Extra variables a particular template is documented to receive.
TEMPLATE_EXTRAS: dict[str, frozenset[str]] = {}
#: Templates the engine renders by name; it cannot do without these.
REQUIRED_TEMPLATES = frozenset(
    {
        "greet", "goodbye", "thanks", "affirm", "deny", "human", "bot_challenge",
        "clarify", "fallback", "feedback_ask", "feedback_thanks", "feedback_sorry",
        "empty", "too_long", "non_text", "unknown_button", "error",
        "button_human", "button_something_else",
        # the offer stage (bot/offers; responses/offer_replies.yml)
        "offer_button_more", "offer_button_no", "offer_accepted", "offer_accepted_no_link",
        "offer_declined",
        # human handoff (bot/handoff; responses/handoff.yml)
        "handoff_connecting", "handoff_after_hours", "handoff_no_agent", "handoff_joined",
        "handoff_returned", "handoff_resolved",
    }
)  # fmt: skip
#: Templates the engine uses when present.
ENGINE_TEMPLATES = REQUIRED_TEMPLATES | {
    "greet_returning",
    "rephrase",
    "company_name",
    "slow_down",
    "handoff_waiting",
}
#: The manner rule: never say "I don't know" (matched case-insensitively).
FORBIDDEN = (
    "i don't know",
    "i do not know",
    "모르겠",
    "わかりません",
    "分かりません",
    "知りません",
)
MIN_EXAMPLES = 3

_SLUG = re.compile(r"[a-z0-9-]+")
_FORMATTER = string.Formatter()


def normalise(text: str) -> str:
    """NFKC, casefolded, whitespace collapsed: how duplicates are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _err(where: Where, message: str) -> Problem:
    return Problem(where.file, where.line, message, "error")


def _warn(where: Where, message: str) -> Problem:
    return Problem(where.file, where.line, message, "warning")


def _short(text: str, limit: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# intents and questions --------------------------------------------------------


def check_examples(content: Content) -> Iterator[Problem]:
    """Examples shared between intents (error) or repeated within one (warning)."""
    seen: dict[str, tuple[str, Where]] = {}
    for ex in content.examples:
        key = normalise(ex.text)
        if key not in seen:
            seen[key] = (ex.intent, ex.where)
            continue
        intent, first = seen[key]
        shown = _short(ex.text)
        if intent == ex.intent:
            yield _warn(ex.where, f"example '{shown}' repeated in intent '{intent}' (also {first})")
        else:
            message = f"example '{shown}' is under intents '{intent}' ({first}) and '{ex.intent}'"
            yield _err(ex.where, message)


def check_questions(content: Content) -> Iterator[Problem]:
    """FAQ questions shared between entries or with intent examples."""
    examples = {normalise(e.text): e for e in content.examples}
    seen: dict[str, str] = {}
    for entry in content.faq.values():
        for question in (q for qs in entry.questions.values() for q in qs):
            key, shown = normalise(question), _short(question)
            what = f"FAQ '{entry.id}': question '{shown}'"
            owner = seen.setdefault(key, entry.id)
            if owner != entry.id:
                other = content.faq[owner].where
                yield _err(entry.where, f"{what} is also asked by FAQ '{owner}' ({other})")
            if key in examples:
                ex = examples[key]
                yield _err(
                    entry.where, f"{what} is also an example of intent '{ex.intent}' ({ex.where})"
                )
        yield from _repeated_questions(entry.id, entry.where, entry.questions)


def _repeated_questions(
    entry_id: str, where: Where, questions: dict[str, tuple[str, ...]]
) -> Iterator[Problem]:
    keys = [normalise(q) for qs in questions.values() for q in qs]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        yield _warn(where, f"FAQ '{entry_id}': question '{_short(key)}' is listed more than once")


def check_builtin_intents(content: Content) -> Iterator[Problem]:
    """Built-in intents exist, with enough examples in every declared language."""
    for intent in BUILTIN_INTENTS:
        examples = [e for e in content.examples if e.intent == intent]
        if not examples:
            yield _err(Where("intents", 0), f"built-in intent '{intent}' has no examples")
            continue
        counts = dict.fromkeys(content.languages, 0)
        for ex in examples:
            detected = detect(ex.text)
            if detected in counts:
                counts[detected] += 1
        for lang, count in counts.items():
            if count < MIN_EXAMPLES:
                yield _warn(
                    examples[0].where,
                    f"built-in intent '{intent}' has {count} example(s) in '{lang}' "
                    f"(at least {MIN_EXAMPLES} recommended)",
                )


# translations, variables, manner ----------------------------------------------


def check_translations(content: Content) -> Iterator[Problem]:
    """Every bot text in every declared language, and the engine's templates present."""
    langs = content.languages
    for name in sorted(REQUIRED_TEMPLATES - set(content.templates)):
        yield _err(Where("responses", 0), f"response '{name}' is missing; the engine says it")
    used = ENGINE_TEMPLATES | set(content.intents)
    for tpl in content.templates.values():
        missing = [lang for lang in langs if not tpl.variants.get(lang)]
        if missing:
            report = _err if tpl.name in used else _warn
            yield report(tpl.where, f"response '{tpl.name}' has no text in {', '.join(missing)}")
    for entry in content.faq.values():
        missing = [lang for lang in langs if not entry.answer.get(lang)]
        if missing:
            yield _err(entry.where, f"FAQ '{entry.id}' answer has no text in {', '.join(missing)}")
        missing = [lang for lang in langs if not entry.questions.get(lang)]
        if missing:
            yield _warn(entry.where, f"FAQ '{entry.id}' has no questions in {', '.join(missing)}")
    for offer in content.offers.values():
        missing = [lang for lang in langs if not offer.pitch.get(lang)]
        if missing:
            message = f"pitch has no text in {', '.join(missing)}"
            yield _warn(offer.where, f"offer '{offer.id}' {message}")


def check_variables(content: Content) -> Iterator[Problem]:
    """Template ``{variables}`` are known and braces parse."""
    for tpl in content.templates.values():
        allowed = VARIABLES | TEMPLATE_EXTRAS.get(tpl.name, frozenset())
        for lang, variants in tpl.variants.items():
            for text in variants:
                what = f"response '{tpl.name}' ({lang})"
                try:
                    fields = [f for _, f, _, _ in _FORMATTER.parse(text) if f is not None]
                except ValueError as exc:
                    hint = "write {{ and }} for literal braces"
                    yield _err(tpl.where, f"{what}: braces don't parse ({exc}); {hint}")
                    continue
                for field in fields:
                    base = re.split(r"[.\[]", field, maxsplit=1)[0]
                    if base not in allowed:
                        shown = f"{{{field}}}" if field else "{}"
                        known = ", ".join(f"{{{v}}}" for v in sorted(allowed))
                        yield _err(tpl.where, f"{what}: unknown variable {shown} (known: {known})")


def _bot_texts(content: Content) -> Iterator[tuple[Where, str, str]]:
    for tpl in content.templates.values():
        for lang, variants in tpl.variants.items():
            yield from ((tpl.where, f"response '{tpl.name}' ({lang})", t) for t in variants)
    for entry in content.faq.values():
        for lang, text in entry.answer.items():
            yield entry.where, f"FAQ '{entry.id}' answer ({lang})", text
    for offer in content.offers.values():
        for lang, text in offer.pitch.items():
            yield offer.where, f"offer '{offer.id}' pitch ({lang})", text


def check_manner(content: Content) -> Iterator[Problem]:
    """Never say "I don't know": say you will find out."""
    for where, what, text in _bot_texts(content):
        flat = normalise(text).replace("\u2019", "'").replace("\u2018", "'")
        for phrase in FORBIDDEN:
            if phrase in flat:
                hint = "never say you don't know: say you will find out"
                yield _err(where, f'{what} says "{phrase}"; {hint}')


# offers and drafts --------------------------------------------------------------


def check_offers(content: Content) -> Iterator[Problem]:
    """FAQ ``offers:`` exist; offer ``for:`` words name an FAQ id or tag, or look like products."""
    for entry in content.faq.values():
        for offer_id in entry.offers:
            if offer_id not in content.offers:
                yield _err(
                    entry.where, f"FAQ '{entry.id}': offer '{offer_id}' is not in the catalog"
                )
    known = set(content.faq) | {tag for e in content.faq.values() for tag in e.tags}
    for offer in content.offers.values():
        for word in offer.for_:
            if word not in known and _SLUG.fullmatch(word):
                message = f"'{word}' is not an FAQ id or tag; used as a product word"
                yield _warn(offer.where, f"offer '{offer.id}': {message}")


#: The answer ``frontdesk faq suggest`` leaves where nobody has answered yet.
TODO_ANSWER = "TODO: write the answer"


def check_todo_answers(content: Content) -> Iterator[Problem]:
    """A draft moved live before its answer was written."""
    for entry in content.faq.values():
        for lang, text in entry.answer.items():
            if TODO_ANSWER.casefold() in text.casefold():
                yield _err(entry.where, f"FAQ '{entry.id}' answer ({lang}) is still '{text}'")


def check_drafts(content: Content) -> Iterator[Problem]:
    """Draft entries are listed apart, for review, with the answers still to write."""
    for entry in content.drafts.values():
        todo = [lang for lang, text in entry.answer.items() if TODO_ANSWER in text]
        missing = [lang for lang in content.languages if not entry.answer.get(lang)]
        notes = []
        if todo:
            notes.append(f"answer to write in {', '.join(todo)}")
        if missing:
            notes.append(f"no answer in {', '.join(missing)}")
        detail = f" ({'; '.join(notes)})" if notes else ""
        where = entry.where
        yield Problem(where.file, where.line, f"draft FAQ '{entry.id}'{detail}", "draft")


CHECKS = (
    check_examples,
    check_questions,
    check_builtin_intents,
    check_translations,
    check_variables,
    check_manner,
    check_offers,
    check_todo_answers,
    check_drafts,
)


def validate(root: Path) -> list[Problem]:
    """All findings about the content folder at ``root``: errors first, then warnings."""
    try:
        content = load_content(root)
    except ContentError as exc:
        return [Problem(p.file, p.line, p.message, "error") for p in exc.problems]
    except OSError as exc:
        return [Problem(str(root), 0, f"cannot read: {exc.strerror or exc}", "error")]
    return check(root, content)


def check(root: Path, content: Content) -> list[Problem]:
    """The checks after loading (``content`` is ``root`` loaded): errors first, then warnings."""
    problems = [p for check in CHECKS for p in check(content)]
    problems += validate_guard(root, content=content)
    problems += [Problem(p.file, p.line, p.message, "error") for p in settings_problems(root)]
    order = {"error": 0, "warning": 1, "draft": 2}
    return sorted(problems, key=lambda p: order.get(p.severity, 1))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def main(root: Path) -> int:
    """Print the report for ``root``; 1 if anything is an error, else 0."""
    console = Console(highlight=False, soft_wrap=True)
    problems = validate(root)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    drafts = [p for p in problems if p.severity == "draft"]
    console.print(f"[bold]validating[/] {escape(str(root))}")
    sections = (
        ("errors", "bold red", errors),
        ("warnings", "yellow", warnings),
        ("drafts awaiting review (not live; move an entry into responses/faq/)", "cyan", drafts),
    )
    for title, style, group in sections:
        if group:
            console.print(f"[{style}]{title}[/]")
        for p in group:
            where = f"{p.file}:{p.line}" if p.line else p.file
            console.print(f"  {where}: {p.message}", markup=False)
    style = "bold red" if errors else "bold green"
    pending = f", {_plural(len(drafts), 'draft')} awaiting review" if drafts else ""
    console.print(
        f"[{style}]{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')}{pending}[/]"
    )
    return 1 if errors else 0
