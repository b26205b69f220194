"""One language's word lists, compiled for matching folded text.

Three ways to match, by language: whole ``words`` (English), word ``starts``
(Korean: particles and endings follow a word) and ``anywhere`` (Japanese, which
has no spaces). Overlapping matches are settled the way a reader would: the
longer one wins, and ``ignore`` phrases ("kill time", 시발점, ばかり) hide every
match they touch. Pointers (``targets``, ``self``) and replies (``accept``, ``decline``)
are read beside the others and never hide or get hidden, except by ``ignore``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.guard.normalise import SPACED, fold, masked_match, spaced_hangul, stretches

Mode = Literal["words", "starts", "anywhere"]
MODES: dict[str, Mode] = {"en": "words", "ko": "starts", "ja": "anywhere"}

#: Lists of phrases, in the order that settles a tie between equally long matches.
KINDS = (
    "ignore", "abuse", "physical", "legal", "insults", "swearing", "rejection",
    "waiting", "person", "strong", "medium", "mild", "targets", "staff", "self", "accept",
    "decline",
)  # fmt: skip
#: Kinds read beside the others: they neither hide nor get hidden (but by ``ignore``).
POINTERS = frozenset({"targets", "staff", "self", "accept", "decline"})
RUDE = ("swearing", "insults", "abuse")
#: Spelt-apart letters (f u c k) are searched inside for rude words this long or longer.
SPACED_MIN = 4
#: Plain word sets (no matching of their own).
WORD_SETS = ("links", "particles", "vocative", "like", "fillers")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_TOKEN = re.compile(r"[^\s.,!?;:()\[\]{}\"“”「」『』【】、。…~]+")
_CLAUSE = re.compile(r"[.!?;:()\[\]\"“”「」、。…\n]|,")


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the folded text, with its place."""

    text: str
    start: int
    end: int
    clause: int
    spaced: bool = False  # spelt apart in the message (f u c k)


