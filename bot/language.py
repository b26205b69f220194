"""Per-message language detection by script: Hangul, Kana, Kanji, Latin."""

from __future__ import annotations

from bot.models import Lang

_HANGUL = ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_KANJI = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF))


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def script_counts(text: str) -> dict[str, int]:
    """Count letters per script: hangul, kana, kanji, latin."""
    counts = {"hangul": 0, "kana": 0, "kanji": 0, "latin": 0}
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            if ch.isalpha():
                counts["latin"] += 1
        elif _in(cp, _HANGUL):
            counts["hangul"] += 1
        elif _in(cp, _KANA):
            counts["kana"] += 1
        elif _in(cp, _KANJI):
            counts["kanji"] += 1
        elif ch.isalpha() and (0xFF21 <= cp <= 0xFF5A or cp < 0x250):
            counts["latin"] += 1  # full-width and accented Latin
    return counts


def detect(text: str, *, default: Lang = "en") -> Lang:
    """The language of one message; ``default`` (the conversation's) when unclear.

    Kana settles Japanese, Hangul settles Korean; Kanji without either is read as
    Japanese (we serve no Chinese, and Korean is rarely written in Hanja). Latin
    only wins when it clearly dominates, so "주문번호 A123" stays Korean and
    "Kindle で読めますか" stays Japanese.
    """
    c = script_counts(text)
    ja = c["kana"] + c["kanji"]
    ko = c["hangul"]
    if c["kana"] == 0 and ko > 0:
        ja = 0  # Hanja inside Korean text
    cjk = max(ja, ko)
    total = cjk + c["latin"]
    if total == 0:
        return default
    if cjk == 0:
        return "en"
    if ja == ko:
        return default if default in ("ja", "ko") else "ja"
    best: Lang = "ja" if ja > ko else "ko"
    # A few CJK letters among many Latin words is still the CJK language,
    # unless the conversation is English and CJK is a small minority.
    if default == "en" and cjk * 4 < c["latin"]:
        return "en"
    return best
