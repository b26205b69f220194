"""Personal data masked in logs (and, if asked, in desk notes): e-mails, phones, cards.

Precise rather than greedy, so that what support needs stays readable:

- e-mail addresses → ``[email]``;
- card numbers: 13–19 digits, alone or grouped by spaces or dashes, that pass
  the Luhn check → ``[card …1111]`` (the last four, as receipts show them);
- phone numbers → ``[phone]``: international (``+`` and 8–15 digits), national
  numbers starting with 0 with 9–11 digits whose last group has 4 digits
  (Korea ``010-1234-5678``, ``02-123-4567``; Japan ``090-1234-5678``,
  ``03-1234-5678``), unseparated mobiles (``01012345678``, ``09012345678``),
  and North American ``(555) 123-4567`` / ``555-123-4567``.

Left alone: order numbers (``#777``, ``A-2024-000123``, ``123456789``), dates
(``2026-11-25``, ``25.11.2026``, ``01-02-2026``), times, amounts, and digit runs
that fail these checks (a 16-digit number that fails Luhn is not a card).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["MaskingFilter", "MaskingFormatter", "install_log_masking", "luhn", "mask"]

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9-])"
)
#: A number-like run: digits with spaces, dashes, dots or parentheses between them.
#: (ASCII word boundaries: Korean and Japanese particles stick to numbers, 010-…로.)
_RUN = re.compile(r"(?<![0-9A-Za-z_+])[+(]?\d(?:[\d()\-. ]*\d)?\)?(?![0-9A-Za-z_])")
_PIECES = re.compile(r"\S+")
_NANP = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_MOBILE = re.compile(r"0(?:1[016789]|[789]0)\d{7,8}")


def luhn(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum (card numbers do)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(candidate: str, digits: str) -> bool:
    return (
        13 <= len(digits) <= 19
        and not candidate.startswith(("+", "("))
        and set(candidate) <= set("0123456789 -")
        and luhn(digits)
    )


def _phone(candidate: str, digits: str) -> bool:
    groups = re.findall(r"\d+", candidate)
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15
    if "." in candidate:
        return False  # 25.11.2026, 1.234.567: dates and amounts
    if digits.startswith("0"):
        if len(groups) == 1:
            return bool(_MOBILE.fullmatch(digits))
        return 9 <= len(digits) <= 11 and len(groups[-1]) == 4
    return bool(_NANP.fullmatch(candidate))


def _label(candidate: str) -> str | None:
    digits = re.sub(r"\D", "", candidate)
    if _card(candidate, digits):
        return f"[card …{digits[-4:]}]"
    if _phone(candidate, digits):
        return "[phone]"
    return None


def _mask_run(run: str) -> str:
    """Within one number-like run, the longest pieces (whitespace-separated) that are PII."""
    pieces = list(_PIECES.finditer(run))
    out, pos, i = [], 0, 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            candidate = run[pieces[i].start() : pieces[j - 1].end()]
            label = _label(candidate)
            if label is not None:
                out += [run[pos : pieces[i].start()], label]
                pos, i = pieces[j - 1].end(), j
                break
        else:
            i += 1
    out.append(run[pos:])
    return "".join(out)


def mask(text: str) -> str:
    """``text`` with e-mail addresses, phone and card numbers replaced by labels."""
    if not text:
        return text
    text = EMAIL.sub("[email]", text)
    return _RUN.sub(lambda m: _mask_run(m.group()), text)


class MaskingFilter(logging.Filter):
    """Masks a record's message (with its args filled in) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a malformed record: let logging report it as usual
        record.msg, record.args = mask(message), None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted line, tracebacks included (exception messages carry PII)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def install_log_masking(handlers: Iterable[logging.Handler]) -> None:
    """Mask PII in everything ``handlers`` write (the CLI's handlers: stderr)."""
    for handler in handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
        current = handler.formatter
        if not isinstance(current, MaskingFormatter):
            fmt = current._fmt if current is not None else None
            datefmt = current.datefmt if current is not None else None
            handler.setFormatter(MaskingFormatter(fmt, datefmt))
