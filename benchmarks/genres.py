"""The four English genres of ``../shared/data`` as the genre benchmarks use them, and their two baselines.

``GENRES``: Inspec (CS abstracts, indexers' keyphrases), SemEval-2017 (ScienceDirect paragraphs),
KPCrowd (news stories, crowd-marked keyphrases) and KDD (conference abstracts, author keywords), each
with its train and dev file. Every figure is F1@10 of the reference scorer (``scoring.score_present``),
Porter-stemmed, against all gold keyphrases (a keyphrase absent from the text counts, as the
literature counts it). The baselines, measured on the same texts:

- YAKE 0.7.3 (n=3, top 20, English), as ``peers.run_yake``;
- plain term frequency (TF): a document's single words, stop words (scikit-learn's list) out,
  ranked by count (ties: first seen first). Nothing learned.

``fit_tagger`` prepares a corpus mix and fits ``configs/general.yaml`` (its checkpoint chosen on
``val/macro_f1@10``) through the real CLI; ``fit_ranker`` runs ``keyword-lightning fit-ranker`` on dev
files; ``ranked`` runs a checkpoint over texts (``KeywordExtractor.keyphrases``, timed).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import CLI, PREPARE, ROOT, SHARED, flags, run, stop_words
from benchmarks.corpora import Corpus, read_corpus
from benchmarks.scoring import score_present

GENRES = {  # name -> (train file, dev file) under ../shared/data
    "Inspec": ("inspec/train.txt", "inspec/valid.txt"),
    "SemEval-2017": ("semeval2017/train.txt", "semeval2017/dev.txt"),
    "KPCrowd": ("kpcrowd/train.jsonl", "kpcrowd/dev.jsonl"),
    "KDD": ("kdd/train.jsonl", "kdd/dev.jsonl"),
}
TESTS = {"Inspec test": "inspec/test.txt", "SemEval-2017 test": "semeval2017/test.txt"}  # the only test splits
GLOVE = SHARED / "glove/glove.6B.50d.top100k.txt.gz"
WORD = re.compile(r"\w+(?:[-']\w+)*")
Ranked = list[list[tuple[str, float]]]


def dev(genre: str) -> Corpus:
    """A genre's dev split as raw texts with gold keyphrases."""
    return read_corpus(SHARED / GENRES[genre][1])


def f1_at_10(ranked: Ranked, corpus: Corpus) -> float:
    """The reference scorer's F1@10, stemmed, against all gold keyphrases."""
    return score_present(ranked, corpus.records(), stem=True)["all_f1@10_stem"]


def term_frequency(text: str, top: int = 20) -> list[tuple[str, float]]:
    """The baseline TF: single words, stop words out, by count (ties: first seen first), as ``(word, count)``."""
    stop = stop_words()
    words = [w.lower() for w in WORD.findall(text) if any(c.isalpha() for c in w) and w.lower() not in stop]
    counts = Counter(words)
    return [(w, float(counts[w])) for w in sorted(counts, key=lambda w: -counts[w])[:top]]


def baselines(corpus: Corpus) -> dict[str, tuple[float, float]]:
    """``{"YAKE": (F1@10, docs/s), "TF": (F1@10, docs/s)}`` on ``corpus``."""
    from benchmarks.peers import run_yake

    (yake,) = run_yake(corpus.texts)
    start = time.perf_counter()
    tf = [term_frequency(text) for text in corpus.texts]
    tf_seconds = time.perf_counter() - start
    return {
        "YAKE": (f1_at_10(yake.predicted, corpus), len(corpus) / max(yake.seconds, 1e-9)),
        "TF": (f1_at_10(tf, corpus), len(corpus) / max(tf_seconds, 1e-9)),
    }


def listed(files: list[str]) -> str:
    """Files as ``keyword-lightning-prepare`` takes several: ``[a, b]`` (one: the file)."""
    return f"[{', '.join(files)}]" if len(files) > 1 else files[0]


def fit_tagger(genres: list[str], folder: Path, extra: list[str] = (), threads: int | None = 1) -> Path:
    """Prepare ``genres``' train and dev files and fit ``configs/general.yaml`` in ``folder``; the best checkpoint.

    A folder that holds a finished fit (``runs/finished``) is not fitted again: a benchmark run can be
    resumed with the same ``--workdir`` (a fit it cut short is fitted anew).
    """
    found = sorted(folder.glob("runs/checkpoints/best-*.ckpt"))
    if found and (folder / "runs" / "finished").is_file():
        return found[-1]
    folder.mkdir(parents=True, exist_ok=True)
    train = [str(SHARED / GENRES[g][0]) for g in genres]
    val = [str(SHARED / GENRES[g][1]) for g in genres]
    prepare = {"--train": listed(train), "--val": listed(val), "--embeddings": GLOVE, "--out": folder / "data"}
    run([*PREPARE, *flags(prepare)], folder, threads)
    fit = {"--config": ROOT / "configs/general.yaml", "--data.dataset_file": folder / "data/data_set.pkl"}
    options = ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false", *extra]
    run([*CLI, "fit", *flags(fit), *options, "--threads", str(threads or 0)], folder, threads)
    found = sorted(folder.glob("runs/checkpoints/best-*.ckpt"))
    if not found:
        raise SystemExit(f"{folder}: the fit wrote no best-*.ckpt")
    (folder / "runs" / "finished").write_text(found[-1].name + "\n", encoding="utf-8")
    return found[-1]


def fit_ranker(ckpt: Path, genres: list[str], output: Path, kinds: str, threads: int | None = 1) -> Path:
    """``keyword-lightning fit-ranker`` of ``ckpt`` on ``genres``' dev files (GloVe's order as common words)."""
    if output.is_file():
        return output
    docs = [str(SHARED / GENRES[g][1]) for g in genres]
    options = {"--ckpt_path": ckpt, "--output": output, "--kinds": kinds, "--common_words": GLOVE}
    run([*CLI, "fit-ranker", *flags(options), "--documents", *docs, "--threads", str(threads or 0)], output.parent)
    return output


def ranked(ckpt: Path, corpus: Corpus, threads: int = 1) -> tuple[Ranked, float]:
    """Each document's keyphrases by ``ckpt`` (its own ranker), and documents/s (loading excluded, one warm-up)."""
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=threads)
    extractor.keyphrases(corpus.texts[:4])
    start = time.perf_counter()
    found = extractor.keyphrases(corpus.texts)
    seconds = time.perf_counter() - start
    return [[(k["text"], float(k["score"])) for k in doc] for doc in found], len(corpus) / max(seconds, 1e-9)
