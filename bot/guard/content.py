"""The guard's content: ``handoff/guard/`` of a content folder.

``<lang>.yml`` holds a language's word lists, ``thresholds.yml`` the numbers,
``customer_types.yml`` the customer types and their recommended approach. Each
file documents its own format at the top. A content folder without
``handoff/guard/`` uses the default content's (``frontdesk init`` folders start
that way); ``frontdesk validate`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.yamlfile import read_yaml
from bot.errors import ContentError, Problem
from bot.guard.lexicon import KINDS, WORD_SETS, Lexicon
from bot.guard.settings import GuardSettings, read_settings

GUARD_DIR = Path("handoff") / "guard"
THRESHOLDS = "thresholds.yml"
CUSTOMER_TYPES = "customer_types.yml"
TYPES = ("satisfied_now_annoyed", "loyal_enthusiast", "extreme_critic", "active_hater")
#: Top-level lists of a lexicon file; ``frustration`` and ``threats`` hold sub-lists.
GROUPS = {"frustration": ("strong", "medium", "mild"), "threats": ("legal", "physical")}
LISTS = tuple(k for k in KINDS if k not in sum(GROUPS.values(), ())) + WORD_SETS


@dataclass(frozen=True, slots=True)
class TypeText:
    """How a customer type is shown to agents, per language."""

    label: dict[str, str]
    approach: dict[str, str]


@dataclass(frozen=True, slots=True)
class GuardContent:
    """Everything the guard reads from content."""

    folder: Path
    lexicons: dict[str, Lexicon]
    settings: GuardSettings
    types: dict[str, TypeText] = field(default_factory=dict)
    lists: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def guard_folder(root: Path, fallback: Path | None = None) -> Path:
    """``root``'s ``handoff/guard/``, or ``fallback``'s when ``root`` has none."""
    folder = root / GUARD_DIR
    if not folder.is_dir() and fallback is not None:
        return fallback / GUARD_DIR
    return folder


def _entries(value: Any, file: str, path: str, line: int) -> Iterator[Problem | str]:
    if value is None:
        return
    if not isinstance(value, list):
        yield Problem(file, line, f"'{path}' must be a list of words or phrases")
        return
    line = int(getattr(value, "line", line))
    for item in value:
        if isinstance(item, str) and item.strip():
            yield item
        else:
            hint = ' (write it in quotes, e.g. "yes")' if isinstance(item, bool | int) else ""
            yield Problem(file, line, f"'{path}': {item!r} is not a word or phrase{hint}")


def read_lists(data: Any, file: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """A lexicon file's lists by kind (sub-lists flattened), and its problems."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return {}, [Problem(file, 1, "expected a mapping of lists at the top of the file")]
    known = {"language", *LISTS, *GROUPS}
    for key in sorted(set(map(str, data)) - known):
        problems.append(
            Problem(file, 1, f"unknown list '{key}' (known: {', '.join(sorted(known))})")
        )
    lists: dict[str, list[str]] = {}
    plain = [(k, data.get(k), k) for k in LISTS]
    for group, subs in GROUPS.items():
        block = data.get(group) or {}
        if not isinstance(block, Mapping):
            problems.append(Problem(file, 1, f"'{group}' must map {' / '.join(subs)} to lists"))
            continue
        for extra in sorted(set(map(str, block)) - set(subs)):
            line = int(getattr(block, "line", 1))
            problems.append(Problem(file, line, f"unknown list '{group}.{extra}'"))
        plain += [(sub, block.get(sub), f"{group}.{sub}") for sub in subs]
    for kind, value, path in plain:
        line = int(getattr(value, "line", 1))
        for item in _entries(value, file, path, line):
            if isinstance(item, Problem):
                problems.append(item)
            else:
                lists.setdefault(kind, []).append(item)
    for kind, items in lists.items():
        for raw in items:
            if raw.startswith("re:"):
                try:
                    re.compile(raw[3:])
                except re.error as exc:
                    problems.append(Problem(file, 1, f"'{kind}': bad pattern {raw!r}: {exc}"))
    return lists, problems


