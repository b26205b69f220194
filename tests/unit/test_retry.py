import pytest

from bot.channels.retry import send_with_retry


class Limited(Exception):
    def __init__(self, after: float | None) -> None:
        self.after = after


async def test_honours_retry_after_then_succeeds() -> None:
    calls, slept = [], []

    async def send() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Limited(2.0)
        return "ok"

    async def sleep(s: float) -> None:
        slept.append(s)

    result = await send_with_retry(
        send,
        what="reply",
        retry_after=lambda e: e.after if isinstance(e, Limited) else None,
        retryable=lambda e: isinstance(e, Limited),
        sleep=sleep,
    )
    assert result == "ok"
    assert slept == [2.0, 2.0]


async def test_gives_up_loudly(caplog: pytest.LogCaptureFixture) -> None:
    async def send() -> None:
        raise Limited(None)

    async def sleep(s: float) -> None:
        pass

    with pytest.raises(Limited):
        await send_with_retry(
            send,
            what="reply",
            retry_after=lambda e: None,
            retryable=lambda e: True,
            attempts=3,
            sleep=sleep,
        )
    assert "giving up sending reply after 3" in caplog.text


async def test_does_not_retry_a_permanent_error() -> None:
    calls = []

    async def send() -> None:
        calls.append(1)
        raise ValueError("chat not found")

    with pytest.raises(ValueError, match="chat not found"):
        await send_with_retry(send, what="x", retry_after=lambda e: None, retryable=lambda e: False)
    assert len(calls) == 1
