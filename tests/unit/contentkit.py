"""A small, valid content folder for tests (never the repo's own content)."""

from __future__ import annotations

from pathlib import Path

from bot.config import default_content_dir
from bot.content.validate import REQUIRED_TEMPLATES

INTENTS = {
    "greet": (
        ["hello", "hi there", "good morning"],
        ["안녕하세요", "안녕", "좋은 아침이에요"],
        ["こんにちは", "おはようございます", "こんばんは"],
    ),
    "goodbye": (
        ["bye", "see you later", "goodbye for now"],
        ["안녕히 계세요", "다음에 봐요", "수고하세요"],
        ["さようなら", "またね", "失礼します"],
    ),
    "thanks": (
        ["thanks", "thank you so much", "much appreciated"],
        ["감사합니다", "고마워요", "정말 고맙습니다"],
        ["ありがとう", "ありがとうございます", "助かりました"],
    ),
    "affirm": (
        ["yes", "yes please", "sure"],
        ["네", "좋아요", "맞아요"],
        ["はい", "そうです", "お願いします"],
    ),
    "deny": (
        ["no", "no thanks", "not really"],
        ["아니요", "아뇨 괜찮아요", "아니에요"],
        ["いいえ", "結構です", "違います"],
    ),
    "human": (
        ["talk to a person", "I want a human agent", "connect me to staff"],
        ["상담원 연결해 주세요", "사람이랑 얘기하고 싶어요", "직원 불러 주세요"],
        ["オペレーターにつないで", "人と話したい", "担当者をお願いします"],
    ),
    "complaint": (
        ["this is terrible service", "I am very unhappy", "I want to complain"],
        ["서비스가 너무 별로예요", "정말 불만이에요", "항의하고 싶어요"],
        ["ひどい対応です", "とても不満です", "苦情を言いたい"],
    ),
    "bot_challenge": (
        ["are you a bot", "am I talking to a robot", "is this a real person"],
        ["봇이에요?", "로봇이랑 대화하는 건가요", "사람이에요?"],
        ["ボットですか", "ロボットですか", "人間ですか"],
    ),
}

TEMPLATE_TEXT = {
    "en": "[{0}] Thank you, we will help you.",
    "ko": "[{0}] 감사합니다, 도와드리겠습니다.",
    "ja": "[{0}] ありがとうございます、お手伝いいたします。",
}

FAQ = """\
faq:
- id: shipping-time
  questions:
    en: ["How long does delivery take?", "When will my order arrive?"]
    ko: ["배송은 얼마나 걸리나요?", "택배 언제 와요?"]
    ja: ["配送にはどのくらいかかりますか？", "いつ届きますか？"]
  answer:
    en: "Orders arrive in 2 to 4 business days."
    ko: "주문은 영업일 기준 2~4일 후 도착합니다."
    ja: "ご注文は2〜4営業日でお届けします。"
  tags: [shipping]
  offers: [express]
- id: returns
  questions:
    en: ["How do I return an item?", "Can I send my order back?"]
    ko: ["반품은 어떻게 하나요?", "상품을 돌려보낼 수 있나요?"]
    ja: ["返品の方法を教えてください", "商品を返送できますか？"]
  answer:
    en: "You can return any item within 30 days for a full refund."
    ko: "30일 이내에 반품하시면 전액 환불해 드립니다."
    ja: "30日以内であれば返品・全額返金が可能です。"
  tags: [returns]
"""

OFFERS = """\
offers:
- id: express
  kind: upsell
  for: [shipping-time]
  pitch:
    en: "Express delivery gets it to you tomorrow."
    ko: "특급 배송으로 내일 받아 보실 수 있어요."
    ja: "速達便なら明日お届けします。"
"""


def intents_yaml() -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, per_lang in INTENTS.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for texts in per_lang for text in texts]
    return "\n".join(lines) + "\n"


def templates_yaml() -> str:
    lines = ["responses:"]
    for name in sorted(n for n in REQUIRED_TEMPLATES if not n.startswith("guard_")):
        lines.append(f"  {name}:")
        lines += [f'    {lang}: ["{text.format(name)}"]' for lang, text in TEMPLATE_TEXT.items()]
    return "\n".join(lines) + "\n"


def write(root: Path, rel: str, text: str) -> Path:
    """Write one file of a content folder."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_content(root: Path, *, faq: bool = True) -> Path:
    """A complete, clean content folder at ``root``."""
    write(root, "intents/builtin.yml", intents_yaml())
    write(root, "responses/templates.yml", templates_yaml())
    # the guard's word lists and replies, as the repo ships them
    shipped = default_content_dir()
    for lists in sorted((shipped / "handoff" / "guard").glob("*.yml")):
        write(root, f"handoff/guard/{lists.name}", lists.read_text(encoding="utf-8"))
    write(root, "responses/guard.yml", (shipped / "responses/guard.yml").read_text("utf-8"))
    if faq:
        write(root, "responses/faq/shop.yml", FAQ)
        write(root, "responses/offers.yml", OFFERS)
    return root
