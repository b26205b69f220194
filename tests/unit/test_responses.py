import random

from bot.content.model import Template, Where
from bot.responses import Renderer, variables

HERE = Where("responses/t.yml", 1)


def _renderer(**variants: dict[str, tuple[str, ...]]) -> Renderer:
    templates = {name: Template(name, v, HERE) for name, v in variants.items()}
    return Renderer(templates, rng=random.Random(1))


def test_fills_the_name_in_the_language() -> None:
    r = _renderer(greet={"en": ("Hello {name}!",), "ko": ("안녕하세요 {name}님!",)})
    assert r.render("greet", "ko", name="Mina") == "안녕하세요 Mina님!"
    assert r.render("greet", "en", name="Mina") == "Hello Mina!"


def test_prefers_a_variant_without_the_name_when_it_is_unknown() -> None:
    r = _renderer(greet={"en": ("Hello {name}!", "Hello!")})
    assert {r.render("greet", "en") for _ in range(20)} == {"Hello!"}


def test_fills_a_polite_default_when_every_variant_needs_the_name() -> None:
    r = _renderer(greet={"ja": ("{name}様、こんにちは",)})
    assert r.render("greet", "ja") == "お客様、こんにちは"


def test_falls_back_to_english_and_survives_stray_braces() -> None:
    r = _renderer(x={"en": ("Use {curly",)})
    assert r.render("x", "ja") == "Use {curly"
    assert r.render("missing", "en") == ""


def test_variables() -> None:
    assert variables("Hi {name}, wait {wait}") == {"name", "wait"}
    assert variables("broken {") == set()