def _types(
    data: Any, file: str, langs: tuple[str, ...]
) -> tuple[dict[str, TypeText], list[Problem]]:
    problems: list[Problem] = []
    block = data.get("types") if isinstance(data, Mapping) else None
    if not isinstance(block, Mapping):
        return {}, [Problem(file, 1, "expected 'types:' with the four customer types")]
    out: dict[str, TypeText] = {}
    for name in TYPES:
        item = block.get(name)
        line = int(getattr(item, "line", getattr(block, "line", 1)))
        if not isinstance(item, Mapping):
            problems.append(Problem(file, line, f"customer type '{name}' is missing"))
            continue
        texts: dict[str, dict[str, str]] = {}
        for part in ("label", "approach"):
            value = item.get(part)
            value = value if isinstance(value, Mapping) else {}
            texts[part] = {str(k): str(v).strip() for k, v in value.items() if str(v).strip()}
            missing = [lang for lang in langs if not texts[part].get(lang)]
            if missing:
                message = f"customer type '{name}': '{part}' has no text in {', '.join(missing)}"
                problems.append(Problem(file, line, message))
        out[name] = TypeText(texts["label"], texts["approach"])
    for extra in sorted(set(map(str, block)) - set(TYPES)):
        message = f"unknown customer type '{extra}' (the types are {', '.join(TYPES)})"
        problems.append(Problem(file, 1, message, "warning"))
    return out, problems


def read_guard(
    root: Path, *, fallback: Path | None = None, langs: tuple[str, ...] = ("en", "ko", "ja")
) -> tuple[GuardContent | None, list[Problem]]:
    """The guard content of a content folder, and every problem found (never raises)."""
    folder = guard_folder(root, fallback)
    problems: list[Problem] = []

    def load(name: str) -> tuple[Any, str]:
        path = folder / name
        data, problem = read_yaml(path, root if folder.is_relative_to(root) else folder.parent)
        if problem is not None:
            problems.append(problem)
        return data, problem.file if problem else _shown(path, root)

    if not folder.is_dir():
        return None, [Problem(_shown(folder, root), 0, "the guard's folder is missing")]
    lexicons: dict[str, Lexicon] = {}
    all_lists: dict[str, dict[str, list[str]]] = {}
    for lang in langs:
        if not (folder / f"{lang}.yml").is_file():
            message = f"no word lists for '{lang}': the guard reads only shouting and repeats there"
            problems.append(Problem(_shown(folder, root), 0, message, "warning"))
            continue
        data, file = load(f"{lang}.yml")
        if data is None:
            continue
        lists, found = read_lists(data, file)
        problems += found
        if isinstance(data, Mapping) and data.get("language", lang) != lang:
            problems.append(Problem(file, 1, f"'language' must be '{lang}', as the file name"))
        if not any(p.severity == "error" for p in found):
            all_lists[lang] = lists
            lexicons[lang] = Lexicon.build(lang, lists)
    data, file = load(THRESHOLDS)
    settings, found = read_settings(data, file) if data is not None else (None, [])
    problems += found
    data, file = load(CUSTOMER_TYPES)
    types, found = _types(data, file, langs) if data is not None else ({}, [])
    problems += found
    if settings is None or any(p.severity == "error" for p in problems):
        return None, problems
    return GuardContent(folder, lexicons, settings, types, all_lists), problems


def load_guard(
    root: Path, *, fallback: Path | None = None, langs: tuple[str, ...] = ("en", "ko", "ja")
) -> GuardContent:
    """The guard content, or :class:`ContentError` with every error found."""
    content, problems = read_guard(root, fallback=fallback, langs=langs)
    if content is None:
        raise ContentError([p for p in problems if p.severity == "error"] or problems)
    return content


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
