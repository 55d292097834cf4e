"""This project as the benchmarks run it: the default recipe fitted, and a checkpoint run on a corpus.

``fit_default`` prepares an Inspec-format split and fits ``configs/inspec.yaml`` through the real
CLI, each step in a process of its own (compare.py, extract.py). ``run_project`` runs a checkpoint
through the Python API over a corpus's raw texts, as a row beside the other tools (compare.py,
generalization.py, fit_ranker.py).
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.common import CLI, PREPARE, ROOT, flags, run
from benchmarks.corpora import Corpus
from benchmarks.peers import Row
from keyword_lightning.text import PTB_ESCAPES


def fit_default(data: Path, glove: Path, work: Path) -> tuple[Path, float]:
    """Prepare the split and fit configs/inspec.yaml in ``work``; the best checkpoint and minutes taken."""
    start = time.time()
    splits = {"--train": data / "train.txt", "--val": data / "valid.txt", "--test": data / "test.txt"}
    run([*PREPARE, *flags({"--format": "conll", **splits, "--embeddings": glove, "--out": work / "data"})], work)
    fit = {"--config": ROOT / "configs" / "inspec.yaml", "--data.dataset_file": work / "data" / "data_set.pkl"}
    run([*CLI, "fit", *flags(fit), "--trainer.enable_progress_bar", "false"], work)
    found = sorted(work.glob("runs/inspec/version_*/checkpoints/best-*.ckpt"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"fit finished but wrote no best-*.ckpt under {work / 'runs'}")
    return found[-1], (time.time() - start) / 60


def run_project(name: str, ckpt: Path, corpus: Corpus) -> Row:
    """A checkpoint through ``KeywordExtractor.predict`` (all texts in one call; loading excluded).

    On a CoNLL corpus the row also has each document's predicted token spans (for strict span F1).
    """
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(ckpt)
    extractor.predict(corpus.texts[:8])  # warm-up, untimed
    start = time.perf_counter()
    records = extractor.predict(corpus.texts)
    seconds = time.perf_counter() - start
    predicted = [[(k["text"], float(k["score"])) for k in record["ranked"]] for record in records]  # the rankings
    if corpus.offsets is None or corpus.tokens is None:
        return Row(name, predicted, seconds)
    spans, retokenized = [], 0
    for record, offs, toks in zip(records, corpus.offsets, corpus.tokens):
        first = {start: i for i, (start, _) in enumerate(offs)}
        last = {end: i for i, (_, end) in enumerate(offs)}
        # A phrase whose ends are not gold token boundaries gets a span no gold span can equal.
        spans.append({(first.get(p["start_char"], -1), last.get(p["end_char"], -2)) for p in record["keyphrases"]})
        retokenized += [PTB_ESCAPES.get(t, t) for t in record["tokens"]] != [PTB_ESCAPES.get(t, t) for t in toks]
    note = f"{retokenized} documents re-tokenized unlike the gold tokens (strict spans are matched by character)"
    return Row(name, predicted, seconds, note=note, spans=spans)
