"""Write a Rasa 3.6 project from a content folder (or from bare training examples).

The layout is what ``rasa init`` makes: ``config.yml``, ``domain.yml``,
``credentials.yml`` (``rest:``), ``endpoints.yml``, ``data/nlu.yml`` and
``data/rules.yml``. Intents come from ``intents/``; every FAQ entry becomes the
retrieval intent ``faq/<id>`` trained on its ways of asking in every language,
answered by ``utter_faq/<id>`` and picked by a ``ResponseSelector`` for ``faq``.

Rasa's domain holds one text per response: the answers and templates are written
in one language (``language``, English by default, else the first one present).
The bot itself never uses those texts (it renders its own, in the customer's
language); they serve ``rasa shell`` and ``rasa run``'s REST channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.content import Content
from bot.nlu import Example
from bot.policy import FAQ_PREFIX

#: The retrieval intent that holds the FAQ, and the label prefix the bot uses for it.
RETRIEVAL_INTENT = "faq"
LABEL_PREFIX = FAQ_PREFIX
#: Rasa's own training-data format version for 3.x projects.
FORMAT_VERSION = "3.1"
#: Epochs of Rasa's default pipeline; a quick CI model passes fewer.
DEFAULT_EPOCHS = 100
#: Every neural part of the pipeline and policies starts from this seed (repeatable training).
SEED = 1


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (Rasa's ``examples: |``), insertion order kept."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")


def rasa_intent(label: str) -> str:
    """Our label (``greet``, ``faq:shipping-time``) as Rasa's intent name."""
    if label.startswith(LABEL_PREFIX):
        return f"{RETRIEVAL_INTENT}/{label[len(LABEL_PREFIX) :]}"
    return label


def _one_line(text: str) -> str:
    return " ".join(text.split())


def nlu_data(examples: Iterable[Example]) -> dict[str, Any]:
    """``data/nlu.yml``: one block per label, examples in the order given, deduplicated."""
    by_intent: dict[str, dict[str, None]] = {}
    for e in examples:
        if text := _one_line(e.text):
            by_intent.setdefault(rasa_intent(e.label), {})[text] = None
    nlu = [
        {"intent": name, "examples": "".join(f"- {t}\n" for t in texts)}
        for name, texts in by_intent.items()
    ]
    return {"version": FORMAT_VERSION, "nlu": nlu}


def pipeline(epochs: int = DEFAULT_EPOCHS) -> list[dict[str, Any]]:
    """Rasa 3.6's default pipeline (what ``rasa init`` leaves to auto-configuration), its
    neural parts seeded (:data:`SEED`) so that the same project trains the same model."""
    return [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {
            "name": "DIETClassifier",
            "epochs": epochs,
            "constrain_similarities": True,
            "random_seed": SEED,
        },
        {"name": "EntitySynonymMapper"},
        {
            "name": "ResponseSelector",
            "epochs": epochs,
            "retrieval_intent": RETRIEVAL_INTENT,
            "constrain_similarities": True,
            "random_seed": SEED,
        },
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
    ]


def config(epochs: int = DEFAULT_EPOCHS) -> dict[str, Any]:
    """``config.yml``: the default pipeline and policies, ``epochs`` for every neural part."""
    return {
        "recipe": "default.v1",
        "assistant_id": "frontdesk",
        "language": "en",
        "pipeline": pipeline(epochs),
        "policies": [
            {"name": "MemoizationPolicy"},
            {"name": "RulePolicy"},
            {
                "name": "TEDPolicy",
                "max_history": 5,
                "epochs": epochs,
                "constrain_similarities": True,
                "random_seed": SEED,
            },
        ],
    }


def _pick(texts: Mapping[str, Sequence[str] | str], language: str) -> list[str]:
    """The texts in ``language``, else English, else the first language present."""
    for code in (language, "en", *texts):
        value = texts.get(code)
        if value:
            return [value] if isinstance(value, str) else list(value)
    return []


def _answered_intents(content: Content) -> list[str]:
    """Intents with a template of the same name (those answer themselves)."""
    intents = dict.fromkeys(e.intent for e in content.examples)
    return [
        i for i in intents if i in content.templates and any(content.templates[i].variants.values())
    ]


def domain(content: Content, *, language: str = "en") -> dict[str, Any]:
    """``domain.yml``: the intents, the FAQ answers and the templates the rules use.

    Other templates (handoff, guard, offers…) need the bot's own logic and stay out.
    """
    intents = list(dict.fromkeys(e.intent for e in content.examples))
    if content.faq:
        intents.append(RETRIEVAL_INTENT)
    responses: dict[str, list[dict[str, str]]] = {}
    for name in _answered_intents(content):
        if texts := _pick(content.templates[name].variants, language):
            responses[f"utter_{name}"] = [{"text": t} for t in texts]
    for entry in content.faq.values():
        if texts := _pick(entry.answer, language):
            responses[f"utter_{RETRIEVAL_INTENT}/{entry.id}"] = [{"text": t} for t in texts]
    return {
        "version": FORMAT_VERSION,
        "intents": intents,
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }


def rules(content: Content) -> dict[str, Any]:
    """``data/rules.yml``: the FAQ answers itself; an intent with a template of its name too."""
    out: list[dict[str, Any]] = []
    if content.faq:
        out.append(
            {
                "rule": "answer the FAQ",
                "steps": [{"intent": RETRIEVAL_INTENT}, {"action": f"utter_{RETRIEVAL_INTENT}"}],
            }
        )
    for intent in _answered_intents(content):
        out.append(
            {
                "rule": f"answer {intent}",
                "steps": [{"intent": intent}, {"action": f"utter_{intent}"}],
            }
        )
    return {"version": FORMAT_VERSION, "rules": out}


def write_project(
    content: Content, dest: Path, *, epochs: int = DEFAULT_EPOCHS, language: str = "en"
) -> None:
    """Write a complete Rasa project for ``content`` into ``dest`` (created if needed).

    Training data comes from :func:`bot.app.training_examples`, so Rasa learns the
    very labels the embedded NLU learns.
    """
    from bot.app import training_examples

    write_nlu_project(training_examples(content), dest, epochs=epochs)
    _dump(dest / "domain.yml", domain(content, language=language))
    _dump(dest / "data" / "rules.yml", rules(content))


def write_nlu_project(
    examples: Iterable[Example], dest: Path, *, epochs: int = DEFAULT_EPOCHS
) -> None:
    """An NLU-only project (``rasa train nlu``) from bare examples, e.g. a benchmark's."""
    dest.mkdir(parents=True, exist_ok=True)
    _dump(dest / "config.yml", config(epochs))
    _dump(dest / "data" / "nlu.yml", nlu_data(examples))
    _dump(dest / "credentials.yml", {"rest": None})
    _dump(dest / "endpoints.yml", {"action_endpoint": None})
    _dump(dest / "domain.yml", {"version": FORMAT_VERSION})
