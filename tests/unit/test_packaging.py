"""A wheel carries the example content, so ``frontdesk init`` works after ``pip install``."""

from __future__ import annotations

import sysconfig
import tomllib
from pathlib import Path

import pytest

from bot import config

ROOT = Path(__file__).resolve().parents[2]


def test_every_example_content_file_is_installed_with_the_wheel() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files: dict[str, list[str]] = project["tool"]["setuptools"]["data-files"]
    shipped = {path for globs in data_files.values() for g in globs for path in ROOT.glob(g)}
    content = {
        path
        for folder in ("intents", "responses", "handoff")
        for path in (ROOT / folder).rglob("*.yml")
        if "drafts" not in path.parts
    }
    assert content and content <= shipped, sorted(map(str, content - shipped))
    for target, globs in data_files.items():  # each file lands where its folder says
        for path in (p for g in globs for p in ROOT.glob(g)):
            relative = path.parent.relative_to(ROOT).as_posix()
            assert target == f"share/frontdesk/content/{relative}"


def test_installed_content_is_the_default_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path / "site-packages")
    installed = tmp_path / "venv" / "share" / "frontdesk" / "content"
    paths = {"data": str(tmp_path / "venv")}
    monkeypatch.setattr(sysconfig, "get_path", lambda name, *a, **k: paths[name])
    monkeypatch.chdir(tmp_path)
    assert config.default_content_dir() == tmp_path  # nothing installed: the working folder
    (installed / "intents").mkdir(parents=True)
    assert config.default_content_dir() == installed
