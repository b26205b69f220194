"""The note an agent reads at a glance, built without any hosted model.

:class:`Summarizer` is the seam: :class:`ExtractiveSummarizer` picks the
customer's key sentences and extracts facts with patterns; a local model could
replace it later by implementing the same two methods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

SPARKS = "▁▂▃▄▅▆▇█"
INTERNAL = "//"

#: Facts worth an agent's eye, by kind; patterns work in en/ko/ja text.
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "order": re.compile(
        r"(?:#\s?\d{3,}|\b[A-Z]{2,4}-?\d{4,}\b|(?:order|주문|注文)\s*(?:no\.?|number|번호|番号)?\s*[:#]?\s*(\d{4,}))",
        re.IGNORECASE,
    ),
    "phone": re.compile(r"(?<!\d)(?:\+\d{1,3}[\s-]?)?0?\d{1,3}[\s-]\d{3,4}[\s-]\d{4}(?!\d)"),
    "amount": re.compile(
        r"(?:[$€£¥₩]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:원|円|엔|dollars?|usd|eur|krw|jpy)(?![a-z]))",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}\s?월\s?\d{1,2}\s?일"
        r"|\d{1,2}\s?月\s?\d{1,2}\s?日|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s\d{1,2})",
        re.IGNORECASE,
    ),
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])(?![。！？!?])\s*|\n+")
#: Words that make a sentence more likely to state the problem.
PROBLEM_WORDS = (
    "not", "never", "still", "wrong", "broken", "damaged", "missing", "late", "refund",
    "charged", "cancel", "problem", "issue", "can't", "cannot", "didn't", "won't", "haven't",
    "안", "못", "아직", "환불", "취소", "문제", "파손", "누락", "잘못", "결제",
    "ない", "まだ", "返金", "キャンセル", "問題", "破損", "届か", "間違", "請求",
)  # fmt: skip
SMALL_TALK = frozenset(
    {"hi", "hello", "hey", "thanks", "thank you", "ok", "okay", "yes", "no", "안녕하세요",
     "감사합니다", "네", "아니요", "こんにちは", "ありがとう", "はい", "いいえ"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Facts:
    """What was extracted from the customer's messages, by kind, in order of appearance."""

    found: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.found.values())


class Summarizer(Protocol):
    """Picks the problem sentences and the facts from what the customer wrote."""

    def key_sentences(self, messages: list[str], *, limit: int = 3) -> list[str]: ...

    def facts(self, messages: list[str]) -> Facts: ...


class ExtractiveSummarizer:
    """Sentences scored by substance (facts, problem words, length); patterns for facts."""

    def facts(self, messages: list[str]) -> Facts:
        found: dict[str, list[str]] = {}
        for text in messages:
            for kind, pattern in FACT_PATTERNS.items():
                for match in pattern.finditer(text):
                    value = next((g for g in match.groups() if g), match.group(0)).strip()
                    if kind == "phone" and any(value in e for e in found.get("email", [])):
                        continue
                    bucket = found.setdefault(kind, [])
                    if value not in bucket:
                        bucket.append(value)
        return Facts({k: tuple(v) for k, v in found.items()})

    def key_sentences(self, messages: list[str], *, limit: int = 3) -> list[str]:
        candidates: list[tuple[float, int, str]] = []
        order = 0
        for text in messages:
            for sentence in _SENTENCE.split(text):
                sentence = sentence.strip()
                words = sentence.lower().strip("!?.。！？ ")
                if not words or words in SMALL_TALK:
                    continue
                order += 1
                candidates.append((self._score(sentence), order, sentence))
        best = sorted(candidates, key=lambda c: (-c[0], c[1]))[:limit]
        return [s for _, _, s in sorted(best, key=lambda c: c[1])]

    @staticmethod
    def _score(sentence: str) -> float:
        lowered = sentence.lower()
        score = min(len(sentence), 120) / 40
        score += 2.0 * sum(1 for p in FACT_PATTERNS.values() if p.search(sentence))
        score += 1.0 * sum(1 for w in PROBLEM_WORDS if w in lowered)
        return score


def sparkline(scores: list[float]) -> str:
    """Frustration scores 0–1 as ▁▂▃▄▅▆▇█."""
    top = len(SPARKS) - 1
    return "".join(SPARKS[max(0, min(top, round(s * top)))] for s in scores)


def minutes(span: timedelta) -> int:
    return max(0, round(span.total_seconds() / 60))


