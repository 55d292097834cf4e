"""A frozen encoder's word vectors, computed once per prepared corpus and kept on disk.

A frozen transformer gives every document the same vectors in every epoch, so they are computed
once (the costly part of a CPU fit with a transformer) and the RNN trains at about the cost of
GloVe rows. The file sits beside the dataset, in ``encoder-cache/``, named by a key of
everything the vectors depend on: the dataset file's bytes, the split, the chunk length, the
encoder's weights/config/tokenizer and its settings (layers, pooling, window, pieces per word).
Change any of them and the key changes, so a stale file is never read.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import torch

from keyword_lightning.data.batch import collate_fun2
from keyword_lightning.data.encoding import Corpus, prediction_sampler
from keyword_lightning.data.formats import atomic_write


class FrozenEncoder(Protocol):
    """What the cache needs of the encoder it is given (``inputs.encoder.TransformerEncoder`` is one).

    A protocol, not an import: the data side only calls the encoder it is given, and data sits below model.
    """

    config: Any  # its settings: ``to_dict()``
    dim: int
    window: int
    training: bool

    def fingerprint(self) -> str: ...  # noqa: D102
    def parameters(self) -> Iterator[torch.nn.Parameter]: ...  # noqa: D102
    def eval(self) -> Any: ...  # noqa: D102
    def train(self, mode: bool = True) -> Any: ...  # noqa: D102
    def __call__(self, pieces: torch.Tensor, piece_words: torch.Tensor, n_words: int) -> torch.Tensor: ...  # noqa: D102


CACHE_VERSION = 1
CACHE_FOLDER = "encoder-cache"


def _file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(dataset_file: str | Path, split: str, max_length: int | None, encoder: FrozenEncoder) -> str:
    """Digest of what a split's vectors depend on (module docstring)."""
    settings = encoder.config.to_dict()
    for unrelated in ("name_or_path", "finetune", "finetune_layers", "lr", "warmup_steps", "cache"):  # (frozen only)
        settings.pop(unrelated)
    parts = {
        "version": CACHE_VERSION,
        "dataset": _file_digest(dataset_file),
        "split": split,
        "max_length": max_length,
        "encoder": encoder.fingerprint(),
        "settings": settings,
        "window": encoder.window,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def cache_path(dataset_file: str | Path, split: str, key: str) -> Path:
    """Where a split's vectors are kept."""
    return Path(dataset_file).parent / CACHE_FOLDER / f"{split}-{key}.pt"


@torch.no_grad()
def corpus_vectors(encoder: FrozenEncoder, corpus: Corpus, batch_size: int = 16) -> torch.Tensor:
    """Word vectors [N,H] (float16) of every token of ``corpus``, in its flat token order."""
    device = next(encoder.parameters()).device
    out = torch.zeros(int(corpus.offsets[-1]), encoder.dim, dtype=torch.float16)
    was_training = encoder.training
    encoder.eval()
    try:
        for items in prediction_sampler(corpus, batch_size):
            batch = collate_fun2([corpus[i] for i in items])
            vectors = encoder(batch.pieces.to(device), batch.piece_words.to(device), batch.words.shape[1]).cpu()
            for row, i in enumerate(items):
                lo, hi = int(corpus.offsets[i]), int(corpus.offsets[i + 1])
                out[lo:hi] = vectors[row, : hi - lo].half()
    finally:
        encoder.train(was_training)
    return out


def attach_cached_vectors(
    encoder: FrozenEncoder, corpus: Corpus, dataset_file: str | Path, split: str, max_length: int | None
) -> Path:
    """Give ``corpus`` its vectors from the cache, computing and storing them on a miss; returns the file."""
    path = cache_path(dataset_file, split, cache_key(dataset_file, split, max_length, encoder))
    if path.is_file():
        vectors = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(vectors, torch.Tensor) and vectors.shape == (int(corpus.offsets[-1]), encoder.dim):
            corpus.vectors = vectors
            return path
    start = time.perf_counter()
    corpus.vectors = corpus_vectors(encoder, corpus)
    with atomic_write(path) as fh:
        torch.save(corpus.vectors, fh)
    seconds = time.perf_counter() - start
    print(f"encoder vectors of {split} ({len(corpus)} items) in {seconds:.0f} s, cached in {path}", file=sys.stderr)
    return path