@dataclass(frozen=True, slots=True)
class Hit:
    """A list entry found in the text: its kind, characters and words."""

    kind: str
    start: int
    end: int
    first: int = -1  # token index (word modes)
    last: int = -1

    def overlaps(self, other: Hit) -> bool:
        """Whether the two share a character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Entry:
    """One phrase of a list, folded: its words and where they may match."""

    kind: str
    words: tuple[str, ...]
    inside: bool = False  # ``*word``: the first word may start inside a token
    prefix: bool = False  # ``word*``: the last word may go on

    @property
    def length(self) -> int:
        """Characters, for "the longer match wins"."""
        return sum(map(len, self.words)) + len(self.words) - 1


def parse_entry(kind: str, raw: str) -> Entry | re.Pattern[str]:
    """An entry from its written form; ``re:`` gives a compiled pattern (may raise)."""
    if raw.startswith("re:"):
        return re.compile(raw[3:])
    text = fold(raw.strip())
    inside, prefix = text.startswith("*"), text.endswith("*") and len(text) > 1
    words = tuple(w for w in text.strip("*").split() if w)
    return Entry(kind, words, inside=inside, prefix=prefix)


@dataclass(slots=True)
class Found:
    """What one lexicon found in one folded text."""

    text: str
    tokens: list[Token]
    hits: list[Hit]

    def of(self, *kinds: str) -> list[Hit]:
        """Hits of the given kinds, in text order."""
        return [h for h in self.hits if h.kind in kinds]


@dataclass(slots=True)
class Lexicon:
    """The compiled word lists of one language."""

    lang: str
    mode: Mode
    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    _exact: dict[str, list[Entry]] = field(default_factory=dict)
    _starts: dict[str, list[Entry]] = field(default_factory=dict)
    _inside: list[Entry] = field(default_factory=list)
    _rude: dict[str, list[Entry]] = field(default_factory=dict)  # by first letter
    _patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    _by_char: dict[str, list[Entry]] = field(default_factory=dict)
    _inside_any: re.Pattern[str] | None = None  # any ``_inside`` word: a quick first test
    _particles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by last letter
    _start_sizes: tuple[int, ...] = ()  # lengths of the ``_starts`` keys

    @classmethod
    def build(
        cls, lang: str, lists: Mapping[str, Iterable[str]], *, mode: Mode | None = None
    ) -> Lexicon:
        """Compile ``lists`` (kind → phrases, plus the word sets); ``re:`` errors raise."""
        lex = cls(lang, mode or MODES.get(lang, "anywhere"))
        for name in WORD_SETS:
            lex.sets[name] = frozenset(fold(w).strip() for w in lists.get(name, ()))
        for kind in KINDS:
            for raw in lists.get(kind, ()):
                entry = parse_entry(kind, raw)
                if isinstance(entry, re.Pattern):
                    lex._patterns.append((kind, entry))
                elif entry.words:
                    lex._add(entry)
        for entries in (*lex._by_char.values(), *lex._starts.values(), *lex._exact.values()):
            entries.sort(key=lambda e: -e.length)
        lex._start_sizes = tuple(sorted({len(k) for k in lex._starts}))
        if lex._inside:
            words = sorted({e.words[0] for e in lex._inside}, key=len, reverse=True)
            lex._inside_any = re.compile("|".join(map(re.escape, words)))
        for particle in lex.sets.get("particles", ()):
            if particle:
                ends = lex._particles.get(particle[-1], ())
                lex._particles[particle[-1]] = (*ends, particle)
        return lex

    def _add(self, entry: Entry) -> None:
        if self.mode == "anywhere":
            text = " ".join(entry.words)
            self._by_char.setdefault(text[0], []).append(entry)
            return
        first = entry.words[0]
        starts = self.mode == "starts" or (entry.prefix and len(entry.words) == 1)
        if self.mode == "starts" and (entry.kind in POINTERS or len(first) == 1):
            starts = False  # whole words (with a particle): 너 but not 너무, 네 but not 네이버
        if entry.inside:
            self._inside.append(entry)
        elif starts:
            self._starts.setdefault(first, []).append(entry)
        else:
            self._exact.setdefault(first, []).append(entry)
        if entry.kind in RUDE:
            self._rude.setdefault(first[0], []).append(entry)

    # matching ------------------------------------------------------------------

    def find(self, text: str) -> Found:
        """Every list entry in ``text`` (already folded), overlaps settled."""
        if self.mode == "anywhere":
            found = Found(text, [], self._scan(text))
        else:
            tokens = tokenize(text)
            found = Found(text, tokens, self._match_tokens(text, tokens))
        for kind, pattern in self._patterns:
            found.hits += [self._place(kind, m, found.tokens) for m in pattern.finditer(text)]
        found.hits = settle(found.hits)
        return found

    def _scan(self, text: str) -> list[Hit]:
        hits = []
        for i, ch in enumerate(text):
            for entry in self._by_char.get(ch, ()):
                phrase = " ".join(entry.words)
                if text.startswith(phrase, i):
                    hits.append(Hit(entry.kind, i, i + len(phrase)))
        return hits

    def _match_tokens(self, text: str, tokens: list[Token]) -> list[Hit]:
        hits: list[Hit] = []
        for i, token in enumerate(tokens):
            for entry, offset in self._candidates(token):
                end = self._rest(entry, tokens, i)
                if end is None:
                    continue
                if self.mode == "words":
                    start, stop = token.start, tokens[end].end
                else:  # where the last word ends: what follows is an ending (아, 같은)
                    start = token.start + offset
                    stop = (start if end == i else tokens[end].start) + len(entry.words[-1])
                hits.append(Hit(entry.kind, start, stop, i, end))
        if self.mode == "starts":
            hits += self._spaced(text)
        return hits

    def _candidates(self, token: Token | str) -> Iterable[tuple[Entry, int]]:
        """Entries whose first word fits ``token``, with where in it they start."""
        text = token if isinstance(token, str) else token.text
        variants = stretches(text) if self.mode == "words" else (text,)
        if self.mode == "starts" and text:
            for particle in self._particles.get(text[-1], ()):
                if text.endswith(particle) and len(text) > len(particle):
                    yield from ((e, 0) for e in self._exact.get(text[: -len(particle)], ()))
        for variant in variants:
            yield from ((e, 0) for e in self._exact.get(variant, ()))
            for size in self._start_sizes:
                if size > len(variant):
                    break
                yield from ((e, 0) for e in self._starts.get(variant[:size], ()))
            if self._inside_any is None or not self._inside_any.search(variant):
                continue
            for entry in self._inside:
                word = entry.words[0]
                if self.mode == "words" and not entry.prefix:
                    if variant.endswith(word):
                        yield entry, 0
                elif (at := variant.find(word)) >= 0:
                    yield entry, at
        if "*" in text[1:] and text[0] != "*":  # f*ck, f**king: rude entries the masks spell
            for entry in self._rude.get(text[0], ()):
                phrase = len(entry.words) > 1  # "go f*** yourself": the phrase tells
                prefix = self.mode == "starts" or (entry.prefix and not phrase)
                if masked_match(text, entry.words[0], prefix=prefix, lenient=phrase):
                    yield entry, 0
        if isinstance(token, Token) and token.spaced:  # r a m o r o n: look inside
            for entry in (e for entries in self._rude.values() for e in entries):
                word = entry.words[0]
                if len(entry.words) == 1 and len(word) >= SPACED_MIN and word in text:
                    yield entry, text.find(word)

    def _rest(self, entry: Entry, tokens: list[Token], i: int) -> int | None:
        """The index of the last token of ``entry`` starting at ``tokens[i]``, if it fits."""
        words = entry.words
        if i + len(words) > len(tokens):
            return None
        for k, word in enumerate(words[1:], 1):
            token = tokens[i + k]
            if token.clause != tokens[i].clause:
                return None
            last = k == len(words) - 1
            if "*" in token.text and masked_match(token.text, word, prefix=True, lenient=True):
                continue
            if self.mode == "starts" or (last and entry.prefix):
                if not token.text.startswith(word):
                    return None
            elif word not in stretches(token.text):
                return None
        return i + len(words) - 1

    def _spaced(self, text: str) -> list[Hit]:
        """Swearing and insults spelt with spaces between the syllables (시 발)."""
        hits = []
        for start, end, joined in spaced_hangul(text):
            for entry, _ in self._candidates(joined):
                if entry.kind in RUDE and len(entry.words) == 1:
                    hits.append(Hit(entry.kind, start, end))
        return hits

    @staticmethod
    def _place(kind: str, match: re.Match[str], tokens: list[Token]) -> Hit:
        inside = [
            k for k, t in enumerate(tokens) if t.start < match.end() and match.start() < t.end
        ]
        first, last = (inside[0], inside[-1]) if inside else (-1, -1)
        return Hit(kind, match.start(), match.end(), first, last)


def tokenize(text: str) -> list[Token]:
    """Words of folded text with their clause (split at . , ! ? and the like)."""
    tokens = []
    clause, at = 0, 0
    for match in _TOKEN.finditer(text):
        clause += len(_CLAUSE.findall(text, at, match.start()))
        word = match.group(0).strip("'")
        spaced = SPACED in word
        word = word.replace(SPACED, "").strip("'")
        if word:
            tokens.append(Token(word, match.start(), match.end(), clause, spaced))
        at = match.end()
    return tokens


def settle(hits: list[Hit]) -> list[Hit]:
    """Overlaps resolved: ``ignore`` hides what it touches, else the longer match wins.

    Pointers (targets, self, accept, decline) stand beside the others.
    """
    ranked = sorted(set(hits), key=lambda h: (h.start - h.end, _RANK.get(h.kind, 99), h.start))
    kept: list[Hit] = []
    ignored = [h for h in ranked if h.kind == "ignore"]
    for hit in ranked:
        if hit.kind == "ignore":
            continue
        if any(hit.overlaps(i) for i in ignored):
            continue
        if hit.kind in POINTERS or not any(hit.overlaps(k) for k in kept if k.kind not in POINTERS):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
