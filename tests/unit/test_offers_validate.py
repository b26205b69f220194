"""``frontdesk validate`` on the offer catalog (what issue 6 asks of it)."""

from pathlib import Path

import pytest

from bot.config import default_content_dir
from bot.content.validate import REQUIRED_TEMPLATES, validate
from bot.errors import Problem
from bot.offers import TEMPLATES
from tests.unit.contentkit import TEMPLATE_TEXT, make_content, write

CATALOG = """\
offers:
- id: express
  kind: upsell
  for: [shipping-time, shipping, shiping-time]
  pitch:
    en: "Express delivery gets it to you tomorrow."
    ko: "특급 배송으로 내일 받아 보실 수 있어요."
- id: express
  kind: cross_sell
  for: [returns]
  pitch:
    en: "Gift wrap?"
    ko: "선물 포장?"
    ja: "ギフト包装？"
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


def _messages(problems: list[Problem], severity: str) -> list[str]:
    return [p.message for p in problems if p.severity == severity]


def test_a_duplicate_offer_id_is_an_error(root: Path) -> None:
    write(root, "responses/offers.yml", CATALOG)
    [problem] = validate(root)
    assert (problem.file, problem.severity) == ("responses/offers.yml", "error")
    assert "offer 'express' defined twice" in problem.message


def test_unknown_faq_ids_and_missing_pitches_are_reported(root: Path) -> None:
    write(root, "responses/offers.yml", CATALOG.split("- id: express\n  kind: cross_sell")[0])
    problems = validate(root)
    assert _messages(problems, "error") == []
    warnings = _messages(problems, "warning")
    assert "offer 'express' pitch has no text in ja" in warnings
    assert any("'shiping-time' is not an FAQ id or tag" in w for w in warnings)
    assert not any("'shipping'" in w or "'shipping-time'" in w for w in warnings)


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_offer_replies_are_required(root: Path, name: str) -> None:
    lines = ["responses:"]
    for other in sorted(REQUIRED_TEMPLATES - {name}):
        lines.append(f"  {other}:")
        lines += [f'    {lang}: ["{text.format(other)}"]' for lang, text in TEMPLATE_TEXT.items()]
    write(root, "responses/templates.yml", "\n".join(lines) + "\n")
    assert _messages(validate(root), "error") == [
        f"response '{name}' is missing; the engine says it"
    ]


def test_the_example_catalog_and_its_replies_have_no_errors() -> None:
    problems = validate(default_content_dir())
    assert [p for p in problems if p.severity == "error" and "offer" in p.message] == []
