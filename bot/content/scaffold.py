"""``frontdesk init DIR``: a new content folder that works from the first minute.

The built-in intents and templates are copied from the default content as they
are; an FAQ entry, an offer and a conversation test (``skeleton/``, commented
in en/ko/ja) show the admin what to replace.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.errors import FrontdeskError

SKELETON = Path(__file__).with_name("skeleton")
#: Company-specific files of the default content, never copied.
NOT_COPIED = frozenset({"offers.yml", "offers.yaml"})


def _yaml(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def _plan(target: Path, source: Path) -> list[tuple[Path, Path]]:
    """(from, to) pairs for every file of the new folder."""
    intents = _yaml(source / "intents")
    templates = [p for p in _yaml(source / "responses") if p.name not in NOT_COPIED]
    if not intents or not templates:
        raise FrontdeskError(f"{source} has no built-in intents/ and responses/ to copy")
    plan = [(p, target / "intents" / p.name) for p in intents]
    plan += [(p, target / "responses" / p.name) for p in templates]
    settings = source / "handoff" / "settings.yml"
    if settings.is_file():
        plan.append((settings, target / "handoff" / "settings.yml"))
    plan += [
        (p, target / "handoff" / "guard" / p.name) for p in _yaml(source / "handoff" / "guard")
    ]
    plan += [
        (p, target / p.relative_to(SKELETON))
        for p in sorted(SKELETON.rglob("*"))
        if p.is_file() and p.suffix == ".yml"
    ]
    return plan


def init(target: Path, *, source: Path) -> list[Path]:
    """Create a content folder at ``target`` from ``source``; return the files created.

    Raises :class:`FrontdeskError` if ``target`` exists and is not an empty folder.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FrontdeskError(f"{target} already exists and is not empty; choose a new folder")
    plan = _plan(target, source)
    created: list[Path] = []
    for src, dst in plan:
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        except OSError as exc:
            raise FrontdeskError(f"cannot write {dst}: {exc.strerror or exc}") from exc
        created.append(dst)
    return created


def main(target: Path) -> int:
    """Scaffold ``target`` from the default content and say what to do next."""
    from bot.config import default_content_dir

    console = Console(highlight=False, soft_wrap=True)
    try:
        created = init(target, source=default_content_dir())
    except FrontdeskError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 1
    console.print(f"[bold green]created[/] {escape(str(target))}")
    for path in created:
        console.print(f"  {path.relative_to(target).as_posix()}", markup=False)
    console.print(
        "replace the examples in responses/faq/, responses/offers.yml and tests/conversations/,"
        " and check the company_name response",
        markup=False,
    )
    console.print(
        f"next: frontdesk validate {target}; frontdesk chat --content {target}", markup=False
    )
    return 0
