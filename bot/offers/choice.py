"""The customer's answer to an offer: its buttons, or a short yes / no in words."""

from __future__ import annotations

import enum
import re
import unicodedata

MORE_PREFIX = "offer:more:"
NO_PREFIX = "offer:no:"


class Choice(enum.StrEnum):
    """What the customer made of an offer."""

    ACCEPT = "accept"
    DECLINE = "decline"


def more_payload(offer_id: str) -> str:
    """The payload of an offer's "Tell me more" button."""
    return f"{MORE_PREFIX}{offer_id}"


def no_payload(offer_id: str) -> str:
    """The payload of an offer's "No thanks" button."""
    return f"{NO_PREFIX}{offer_id}"


def parse_payload(payload: str) -> tuple[Choice, str] | None:
    """``(choice, offer id)`` for an offer button's payload, else ``None``."""
    for prefix, choice in ((MORE_PREFIX, Choice.ACCEPT), (NO_PREFIX, Choice.DECLINE)):
        if payload.startswith(prefix) and len(payload) > len(prefix):
            return choice, payload[len(prefix) :]
    return None


# Short answers that, right after an offer, can only mean yes or no. Longer or
# other messages go to the NLU like any other (its affirm / deny count too).
_DECLINE = frozenset(
    {
        # en
        "no", "no thanks", "no thank you", "no thx", "no ty", "nope", "nah", "nah thanks",
        "not now", "not today", "not interested", "not for me", "maybe later", "no need",
        "i'm good", "im good", "i'm fine", "im fine", "i'm ok", "no i'm good",
        "no thanks i'm good", "i'll pass", "pass",
        # ko
        "아니요", "아니오", "아뇨", "아니", "괜찮아요", "괜찮습니다", "괜찮아", "됐어요",
        "됐습니다", "됐어", "아니요 괜찮아요", "아뇨 괜찮아요", "아니요 괜찮습니다",
        "아뇨 괜찮습니다", "아니요 됐어요", "아뇨 됐어요", "필요 없어요", "필요없어요",
        "관심 없어요", "관심없어요", "다음에요", "다음에 할게요", "괜찮아요 감사합니다",
        "아니요 감사합니다", "사양할게요",
        # ja
        "いいえ", "いえ", "結構です", "けっこうです", "いいえ結構です", "いえ結構です",
        "大丈夫です", "いいえ大丈夫です", "今は大丈夫です", "いらないです", "いりません",
        "要りません", "遠慮します", "遠慮しておきます", "また今度", "また今度で",
        "今回は結構です", "大丈夫です ありがとうございます", "結構です ありがとうございます",
    }
)  # fmt: skip
_ACCEPT = frozenset(
    {
        # en
        "yes", "yes please", "yeah", "yep", "sure", "sure thing", "ok sure", "why not",
        "tell me more", "more", "more info", "show me", "i'm interested", "interested",
        "sounds good", "sounds great", "yes tell me more", "please do",
        # ko
        "네", "예", "네 좋아요", "좋아요", "네 알려 주세요", "알려 주세요", "알려주세요",
        "자세히 알려 주세요", "자세히 알려주세요", "보여 주세요", "보여주세요", "궁금해요",
        "관심 있어요", "관심있어요", "네 보여주세요", "네 궁금해요",
        # ja
        "はい", "はいお願いします", "はい お願いします", "お願いします", "詳しく教えて",
        "詳しく教えてください", "教えてください", "見たいです", "見てみたいです",
        "気になります", "興味があります", "はい見たいです",
    }
)  # fmt: skip
_DROP = re.compile(r"[^\w\s']+")


def _key(text: str) -> str:
    """Casefolded, without punctuation, emoji or spaces: "아니요, 괜찮아요" ≡ "아니요괜찮아요"."""
    flat = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return "".join(_DROP.sub("", flat).split())


_ANSWERS = {_key(t): Choice.DECLINE for t in _DECLINE} | {_key(t): Choice.ACCEPT for t in _ACCEPT}


def in_words(text: str) -> Choice | None:
    """A short "no thanks" / "yes please" in en, ko or ja, punctuation and emoji aside."""
    return _ANSWERS.get(_key(text))
