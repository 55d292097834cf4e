"""Prediction speed of a checkpoint with a transformer encoder, fp32 and int8, on Inspec's test abstracts.

    python benchmarks/encoder_speed.py --ckpt runs/version_0/checkpoints/best-*.ckpt
    python benchmarks/encoder_speed.py --fp32-only --ckpt A.ckpt B.ckpt --names minilm-frozen default \
        --out benchmarks/results/predict-speed.md      # one fp32 row per checkpoint (any model)

Rows, each measured in this run with ``KeywordExtractor`` (no Lightning):
- documents/s of ``predict`` on the raw abstracts (tokenizing included; batches grouped by length);
- the same with the encoder's linear layers quantized to int8 (``torch.ao.quantization.quantize_dynamic``);
- the test split's strict span F1 of each (the prepared tokens, scored here against the CoNLL gold),
  so a faster variant is kept only if its F1 moves by less than 0.005.
Writes benchmarks/results/encoder-speed.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import torch

from keyword_lightning import KeywordExtractor
from keyword_lightning.data.formats import atomic_write
from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.data.readers import read_conll

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import spans_from_bio  # noqa: E402 (the benchmarks' one gold reader)

ROOT = Path(__file__).resolve().parents[1]
KEEP_WITHIN = 0.005  # a faster variant is kept only if test F1 moves by less than this


def strict_f1(records: list[dict], gold: list[set[tuple[int, int]]]) -> float:
    """Micro strict span F1 of predicted records against gold spans."""
    hit = predicted = expected = 0
    for record, spans in zip(records, gold):
        found = {(p["start_token"], p["end_token"]) for p in record["keyphrases"]}
        hit, predicted, expected = hit + len(found & spans), predicted + len(found), expected + len(spans)
    p, r = hit / max(predicted, 1), hit / max(expected, 1)
    return 2 * p * r / max(p + r, 1e-12)


def docs_per_second(extractor: KeywordExtractor, texts: list[str], repeats: int) -> float:
    """Best of ``repeats`` timed passes over all ``texts`` (after a warm-up pass)."""
    extractor.predict(texts[:32])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        extractor.predict(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def int8(extractor: KeywordExtractor) -> KeywordExtractor:
    """The same extractor with the encoder's linear layers as int8 dynamic-quantized ones."""
    encoder = extractor.net.encoder
    encoder.model = torch.ao.quantization.quantize_dynamic(encoder.model, {torch.nn.Linear}, dtype=torch.qint8)
    return extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, nargs="+", required=True, help="checkpoints (int8: with model.encoder)")
    ap.add_argument("--names", nargs="+", default=None, help="a row name per checkpoint (default: file names)")
    ap.add_argument("--fp32-only", action="store_true", help="no int8 rows (then any checkpoint will do)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "inspec")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "encoder-speed.md")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    test = args.data / "test.txt"
    docs = [PredictDocument(d.id, d.tokens) for d in read_conll(test)]
    texts = [" ".join(d.tokens) for d in docs]
    gold = spans_from_bio(test)
    names = args.names or [c.name for c in args.ckpt]
    if len(names) != len(args.ckpt):
        ap.error("--names needs one name per --ckpt")
    variants = (("fp32", False),) if args.fp32_only else (("fp32", False), ("int8 dynamic (encoder linears)", True))
    lines = []
    for ckpt, label in zip(args.ckpt, names):
        rows = []
        for name, quantize in variants:
            extractor = KeywordExtractor.from_checkpoint(ckpt)
            if quantize and extractor.net.encoder is None:
                sys.exit(f"{ckpt}: this model has no transformer encoder to quantize (use --fp32-only)")
            extractor = int8(extractor) if quantize else extractor
            f1 = strict_f1(extractor.tag(docs), gold)
            speed = docs_per_second(extractor, texts, args.repeats)
            rows.append((name, speed, f1))
            print(f"{label} {name}: {speed:.1f} docs/s, test strict F1 {f1:.4f}", flush=True)
        base_speed, base_f1 = rows[0][1], rows[0][2]
        lines += [f"| {label} | {name} | {speed:.1f} | {speed / base_speed:.2f}x | {f1:.4f} | {f1 - base_f1:+.4f} | "
                  f"{'yes' if abs(f1 - base_f1) < KEEP_WITHIN else 'no'} |" for name, speed, f1 in rows]  # fmt: skip
    threads = torch.get_num_threads()
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, {threads} threads"
    text = [
        "# Prediction speed with a transformer encoder",
        "",
        f"Measured {datetime.date.today()} on {machine};",
        f"`python benchmarks/encoder_speed.py {' '.join(sys.argv[1:])}`.",
        f"{len(texts)} Inspec test abstracts through `KeywordExtractor.predict` (raw text, tokenizing included,",
        "batches of 64 grouped by length), best of the timed passes after a warm-up. F1: strict span F1 on",
        f"the test split's tokens. A variant is kept only if its F1 moves by less than {KEEP_WITHIN}.",
        "",
        "| checkpoint | variant | docs/s | speed | test strict F1 | Δ F1 | kept |",
        "|---|---|---:|---:|---:|---:|---|",
        *lines,
        "",
    ]
    with atomic_write(args.out, "w") as fh:
        fh.write("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
