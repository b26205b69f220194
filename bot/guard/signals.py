"""What one message shows: frustration, abuse, a threat.

Swearing is frustration until it is aimed at the bot or the staff ("this damn
parcel" versus "fuck you"). What "aimed" means depends on the language: in
English a target word must stand next to the swear word, links allowed
("you are SUCH A fucking idiot", "stupid bot"); in Korean and Japanese, where
word order is free and rude pronouns (니가, お前) are themselves a sign, a target
anywhere in the message aims it. An insult is abuse when aimed, when said to
someone (병신아) or said alone ("idiot!"), but not when the customer says it of
themselves or of a thing (바보 같은 시스템, バカみたいな対応).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bot.guard.lexicon import RUDE, Found, Hit, Lexicon
from bot.guard.normalise import fold
from bot.guard.settings import GuardSettings
from bot.language import script_counts

_EXCLAIM = re.compile(r"[!?]{2,}")
_ANNOYED = re.compile(r"[ㅡᅳ]{2,}|[ㅡᅳ][.,][ㅡᅳ]|-_-|;{2,}|💢|😡|😠|🤬|😤|🙄|\(╬")
_BACK, _FORWARD = 6, 3  # how far an English target may stand from the swear word
#: Words (English, Korean) or letters (Japanese) beyond the abuse that make a question.
SUBSTANCE = {"words": 3, "starts": 2, "anywhere": 4}


@dataclass(frozen=True, slots=True)
class Reading:
    """The signals of one message."""

    added: float = 0.0  # frustration it shows, 0–cap
    abuse: bool = False
    threat: str | None = None  # "physical" | "legal"
    accept: bool = False  # "yes" at the start (to an offer of a person)
    decline: bool = False
    person: bool = False  # asks for a person
    clean: bool = True  # nothing rude in it: safe to quote back
    substance: bool = True  # says something beyond the abuse
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class _Judgement:
    abuse: bool = False
    swearing: bool = False  # swearing (or an insult) about a situation
    insult: bool = False
    substance: bool = True


class Reader:
    """Reads messages with the word lists of every language they are written in."""

    def __init__(self, lexicons: Mapping[str, Lexicon], settings: GuardSettings) -> None:
        self.lexicons = dict(lexicons)
        self.settings = settings

    def read(self, text: str, lang: str) -> Reading:
        """The signals of ``text``, written (mostly) in ``lang``."""
        if not text.strip():
            return Reading()
        folded = fold(text.strip())
        lexicons = self._lexicons(text, lang)
        found = [lex.find(folded) for lex in lexicons]
        judged = [self._judge(lex, f) for lex, f in zip(lexicons, found, strict=True)]
        hits = [h for f in found for h in f.hits]
        kinds = {h.kind for h in hits}
        starts = {h.kind for f in found for h in f.hits if h.first == 0 or h.start == 0}
        abuse = any(j.abuse for j in judged)
        weights = self.settings.frustration.weights
        reasons = [k for k in ("strong", "medium", "mild") for _ in range(_count(hits, k))]
        signs = {
            "swearing": not abuse and any(j.swearing for j in judged),
            "insult": not abuse and any(j.insult for j in judged),
            "abuse": abuse,
            "rejection": "rejection" in kinds,
            "waiting": "waiting" in kinds,
            "person": "person" in kinds,
            "shouting": self._shouting(text),
            "exclamations": bool(_EXCLAIM.search(unicodedata.normalize("NFKC", text))),
            "annoyed_marks": bool(_ANNOYED.search(text)),
        }
        reasons += [name for name, present in signs.items() if present]
        added = sum(getattr(weights, r) for r in reasons)
        threat = "physical" if "physical" in kinds else "legal" if "legal" in kinds else None
        return Reading(
            added=round(min(self.settings.frustration.cap, added), 4),
            abuse=abuse,
            threat=threat,
            accept="accept" in starts,
            decline="decline" in starts and "accept" not in starts,
            person="person" in kinds,
            clean=not (kinds & {*RUDE, "physical", "legal"}),
            substance=all(j.substance for j in judged),
            reasons=tuple(reasons),
        )

    def _lexicons(self, text: str, lang: str) -> list[Lexicon]:
        """The lexicon of ``lang``, and of any other script the text uses."""
        counts = script_counts(text)
        present = {"en": counts["latin"] >= 2, "ko": counts["hangul"] > 0}
        present["ja"] = counts["kana"] + counts["kanji"] > 0
        langs = [lang] + [code for code, seen in present.items() if seen and code != lang]
        return [self.lexicons[code] for code in langs if code in self.lexicons]

    def _shouting(self, text: str) -> bool:
        rule = self.settings.shouting
        latin = [ch for ch in unicodedata.normalize("NFKC", text) if ch.isascii() and ch.isalpha()]
        upper = sum(ch.isupper() for ch in latin)
        return len(latin) >= rule.min_letters and upper >= rule.ratio * len(latin)

    # is it aimed? ------------------------------------------------------------------

    def _judge(self, lex: Lexicon, found: Found) -> _Judgement:
        if lex.mode == "words":
            return _judge_words(lex, found)
        return _judge_free(lex, found)


def _count(hits: list[Hit], kind: str, most: int = 2) -> int:
    return min(most, sum(h.kind == kind for h in hits))


_ROLE_RANK = {"other": 0, "word": 1, "link": 2, "rude": 3, "self": 4, "target": 5}


def _roles(lex: Lexicon, found: Found) -> list[str]:
    """Per token: target, self, rude, link, word (listed elsewhere) or other."""
    links = lex.sets.get("links", frozenset()) | lex.sets.get("fillers", frozenset())
    roles = ["link" if t.text in links else "other" for t in found.tokens]
    for hit in found.hits:
        role = {"targets": "target", "staff": "target", "self": "self"}.get(hit.kind)
        role = role or ("rude" if hit.kind in RUDE else "word")
        for k in range(max(hit.first, 0), hit.last + 1):
            if _ROLE_RANK[role] > _ROLE_RANK[roles[k]]:
                roles[k] = role
    return roles


def _walk(roles: list[str], found: Found, start: int, step: int, limit: int) -> str:
    """What is reached from ``start`` over links and rude words: target, self or nothing."""
    clause = found.tokens[start - step].clause
    k = start
    while 0 <= k < len(roles) and abs(k - start) < limit and found.tokens[k].clause == clause:
        if roles[k] in ("target", "self"):
            return roles[k]
        if roles[k] not in ("link", "rude", "word"):
            return ""
        k += step
    return ""


def _judge_words(lex: Lexicon, found: Found) -> _Judgement:
    """English: aimed means a target next to the word, links allowed between."""
    roles = _roles(lex, found)
    out = _Judgement(substance=sum(r in ("other", "word") for r in roles) >= SUBSTANCE["words"])
    alone: dict[int, bool] = {}  # clause → nothing in it but insults, targets and links
    for token, role in zip(found.tokens, roles, strict=True):
        alone[token.clause] = alone.get(token.clause, True) and role in ("target", "rude", "link")
    for hit in found.of(*RUDE):
        if hit.kind == "abuse":
            out.abuse = True
            continue
        if hit.first < 0:
            out.swearing = True
            continue
        back = _walk(roles, found, hit.first - 1, -1, _BACK)
        forward = _walk(roles, found, hit.last + 1, 1, _FORWARD) if back != "self" else ""
        said = hit.kind == "insults" and alone[found.tokens[hit.first].clause]
        if back != "self" and ("target" in (back, forward) or said):
            out.abuse = True
        elif hit.kind == "insults":
            out.insult = True
        else:
            out.swearing = True
    return out


def _judge_free(lex: Lexicon, found: Found) -> _Judgement:
    """Korean and Japanese: aimed means a target anywhere in the message.

    An insult is also aimed when the staff are mentioned (상담원, 担当者), when it
    addresses someone (병신아; in Japanese, ending the message: 話しかけるなボケ) or
    stands alone; swearing is also aimed right next to a staff word (クソ担当者).
    Neither counts when the customer speaks of themselves, and an insult that
    describes a thing (쓰레기 같은 서비스) is swearing, unless a target is there.
    """
    kinds = {h.kind for h in found.hits}
    aimed = "targets" in kinds
    own = "self" in kinds and not aimed
    staff = [h for h in found.hits if h.kind == "staff"]
    left = _leftover(lex, found)
    out = _Judgement(substance=left >= SUBSTANCE[lex.mode])
    for hit in found.of(*RUDE):
        rest = _rest_of_word(found, hit)
        thing = any(rest.startswith(w) for w in lex.sets.get("like", ())) or _next_like(
            lex, found, hit
        )
        said_to = hit.kind == "insults" and rest in lex.sets.get("vocative", ())
        ending = hit.kind == "insults" and not thing and (left == 0 or _ends(lex, found, hit))
        near = any(_next_to(found, hit, s) for s in staff) or (hit.kind == "insults" and staff)
        if hit.kind == "abuse" or aimed or said_to or (not own and not thing and (ending or near)):
            out.abuse = True
        elif hit.kind == "insults" and not thing:
            out.insult = True
        else:
            out.swearing = True
    return out


def _ends(lex: Lexicon, found: Found, hit: Hit) -> bool:
    """Japanese: the insult ends the message (話しかけるなボケ), so it addresses someone."""
    return lex.mode == "anywhere" and _leftover(lex, found, hit.end) == 0


def _next_to(found: Found, a: Hit, b: Hit) -> bool:
    """Whether two matches touch: adjacent words, or at most one letter apart."""
    if found.tokens and a.first >= 0 and b.first >= 0:
        return a.first - 1 <= b.first <= a.last + 1
    gap = max(a.start, b.start) - min(a.end, b.end)
    return gap <= 1


def _rest_of_word(found: Found, hit: Hit) -> str:
    """What follows the match inside its word (Korean endings: 아, 같은); Japanese: the rest."""
    if not found.tokens:
        return found.text[hit.end : hit.end + 4]
    ends = [t.end for t in found.tokens if t.start <= hit.end - 1 < t.end]
    return found.text[hit.end : ends[0]] if ends else ""


def _next_like(lex: Lexicon, found: Found, hit: Hit) -> bool:
    """Korean: the next word describes a thing (병신 같은 시스템)."""
    after = [t for t in found.tokens if t.start >= hit.end]
    return bool(after) and any(after[0].text.startswith(w) for w in lex.sets.get("like", ()))


def _leftover(lex: Lexicon, found: Found, start: int = 0) -> int:
    """Words (Korean) or letters (Japanese) from ``start`` that no list and no filler explains."""
    fillers = lex.sets.get("fillers", frozenset())
    covered = [False] * len(found.text)
    for hit in found.hits:
        covered[hit.start : hit.end] = [True] * (hit.end - hit.start)
    if found.tokens:
        return sum(
            1
            for t in found.tokens
            if t.end > start and t.text not in fillers and not any(covered[t.start : t.end])
        )
    text = "".join(" " if c else ch for ch, c in zip(found.text, covered, strict=True))[start:]
    for filler in sorted(fillers, key=len, reverse=True):
        text = text.replace(filler, " ")
    return sum(ch.isalnum() for ch in text)
