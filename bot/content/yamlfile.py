"""YAML reading that remembers where each mapping and list came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem


class Located(dict[Any, Any]):
    """A mapping that knows its line (1-based) in the source file."""

    line: int = 0


class LocatedList(list[Any]):
    """A list that knows its line (1-based) in the source file."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    out = Located(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(loader.construct_sequence(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read_yaml(path: Path, root: Path) -> tuple[Any, Problem | None]:
    """Parse ``path``; on failure return the problem with file and line, never raise."""
    rel = _relative(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, Problem(rel, 0, f"not UTF-8 text ({exc.reason})")
    except OSError as exc:
        return None, Problem(rel, 0, f"cannot read: {exc.strerror}")
    try:
        return yaml.load(text, Loader=_Loader), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return None, Problem(rel, line, f"invalid YAML: {exc.problem or exc}")
    except yaml.YAMLError as exc:
        return None, Problem(rel, 0, f"invalid YAML: {exc}")


def line_of(value: Any, default: int = 0) -> int:
    """The source line of a located value, or ``default``."""
    return int(getattr(value, "line", default))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
