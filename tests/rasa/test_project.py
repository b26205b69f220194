"""The Rasa project written from a content folder: Rasa's YAML shapes, every FAQ entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Content, load_content
from bot.nlu import Example
from bot.rasa.project import write_nlu_project, write_project
from tests.unit.contentkit import INTENTS, make_content


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return load_content(make_content(tmp_path_factory.mktemp("content")))


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def examples(block: dict[str, Any]) -> list[str]:
    """Rasa's ``examples: |`` block as its list of texts."""
    text = block["examples"]
    assert isinstance(text, str)
    lines = text.splitlines()
    assert all(line.startswith("- ") for line in lines)
    return [line[2:] for line in lines]


def test_the_project_has_the_files_rasa_init_makes(content: Content, tmp_path: Path) -> None:
    write_project(content, tmp_path)
    for name in ("config.yml", "domain.yml", "credentials.yml", "endpoints.yml"):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "data" / "nlu.yml").is_file()
    assert (tmp_path / "data" / "rules.yml").is_file()
    assert "rest" in read(tmp_path / "credentials.yml")
    raw = (tmp_path / "data" / "nlu.yml").read_text(encoding="utf-8")
    assert "examples: |" in raw  # the block style Rasa's own files use


def test_every_intent_and_faq_entry_is_trained_in_every_language(
    content: Content, tmp_path: Path
) -> None:
    write_project(content, tmp_path)
    nlu = read(tmp_path / "data" / "nlu.yml")
    assert nlu["version"] == "3.1"
    blocks = {b["intent"]: examples(b) for b in nlu["nlu"]}
    for intent, per_lang in INTENTS.items():
        assert blocks[intent] == [t for texts in per_lang for t in texts]
    assert set(content.faq) == {"shipping-time", "returns"}
    for entry in content.faq.values():
        asked = [q for qs in entry.questions.values() for q in qs]
        assert blocks[f"faq/{entry.id}"] == asked
        assert {"en", "ko", "ja"} <= set(entry.questions)


def test_the_domain_answers_every_faq_entry_in_one_language(
    content: Content, tmp_path: Path
) -> None:
    write_project(content, tmp_path)
    domain = read(tmp_path / "domain.yml")
    assert "faq" in domain["intents"]
    assert set(INTENTS) <= set(domain["intents"])
    for entry in content.faq.values():
        assert domain["responses"][f"utter_faq/{entry.id}"] == [{"text": entry.answer["en"]}]
    write_project(content, tmp_path, language="ko")
    korean = read(tmp_path / "domain.yml")["responses"]
    assert korean["utter_faq/returns"] == [{"text": content.faq["returns"].answer["ko"]}]


def test_rules_answer_the_faq_and_intents_with_a_template(content: Content, tmp_path: Path) -> None:
    write_project(content, tmp_path)
    rules = read(tmp_path / "data" / "rules.yml")["rules"]
    steps = [r["steps"] for r in rules]
    assert [{"intent": "faq"}, {"action": "utter_faq"}] in steps
    responses = read(tmp_path / "domain.yml")["responses"]
    for step in steps:
        assert step[1]["action"] == "utter_faq" or step[1]["action"] in responses


def test_the_config_is_the_default_pipeline_with_a_faq_selector(
    content: Content, tmp_path: Path
) -> None:
    write_project(content, tmp_path, epochs=7)
    config = read(tmp_path / "config.yml")
    names = [c["name"] for c in config["pipeline"]]
    assert names[:2] == ["WhitespaceTokenizer", "RegexFeaturizer"]
    assert "DIETClassifier" in names and "FallbackClassifier" in names
    [selector] = [c for c in config["pipeline"] if c["name"] == "ResponseSelector"]
    assert selector["retrieval_intent"] == "faq"
    trained = [c for c in config["pipeline"] + config["policies"] if "epochs" in c]
    assert {c["name"] for c in trained} == {"DIETClassifier", "ResponseSelector", "TEDPolicy"}
    assert {c["epochs"] for c in trained} == {7}


def test_bare_examples_make_an_nlu_project(tmp_path: Path) -> None:
    write_nlu_project(
        [
            Example("card arrived?", "card_arrival"),
            Example("  where is\nmy card ", "card_arrival"),
            Example("card arrived?", "card_arrival"),
            Example("how do I pay", "faq:payment"),
        ],
        tmp_path,
    )
    blocks = {b["intent"]: examples(b) for b in read(tmp_path / "data" / "nlu.yml")["nlu"]}
    assert blocks == {
        "card_arrival": ["card arrived?", "where is my card"],
        "faq/payment": ["how do I pay"],
    }
