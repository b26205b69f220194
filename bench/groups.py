"""How well "unanswered questions grouped by meaning" groups, and how fast.

    python bench/groups.py DATA_DIR [--thresholds 0.45,0.5,0.55,0.6,0.65]

DATA_DIR is laid out like ``shared/datasets``. Each labelled set stands for a
pile of questions the bot could not answer; a perfect grouping puts each
label's questions in one group and nothing else there. For every threshold it
prints homogeneity (groups are pure), completeness (a label is not split),
their harmonic mean (V-measure), the number of groups, the share of questions
in the 20 largest groups that belong to their group's majority label (what an
admin reading the top of the report sees), and the time of
:func:`bot.report.groups.group_questions` (encoding included).

* clinc150: the in-scope ``test`` queries (150 intents over 10 domains).
* banking77: ``test.csv`` (77 fine-grained card/payment intents).
* xsid-en-ja: English and Japanese ``test`` together, the same intents in both
  languages: are the two languages' ways of asking grouped together?
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sklearn.metrics import homogeneity_completeness_v_measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.encoder import use_encoder  # noqa: E402
from bot.report.groups import Asked, group_questions, normalise  # noqa: E402

Labelled = list[tuple[str, str, str]]  # text, language, label


def clinc150(root: Path) -> Labelled:
    data = json.loads((root / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return [(t, "en", g) for t, g in data["test"]]


def banking77(root: Path) -> Labelled:
    with (root / "banking77" / "test.csv").open(newline="", encoding="utf-8") as fh:
        return [(r["text"], "en", r["category"]) for r in csv.DictReader(fh)]


def xsid(root: Path) -> Labelled:
    out: Labelled = []
    for lang in ("en", "ja"):
        path = root / "ja-en-xsid" / f"{lang}.test.tsv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            out += [(r["text"], lang, r["intent"]) for r in rows]
    return out


SETS = {"clinc150": clinc150, "banking77": banking77, "xsid-en-ja": xsid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--thresholds", default="0.45,0.5,0.55,0.6,0.65")
    args = parser.parse_args()
    thresholds = [float(x) for x in args.thresholds.split(",")]
    encoder = use_encoder()
    encoder.encode(["warm up"])
    table = Table("set", "n", "threshold", "groups", "homog.", "compl.", "V", "top-20 purity", "s")
    for name, load in SETS.items():
        rows = load(args.data)
        label = {normalise(t): g for t, _, g in rows}
        asked = [Asked(t, lang, "bench") for t, lang, _ in rows]
        for th in thresholds:
            started = time.perf_counter()
            groups = group_questions(asked, encoder, threshold=th)
            seconds = time.perf_counter() - started
            gold, found = [], []
            for i, group in enumerate(groups):
                for lang_texts in group.phrasings.values():
                    for text in lang_texts:
                        gold.append(label[normalise(text)])
                        found.append(i)
            h, c, v = homogeneity_completeness_v_measure(gold, found)
            top = [
                [g for g, f in zip(gold, found, strict=True) if f == i]
                for i in range(min(20, len(groups)))
            ]
            pure = sum(Counter(m).most_common(1)[0][1] for m in top) / sum(map(len, top))
            table.add_row(
                name, str(len(rows)), f"{th:.2f}", str(len(groups)),
                f"{h:.2f}", f"{c:.2f}", f"{v:.2f}", f"{pure:.2f}", f"{seconds:.1f}",
            )  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
