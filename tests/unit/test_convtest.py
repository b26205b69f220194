from pathlib import Path

import pytest

from bot.config import Settings
from bot.content.scaffold import init
from bot.convtest import load_tests, main, run_tests
from tests.unit.contentkit import make_content, write

PASSING = """\
tests:
- name: greeting with a name
  user: {name: Mina}
  steps:
  - user: hello
    intent: greet
    reply_contains: "[greet]"
    actions: [reply]
    lang: en
- name: shipping in English, then returns in Korean
  steps:
  - user: How long does delivery take?
    faq: shipping-time
    intent: faq
    reply_contains: ["2 TO 4 business days"]
    reply_not_contains: ["I don't know"]
    lang: en
  - user: 반품은 어떻게 하나요?
    faq: returns
    reply_contains: [전액 환불]
    lang: ko
- name: the FAQ button
  user: {id: customer-7}
  steps:
  - button: "faq:returns"
    faq: returns
    intent: button
    reply_contains: [30 days]
"""

FAILING = """\
tests:
- name: passes
  steps:
  - user: いつ届きますか？
    faq: shipping-time
    lang: ja
- name: wrong expectations
  steps:
  - user: hello
    intent: greet
  - user: How long does delivery take?
    faq: returns
    reply_contains: [free of charge]
    buttons: ["faq:returns"]
    lang: ko
"""


NO_STARS = """\
tests:
- name: no stars before the thanks
  steps:
  - user: How long does delivery take?
    no_buttons: ["feedback:5"]
  - user: thank you!
    no_buttons: ["feedback:5"]
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    content = make_content(tmp_path / "content")
    return Settings(
        content_dir=content, database_url=f"sqlite+aiosqlite:///{tmp_path / 'real' / 'real.db'}"
    )


async def test_a_passing_file(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "passing.yml", PASSING)
    report = await run_tests(settings, [path])
    assert report.failures == [], "\n".join(map(str, report.failures))
    assert report.passed == [
        "greeting with a name",
        "shipping in English, then returns in Korean",
        "the FAQ button",
    ]
    assert report.summary() == "3 passed, 0 failed"
    assert not (tmp_path / "real").exists()  # the real database is never touched


async def test_a_failing_file_reports_expected_and_got(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "failing.yml", FAILING)
    report = await run_tests(settings, [path])
    assert report.passed == ["passes"]
    [failure] = report.failures
    assert (failure.test, failure.step, failure.line) == ("wrong expectations", 2, 11)
    assert failure.file.endswith("failing.yml")
    assert failure.said is not None
    assert failure.said.startswith("Orders arrive in 2 to 4 business days.")
    step, *problems = failure.message.splitlines()
    assert step == "\"How long does delivery take?\": expected faq 'returns', got 'shipping-time'"
    assert problems[0] == "reply lacks 'free of charge'"
    assert problems[1].startswith("expected button 'faq:returns', offered [")
    assert problems[2:] == ["expected a reply in 'ko', got 'en'"]
    assert "bot said: Orders arrive in 2 to 4 business days." in str(failure)


async def test_a_button_that_must_not_be_offered(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "stars.yml", NO_STARS)
    report = await run_tests(settings, [path])
    [failure] = report.failures
    assert failure.step == 2
    assert "expected no button 'feedback:5', offered [" in failure.message


async def test_main_prints_failures_and_a_summary(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "failing.yml", FAILING)
    assert await main(settings, [path]) == 1
    out = capsys.readouterr().out
    assert "FAIL wrong expectations (" in out
    assert "expected faq 'returns', got 'shipping-time'" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


async def test_main_runs_the_content_folders_tests_by_default(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    write(settings.content_dir, "tests/conversations/shop.yml", PASSING)
    assert await main(settings, []) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 passed, 0 failed"


async def test_no_test_files_is_an_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await main(settings, []) == 1
    assert "no conversation tests" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("tests:\n- name: x\n  steps: [\n", 4, "invalid YAML"),
        ("- just a list\n", 1, "expected 'tests:' with a list of tests"),
        ("tests:\n- name: x\n  steps: []\n", 2, "x: 'steps' must be a non-empty list"),
        (
            "tests:\n- name: x\n  steps:\n  - user: hi\n    replies: [a]\n",
            4,
            "unknown key(s) replies",
        ),
        ("tests:\n- name: x\n  steps:\n  - faq: returns\n", 4, "exactly one of 'user'"),
        ("tests:\n- name: x\n  steps:\n  - user: yes\n", 4, "'user' must be text (quote it"),
        ("tests:\n- name: x\n  steps:\n  - user: hi\n    lang: fr\n", 4, "'lang' must be one of"),
        ("tests:\n- name: x\n  color: red\n  steps: []\n", 2, "unknown key(s) color"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "bad.yml", text)
    tests, failures = load_tests(path)
    assert tests == []
    [failure] = failures
    assert failure.file.endswith("bad.yml")
    assert failure.line == line
    assert message in failure.message


async def test_a_malformed_file_fails_without_a_traceback(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.yml", PASSING)
    bad = write(tmp_path, "bad.yml", "tests:\n- name: broken\n  steps:\n  - user: hi\n    fqa: x\n")
    assert await main(settings, [bad, good]) == 1
    captured = capsys.readouterr()
    assert "FAIL broken (" in captured.out
    assert "bad.yml:4" in captured.out
    assert "unknown key(s) fqa" in captured.out
    assert captured.out.splitlines()[-1] == "3 passed, 1 failed"
    assert "Traceback" not in captured.out + captured.err


async def test_the_scaffolds_conversation_tests_pass(tmp_path: Path) -> None:
    source = make_content(tmp_path / "source")
    target = tmp_path / "acme"
    init(target, source=source)
    settings = Settings(content_dir=target, database_url="sqlite+aiosqlite:///unused.db")
    report = await run_tests(settings, [target / "tests/conversations/example.yml"])
    assert report.failures == [], "\n".join(map(str, report.failures))
    assert len(report.passed) == 5
