"""``frontdesk test``: conversation tests an admin writes next to the content.

A test file holds ``tests:``, each a fresh customer with ``steps:`` (what they
type or press, and what must be true of the bot's turn); the format is in the
scaffold's ``tests/conversations/example.yml``. Tests run against the real
engine on a throw-away database, so they never touch real data.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from bot.app import App, build_app
from bot.config import Settings
from bot.content.yamlfile import read_yaml
from bot.language import detect
from bot.models import LANGS, Action, ConversationKey, Inbound
from bot.store.records import Conversation, Message

PLATFORM = "test"
TEST_KEYS = frozenset({"name", "user", "steps"})
USER_KEYS = frozenset({"name", "id"})
SAY_KEYS = ("user", "button")
LIST_KEYS = frozenset({"reply_contains", "reply_not_contains", "actions", "buttons", "no_buttons"})
CHECK_KEYS = LIST_KEYS | {"faq", "intent", "lang"}


class BadTest(ValueError):
    """A test file that cannot be read; carries the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Step:
    """What the customer does, and what the bot's turn must show."""

    line: int
    text: str | None = None
    button: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f'button "{self.button}"' if self.button is not None else f'"{self.text}"'


@dataclass(frozen=True, slots=True)
class ConvTest:
    """One conversation test: a fresh customer and their steps."""

    name: str
    file: str
    line: int
    steps: tuple[Step, ...]
    user_name: str | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed test (or an unreadable test file), with what was expected and got."""

    test: str
    file: str
    line: int
    message: str
    step: int = 0
    said: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        head = f"{self.test} ({where})" if self.test else where
        head += f", step {self.step}" if self.step else ""
        lines = [head, *(f"  {m}" for m in self.message.splitlines())]
        if self.said is not None:
            said = (self.said or "(nothing)").replace("\n", "\n            ")
            lines.append(f"  bot said: {said}")
        return "\n".join(lines)


@dataclass(slots=True)
class TestReport:
    """The outcome of a run."""

    __test__ = False  # not a pytest class

    passed: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Failed tests (an unreadable file counts as one)."""
        return len(self.failures)

    @property
    def ok(self) -> bool:
        """Whether everything passed."""
        return not self.failures

    def summary(self) -> str:
        """``N passed, M failed``."""
        return f"{len(self.passed)} passed, {self.failed} failed"


# reading test files ---------------------------------------------------------------


