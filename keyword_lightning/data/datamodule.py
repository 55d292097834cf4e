"""The LightningDataModule: the seed's Dataset/DataLoader step, with ``collate_fun2``.

Training batches group documents of similar length (``BucketBatchSampler``), which removes
most padding: on this project's data the seed's random batches were 59% pads. The jobs it
calls on live in their own files: ``encoding`` (ids and the ``Corpus``), ``vocabulary``,
``inputs`` (raw text to tag) and ``batch`` (``collate_fun2``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from keyword_lightning.data.batch import Batch, batch_to_device, collate_fun2
from keyword_lightning.data.encoding import Corpus, Reading, encode_corpus, encode_documents, prediction_sampler
from keyword_lightning.data.formats import SPLITS, DataError, Dataset, load_dataset
from keyword_lightning.data.inputs import STDIN, PredictDocument, read_predict_input
from keyword_lightning.data.sampler import BucketBatchSampler, weighted_items
from keyword_lightning.data.vocabulary import build_vocabulary
from keyword_lightning.runtime import say

# Lightning warns that it cannot check a custom batch sampler for prediction; ours yields
# every non-empty item exactly once (tests/test_data.py).
warnings.filterwarnings("ignore", message=".*custom batch sampler.*for prediction")


class KeywordDataModule(L.LightningDataModule):
    """Inspec-style keyphrase data from ``data_set.pkl`` (see ``keyword-lightning-prepare``).

    Args:
        dataset_file: the prepared dataset pickle.
        embedding_file: optional ``embedding.pkl``; its words join the vocabulary. ``auto``
            takes ``embedding.pkl`` beside ``dataset_file`` when it exists.
        batch_size: documents per batch.
        num_workers: DataLoader worker processes.
        lowercase: lowercase tokens before vocabulary lookup.
        min_freq: training words seen fewer times map to ``<unk>``.
        max_length: documents longer than this are split into chunks (training and prediction).
        predict_file: ``.txt`` (one document a line), a folder of ``.txt``, ``.jsonl`` or ``-`` for stdin.
        predict_split: predict a split of the dataset instead (``train``, ``val`` or ``test``).
        seed: seed of the per-epoch shuffling of training batches.
        corpus_weights: for a dataset prepared from several corpora (ids ``CORPUS/ID``), each
            corpus's weight in a training epoch, e.g. ``{inspec: 1, semeval2017: 2}``: every
            document of a corpus of weight 2 is seen twice an epoch (``sampler.weighted_items``).

    """

    def __init__(
        self,
        dataset_file: str | None = None,
        embedding_file: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        lowercase: bool = True,
        min_freq: int = 1,
        max_length: int = 1000,
        predict_file: str | None = None,
        predict_split: str | None = None,
        seed: int = 42,
        corpus_weights: dict[str, float] | None = None,
    ) -> None:
        super().__init__()
        if predict_split is not None and predict_split not in SPLITS:
            raise ValueError(f"predict_split must be one of {', '.join(SPLITS)}, got {predict_split!r}")
        if batch_size < 1 or max_length < 1:
            raise ValueError("batch_size and max_length must be positive")
        self.save_hyperparameters()
        self._dataset: Dataset | None = None
        self._vocabulary: list[str] | None = None
        self._trainable_words: int | None = None
        self._reading: Callable[[], Reading] | None = None  # the model's (``read_as``)
        self._corpora: dict[tuple, Corpus] = {}  # (split, vocabulary identity) -> encoded split
        self._sources: dict[str, np.ndarray] = {}  # split -> each item's document
        self.predict_documents: list[PredictDocument] = []
        self.predict_source: np.ndarray | None = None  # predict item -> document index
        self.predict_piece_start: np.ndarray | None = None  # predict item -> first token in its document

    # ----------------------------------------------------------------- data and vocabulary

    @property
    def dataset(self) -> Dataset:
        """The loaded dataset pickle (loaded once, on first use)."""
        if self._dataset is None:
            if not self.hparams.dataset_file:
                raise DataError("no data.dataset_file given")
            self._dataset = load_dataset(self.hparams.dataset_file)
        return self._dataset

    @property
    def embedding_path(self) -> str | None:
        """``embedding_file`` with ``auto`` resolved (None: random embeddings)."""
        path = self.hparams.embedding_file
        if path == "auto":
            beside = Path(self.hparams.dataset_file or ".").parent / "embedding.pkl"
            if not beside.is_file():
                say(f"data.embedding_file auto: no {beside}, so embeddings start random")
            return str(beside) if beside.is_file() else None
        return path

    @property
    def vocabulary(self) -> list[str] | None:
        """Words of the training split (the model's embedding rows); None without a dataset."""
        if self._vocabulary is None and self.hparams.dataset_file:
            h = self.hparams
            self._vocabulary, self._trainable_words = build_vocabulary(
                self.dataset, h.lowercase, h.min_freq, self.embedding_path
            )
        return self._vocabulary

    @property
    def trainable_words(self) -> int | None:
        """How many leading vocabulary words occur in training (the rest keep their vectors)."""
        return None if self.vocabulary is None else self._trainable_words

    @property
    def tokenizer(self) -> str:
        """How the dataset's raw text was split (``text.TOKENIZERS``); ``ptb`` without a dataset."""
        return self.dataset.tokenizer if self.hparams.dataset_file else "ptb"

    def read_as(self, reading: Callable[[], Reading] | None) -> None:
        """How the model reads its data, asked when a loader is built (``JointRNN.setup`` hands it over).

        The model's vocabulary, casing and tokenizer (from its checkpoint) win over the dataset's;
        its inputs say what the encoding computes and what is cached (``keyword_lightning.inputs``).
        """
        self._reading = reading

    def _read(self) -> Reading:
        reading = self._reading() if self._reading is not None else None
        if reading is not None and reading.vocabulary:
            return reading
        if self.vocabulary is None:
            raise DataError("no vocabulary: give data.dataset_file or a checkpoint")
        return Reading(self.vocabulary, self.hparams.lowercase, self.tokenizer, reading.inputs if reading else ())

    def _check_tokenizer(self, tokenizer: str) -> None:
        """The dataset's text must be split the way the model's training text was."""
        if tokenizer != self.tokenizer:
            raise DataError(
                f"{self.hparams.dataset_file}: prepared with the {self.tokenizer!r} tokenizer, but the model "
                f"reads text split by {tokenizer!r} (prepare the data with --tokenizer {tokenizer})"
            )

    def split_corpus(self, split: str) -> Corpus:
        """The encoded corpus of a dataset split (built once per vocabulary)."""
        reading = self._read()
        words, lowercase = reading.vocabulary, reading.lowercase
        self._check_tokenizer(reading.tokenizer)
        key = (split, id(words), lowercase, tuple(map(id, reading.inputs)))
        if key not in self._corpora:
            part = self.dataset.splits.get(split)
            if part is None:
                raise DataError(f"{self.hparams.dataset_file}: no {split!r} split")
            strings, max_length = self.dataset.strings, self.hparams.max_length
            corpus, source = encode_corpus(
                strings,
                part.tokens,
                part.offsets,
                part.tags,
                words,
                lowercase,
                max_length,
                stems=split in ("val", "test"),
                **reading.options(),
            )  # stems: for stemmed F1@k (test) and the ranker chosen on validation
            for plugin in reading.inputs:  # what is cached for an input (a frozen encoder's vectors)
                plugin.attach(corpus, self.hparams.dataset_file, split, max_length)
            self._corpora[key] = corpus
            self._sources[split] = source  # item -> document: corpus_weights (train), each corpus's F1 (val)
        return self._corpora[key]

    def item_corpora(self, split: str) -> np.ndarray:
        """Each item's corpus (``formats.Split.corpora``: "" for a dataset of one), as an object array [items]."""
        self.split_corpus(split)  # encodes the split once, which maps its items to documents
        return np.asarray(self.dataset.splits[split].corpora(), dtype=object)[self._sources[split]]

    def setup(self, stage: str) -> None:
        """Load the dataset when a stage needs it (raw-text prediction needs none)."""
        if stage != "predict" or self.hparams.predict_split:
            _ = self.dataset

    # ----------------------------------------------------------------- loaders

    def _distributed(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None or trainer.world_size == 1:
            return 1, 0
        if getattr(trainer._accelerator_connector, "use_distributed_sampler", False):
            raise DataError("under DDP set trainer.use_distributed_sampler: false (configs/trainer/ddp.yaml does)")
        return trainer.world_size, trainer.global_rank

    def _loader(self, corpus: Corpus, sampler: BucketBatchSampler | None = None, shuffle: bool = False) -> DataLoader:
        """A DataLoader over ``corpus`` with length-bucketed batches (``sampler``, or one over every item)."""
        h = self.hparams
        persistent = h.num_workers > 0 and sampler is None  # a split's loader is iterated every epoch
        if sampler is None:
            replicas, rank = self._distributed()
            sampler = BucketBatchSampler(
                corpus.lengths(), h.batch_size, shuffle=shuffle, seed=h.seed, num_replicas=replicas, rank=rank
            )
        return DataLoader(
            corpus,
            batch_sampler=sampler,
            collate_fn=collate_fun2,
            num_workers=h.num_workers,
            persistent_workers=persistent,
            generator=self._generator(),
        )

    def _generator(self) -> torch.Generator:
        """A DataLoader's own RNG, seeded.

        Each new iterator draws a worker seed from it; without it the draw comes from torch's
        global RNG and shifts the dropout stream, so a resumed run would not match an
        uninterrupted one.
        """
        return torch.Generator().manual_seed(self.hparams.seed)

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        """Move a ``Batch`` to ``device``, except ``lengths``, which stay on the host.

        Packed sequences need the lengths on the host; keeping them there means no training
        step has to wait for the GPU to hand them back.
        """
        if not isinstance(batch, Batch):
            return super().transfer_batch_to_device(batch, device, dataloader_idx)
        return batch_to_device(batch, device)

    def train_dataloader(self) -> DataLoader:
        """Length-bucketed, reshuffled every epoch; with ``corpus_weights``, each corpus's share weighed."""
        corpus, weights = self.split_corpus("train"), self.hparams.corpus_weights
        if not weights:
            return self._loader(corpus, shuffle=True)
        corpora = self.item_corpora("train")
        try:
            items = weighted_items(corpora.tolist(), weights, self.hparams.seed)
        except ValueError as err:
            raise DataError(f"{self.hparams.dataset_file}: {err}") from None
        replicas, rank = self._distributed()
        sampler = BucketBatchSampler(
            corpus.lengths(), self.hparams.batch_size, True, self.hparams.seed, replicas, rank, items=items
        )
        return self._loader(corpus, sampler)

    def val_dataloader(self) -> DataLoader:
        """Every validation document once, sorted by length."""
        return self._loader(self.split_corpus("val"))

    def test_dataloader(self) -> DataLoader:
        """Every test document once, sorted by length."""
        return self._loader(self.split_corpus("test"))

    def predict_dataloader(self) -> DataLoader:
        """Documents of ``predict_file`` or ``predict_split``; empty documents yield no items."""
        h = self.hparams
        reading = self._read()
        tokenizer = reading.tokenizer
        if h.predict_split:
            self._check_tokenizer(tokenizer)
            part = self.dataset.splits.get(h.predict_split)
            if part is None:
                raise DataError(f"{h.dataset_file}: no {h.predict_split!r} split")
            self.predict_documents = [
                PredictDocument(d.id, d.tokens)
                for d in (self.dataset.document(h.predict_split, i) for i in range(len(part)))
            ]
        elif h.predict_file:
            if h.predict_file == STDIN and self._distributed()[0] > 1:
                raise DataError("--data.predict_file -: standard input can be read by one process only (not under DDP)")
            self.predict_documents = read_predict_input(h.predict_file, tokenizer)
        else:
            raise DataError("nothing to predict: give data.predict_file or data.predict_split")
        corpus, self.predict_source, self.predict_piece_start = encode_documents(
            self.predict_documents, reading.vocabulary, reading.lowercase, h.max_length, **reading.options()
        )
        return self._loader(corpus, prediction_sampler(corpus, h.batch_size, *self._distributed()))
