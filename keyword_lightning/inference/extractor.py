"""One-call Python API: ``KeywordExtractor.pretrained().keyphrases(text)``, or ``from_checkpoint(path)``.

A ``pathlib.Path`` is a file to read (PDF, HTML, DOCX, Markdown, text: ``documents/``); a ``str``
is the text itself. No Trainer, no dataset files and no Lightning: the checkpoint carries the vocabulary, and the
network, the decoding and the records are plain torch and Python, so a script or a server that
only extracts starts in about the time of ``import torch``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import torch

from keyword_lightning.data.batch import Batch, batch_to_device, collate_fun2
from keyword_lightning.data.encoding import Corpus, Reading, encode_documents, prediction_sampler
from keyword_lightning.data.inputs import PredictDocument, documents_from_texts
from keyword_lightning.documents import DEFAULT_LIMITS, Limits, SourceText, read_document
from keyword_lightning.inference.documents import with_source
from keyword_lightning.inference.predictions import join_parts, stitch
from keyword_lightning.inputs.encoder import TransformerError
from keyword_lightning.model import checkpoint
from keyword_lightning.model.network import DRNN
from keyword_lightning.model.settings import network_from_checkpoint
from keyword_lightning.runtime import set_threads
from keyword_lightning.scoring.keyphrases import HAND, select
from keyword_lightning.scoring.rankers import ranker_of
from keyword_lightning.tagging.decoding import DEFAULT_DECODING, Decoding, tag_batch

Document = str | PurePath | SourceText  # a text, a file to read (``documents.read_document``), or one read


def check_top_k(top_k: int | None) -> None:
    """``top_k`` is None or a whole number, 0 or more (``ValueError``: a negative one would cut from the end)."""
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0):
        raise ValueError(f"top_k must be None or a whole number, 0 or more; got {top_k!r}")


class KeywordExtractor:
    """Tags raw texts with a trained network.

    Args:
        net: the trained ``DRNN``.
        vocabulary: its embedding rows' words.
        lowercase: how tokens are normalised before lookup.
        tokenizer: how raw text is split (``text.TOKENIZERS``), as the training text was.
        decoding: how tags are decoded from the two heads (``ranker: hand``: rank by the hand rule).
        sequence_mode: how RNN layers run over padded batches (``model/rnn.py``).
        batch_size: documents per forward pass (grouped by length).
        max_length: longer documents are tagged in chunks of this many tokens.
        threads: torch threads (process-wide); None: ``OMP_NUM_THREADS``, else half the CPU
            cores (``runtime.default_threads``), so that two jobs share a machine; 0: leave torch's.
        ranker: what ranks a document's phrases (the checkpoint's: ``scoring/rankers.py``); None:
            the hand rule.
        file_limits: how much of a file (a ``Path``) is read (``documents.Limits``: bytes, pages).

    """

    def __init__(
        self,
        net: DRNN,
        vocabulary: list[str],
        lowercase: bool = True,
        tokenizer: str = "ptb",
        decoding: Decoding = DEFAULT_DECODING,
        sequence_mode: str = "auto",
        batch_size: int = 64,
        max_length: int = 1000,
        threads: int | None = None,
        ranker: Any = None,
        file_limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if not vocabulary:
            raise checkpoint.CheckpointError("the model has no vocabulary (train it or load it from a checkpoint)")
        if len(vocabulary) != net.vocab_size:
            raise checkpoint.CheckpointError(f"{len(vocabulary)} vocabulary words for {net.vocab_size} embedding rows")
        self.net = net.eval()
        self.net.sequence_mode = sequence_mode
        self.vocabulary, self.lowercase, self.tokenizer = vocabulary, lowercase, tokenizer
        self.decoding, self.sequence_mode = decoding, sequence_mode
        self.batch_size, self.max_length = batch_size, max_length
        self.threads = set_threads(threads)
        self._ranker = ranker or HAND
        self.file_limits = file_limits

    @property
    def ranker(self) -> Any:
        """What ranks a document's phrases: the checkpoint's ranker, or the hand rule with ``decoding.ranker: hand``."""
        return ranker_of(self.decoding.ranker, self._ranker)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", **kwargs: Any) -> KeywordExtractor:
        """Load a checkpoint (weights only: no pickled code runs) onto ``device``."""
        ckpt = checkpoint.read_checkpoint(path)
        try:
            net, settings = network_from_checkpoint(ckpt)
        except TransformerError as err:
            raise checkpoint.CheckpointError(f"{path}: {err}") from None
        except (TypeError, ValueError, RuntimeError) as err:
            raise checkpoint.CheckpointError(f"{path}: weights do not fit the network ({str(err)[:200]})") from None
        meta = ckpt[checkpoint.CHECKPOINT_KEY]
        kwargs = {
            "decoding": settings.decoding,
            "sequence_mode": settings.network.sequence_mode,
            "ranker": checkpoint.ranker(meta),
            **kwargs,
        }
        return cls(net.to(device), meta["vocabulary"], meta["lowercase"], checkpoint.tokenizer_of(meta), **kwargs)

    @classmethod
    def pretrained(cls, device: str = "cpu", **kwargs: Any) -> KeywordExtractor:
        """The general model shipped in the package (``model/shipped.py``): no training, no data needed.

        ``model.shipped.ShippedModelError`` (a ``CheckpointError``) when this installation holds none.
        """
        from keyword_lightning.model import shipped

        return cls.from_checkpoint(shipped.path(), device=device, **kwargs)

    @classmethod
    def from_model(cls, model: Any, **kwargs: Any) -> KeywordExtractor:
        """Wrap a trained ``JointRNN`` held in memory (its network, vocabulary, decoding and ranker)."""
        kwargs = {
            "decoding": model.decoding,
            "sequence_mode": model.net.sequence_mode,
            "ranker": model.ranker_choice.ranker,
            **kwargs,
        }
        return cls(model.net, model.vocabulary, model.lowercase, model.tokenizer, **kwargs)

    @property
    def device(self) -> torch.device:
        """Where the network's weights are."""
        return next(self.net.parameters()).device

    def read(self, items: Sequence[Document]) -> tuple[list[str], list[SourceText | None]]:
        """The texts of ``items`` and their sources.

        A ``Path`` is read as a document (``DocumentError`` if it cannot be), a ``SourceText`` (a
        document read already) is taken as it is, a ``str`` is the text itself (no source).
        """
        sources = [
            x if isinstance(x, SourceText) else read_document(x, self.file_limits) if isinstance(x, PurePath) else None
            for x in items
        ]
        return [s.text if s is not None else x for x, s in zip(items, sources)], sources

    @torch.no_grad()
    def predict(self, texts: Sequence[Document], ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Full records (``id``, ``tokens``, ``tags``, ``keyphrases``, ``ranked``) for each text or file, in order.

        A file's record names it (``source``, ``inference/documents.py``; its ``id`` by default the
        path as given), and a PDF's keyphrases carry their ``page``.
        """
        texts, sources = self.read(texts)
        if ids is None and any(sources):
            ids = [s.name if s is not None else str(i) for i, s in enumerate(sources)]
        records = self.tag(documents_from_texts(texts, ids, self.tokenizer))
        return [with_source(r, s) if s is not None else r for r, s in zip(records, sources)]

    @torch.no_grad()
    def tag(self, docs: list[PredictDocument]) -> list[dict[str, Any]]:
        """Records of documents already split into tokens (e.g. a prepared dataset's), in order."""
        return stitch(docs, *self.tag_parts(docs), self.ranker)

    @torch.no_grad()
    def tag_tokens(self, docs: list[PredictDocument]) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
        """Each document's tags, each token's probability of its tag, and its keyness (1 - P(O))."""
        return join_parts(docs, *self.tag_parts(docs))

    def tag_parts(self, docs: list[PredictDocument]) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """``(source, piece_start, parts)``: the network's decoded items of ``docs``, as ``stitch`` joins them."""
        corpus, source, piece_start = self.encode(docs)
        parts = [tag_batch(*logits, b.lengths, b.index, self.decoding, self.net.crf) for b, logits in self.run(corpus)]
        return source, piece_start, parts

    def encode(self, docs: list[PredictDocument]) -> tuple[Corpus, np.ndarray, np.ndarray]:
        """``encode_documents`` as this model reads them: ``(corpus, source, piece_start)``."""
        options = Reading(self.vocabulary, self.lowercase, self.tokenizer, tuple(self.net.inputs.values())).options()
        return encode_documents(docs, self.vocabulary, self.lowercase, self.max_length, **options)

    @torch.no_grad()
    def run(self, corpus: Corpus) -> Iterator[tuple[Batch, tuple[torch.Tensor, torch.Tensor]]]:
        """Each length-grouped batch of ``corpus`` and the network's head-1 and head-2 logits for it."""
        for items in prediction_sampler(corpus, self.batch_size):
            b = batch_to_device(collate_fun2([corpus[i] for i in items]), self.device)
            yield b, self.net(b)

    def keyphrases(
        self, text_or_texts: Document | Sequence[Document], top_k: int | None = None, min_score: float | None = None
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        """A document's keyphrases, unique and best first (``text``, ``score``, ``occurrences``), or a list per text.

        A ``pathlib.Path`` is a file, read as ``documents.read_document`` reads it (``str`` stays
        text); a PDF's keyphrases also give ``page`` (of the first occurrence) and ``pages``.

        The ranking is the records' ``ranked`` field, by the checkpoint's ranker (``scoring/rankers.py``):
        occurrences of one phrase are counted together; the hand rule puts the tagger's phrases
        marked often and early first, a learned ranker scores each phrase's probability of being a
        keyphrase (a candidate ranker over every phrase of the text, not the tagger's alone, listing
        those it scores above its threshold). A long document is read whole (tagged in chunks of
        ``max_length`` tokens, ranked over all of it).

        Args:
            text_or_texts: a string or a ``Path``, or a list of them.
            top_k: keep the ``k`` best (a whole number, 0 or more: ``ValueError`` otherwise).
            min_score: drop keyphrases whose document-level score is below this.

        """
        check_top_k(top_k)
        single = isinstance(text_or_texts, (str, PurePath, SourceText))
        texts = [text_or_texts] if single else list(text_or_texts)
        results = [select(record["ranked"], top_k, min_score) for record in self.predict(texts)]
        return results[0] if single else results

    def extract(
        self, text_or_texts: Document | Sequence[Document], top_k: int | None = None, min_score: float | None = None
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        """Keyphrase occurrences (``text``, offsets, ``score``) of one text in text order, or a list per text.

        For a document's unique keyphrases in rank order, use ``keyphrases``. A ``Path`` is a file
        (``keyphrases``), and a PDF's occurrences carry their ``page``.

        Args:
            text_or_texts: a string or a ``Path``, or a list of them.
            top_k: keep the ``k`` best-scored keyphrases (in text order; 0 or more, as for ``keyphrases``).
            min_score: drop keyphrases scored below this.

        """
        check_top_k(top_k)
        single = isinstance(text_or_texts, (str, PurePath, SourceText))
        texts = [text_or_texts] if single else list(text_or_texts)
        results = []
        for record in self.predict(texts):
            phrases = [p for p in record["keyphrases"] if min_score is None or p["score"] >= min_score]
            if top_k is not None:
                best = sorted(phrases, key=lambda p: -p["score"])[:top_k]
                phrases = [p for p in phrases if p in best]
            results.append(phrases)
        return results[0] if single else results
