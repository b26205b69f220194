"""Render named templates in the customer's language, with their name."""

from __future__ import annotations

import random
import string
from collections.abc import Mapping

from bot.content.model import Template

#: Used for ``{name}`` when a template has no variant without it.
DEFAULT_NAMES = {"en": "there", "ko": "고객", "ja": "お客"}
_FORMATTER = string.Formatter()


def variables(text: str) -> set[str]:
    """The ``{variables}`` a template text uses."""
    try:
        return {field for _, field, _, _ in _FORMATTER.parse(text) if field}
    except ValueError:
        return set()


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class Renderer:
    """Picks a variant of a template and fills its variables."""

    def __init__(
        self,
        templates: Mapping[str, Template],
        *,
        fallback_lang: str = "en",
        rng: random.Random | None = None,
    ) -> None:
        self._templates = templates
        self._fallback = fallback_lang
        self._rng = rng or random.Random()

    def has(self, name: str) -> bool:
        """Whether a template of that name exists."""
        return name in self._templates

    def render(self, template_name: str, lang: str, /, **values: str | None) -> str:
        """One variant of the named template in ``lang``, variables filled.

        Variants whose variables are all known are preferred, so a customer
        whose name we don't have gets "Hello!" rather than "Hello there!"; among
        those, the ones using the most of them, so a known name is used.
        """
        template = self._templates.get(template_name)
        if template is None:
            return ""
        variants = template.variants.get(lang) or template.variants.get(self._fallback) or ()
        if not variants:
            variants = next(iter(template.variants.values()), ())
        if not variants:
            return ""
        known = {k for k, v in values.items() if v}
        complete = [v for v in variants if variables(v) <= known]
        if complete:  # the warmest: those that use the most of what we know (the name)
            most = max(len(variables(v)) for v in complete)
            complete = [v for v in complete if len(variables(v)) == most]
        text = self._rng.choice(complete or list(variants))
        filled = _Blank({k: v for k, v in values.items() if v})
        filled.setdefault("name", DEFAULT_NAMES.get(lang, ""))
        try:
            return text.format_map(filled)
        except (ValueError, IndexError, AttributeError):
            return text  # a stray brace in content: show the text rather than fail
