"""Rasa 3.6 serving the same content, for ``bench/load.py`` to compare against.

:func:`write_project` turns a frontdesk content folder into a Rasa project:
the built-in intents' examples as NLU intents, every FAQ entry as a retrieval
intent ``faq/<id>`` (its questions in every language) answered by a response
selector, the templates and FAQ answers as responses (Rasa picks no language,
so one language is served), one rule per intent, a fallback rule, and the REST
channel. The pipeline and policies are Rasa 3.6's defaults, written out.

:func:`train` trains it once and caches the model by a fingerprint of the
project files (minutes, even for this small content); :func:`serve` runs
``rasa run`` and waits until it answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

from bench.load_servers import stop

#: Rasa 3.6's default pipeline and policies (what ``rasa init`` auto-configures).
CONFIG = """\
recipe: default.v1
language: en
assistant_id: frontdesk-bench
pipeline:
- name: WhitespaceTokenizer
- name: RegexFeaturizer
- name: LexicalSyntacticFeaturizer
- name: CountVectorsFeaturizer
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
- name: DIETClassifier
  epochs: 100
  constrain_similarities: true
- name: EntitySynonymMapper
- name: ResponseSelector
  epochs: 100
  constrain_similarities: true
- name: FallbackClassifier
  threshold: 0.3
  ambiguity_threshold: 0.1
policies:
- name: MemoizationPolicy
- name: RulePolicy
- name: UnexpecTEDIntentPolicy
  max_history: 5
  epochs: 100
- name: TEDPolicy
  max_history: 5
  epochs: 100
  constrain_similarities: true
"""
FALLBACK = "Sorry, I didn't get that. Could you say it another way?"


#: Template variables filled in, as Rasa has no such slots here.
FILLERS = {"{name}": "there", "{company}": "our shop", "{topic}": "that", "{wait}": "a few minutes"}


def _literal(text: str) -> str:
    """A Rasa response text: variables filled, and no ``{`` left to be read as a slot."""
    for variable, value in FILLERS.items():
        text = text.replace(variable, value)
    return text.replace("{", "(").replace("}", ")")


def write_project(content_dir: Path, dest: Path, *, language: str = "en") -> Path:
    """Write a Rasa project for the content in ``content_dir`` into ``dest``; returns ``dest``."""
    from bot.content.loader import load_content

    content = load_content(content_dir)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "data").mkdir(exist_ok=True)

    def name(faq_id: str) -> str:
        return faq_id.replace("-", "_")

    nlu: list[dict[str, str]] = []
    for intent in content.intents:
        examples = [e.text for e in content.examples if e.intent == intent]
        nlu.append({"intent": intent, "examples": "".join(f"- {t}\n" for t in examples)})
    for entry in content.faq.values():
        asked = [q for questions in entry.questions.values() for q in questions]
        nlu.append(
            {"intent": f"faq/{name(entry.id)}", "examples": "".join(f"- {q}\n" for q in asked)}
        )

    responses: dict[str, list[dict[str, str]]] = {}
    for intent in content.intents:
        template = content.templates.get(intent)
        variants = template.variants.get(language, ()) if template else ()
        responses[f"utter_{intent}"] = [{"text": _literal(variants[0] if variants else intent)}]
    for entry in content.faq.values():
        answer = entry.answer.get(language) or next(iter(entry.answer.values()))
        responses[f"utter_faq/{name(entry.id)}"] = [{"text": _literal(answer)}]
    responses["utter_default"] = [{"text": FALLBACK}]

    rules = [
        {"rule": f"answer {i}", "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
        for i in content.intents
    ]
    rules.append({"rule": "answer an FAQ", "steps": [{"intent": "faq"}, {"action": "utter_faq"}]})
    rules.append(
        {
            "rule": "fall back",
            "steps": [{"intent": "nlu_fallback"}, {"action": "utter_default"}],
        }
    )
    domain = {
        "version": "3.1",
        "intents": [*content.intents, "faq"],
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }

    def dump(path: Path, data: object) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    (dest / "config.yml").write_text(CONFIG)
    dump(dest / "domain.yml", domain)
    dump(dest / "data" / "nlu.yml", {"version": "3.1", "nlu": nlu})
    dump(dest / "data" / "rules.yml", {"version": "3.1", "rules": rules})
    dump(dest / "credentials.yml", {"rest": None})
    dump(dest / "endpoints.yml", {})
    return dest


def fingerprint(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*.yml")):
        digest.update(str(path.relative_to(project)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}


def train(venv: Path, project: Path, cache: Path, *, log: Path) -> Path:
    """The trained model for ``project``: from ``cache`` if trained before, else trained now."""
    model = cache / f"rasa-{fingerprint(project)}.tar.gz"
    if model.exists():
        return model
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("ab") as out:
        subprocess.run(
            [
                str(venv / "bin" / "rasa"),
                "train",
                "--fixed-model-name",
                model.name.removesuffix(".tar.gz"),
                "--out",
                str(cache),
            ],
            cwd=project,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    print(f"rasa: trained in {time.monotonic() - started:.0f} s → {model}", flush=True)
    return model


@contextlib.contextmanager
def serve(
    venv: Path, project: Path, model: Path, port: int, *, log: Path, within: float = 300
) -> Iterator[tuple[str, int]]:
    """``rasa run`` with the REST channel; yields its webhook URL and process group once up."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(venv / "bin" / "rasa"),
                "run",
                "--model",
                str(model),
                "--port",
                str(port),
                "--interface",
                "127.0.0.1",
                "--credentials",
                "credentials.yml",
            ],
            cwd=project,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"rasa run exited with {process.returncode} (see {log})")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer,
            ):
                if answer.status == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"rasa run not ready after {within:.0f} s (see {log})")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", process.pid
    finally:
        stop(process, grace=20)
