"""Small text helpers shared by the engine and the channels."""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}


def clean(text: str) -> str:
    """Drop control characters and lone surrogates; keep newlines, tabs and emoji."""
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()


def preview(text: str, limit: int = 80) -> str:
    """One line, at most ``limit`` characters, for logs and labels."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