#: Desk-side labels, in the desk's language.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ticket {code}", "who": "Who", "why": "Why now", "problem": "In their words",
        "facts": "Facts", "tried": "Bot tried", "mood": "Mood", "waited": "Waiting",
        "nothing": "nothing yet", "earlier": "earlier conversations: {n}",
        "last_feedback": "last feedback: {score}",
        "minutes": "{n} min in chat", "helped": "rated {n}/5", "internal":
        "Reply to talk to the customer; start with // for an internal note (never sent).",
        "email": "e-mail", "order": "order", "phone": "phone", "amount": "amount", "date": "date",
        "customer_request": "asked for a person", "no_answer": "the bot had no answer",
        "frustration": "rising frustration", "threat": "THREAT", "faq": "FAQ marked for a person",
        "agent_takeover": "an agent took over",
    },
    "ko": {
        "title": "티켓 {code}", "who": "고객", "why": "사유", "problem": "고객의 말",
        "facts": "정보", "tried": "봇의 시도", "mood": "기분", "waited": "대기",
        "nothing": "아직 없음", "earlier": "이전 대화: {n}건",
        "last_feedback": "최근 평가: {score}",
        "minutes": "대화 {n}분째", "helped": "평가 {n}/5", "internal":
        "답장하면 고객에게 전달됩니다. // 로 시작하면 내부 메모(전송 안 됨).",
        "email": "이메일", "order": "주문", "phone": "전화", "amount": "금액", "date": "날짜",
        "customer_request": "상담원 요청", "no_answer": "봇이 답하지 못함",
        "frustration": "불만 고조", "threat": "위협", "faq": "상담원 처리 FAQ",
        "agent_takeover": "상담원이 직접 인수",
    },
    "ja": {
        "title": "チケット {code}", "who": "お客様", "why": "理由", "problem": "お客様の言葉",
        "facts": "情報", "tried": "ボットの対応", "mood": "気分", "waited": "待ち時間",
        "nothing": "まだなし", "earlier": "過去の会話: {n}件",
        "last_feedback": "前回の評価: {score}",
        "minutes": "会話開始から{n}分", "helped": "評価 {n}/5", "internal":
        "返信はお客様に届きます。// で始めると社内メモ（送信されません）。",
        "email": "メール", "order": "注文", "phone": "電話", "amount": "金額", "date": "日付",
        "customer_request": "担当者を希望", "no_answer": "ボットが回答できず",
        "frustration": "不満の高まり", "threat": "脅迫", "faq": "担当者対応のFAQ",
        "agent_takeover": "担当者が引き継ぎ",
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """What the note is made of."""

    code: str
    reason: str
    priority: str
    name: str
    platform: str
    handle: str
    language: str
    messages: list[str]
    answered: list[str] = field(default_factory=list)
    feedback: int | None = None
    moods: list[float] = field(default_factory=list)
    profile: str = ""  # flags and customer type with the approach (from the guard)
    earlier: int = 0
    #: The newest feedback score from an earlier conversation, if any was given.
    last_feedback: int | None = None
    in_chat: timedelta = timedelta()
    expected_wait: str = ""
    #: What the trigger quoted (the guard's topic, the policy's message), shown first.
    topic: str = ""


def why(reason: str, labels: dict[str, str]) -> str:
    """The trigger in words: ``faq:refund`` → "FAQ marked for a person: refund"."""
    if reason.startswith("faq:"):
        return f"{labels['faq']}: {reason[4:]}"
    return labels.get(reason, reason)


def build_note(case: Case, *, lang: str = "en", summarizer: Summarizer | None = None) -> str:
    """One screen for the agent, in the desk's language."""
    summarizer = summarizer or ExtractiveSummarizer()
    labels = LABELS.get(lang, LABELS["en"])
    lines: list[str] = []
    urgent = case.priority == "urgent" or case.reason == "threat"
    head = labels["title"].format(code=case.code)
    lines.append(f"🚨 {head} — {labels['threat']}" if urgent else f"🎫 {head} ({case.priority})")
    if case.profile:
        lines += [
            f"⚠ {line}" if not line.startswith("⚠") else line for line in case.profile.splitlines()
        ]
    handle = f" @{case.handle}" if case.handle else ""
    earlier = labels["earlier"].format(n=case.earlier)
    if case.earlier:
        last = labels["nothing"] if case.last_feedback is None else f"{case.last_feedback}/5"
        earlier += f" ({labels['last_feedback'].format(score=last)})"
    lines.append(
        f"{labels['who']}: {case.name}{handle} · {case.platform} · {case.language} · {earlier}"
    )
    lines.append(f"{labels['why']}: {why(case.reason, labels)}")
    sentences = summarizer.key_sentences(case.messages)
    topic = case.topic.strip()
    if topic and not any(topic in s or s in topic for s in sentences):
        sentences = [topic, *sentences[:2]]
    lines.append(f"{labels['problem']}:")
    lines += [f"  “{s}”" for s in sentences] or [f"  {labels['nothing']}"]
    facts = summarizer.facts(case.messages)
    if facts:
        found = "; ".join(f"{labels.get(k, k)} {', '.join(v)}" for k, v in facts.found.items())
        lines.append(f"{labels['facts']}: {found}")
    tried = ", ".join(case.answered) or labels["nothing"]
    if case.feedback is not None:
        tried += f" ({labels['helped'].format(n=case.feedback)})"
    lines.append(f"{labels['tried']}: {tried}")
    if case.moods:
        lines.append(f"{labels['mood']}: {sparkline(case.moods)} ({case.moods[-1]:.2f})")
    waited = labels["minutes"].format(n=minutes(case.in_chat))
    if case.expected_wait:
        waited += f" · {case.expected_wait}"
    lines.append(f"{labels['waited']}: {waited}")
    lines.append(labels["internal"])
    return "\n".join(lines)
