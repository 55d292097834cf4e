"""Pretrained word vectors: read GloVe / word2vec text files and build ``embedding.pkl``.

``embedding.pkl`` (the seed's file name) holds built-in types only. Format
``keyword-lightning/embeddings``, version 1::

    {"format": "keyword-lightning/embeddings", "version": 1,
     "lowercase": bool,          # how tokens were normalised before lookup
     "dim": int, "source": str,
     "words": [str, ...],        # training vocabulary first, then other pretrained words
     "vectors": bytes,           # float32 little-endian [len(words), dim]
     "found": bytes}             # uint8 [len(words)]: 1 = vector from the file, 0 = initialised here

Training words without a pretrained vector get random vectors with the pretrained vectors'
own per-dimension mean and spread, so they start on the same scale as the rest.
"""

from __future__ import annotations

import functools
import gzip
import os
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keyword_lightning.data.formats import DataError, Dataset, safe_load_pickle
from keyword_lightning.text.tokenizers import normalize_token

EMBEDDING_FORMAT = "keyword-lightning/embeddings"
EMBEDDING_VERSION = 1


@dataclass
class Embeddings:
    """Word vectors: ``vectors[i]`` belongs to ``words[i]``; ``found[i]`` says it came from a file."""

    words: list[str]
    vectors: np.ndarray  # float32 [n, dim]
    found: np.ndarray  # bool [n]
    lowercase: bool = True

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.vectors.shape[1])


def read_word_vectors(path: str | os.PathLike) -> tuple[list[str], np.ndarray, int]:
    """Read a GloVe or word2vec text file, gzip or not.

    Returns ``(words, vectors, duplicates)``; the first vector of a repeated word is kept.
    A word2vec header line (``count dim``) is recognised and skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    duplicates = 0
    dim = None
    try:
        with opener(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    raise DataError(f"{path}:{number}: not valid UTF-8") from None
                parts = line.rstrip(" ").split(" ")
                if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    continue  # word2vec header: "<count> <dim>"
                if len(parts) < 2:
                    if not line.strip():
                        continue
                    raise DataError(f"{path}:{number}: expected 'word v1 ... vN'")
                word, values = parts[0], parts[1:]
                if dim is None:
                    dim = len(values)
                elif len(values) != dim:
                    raise DataError(f"{path}:{number}: {len(values)} values, but earlier lines have {dim}")
                if word in seen:
                    duplicates += 1
                    continue
                try:
                    rows.append(np.asarray(values, dtype=np.float32))
                except ValueError:
                    raise DataError(f"{path}:{number}: a value of word {word!r} is not a number") from None
                seen.add(word)
                words.append(word)
    except (OSError, EOFError, zlib.error) as err:  # a truncated or corrupt gzip is the file's fault
        raise DataError(f"{path}: cannot read ({err})") from None
    if not words:
        raise DataError(f"{path}: no word vectors")
    return words, np.stack(rows), duplicates


def read_common_words(path: str | os.PathLike, limit: int) -> list[str]:
    """The first ``limit`` distinct words (lowercased) of a word list in frequency order, most frequent first.

    A GloVe or word2vec text file (gzip or not: GloVe lists its words by frequency; a word2vec
    header line is skipped) or a plain file of one word a line. What a candidate ranker reads as
    how common a word is in general (``scoring/candidates.py``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, "rb") as probe:
        opener = gzip.open if probe.read(2) == b"\x1f\x8b" else open
    words: dict[str, None] = {}
    try:
        with opener(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if len(words) >= limit:
                    break
                try:
                    parts = raw.decode("utf-8").split()
                except UnicodeDecodeError:
                    raise DataError(f"{path}:{number}: not valid UTF-8") from None
                if not parts or (number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts)):
                    continue  # a blank line, or word2vec's header "<count> <dim>"
                words.setdefault(parts[0].lower(), None)
    except (OSError, EOFError, zlib.error) as err:  # a truncated or corrupt gzip is the file's fault
        raise DataError(f"{path}: cannot read ({err})") from None
    if not words:
        raise DataError(f"{path}: no words")
    return list(words)


