from pathlib import Path

import pytest

from bot.content.validate import main, validate
from bot.errors import Problem
from tests.unit.contentkit import make_content, write

EXTRA_INTENT = """\
version: "3.1"
nlu:
- intent: {intent}
  examples: |
    - {text}
"""

ONE_FAQ = """\
faq:
- id: {id}
  questions:
    en: ["{question}"]
    ko: ["영업시간이 어떻게 되나요?"]
    ja: ["営業時間を教えてください"]
  answer:
    en: "{answer}"
    ko: "평일 9시부터 6시까지 영업합니다."
    ja: "平日9時から18時まで営業しております。"
"""

PROMO = """\
responses:
  promo:
    en: ["{en}"]
    ko: ["세일!"]
    ja: ["セール！"]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


def only(problems: list[Problem], severity: str) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.message) for p in problems if p.severity == severity]


def test_a_clean_folder_has_no_findings(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(root) == []
    assert main(root) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_an_example_under_two_intents_is_an_error(root: Path) -> None:
    write(root, "intents/extra.yml", EXTRA_INTENT.format(intent="thanks", text="Hello"))
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line) == ("intents/extra.yml", 5)
    assert "'greet'" in message and "'thanks'" in message
    assert "intents/builtin.yml:" in message


def test_an_example_repeated_in_one_intent_is_a_warning(root: Path) -> None:
    write(root, "intents/extra.yml", EXTRA_INTENT.format(intent="greet", text="HELLO  "))
    problems = validate(root)
    assert only(problems, "error") == []
    [(file, line, message)] = only(problems, "warning")
    assert (file, line) == ("intents/extra.yml", 5)
    assert "repeated in intent 'greet'" in message


def test_a_question_under_two_faq_entries_is_an_error(root: Path) -> None:
    write(
        root,
        "responses/faq/more.yml",
        ONE_FAQ.format(id="hours", question="when  will my ORDER arrive?", answer="9 to 6."),
    )
    [(file, line, message)] = only(validate(root), "error")
    # more.yml is read before shop.yml, so the later entry is the one reported
    assert (file, line) == ("responses/faq/shop.yml", 2)
    assert message == (
        "FAQ 'shipping-time': question 'When will my order arrive?' "
        "is also asked by FAQ 'hours' (responses/faq/more.yml:2)"
    )


def test_a_faq_question_equal_to_an_intent_example_is_an_error(root: Path) -> None:
    write(
        root, "responses/faq/more.yml", ONE_FAQ.format(id="hours", question="Thanks", answer="Ok.")
    )
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line) == ("responses/faq/more.yml", 2)
    assert "also an example of intent 'thanks' (intents/builtin.yml:" in message


def test_a_missing_faq_answer_translation_is_an_error(root: Path) -> None:
    text = ONE_FAQ.format(id="hours", question="Opening hours?", answer="9 to 6.")
    write(
        root,
        "responses/faq/more.yml",
        text.replace('    ja: "平日9時から18時まで営業しております。"\n', ""),
    )
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line, message) == (
        "responses/faq/more.yml",
        2,
        "FAQ 'hours' answer has no text in ja",
    )


def test_missing_faq_questions_in_a_language_are_a_warning(root: Path) -> None:
    text = ONE_FAQ.format(id="hours", question="Opening hours?", answer="9 to 6.")
    write(
        root, "responses/faq/more.yml", text.replace('    ko: ["영업시간이 어떻게 되나요?"]\n', "")
    )
    problems = validate(root)
    assert only(problems, "error") == []
    assert only(problems, "warning") == [
        ("responses/faq/more.yml", 2, "FAQ 'hours' has no questions in ko")
    ]


def test_a_missing_translation_of_an_engine_template_is_an_error(root: Path) -> None:
    write(root, "responses/extra.yml", 'responses:\n  rephrase:\n    en: ["Say again?"]\n')
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line, message) == (
        "responses/extra.yml",
        3,
        "response 'rephrase' has no text in ko, ja",
    )


def test_a_missing_translation_of_another_template_is_a_warning(root: Path) -> None:
    write(
        root, "responses/extra.yml", 'responses:\n  promo:\n    en: ["Sale!"]\n    ko: ["세일!"]\n'
    )
    problems = validate(root)
    assert only(problems, "error") == []
    assert only(problems, "warning") == [
        ("responses/extra.yml", 3, "response 'promo' has no text in ja")
    ]


def test_a_template_named_after_an_intent_is_used_by_the_engine(root: Path) -> None:
    write(root, "intents/extra.yml", EXTRA_INTENT.format(intent="opening", text="are you open"))
    write(root, "responses/extra.yml", 'responses:\n  opening:\n    en: ["9 to 6."]\n')
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line, message) == (
        "responses/extra.yml",
        3,
        "response 'opening' has no text in ko, ja",
    )


def test_a_missing_offer_pitch_translation_is_a_warning(root: Path) -> None:
    offers = (root / "responses/offers.yml").read_text(encoding="utf-8")
    write(
        root, "responses/offers.yml", offers.replace('    ja: "速達便なら明日お届けします。"\n', "")
    )
    assert only(validate(root), "warning") == [
        ("responses/offers.yml", 2, "offer 'express' pitch has no text in ja")
    ]


def test_a_missing_engine_template_is_an_error(root: Path) -> None:
    templates = (root / "responses/templates.yml").read_text(encoding="utf-8")
    write(root, "responses/templates.yml", templates.replace("  fallback:", "  fallback_old:"))
    errors = only(validate(root), "error")
    assert ("responses", 0, "response 'fallback' is missing; the engine says it") in errors


def test_a_missing_builtin_intent_is_an_error(root: Path) -> None:
    intents = (root / "intents/builtin.yml").read_text(encoding="utf-8")
    write(
        root, "intents/builtin.yml", intents.replace("- intent: bot_challenge", "- intent: robot")
    )
    assert only(validate(root), "error") == [
        ("intents", 0, "built-in intent 'bot_challenge' has no examples")
    ]


def test_a_builtin_intent_with_few_examples_in_a_language_is_a_warning(root: Path) -> None:
    intents = (root / "intents/builtin.yml").read_text(encoding="utf-8")
    write(root, "intents/builtin.yml", intents.replace("    - 좋은 아침이에요\n", ""))
    [(file, line, message)] = only(validate(root), "warning")
    assert (file, line) == ("intents/builtin.yml", 5)
    assert message == "built-in intent 'greet' has 2 example(s) in 'ko' (at least 3 recommended)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hello {nme}!",
            "unknown variable {nme} (known: {agent}, {company}, {name}, {topic}, {wait})",
        ),
        ("Hello {}!", "unknown variable {}"),
        ("Hello {name.upper}!", ""),
        ("Hello {name!", "braces don't parse"),
        ("Hello }", "braces don't parse"),
    ],
)
def test_template_variables_must_be_known_and_braces_parse(
    root: Path, text: str, expected: str
) -> None:
    yaml = PROMO.format(en=text)
    write(root, "responses/extra.yml", yaml)
    errors = only(validate(root), "error")
    if not expected:
        assert errors == []
        return
    [(file, line, message)] = errors
    assert (file, line) == ("responses/extra.yml", 3)
    assert message.startswith("response 'promo' (en): ")
    assert expected in message


@pytest.mark.parametrize(
    "phrase",
    [
        "I don't know",
        "i DO NOT know",
        "I don\u2019t know",
        "잘 모르겠어요",
        "わかりません",
        "分かりません",
        "知りません",
    ],
)
def test_saying_i_dont_know_is_an_error_in_templates(root: Path, phrase: str) -> None:
    yaml = PROMO.format(en=f"Sorry, {phrase}.")
    write(root, "responses/extra.yml", yaml)
    [(file, line, message)] = only(validate(root), "error")
    assert (file, line) == ("responses/extra.yml", 3)
    assert message.startswith("response 'promo' (en) says ")
    assert "never say you don't know" in message


def test_saying_i_dont_know_is_an_error_in_faq_answers_and_pitches(root: Path) -> None:
    faq = ONE_FAQ.format(id="hours", question="Opening hours?", answer="I don't know yet.")
    write(root, "responses/faq/more.yml", faq)
    offers = (root / "responses/offers.yml").read_text(encoding="utf-8")
    write(root, "responses/offers.yml", offers.replace("내일 받아", "모르겠지만 내일 받아"))
    errors = only(validate(root), "error")
    assert [(f, line) for f, line, _ in errors] == [
        ("responses/faq/more.yml", 2),
        ("responses/offers.yml", 2),
    ]
    assert errors[0][2].startswith("FAQ 'hours' answer (en) says \"i don't know\"")
    assert errors[1][2].startswith("offer 'express' pitch (ko) says \"모르겠\"")


def test_an_offer_for_an_unknown_slug_is_a_warning(root: Path) -> None:
    offers = (root / "responses/offers.yml").read_text(encoding="utf-8")
    changed = offers.replace("for: [shipping-time]", "for: [shipping, paperback, Gift Wrap, 선물]")
    write(root, "responses/offers.yml", changed)
    problems = validate(root)
    assert only(problems, "error") == []
    assert only(problems, "warning") == [
        (
            "responses/offers.yml",
            2,
            "offer 'express': 'paperback' is not an FAQ id or tag; used as a product word",
        )
    ]


def test_a_faq_offer_missing_from_the_catalog_is_an_error(root: Path) -> None:
    faq = (root / "responses/faq/shop.yml").read_text(encoding="utf-8")
    write(root, "responses/faq/shop.yml", faq.replace("offers: [express]", "offers: [expres]"))
    problems = validate(root)
    assert only(problems, "error") == [
        ("responses/faq/shop.yml", 2, "FAQ 'shipping-time': offer 'expres' is not in the catalog")
    ]


def test_drafts_are_listed_apart_with_what_is_left_to_do(root: Path) -> None:
    faq = ONE_FAQ.format(id="hours", question="Opening hours?", answer="TODO: write the answer")
    write(root, "responses/drafts/new.yml", faq)
    problems = validate(root)
    assert only(problems, "error") == only(problems, "warning") == []
    assert only(problems, "draft") == [
        ("responses/drafts/new.yml", 2, "draft FAQ 'hours' (answer to write in en)")
    ]


def test_a_live_answer_still_saying_todo_is_an_error(root: Path) -> None:
    faq = (root / "responses/faq/shop.yml").read_text(encoding="utf-8")
    first_answer = faq.index("answer:")
    en = faq.index("en:", first_answer)
    end = faq.index("\n", en)
    write(root, "responses/faq/shop.yml", faq[:en] + 'en: "TODO: write the answer"' + faq[end:])
    assert only(validate(root), "error") == [
        (
            "responses/faq/shop.yml",
            2,
            "FAQ 'shipping-time' answer (en) is still 'TODO: write the answer'",
        )
    ]


def test_errors_then_warnings_then_drafts(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root, "responses/drafts/new.yml", ONE_FAQ.format(id="hours", question="Q?", answer="A."))
    write(root, "responses/extra.yml", 'responses:\n  rephrase:\n    en: ["Say again?"]\n')
    write(root, "responses/more.yml", 'responses:\n  other:\n    en: ["Hm?"]\n')
    problems = validate(root)
    assert [p.severity for p in problems] == ["error", "warning", "draft"]
    assert main(root) == 1
    out = capsys.readouterr().out
    error = out.index("responses/extra.yml:3: response 'rephrase' has no text in ko, ja")
    warning = out.index("responses/more.yml:3: response 'other' has no text in ko, ja")
    heading = out.index("drafts awaiting review")
    draft = out.index("responses/drafts/new.yml:2: draft FAQ 'hours'")
    assert error < warning < heading < draft
    assert out.rstrip().endswith("1 error, 1 warning, 1 draft awaiting review")


def test_broken_yaml_names_file_and_line_without_a_traceback(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(root, "responses/faq/broken.yml", 'faq:\n- id: x\n  answer: {en: "a"\n  tags: [')
    [problem] = validate(root)
    assert (problem.file, problem.severity) == ("responses/faq/broken.yml", "error")
    assert problem.line == 4
    assert problem.message.startswith("invalid YAML")
    assert main(root) == 1
    captured = capsys.readouterr()
    assert "responses/faq/broken.yml:4: invalid YAML" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.rstrip().endswith("1 error, 0 warnings")


def test_a_missing_folder_is_one_error_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(tmp_path / "nowhere") == 1
    captured = capsys.readouterr()
    assert "not a content folder" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_problems_in_the_handoff_settings_name_file_and_line(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(root, "handoff/settings.yml", "wait:\n  in_hours: 5m\nclaim_timeout: soon\nalerts: {}\n")
    problems = only(validate(root), "error")
    assert {f for f, _, _ in problems} == {"handoff/settings.yml"}
    assert all(line >= 1 for _, line, _ in problems)
    text = "\n".join(m for _, _, m in problems)
    assert "unknown setting 'alerts'" in text and "soon" in text and len(problems) == 2
    assert main(root) == 1
    assert "handoff/settings.yml:1: claim_timeout: 'soon'" in capsys.readouterr().out


def test_broken_handoff_settings_yaml_is_an_error_with_its_line(root: Path) -> None:
    write(root, "handoff/settings.yml", "desk:\n  platform: [slack\n")
    [problem] = validate(root)
    assert problem.file == "handoff/settings.yml" and problem.severity == "error"
    assert problem.line >= 2 and problem.message.startswith("invalid YAML")


def test_valid_handoff_settings_are_no_finding(root: Path) -> None:
    write(root, "handoff/settings.yml", "claim_timeout: 10m\n")
    assert validate(root) == []
