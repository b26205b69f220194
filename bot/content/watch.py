"""Noticing edits to a content folder: file fingerprints, polled, settled before acting.

No file-system events and no extra dependency: every ``every`` seconds the
watcher takes the modification time and size of each YAML file under
``intents/``, ``responses/`` and ``handoff/``. A change is acted on once the
folder has looked the same for one more poll, so an editor's burst of writes
(or a ``git pull`` touching ten files) makes one reload, not ten.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: The folders of a content folder whose files make up the content.
WATCHED = ("intents", "responses", "handoff")
SUFFIXES = (".yml", ".yaml")
EVERY = 1.0

#: (path relative to the root, modification time in ns, size) for every content file.
Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(root: Path) -> Fingerprint:
    """What the content files of ``root`` look like now (cheap: one ``stat`` per file)."""
    found: list[tuple[str, int, int]] = []
    for name in WATCHED:
        for dirpath, dirnames, filenames in os.walk(root / name):
            dirnames.sort()
            for filename in filenames:
                if not filename.endswith(SUFFIXES):
                    continue
                path = os.path.join(dirpath, filename)
                try:
                    stat = os.stat(path)
                except OSError:  # deleted between listing and stat: it is gone
                    continue
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                found.append((rel, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def changes(old: Fingerprint, new: Fingerprint) -> list[str]:
    """The files added, removed or modified between two fingerprints, sorted."""
    before, after = {f[0]: f[1:] for f in old}, {f[0]: f[1:] for f in new}
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


class Settle:
    """Decides when a changed folder has settled: the same fingerprint on two polls in a row.

    ``loaded`` is what the bot runs on; :meth:`observe` is fed each poll and says
    when to reload. After a reload (good or refused) the folder is not acted on
    again until it changes again, so a broken file is reported once, not every second.
    """

    def __init__(self, loaded: Fingerprint) -> None:
        self.loaded = loaded
        self._seen = loaded

    def observe(self, now: Fingerprint) -> bool:
        """One poll; ``True`` when the folder differs from ``loaded`` and has settled."""
        settled = now == self._seen and now != self.loaded
        self._seen = now
        if settled:
            self.loaded = now
        return settled


async def watch(
    root: Path,
    loaded: Fingerprint,
    on_change: Callable[[list[str]], None],
    *,
    every: float = EVERY,
) -> None:
    """Poll ``root`` until cancelled; call ``on_change(files)`` once per settled edit."""
    settle = Settle(loaded)
    while True:
        await asyncio.sleep(every)
        before = settle.loaded
        try:
            now = await asyncio.to_thread(fingerprint, root)
        except OSError:
            log.exception("cannot read the content folder %s", root)
            continue
        if settle.observe(now):
            on_change(changes(before, now))
