"""Prediction speed of a checkpoint with a transformer encoder, fp32 and int8, on Inspec's test abstracts.

    python -m benchmarks.encoder_speed --ckpt runs/version_0/checkpoints/best-*.ckpt
    python -m benchmarks.encoder_speed --fp32-only --ckpt A.ckpt B.ckpt --names minilm-frozen default \
        --out benchmarks/results/predict-speed.md      # one fp32 row per checkpoint (any model)

Rows, each measured in this run with ``KeywordExtractor`` (no Lightning):
- documents/s of ``predict`` on the raw abstracts (tokenizing included; batches grouped by length);
- the same with the encoder's linear layers quantized to int8 (``torch.ao.quantization.quantize_dynamic``);
- the test split's strict span F1 of each (the prepared tokens, scored by benchmarks/scoring.py against
  the CoNLL gold), so a faster variant is kept only if its F1 moves by less than 0.005.
With --fp32-only there is one row per checkpoint and no comparison. Writes
benchmarks/results/encoder-speed.md with the machine, build and date.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, SHARED, command, header, machine, write_results
from benchmarks.gold import record_spans, spans_from_bio
from benchmarks.scoring import strict_f1
from keyword_lightning import KeywordExtractor
from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.data.readers import read_conll

KEEP_WITHIN = 0.005  # a faster variant is kept only if test F1 moves by less than this


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
    encoder = extractor.net.transformer
    encoder.model = torch.ao.quantization.quantize_dynamic(encoder.model, {torch.nn.Linear}, dtype=torch.qint8)
    return extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, nargs="+", required=True, help="checkpoints (int8: with a transformer input)")
    ap.add_argument("--names", nargs="+", default=None, help="a row name per checkpoint (default: file names)")
    ap.add_argument("--fp32-only", action="store_true", help="no int8 rows (then any checkpoint will do)")
    ap.add_argument("--data", type=Path, default=SHARED / "inspec")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    ap.add_argument("--out", type=Path, default=RESULTS / "encoder-speed.md")
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
            if quantize and extractor.net.transformer is None:
                sys.exit(f"{ckpt}: this model has no transformer encoder to quantize (use --fp32-only)")
            extractor = int8(extractor) if quantize else extractor
            f1 = strict_f1(record_spans(extractor.tag(docs)), gold)
            speed = docs_per_second(extractor, texts, args.repeats)
            rows.append((name, speed, f1))
            print(f"{label} {name}: {speed:.1f} docs/s, test strict F1 {f1:.4f}", flush=True)
        base_speed, base_f1 = rows[0][1], rows[0][2]
        if args.fp32_only:  # one row per checkpoint: nothing to compare it with
            lines += [f"| {label} | {speed:.1f} | {f1:.4f} |" for _, speed, f1 in rows]
            continue
        lines += [
            f"| {label} | {name} | {speed:.1f} | {speed / base_speed:.2f}x | {f1:.4f} | {f1 - base_f1:+.4f} | "
            f"{'yes' if abs(f1 - base_f1) < KEEP_WITHIN else 'no'} |"
            for name, speed, f1 in rows
        ]
    threads = torch.get_num_threads()
    columns = ["| checkpoint | fp32 docs/s | test strict F1 |", "|---|---:|---:|"]
    if not args.fp32_only:
        head = "| checkpoint | variant | docs/s | speed | test strict F1 | Δ F1 | kept |"
        columns = [head, "|---|---|---:|---:|---:|---:|---|"]
    text = [
        "# Prediction speed with a transformer encoder",
        "",
        header(command("encoder_speed", sys.argv[1:]), on=machine(f"{threads} threads")),
        f"{len(texts)} Inspec test abstracts through `KeywordExtractor.predict` (raw text, tokenizing included,",
        "batches of 64 grouped by length), best of the timed passes after a warm-up. F1: strict span F1 on",
        "the test split's tokens"
        + ("." if args.fp32_only else f"; a variant is kept only if its F1 moves by less than {KEEP_WITHIN}."),
        "",
        *columns,
        *lines,
        "",
    ]
    write_results(args.out, "\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
