"""The content watcher: fingerprints, and a burst of edits settling into one reload."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.content.watch import Settle, changes, fingerprint, watch


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fingerprint_covers_the_content_yaml_and_nothing_else(tmp_path: Path) -> None:
    write(tmp_path, "intents/builtin.yml", "nlu: []\n")
    write(tmp_path, "responses/faq/shop.yaml", "faq: []\n")
    write(tmp_path, "handoff/guard/en.yml", "abuse: []\n")
    write(tmp_path, "responses/notes.txt", "not content")
    write(tmp_path, "tests/conversations/a.yml", "tests: []\n")
    write(tmp_path, "frontdesk.yml", "x: 1\n")

    files = [f[0] for f in fingerprint(tmp_path)]

    assert files == ["handoff/guard/en.yml", "intents/builtin.yml", "responses/faq/shop.yaml"]


def test_the_fingerprint_changes_with_an_edit_an_addition_and_a_removal(tmp_path: Path) -> None:
    faq = write(tmp_path, "responses/faq/shop.yml", "faq: []\n")
    start = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == start

    faq.write_text("faq: [] # edited\n", encoding="utf-8")
    edited = fingerprint(tmp_path)
    write(tmp_path, "responses/faq/more.yml", "faq: []\n")
    added = fingerprint(tmp_path)
    faq.unlink()
    removed = fingerprint(tmp_path)

    assert changes(start, edited) == ["responses/faq/shop.yml"]
    assert changes(edited, added) == ["responses/faq/more.yml"]
    assert changes(added, removed) == ["responses/faq/shop.yml"]
    assert changes(start, start) == []


def test_a_save_with_the_same_size_is_noticed_by_its_time(tmp_path: Path) -> None:
    faq = write(tmp_path, "responses/faq/shop.yml", "faq: [a]\n")
    start = fingerprint(tmp_path)
    faq.write_text("faq: [b]\n", encoding="utf-8")
    later = os.stat(faq).st_mtime_ns + 1_000_000
    os.utime(faq, ns=(later, later))
    assert changes(start, fingerprint(tmp_path)) == ["responses/faq/shop.yml"]


A, B, C = (("f.yml", 1, 1),), (("f.yml", 2, 2),), (("f.yml", 3, 3),)


def test_a_change_is_acted_on_once_it_has_settled() -> None:
    settle = Settle(A)
    assert [settle.observe(fp) for fp in (A, B, B, B)] == [False, False, True, False]
    assert settle.loaded == B


def test_a_burst_of_edits_makes_one_reload() -> None:
    settle = Settle(A)
    polls = (B, C, B, C, C, C)  # an editor's writes, then quiet
    assert [settle.observe(fp) for fp in polls] == [False] * 4 + [True, False]


def test_an_edit_undone_before_it_settled_is_no_change() -> None:
    settle = Settle(A)
    assert [settle.observe(fp) for fp in (B, A, A)] == [False, False, False]


def test_a_refused_version_is_not_retried_until_the_folder_changes_again() -> None:
    settle = Settle(A)
    assert [settle.observe(fp) for fp in (B, B)] == [False, True]  # reloaded, say refused
    assert [settle.observe(fp) for fp in (B, B, B)] == [False, False, False]
    assert [settle.observe(fp) for fp in (C, C)] == [False, True]  # the fix


async def test_watch_calls_back_once_per_settled_edit(tmp_path: Path) -> None:
    faq = write(tmp_path, "responses/faq/shop.yml", "faq: []\n")
    seen: list[list[str]] = []
    task = asyncio.create_task(watch(tmp_path, fingerprint(tmp_path), seen.append, every=0.02))
    try:
        await asyncio.sleep(0.1)
        assert seen == []  # nothing changed
        faq.write_text("faq: [] # edited\n", encoding="utf-8")
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # time for a second (wrong) call
    finally:
        task.cancel()
    assert seen == [["responses/faq/shop.yml"]]