def build_embeddings(
    dataset: Dataset,
    vectors_path: str | os.PathLike,
    lowercase: bool = True,
    max_extra_words: int | None = None,
    seed: int = 0,
) -> tuple[dict, dict]:
    """Build the ``embedding.pkl`` object for the training vocabulary of ``dataset``.

    Returns ``(object_to_pickle, report)``; the report has token and type coverage of train.
    """
    words, vectors, duplicates = read_word_vectors(vectors_path)
    index = {w: i for i, w in enumerate(words)}
    train = dataset.splits["train"]
    counts = Counter(normalize_token(dataset.strings[i], lowercase) for i in train.tokens.tolist())

    def lookup(word: str) -> int | None:
        hit = index.get(word)
        return index.get(word.lower()) if hit is None and not lowercase else hit

    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    hits = [lookup(w) for w in vocab]
    mean, std = vectors.mean(axis=0), vectors.std(axis=0)
    rng = np.random.default_rng(seed)
    rows = np.empty((len(vocab), vectors.shape[1]), dtype=np.float32)
    for r, hit in enumerate(hits):
        rows[r] = vectors[hit] if hit is not None else mean + std * rng.standard_normal(vectors.shape[1])
    found = np.array([h is not None for h in hits], dtype=bool)
    known = set(vocab)
    extra = [i for i, w in enumerate(words) if w not in known]
    if max_extra_words is not None:
        extra = extra[:max_extra_words]
    all_words = vocab + [words[i] for i in extra]
    all_vectors = np.concatenate([rows, vectors[extra]]).astype("<f4")
    all_found = np.concatenate([found, np.ones(len(extra), dtype=bool)])
    report = {
        "train_token_coverage": sum(counts[w] for w, f in zip(vocab, found) if f) / max(1, sum(counts.values())),
        "train_type_coverage": float(found.mean()) if len(found) else 0.0,
        "words": len(all_words),
        "dim": int(vectors.shape[1]),
        "duplicates_skipped": duplicates,
    }
    obj = {
        "format": EMBEDDING_FORMAT,
        "version": EMBEDDING_VERSION,
        "lowercase": lowercase,
        "dim": int(vectors.shape[1]),
        "source": str(vectors_path),
        "words": all_words,
        "vectors": all_vectors.tobytes(),
        "found": all_found.astype(np.uint8).tobytes(),
    }
    return obj, report


@functools.lru_cache(maxsize=2)
def load_embeddings(path: str) -> Embeddings:
    """Load and validate ``embedding.pkl`` (cached: the data and the model both read it)."""
    obj = safe_load_pickle(path)
    if not isinstance(obj, dict) or obj.get("format") != EMBEDDING_FORMAT:
        raise DataError(f"{path}: not a keyword-lightning embedding file (format {EMBEDDING_FORMAT!r})")
    if obj.get("version") != EMBEDDING_VERSION:
        raise DataError(f"{path}: embedding format version {obj.get('version')!r} is not supported")
    words, dim = obj.get("words"), obj.get("dim")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) or len(set(words)) != len(words):
        raise DataError(f"{path}: 'words' must be a list of distinct str")
    if not isinstance(dim, int) or dim <= 0 or not isinstance(obj.get("vectors"), bytes):
        raise DataError(f"{path}: 'dim' or 'vectors' is malformed")
    if len(obj["vectors"]) != 4 * dim * len(words) or len(obj.get("found", b"")) != len(words):
        raise DataError(f"{path}: vectors hold {len(obj['vectors']) // 4} floats, expected {len(words)} x {dim}")
    vectors = np.frombuffer(obj["vectors"], dtype="<f4").reshape(len(words), dim).astype(np.float32)
    found = np.frombuffer(obj["found"], dtype=np.uint8).astype(bool)
    return Embeddings(words, vectors, found, bool(obj.get("lowercase", True)))
