"""Unanswered questions grouped by meaning, with the embedded NLU's sentence encoder.

Identical phrasings (after NFKC, case, punctuation and spacing) are counted once; the
distinct phrasings are embedded (USE multilingual, so "Do you ship to Canada?"
and "캐나다로 배송되나요?" land together) and merged by average-linkage
agglomerative clustering on cosine similarity until the groups' mean
similarity would drop below :data:`THRESHOLD`. Above :data:`EXACT_LIMIT`
distinct phrasings, near-duplicates are first folded into their nearest
"leader" (similarity ≥ :data:`FOLD`) to keep memory and time in bounds.
``bench/groups.py`` measures the choice on labelled data.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from bot.nlu.encoder import Encoder

#: Mean cosine similarity a group keeps; chosen with ``bench/groups.py``.
THRESHOLD = 0.6
#: Above this many distinct phrasings, near-duplicates are folded first.
EXACT_LIMIT = 3000
#: Similarity at which a phrasing is folded into an earlier, more frequent one.
FOLD = 0.8
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Asked:
    """One message the bot could not answer."""

    text: str
    language: str
    channel: str


@dataclass(frozen=True, slots=True)
class Group:
    """Questions that mean about the same thing."""

    #: The phrasing closest to the group's centre.
    representative: str
    count: int
    #: Distinct phrasings, most asked first (the representative first), at most five.
    examples: tuple[str, ...]
    languages: dict[str, int]
    channels: dict[str, int]
    #: Every distinct phrasing per language, most asked first (for FAQ drafts).
    phrasings: dict[str, tuple[str, ...]]


def normalise(text: str) -> str:
    """NFKC, casefolded, punctuation dropped, whitespace collapsed: "Do you ship to
    Canada?" and "do you ship to canada" are one phrasing."""
    flat = unicodedata.normalize("NFKC", text).casefold()
    words = "".join(" " if unicodedata.category(c).startswith("P") else c for c in flat).split()
    return " ".join(words) or " ".join(flat.split())


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage clusters of unit ``vectors`` (rows, most frequent first).

    Returns lists of row indices; each list in row order, lists ordered by their
    first row.
    """
    n = len(vectors)
    if n == 0:
        return []
    if n > EXACT_LIMIT:
        return _folded(vectors, threshold)
    if n == 1:
        return [[0]]
    tree = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(np.nan_to_num(tree, nan=2.0), t=1.0 - threshold, criterion="distance")
    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        members.setdefault(int(label), []).append(row)
    return sorted(members.values(), key=lambda rows: rows[0])


def _folded(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Fold near-duplicates into leaders, cluster the leaders, unfold.

    When even the leaders are too many, fall back to :func:`_greedy`.
    """
    leaders: list[int] = []
    followers: dict[int, list[int]] = {}
    block = np.zeros((EXACT_LIMIT, vectors.shape[1]), dtype=np.float32)
    for row, vector in enumerate(vectors):
        sims = block[: len(leaders)] @ vector
        best = int(np.argmax(sims)) if len(leaders) else -1
        if best >= 0 and sims[best] >= FOLD:
            followers[leaders[best]].append(row)
            continue
        if len(leaders) == EXACT_LIMIT:
            return _greedy(vectors, threshold)
        block[len(leaders)] = vector
        leaders.append(row)
        followers[row] = [row]
    groups = cluster(block[: len(leaders)], threshold)
    return [sorted(r for i in rows for r in followers[leaders[i]]) for rows in groups]


def _greedy(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Leader clustering against running centroids: linear in groups, for huge inputs."""
    sums = np.zeros((len(vectors), vectors.shape[1]), dtype=np.float32)
    centres = np.zeros_like(sums)
    groups: list[list[int]] = []
    for row, vector in enumerate(vectors):
        if groups:
            sims = centres[: len(groups)] @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                groups[best].append(row)
                sums[best] += vector
                centres[best] = sums[best] / max(float(np.linalg.norm(sums[best])), 1e-9)
                continue
        sums[len(groups)] = centres[len(groups)] = vector
        groups.append([row])
    return groups


def group_questions(
    asked: Sequence[Asked], encoder: Encoder, *, threshold: float = THRESHOLD
) -> list[Group]:
    """Groups of ``asked``, largest first (ties: the earlier asked first)."""
    if not asked:
        return []
    counts: Counter[str] = Counter()
    first: dict[str, Asked] = {}
    langs: dict[str, Counter[str]] = {}
    channels: dict[str, Counter[str]] = {}
    for item in asked:
        key = normalise(item.text)
        if not key:
            continue
        counts[key] += 1
        first.setdefault(key, item)
        langs.setdefault(key, Counter())[item.language] += 1
        channels.setdefault(key, Counter())[item.channel] += 1
    keys = [k for k, _ in counts.most_common()]  # stable: ties keep first-seen order
    if not keys:
        return []
    vectors = encoder.encode([first[k].text for k in keys])
    weights = np.array([counts[k] for k in keys], dtype=np.float32)
    out = []
    for rows in cluster(vectors, threshold):
        centre = (vectors[rows] * weights[rows, None]).sum(axis=0)
        closest = rows[int(np.argmax(vectors[rows] @ centre))]
        ordered = [closest, *(r for r in rows if r != closest)]
        by_lang: dict[str, list[str]] = {}
        lang_total: Counter[str] = Counter()
        chan_total: Counter[str] = Counter()
        for r in rows:
            lang_total.update(langs[keys[r]])
            chan_total.update(channels[keys[r]])
        for r in rows:  # most asked first
            lang = langs[keys[r]].most_common(1)[0][0]
            by_lang.setdefault(lang, []).append(first[keys[r]].text)
        out.append(
            Group(
                representative=first[keys[closest]].text,
                count=int(weights[rows].sum()),
                examples=tuple(first[keys[r]].text for r in ordered[:EXAMPLES]),
                languages=dict(lang_total.most_common()),
                channels=dict(chan_total.most_common()),
                phrasings={lang: tuple(texts) for lang, texts in by_lang.items()},
            )
        )
    return sorted(out, key=lambda g: -g.count)
