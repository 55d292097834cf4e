"""One-call Python API: ``KeywordExtractor.from_checkpoint(path).extract(text)``.

No Trainer, no dataset files: the checkpoint carries the vocabulary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from keyword_lightning.callbacks import stitch
from keyword_lightning.data.datamodule import (
    batch_to_device,
    collate_fun2,
    documents_from_texts,
    encode_documents,
    prediction_sampler,
)
from keyword_lightning.model.module import CheckpointError, JointRNN


class KeywordExtractor:
    """Tags raw texts with a trained ``JointRNN``.

    Args:
        model: a trained model (with its vocabulary).
        batch_size: documents per forward pass (grouped by length).
        max_length: longer documents are tagged in chunks of this many tokens.

    """

    def __init__(self, model: JointRNN, batch_size: int = 64, max_length: int = 1000) -> None:
        if not model.vocabulary:
            raise CheckpointError("the model has no vocabulary (train it or load it from a checkpoint)")
        self.model = model.eval()
        self.batch_size, self.max_length = batch_size, max_length

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", **kwargs: Any) -> KeywordExtractor:
        """Load a checkpoint (weights only: no pickled code runs) onto ``device``."""
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"checkpoint not found: {path}")
        try:
            model = JointRNN.load_from_checkpoint(path, map_location=device, weights_only=True)
        except CheckpointError as err:
            raise CheckpointError(f"{path}: {err}") from None
        except Exception as err:  # torch's own errors on a corrupt file are long and deep
            raise CheckpointError(f"{path}: cannot load checkpoint ({type(err).__name__}: {str(err)[:200]})") from None
        return cls(model.to(device), **kwargs)

    @torch.no_grad()
    def predict(self, texts: list[str], ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Full records (``id``, ``tokens``, ``tags``, ``keyphrases``) for each text, in order."""
        docs = documents_from_texts(texts, ids)
        corpus, source, piece_start = encode_documents(
            docs, self.model.vocabulary, self.model.lowercase, self.max_length
        )
        device = self.model.device
        parts = []
        for items in prediction_sampler(corpus, self.batch_size):
            batch = collate_fun2([corpus[i] for i in items])
            batch = batch_to_device(batch, device)
            parts.append(self.model.predict_step(batch, 0))
        return stitch(docs, source, piece_start, parts)

    def extract(
        self, text_or_texts: str | list[str], top_k: int | None = None, min_score: float | None = None
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        """Keyphrases (``text``, offsets, ``score``) of one text, or a list per text.

        Args:
            text_or_texts: a string, or a list of strings.
            top_k: keep the ``k`` best-scored keyphrases (in text order).
            min_score: drop keyphrases scored below this.

        """
        single = isinstance(text_or_texts, str)
        texts = [text_or_texts] if single else list(text_or_texts)
        results = []
        for record in self.predict(texts):
            phrases = [p for p in record["keyphrases"] if min_score is None or p["score"] >= min_score]
            if top_k is not None:
                best = sorted(phrases, key=lambda p: -p["score"])[:top_k]
                phrases = [p for p in phrases if p in best]
            results.append(phrases)
        return results[0] if single else results
