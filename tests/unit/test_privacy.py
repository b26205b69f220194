"""PII masking: e-mails, phones and cards go; order numbers, dates and amounts stay."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import MaskingFilter, MaskingFormatter, install_log_masking, luhn, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to mina.park+books@example.co.kr please", "write to [email] please"),
        ("메일은 yuki_sato@mail.example.jp 입니다", "메일은 [email] 입니다"),
        ("card 4111 1111 1111 1111.", "card [card …1111]."),
        ("card 4111-1111-1111-1111", "card [card …1111]"),
        ("card 4012888888881881 exp 12/27", "card [card …1881] exp 12/27"),
        ("amex 3782 822463 10005", "amex [card …0005]"),
        ("call +82 10-1234-5678 today", "call [phone] today"),
        ("call +1 (555) 123-4567", "call [phone]"),
        ("+81-90-1234-5678", "[phone]"),
        ("010-1234-5678로 연락주세요", "[phone]로 연락주세요"),
        ("01012345678", "[phone]"),
        ("02-123-4567", "[phone]"),
        ("090-1234-5678に電話", "[phone]に電話"),
        ("03-1234-5678", "[phone]"),
        ("09012345678", "[phone]"),
        ("(555) 123-4567", "[phone]"),
        ("555-123-4567", "[phone]"),
        ("order 2 010-1234-5678", "order 2 [phone]"),
        ("mina@example.com, 010 1234 5678", "[email], [phone]"),
    ],
)
def test_pii_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "my order #777 is late",
        "order 123456789 and 1234567890123",
        "order A-2024-000123",
        "ORD-20261125-0042",
        "4111 1111 1111 1112",  # fails Luhn: not a card
        "delivered on 2026-11-25 at 14:05",
        "2026/11/25, 25.11.2026, 01-02-2026",
        "11월 25일 3시",
        "¥12,800 or 1.234.567 won or 12 345 678",
        "version 1.2.3, ISBN 978-3-16-148410-0",
        "tracking 1Z999AA10123456784",
        "",
    ],
)
def test_what_support_needs_is_left_alone(text: str) -> None:
    assert mask(text) == text


def test_luhn() -> None:
    assert luhn("4111111111111111") and luhn("79927398713")
    assert not luhn("4111111111111112") and not luhn("79927398710")


def test_a_log_record_is_masked_message_args_and_traceback() -> None:
    record = logging.LogRecord(
        "bot", logging.WARNING, __file__, 1, "reply to %s failed: %s", ("u1", "x"), None
    )
    record.args = ("mina@example.com", "card 4111111111111111")
    MaskingFilter().filter(record)
    assert record.getMessage() == "reply to [email] failed: card [card …1111]"
    try:
        raise ValueError("bad phone +82 10-1234-5678")
    except ValueError:
        import sys

        err = logging.LogRecord("bot", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
    assert "+82" not in MaskingFormatter("%(message)s").format(err)


def test_installed_masking_covers_every_logger_through_the_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    install_log_masking([handler])
    install_log_masking([handler])  # idempotent
    assert len(handler.filters) == 1
    log = logging.getLogger("bot.test_privacy")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("customer %s wrote %r", "mina@example.com", "call 090-1234-5678, order #777")
    finally:
        log.removeHandler(handler)
    err = capsys.readouterr().err
    assert err == "WARNING customer [email] wrote 'call [phone], order #777'\n"
