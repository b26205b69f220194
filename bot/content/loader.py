"""Load a content folder (``intents/``, ``responses/``) into :class:`Content`.

Structural problems (broken YAML, wrong shapes) are collected with file and line
and raised together as one :class:`ContentError`; semantic checks live in
:mod:`bot.content.validate`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.content.model import Content, FaqEntry, IntentExample, OfferItem, Template, Where
from bot.content.yamlfile import read_yaml
from bot.errors import ContentError, Problem
from bot.models import LANGS

_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
OFFER_KINDS = ("upsell", "cross_sell")


def yaml_files(folder: Path) -> list[Path]:
    """YAML files under ``folder``, sorted, or none when it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.examples: list[IntentExample] = []
        self.templates: dict[str, Template] = {}
        self.faq: dict[str, FaqEntry] = {}
        self.drafts: dict[str, FaqEntry] = {}
        self.offers: dict[str, OfferItem] = {}
        self.languages: tuple[str, ...] = LANGS

    def error(self, where: Where, message: str) -> None:
        self.problems.append(Problem(where.file, where.line, message))

    def read(self, path: Path) -> tuple[Any, str]:
        data, problem = read_yaml(path, self.root)
        rel = path.relative_to(self.root).as_posix()
        if problem:
            self.problems.append(problem)
            return None, rel
        if data is not None and not isinstance(data, dict):
            self.error(Where(rel, 1), "expected a mapping at the top of the file")
            return None, rel
        return data or {}, rel

    # intents ---------------------------------------------------------------

    def intents_file(self, path: Path) -> None:
        data, rel = self.read(path)
        if data is None:
            return
        items = data.get("nlu") or []
        if not isinstance(items, list):
            self.error(Where(rel, getattr(items, "line", 1)), "'nlu' must be a list")
            return
        for item in items:
            where = Where(rel, getattr(item, "line", 0))
            if not isinstance(item, dict):
                self.error(where, "each 'nlu' item must be a mapping")
                continue
            if "intent" not in item:
                continue  # synonyms, regexes, lookups: Rasa's, not ours
            name, block = item.get("intent"), item.get("examples")
            if not isinstance(name, str) or not name.strip():
                self.error(where, "'intent' must be a non-empty name")
                continue
            if not isinstance(block, str):
                self.error(where, f"intent '{name}': 'examples' must be a block of '- ' lines")
                continue
            first = where.line + 2  # the line after 'examples: |'
            for offset, raw in enumerate(block.splitlines()):
                text = raw.strip()
                if not text:
                    continue
                ex_where = Where(rel, first + offset)
                if not text.startswith("- "):
                    self.error(ex_where, f"intent '{name}': example must start with '- '")
                    continue
                text = _ENTITY.sub(r"\1", text[2:].strip())
                if text:
                    self.examples.append(IntentExample(name, text, ex_where))

    # responses ----------------------------------------------------------------

    def responses_file(self, path: Path, *, drafts: bool) -> None:
        data, rel = self.read(path)
        if data is None:
            return
        if "languages" in data:
            langs = data["languages"]
            if isinstance(langs, list) and all(isinstance(x, str) for x in langs) and langs:
                self.languages = tuple(langs)
            else:
                self.error(Where(rel, 1), "'languages' must be a list of codes like [en, ko, ja]")
        known = {"responses", "faq", "offers", "languages", "version"}
        for key in set(data) - known:
            self.error(Where(rel, 1), f"unknown top-level key '{key}' (expected {sorted(known)})")
        if "responses" in data:
            self.templates_block(data["responses"], rel)
        if "faq" in data:
            target = self.drafts if drafts else self.faq
            self.faq_block(data["faq"], rel, target)
        if "offers" in data:
            self.offers_block(data["offers"], rel)

    def templates_block(self, block: Any, rel: str) -> None:
        if not isinstance(block, dict):
            self.error(Where(rel, getattr(block, "line", 1)), "'responses' must be a mapping")
            return
        for name, per_lang in block.items():
            where = Where(rel, getattr(per_lang, "line", 0) or getattr(block, "line", 0))
            variants = self.per_language(per_lang, where, f"response '{name}'", many=True)
            if name in self.templates:
                self.error(
                    where, f"response '{name}' defined twice (also {self.templates[name].where})"
                )
            if variants is not None:
                self.templates[name] = Template(name, variants, where)

    def per_language(
        self, value: Any, where: Where, what: str, *, many: bool
    ) -> dict[str, tuple[str, ...]] | None:
        if not isinstance(value, dict):
            self.error(where, f"{what}: expected a mapping of language → text")
            return None
        out: dict[str, tuple[str, ...]] = {}
        for lang, texts in value.items():
            if isinstance(texts, str):
                texts = [texts]
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                self.error(where, f"{what}: '{lang}' must be {'a list of ' if many else ''}text")
                continue
            if not many and len(texts) != 1:
                self.error(where, f"{what}: '{lang}' must be one text")
                continue
            out[str(lang)] = tuple(t.strip() for t in texts if t.strip())
        return out

    def faq_block(self, block: Any, rel: str, target: dict[str, FaqEntry]) -> None:
        if not isinstance(block, list):
            self.error(Where(rel, getattr(block, "line", 1)), "'faq' must be a list of entries")
            return
        for item in block:
            where = Where(rel, getattr(item, "line", 0))
            if not isinstance(item, dict):
                self.error(where, "each FAQ entry must be a mapping")
                continue
            entry_id = item.get("id")
            if not isinstance(entry_id, str) or not entry_id.strip():
                self.error(where, "FAQ entry without an 'id'")
                continue
            what = f"FAQ '{entry_id}'"
            questions = self.per_language(
                item.get("questions"), where, f"{what} questions", many=True
            )
            answers = self.per_language(item.get("answer"), where, f"{what} answer", many=False)
            tags, offers = item.get("tags") or [], item.get("offers") or []
            if not isinstance(tags, list) or not isinstance(offers, list):
                self.error(where, f"{what}: 'tags' and 'offers' must be lists")
                continue
            handoff = item.get("handoff", False)
            if not isinstance(handoff, bool):
                self.error(where, f"{what}: 'handoff' must be true or false")
                continue
            if entry_id in self.faq or entry_id in target:
                self.error(where, f"{what} defined twice")
                continue
            if questions is None or answers is None:
                continue
            target[entry_id] = FaqEntry(
                id=entry_id,
                questions=questions,
                answer={lang: texts[0] for lang, texts in answers.items() if texts},
                where=where,
                tags=tuple(map(str, tags)),
                offers=tuple(map(str, offers)),
                handoff=handoff,
            )

    def offers_block(self, block: Any, rel: str) -> None:
        if not isinstance(block, list):
            self.error(Where(rel, getattr(block, "line", 1)), "'offers' must be a list")
            return
        for item in block:
            where = Where(rel, getattr(item, "line", 0))
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self.error(where, "each offer must be a mapping with an 'id'")
                continue
            offer_id = item["id"]
            kind = item.get("kind")
            if kind not in OFFER_KINDS:
                self.error(where, f"offer '{offer_id}': 'kind' must be one of {OFFER_KINDS}")
                continue
            for_ = item.get("for") or []
            if not isinstance(for_, list) or not for_:
                self.error(where, f"offer '{offer_id}': 'for' must be a non-empty list")
                continue
            pitch = self.per_language(
                item.get("pitch"), where, f"offer '{offer_id}' pitch", many=False
            )
            if offer_id in self.offers:
                self.error(where, f"offer '{offer_id}' defined twice")
                continue
            if pitch is not None:
                self.offers[offer_id] = OfferItem(
                    id=offer_id,
                    kind=kind,
                    for_=tuple(map(str, for_)),
                    pitch={lang: texts[0] for lang, texts in pitch.items() if texts},
                    where=where,
                    url=str(item.get("url") or ""),
                )


def load_content(root: Path) -> Content:
    """Read the content folder at ``root``; raise :class:`ContentError` on problems."""
    root = root.resolve()
    if not (root / "intents").is_dir() and not (root / "responses").is_dir():
        raise ContentError(
            [Problem(str(root), 0, "not a content folder (no intents/ or responses/)")]
        )
    reader = _Reader(root)
    for path in yaml_files(root / "intents"):
        reader.intents_file(path)
    drafts_dir = root / "responses" / "drafts"
    for path in yaml_files(root / "responses"):
        reader.responses_file(path, drafts=drafts_dir in path.parents)
    if reader.problems:
        raise ContentError(reader.problems)
    return Content(
        root=root,
        examples=tuple(reader.examples),
        templates=reader.templates,
        faq=reader.faq,
        offers=reader.offers,
        drafts=reader.drafts,
        languages=reader.languages,
    )