def _text(value: Any, line: int, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        hint = ' (quote it, e.g. "yes")' if isinstance(value, bool) else ""
        raise BadTest(line, f"'{key}' must be text{hint}")
    return str(value)


def _step(raw: Any, line: int) -> Step:
    if not isinstance(raw, dict):
        raise BadTest(line, "each step must be a mapping with 'user' or 'button'")
    line = int(getattr(raw, "line", line))
    unknown = set(raw) - CHECK_KEYS - set(SAY_KEYS)
    if unknown:
        known = ", ".join(sorted(CHECK_KEYS | set(SAY_KEYS)))
        raise BadTest(line, f"unknown key(s) {', '.join(sorted(unknown))} (known: {known})")
    if sum(k in raw for k in SAY_KEYS) != 1:
        raise BadTest(line, "a step needs exactly one of 'user' (text) or 'button' (payload)")
    checks: dict[str, Any] = {}
    for key in CHECK_KEYS & set(raw):
        value = raw[key]
        if key in LIST_KEYS:
            items = value if isinstance(value, list) else [value]
            checks[key] = [_text(v, line, key) for v in items]
        else:
            checks[key] = _text(value, line, key)
    if "lang" in checks and checks["lang"] not in LANGS:
        raise BadTest(line, f"'lang' must be one of {', '.join(LANGS)}")
    text = _text(raw["user"], line, "user") if "user" in raw else None
    button = _text(raw["button"], line, "button") if "button" in raw else None
    return Step(line=line, text=text, button=button, checks=checks)


def _test(raw: Any, file: str, number: int, line: int) -> ConvTest:
    if not isinstance(raw, dict):
        raise BadTest(line, f"test #{number} must be a mapping with 'name' and 'steps'")
    line = int(getattr(raw, "line", line))
    unknown = set(raw) - TEST_KEYS
    if unknown:
        raise BadTest(
            line, f"unknown key(s) {', '.join(sorted(unknown))} (known: name, user, steps)"
        )
    name = _text(raw.get("name", f"test #{number}"), line, "name")
    user = raw.get("user") or {}
    if not isinstance(user, dict) or set(user) - USER_KEYS:
        raise BadTest(line, f"{name}: 'user' must be a mapping with 'name' and/or 'id'")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise BadTest(line, f"{name}: 'steps' must be a non-empty list")
    return ConvTest(
        name=name,
        file=file,
        line=line,
        steps=tuple(_step(s, line) for s in steps),
        user_name=_text(user["name"], line, "name") if "name" in user else None,
        user_id=_text(user["id"], line, "id") if "id" in user else None,
    )


def load_tests(path: Path) -> tuple[list[ConvTest], list[Failure]]:
    """The tests of one file, and failures for what cannot be read (never raises)."""
    data, problem = read_yaml(path, Path.cwd())
    file = _shown(path)
    if problem is not None:
        return [], [Failure("", file, problem.line, problem.message)]
    raw_tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(raw_tests, list):
        return [], [Failure("", file, 1, "expected 'tests:' with a list of tests")]
    tests: list[ConvTest] = []
    failures: list[Failure] = []
    for number, raw in enumerate(raw_tests, 1):
        try:
            tests.append(_test(raw, file, number, int(getattr(raw_tests, "line", 1))))
        except BadTest as exc:
            name = raw.get("name") if isinstance(raw, dict) else None
            name = name if isinstance(name, str) else f"test #{number}"
            failures.append(Failure(name, file, exc.line, f"invalid test: {exc}"))
    return tests, failures


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# running ------------------------------------------------------------------------------


OnProgress = Callable[[int, int], None]


async def run_tests(
    settings: Settings, files: list[Path], *, progress: OnProgress | None = None
) -> TestReport:
    """Run every test of ``files`` on a fresh database; ``progress(done, total)`` as it goes."""
    report = TestReport()
    tests: list[ConvTest] = []
    for path in files:
        found, failures = load_tests(path)
        tests += found
        report.failures += failures
    if not tests:
        return report
    with tempfile.TemporaryDirectory(prefix="frontdesk-test-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'conversations.db'}"
        app = await build_app(replace(settings, database_url=url))
        try:
            runner = _Runner(app)
            for done, test in enumerate(tests):
                if progress is not None:
                    progress(done, len(tests))
                failure = await runner.run(test, f"convtest-{done + 1}")
                if failure is None:
                    report.passed.append(test.name)
                else:
                    report.failures.append(failure)
            if progress is not None:
                progress(len(tests), len(tests))
        finally:
            await app.close()
    order = {_shown(path): n for n, path in enumerate(files)}
    report.failures.sort(key=lambda f: (order.get(f.file, len(order)), f.line))
    return report


class _Runner:
    """Feeds steps to the engine and compares its turns with the expectations."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.newest = 0  # the highest conversation id seen in this run's database

    async def run(self, test: ConvTest, default_id: str) -> Failure | None:
        user = test.user_id or default_id
        key = ConversationKey(PLATFORM, user)
        for number, step in enumerate(test.steps, 1):
            inbound = Inbound(
                key=key,
                user=user,
                text=step.text or "",
                button=step.button,
                name=test.user_name,
                kind="button" if step.button is not None else "text",
            )
            before = await self.app.store.current_conversation(str(key))
            try:
                actions = await self.app.engine.handle(inbound)
            except Exception as exc:  # a boundary: report the engine's failure, go on
                message = f"{step}: the engine failed: {type(exc).__name__}: {exc}"
                return Failure(test.name, test.file, step.line, message, number)
            recorded = await self._recorded(str(key), before)
            texts = [str(getattr(a, "text", "")) for a in actions if a.type in ("reply", "offer")]
            said = "\n".join(t for t in texts if t)
            problems = self._compare(step, actions, recorded, said)
            if problems:
                message = f"{step}: " + "\n".join(problems)
                return Failure(
                    test.name, test.file, step.line, message, number, _shown_turn(actions)
                )
        return None

    async def _recorded(self, key: str, before: Conversation | None) -> Message | None:
        """The inbound message of the turn just taken, as the engine recorded it."""
        store = self.app.store
        conv = await store.current_conversation(key)
        if conv is None and before is not None:
            conv = await store.conversation(before.id)
        while conv is None:  # a first turn that also ended the conversation
            probe = await store.conversation(self.newest + 1)
            if probe is None:
                return None
            self.newest = probe.id
            conv = probe if probe.key == key else None
        self.newest = max(self.newest, conv.id)
        incoming = [m for m in await store.messages(conv.id) if m.direction == "in"]
        return incoming[-1] if incoming else None

    def _compare(
        self, step: Step, actions: list[Any], recorded: Message | None, said: str
    ) -> list[str]:
        checks, out = step.checks, []
        if recorded is None and ("faq" in checks or "intent" in checks):
            out.append("the engine recorded no inbound message for this turn")
        elif recorded is not None:
            for key, got in (("faq", recorded.faq_id), ("intent", recorded.intent)):
                if key in checks and checks[key] != got:
                    hint = ""
                    if key == "faq" and checks[key] not in self.app.content.faq:
                        hint = " (no such FAQ in the content)"
                    out.append(f"expected {key} {checks[key]!r}{hint}, got {got!r}")
        folded = said.casefold()
        out += [
            f"reply lacks {s!r}" for s in checks.get("reply_contains", []) if not _has(folded, s)
        ]
        out += [f"reply has {s!r}" for s in checks.get("reply_not_contains", []) if _has(folded, s)]
        types = [str(a.type) for a in actions]
        for kind in checks.get("actions", []):
            if kind not in types:
                out.append(f"expected action {kind!r}, got {types}")
        payloads = [b.payload for a in actions for b in getattr(a, "buttons", ())]
        for payload in checks.get("buttons", []):
            if payload not in payloads:
                out.append(f"expected button {payload!r}, offered {payloads}")
        for payload in checks.get("no_buttons", []):
            if payload in payloads:
                out.append(f"expected no button {payload!r}, offered {payloads}")
        if "lang" in checks:
            got_lang = detect(said, default=checks["lang"]) if said else None
            if got_lang != checks["lang"]:
                out.append(f"expected a reply in {checks['lang']!r}, got {got_lang!r}")
        return out


def _shown_turn(actions: list[Action]) -> str:
    """What the customer saw: reply texts, each with its buttons' labels."""
    lines = []
    for action in actions:
        if action.type not in ("reply", "offer"):
            continue
        text = str(getattr(action, "text", ""))
        labels = [b.label for b in getattr(action, "buttons", ())]
        lines.append(text + (f" [{' | '.join(labels)}]" if labels else ""))
    return "\n".join(line for line in lines if line)


def _has(folded: str, wanted: str) -> bool:
    return wanted.casefold() in folded


# the command ----------------------------------------------------------------------------


def default_files(settings: Settings) -> list[Path]:
    """``tests/conversations/*.yml`` of the content folder."""
    folder = settings.content_dir / "tests" / "conversations"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


async def main(settings: Settings, files: list[Path]) -> int:
    """Run the tests, print failures and ``N passed, M failed``; 1 if any failed."""
    console = Console(highlight=False, soft_wrap=True)
    files = files or default_files(settings)
    if not files:
        folder = settings.content_dir / "tests" / "conversations"
        console.print(
            f"[bold red]no conversation tests:[/] add .yml files to {escape(str(folder))}"
        )
        return 1
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("training", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, description="testing", completed=done, total=total)

        report = await run_tests(settings, files, progress=advance)
    if not report.passed and not report.failures:
        console.print("[bold red]no tests found[/] in " + escape(", ".join(map(str, files))))
        return 1
    for failure in report.failures:
        console.print("[bold red]FAIL[/] ", end="")
        console.print(str(failure), markup=False)
    style = "bold green" if report.ok else "bold red"
    console.print(f"[{style}]{escape(report.summary())}[/]")
    return 0 if report.ok else 1
