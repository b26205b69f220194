"""The engine and its parts never import a platform library (DESIGN.md, "Layout")."""

import ast
from pathlib import Path

import bot

PLATFORM_LIBS = {"slack_bolt", "slack_sdk", "telegram"}
PACKAGE = Path(bot.__file__).parent
ADAPTERS = {PACKAGE / "channels", PACKAGE / "handoff"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_library() -> None:
    core = [p for p in PACKAGE.rglob("*.py") if not any(a in p.parents for a in ADAPTERS)]
    assert len(core) > 10
    offenders = {str(p.relative_to(PACKAGE)): _imports(p) & PLATFORM_LIBS for p in core}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_would_notice_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import slack_bolt\nfrom telegram.ext import Application\n")
    assert _imports(sample) & PLATFORM_LIBS == {"slack_bolt", "telegram"}
