"""The LightningDataModule: the seed's Dataset/DataLoader step, with ``collate_fun2``.

Batches are built from compact flat arrays (one int per token), so nothing per token is a
Python object. Training batches group documents of similar length (``BucketBatchSampler``),
which removes most padding: on this project's data the seed's random batches were 59% pads.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import lightning as L
import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from keyword_lightning.data.embeddings import load_embeddings
from keyword_lightning.data.formats import SPLITS, DataError, Dataset, load_dataset, read_jsonl_records
from keyword_lightning.data.sampler import BucketBatchSampler
from keyword_lightning.tagging import IGNORE_INDEX, bio_codes_to_labels
from keyword_lightning.text import normalize_token, tokenize

# Lightning warns that it cannot check a custom batch sampler for prediction; ours yields
# every non-empty item exactly once (tests/test_data.py).
warnings.filterwarnings("ignore", message=".*custom batch sampler.*for prediction")

PAD, UNK = 0, 1
SPECIALS = ["<pad>", "<unk>"]
MAX_WORD_CHARS = 20  # characters per token seen by the char features (longer tokens are cut)
CHAR_BUCKETS = 512  # characters are hashed into this many ids; 0 is padding
PAD_TYPE = -1  # ``Batch.types`` past each length
DOC_FEATURES = 2  # per token: log of its count in the document, relative position of its first occurrence


class Batch(NamedTuple):
    """A padded batch. ``T`` = longest document in the batch, ``C`` = ``MAX_WORD_CHARS``."""

    words: torch.Tensor  # int64 [B, T] vocabulary ids, PAD past each length
    chars: torch.Tensor  # int64 [B, T, C] hashed character ids, 0 = pad
    keyword: torch.Tensor  # int64 [B, T] head-1 labels (0/1), IGNORE_INDEX on pads
    position: torch.Tensor  # int64 [B, T] head-2 S/B/M/E/O labels, IGNORE_INDEX on pads
    lengths: torch.Tensor  # int64 [B] real tokens per document
    index: torch.Tensor  # int64 [B] item index in the dataset (restores input order)
    types: torch.Tensor  # int64 [B, T] id of each token's lowercased string (for set F1), PAD_TYPE on pads
    features: torch.Tensor  # float32 [B, T, DOC_FEATURES] document statistics per token, 0 on pads


class Example(NamedTuple):
    """One document (or chunk), as ``Dataset.__getitem__`` returns it."""

    index: int
    words: torch.Tensor  # [L]
    chars: torch.Tensor  # [L, C]
    keyword: torch.Tensor  # [L]
    position: torch.Tensor  # [L]
    types: torch.Tensor  # [L]
    features: torch.Tensor  # [L, DOC_FEATURES]


def collate_fun2(examples: list[Example]) -> Batch:
    """Pad variable-length documents into one ``Batch`` (the seed's ``collate_fun2``)."""
    return Batch(
        words=pad_sequence([e.words for e in examples], batch_first=True, padding_value=PAD),
        chars=pad_sequence([e.chars for e in examples], batch_first=True, padding_value=0),
        keyword=pad_sequence([e.keyword for e in examples], batch_first=True, padding_value=IGNORE_INDEX),
        position=pad_sequence([e.position for e in examples], batch_first=True, padding_value=IGNORE_INDEX),
        lengths=torch.tensor([len(e.words) for e in examples], dtype=torch.long),
        index=torch.tensor([e.index for e in examples], dtype=torch.long),
        types=pad_sequence([e.types for e in examples], batch_first=True, padding_value=PAD_TYPE),
        features=pad_sequence([e.features for e in examples], batch_first=True, padding_value=0.0),
    )


def batch_to_device(batch: Batch, device: torch.device | str) -> Batch:
    """``batch`` on ``device``, except ``lengths``, which stay on the host (packing reads them there)."""
    moved = {k: v.to(device, non_blocking=True) for k, v in batch._asdict().items() if k != "lengths"}
    return batch._replace(**moved)


def char_ids(token: str) -> list[int]:
    """Hashed character ids of a token, cut to ``MAX_WORD_CHARS``."""
    return [1 + ord(c) % (CHAR_BUCKETS - 1) for c in token[:MAX_WORD_CHARS]]


def chunk_offsets(offsets: np.ndarray, max_length: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Split documents longer than ``max_length`` into consecutive chunks.

    Returns ``(new_offsets, source)``, where ``source[i]`` is the document chunk ``i`` came from.
    """
    lengths = np.diff(offsets)
    if not max_length or lengths.max(initial=0) <= max_length:
        return offsets, np.arange(len(lengths))
    pieces = -(-lengths // max_length)  # ceil
    source = np.repeat(np.arange(len(lengths)), pieces)
    first = np.repeat(offsets[:-1], pieces)
    k = np.arange(len(source)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    starts = first + k * max_length
    return np.append(starts, offsets[-1]), source


def document_features(types: np.ndarray, offsets: np.ndarray, chunk_tokens: int = 1 << 22) -> np.ndarray:
    """Per-token document statistics [N, 2] float32, the classic keyphrase signals (cf. KEA).

    Column 0: ``log(count)`` of the token's (lowercased) string in its document; keyphrase words
    tend to repeat. Column 1: where in the document that string first occurs, as a fraction of the
    document's length (0 = first token); keyphrases tend to occur early (titles, first sentences).
    Vectorised: one sort per chunk of whole documents of about ``chunk_tokens`` tokens, so the
    sort's int64 temporaries stay small however large the corpus.
    """
    out = np.empty((len(types), DOC_FEATURES), dtype=np.float32)
    first_doc, docs = 0, len(offsets) - 1
    while first_doc < docs:
        end_doc = int(np.searchsorted(offsets, offsets[first_doc] + chunk_tokens, side="right")) - 1
        end_doc = min(max(end_doc, first_doc + 1), docs)
        lo, hi = int(offsets[first_doc]), int(offsets[end_doc])
        if hi > lo:
            out[lo:hi] = _document_features(types[lo:hi], offsets[first_doc : end_doc + 1] - lo)
        first_doc = end_doc
    return out


def _document_features(types: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``document_features`` of one chunk: ``offsets`` start at 0 and end at ``len(types)``."""
    lengths = np.diff(offsets)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    key = doc * (int(types.max()) + 1) + types
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    out = np.empty((len(types), DOC_FEATURES), dtype=np.float32)
    out[:, 0] = np.log(counts[inverse])
    out[:, 1] = (first[inverse] - offsets[:-1][doc]) / lengths[doc]
    return out


class Corpus(TorchDataset):
    """Documents as flat arrays: item ``i`` is tokens ``offsets[i]:offsets[i+1]``.

    Stored compactly (int32 ids, int8 labels, int16 characters per distinct string: about
    20 bytes a token with the document features) and widened per item to what ``collate_fun2``
    pads.
    """

    def __init__(
        self,
        words: np.ndarray,
        strings: np.ndarray,
        char_table: np.ndarray,
        offsets: np.ndarray,
        codes: np.ndarray | None = None,
        types: np.ndarray | None = None,
        features: np.ndarray | None = None,
    ) -> None:
        self.words = torch.from_numpy(words.astype(np.int32, copy=False))
        self.strings = torch.from_numpy(strings.astype(np.int32, copy=False))  # [N] row of each token in char_table
        self.char_table = torch.from_numpy(char_table.astype(np.int16, copy=False))  # [n_strings, C]
        self.offsets = offsets.astype(np.int64, copy=False)
        self.types = torch.from_numpy((strings if types is None else types).astype(np.int32, copy=False))
        if features is None:
            features = np.zeros((len(words), DOC_FEATURES), dtype=np.float32)
        self.features = torch.from_numpy(features.astype(np.float32, copy=False))
        if codes is None:  # unlabelled (predict): labels are all IGNORE_INDEX
            keyword = position = np.full(len(words), IGNORE_INDEX, dtype=np.int8)
        else:
            starts = np.zeros(len(words), dtype=bool)
            starts[self.offsets[:-1]] = True
            keyword, position = bio_codes_to_labels(codes, starts)
        self.keyword = torch.from_numpy(keyword.astype(np.int8, copy=False))
        self.position = torch.from_numpy(position.astype(np.int8, copy=False))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        """Token count of each item."""
        return np.diff(self.offsets)

    def __getitem__(self, i: int) -> Example:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return Example(
            i,
            self.words[lo:hi].long(),
            self.char_table[self.strings[lo:hi].long()].long(),
            self.keyword[lo:hi].long(),
            self.position[lo:hi].long(),
            self.types[lo:hi].long(),
            self.features[lo:hi],
        )


@dataclass
class PredictDocument:
    """A document to tag. ``spans`` are the tokens' ``(start, end)`` char offsets in ``text``."""

    id: str
    tokens: list[str]
    text: str | None = None
    spans: list[tuple[int, int]] | None = None


def documents_from_texts(texts: list[str], ids: list[str] | None = None) -> list[PredictDocument]:
    """Tokenize raw texts into ``PredictDocument`` objects with char offsets."""
    docs = []
    for i, text in enumerate(texts):
        triples = tokenize(text)
        doc_id = ids[i] if ids is not None else str(i)
        docs.append(PredictDocument(doc_id, [t for t, _, _ in triples], text, [(s, e) for _, s, e in triples]))
    return docs


def read_predict_input(source: str) -> list[PredictDocument]:
    """Documents from a ``.txt`` file (one a line), a folder of ``.txt`` files, JSONL, or ``-`` (stdin)."""
    if source == "-":
        lines = sys.stdin.read().splitlines()
        return documents_from_texts(lines, [str(i) for i in range(len(lines))])
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise DataError(f"{path}: folder holds no .txt files")
        texts = []
        for f in files:
            try:
                texts.append(f.read_text(encoding="utf-8-sig"))
            except UnicodeDecodeError as err:
                raise DataError(f"{f}: not valid UTF-8 (byte {err.start})") from None
        return documents_from_texts(texts, [f.name for f in files])
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix in (".jsonl", ".json"):
        records = read_jsonl_records(path, need_keyphrases=False)
        return documents_from_texts([r["text"] for r in records], [r["id"] for r in records])
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not valid UTF-8 (byte {err.start})") from None
    return documents_from_texts(lines, [str(i) for i in range(len(lines))])


def encode_corpus(
    strings: list[str],
    token_strings: np.ndarray,
    offsets: np.ndarray,
    codes: np.ndarray | None,
    vocabulary: list[str],
    lowercase: bool,
    max_length: int | None,
) -> tuple[Corpus, np.ndarray]:
    """Map a flat corpus (indices into ``strings``) to model ids; split long documents.

    Work is per distinct string, not per token: each string is looked up and hashed into
    characters once, then gathered for all its occurrences. Document features are computed on
    whole documents, before long ones are split.
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    # int32 per token (a KP20k-size corpus has ~100M tokens); Corpus stores int32 anyway.
    lookup = np.array([index.get(normalize_token(s, lowercase), UNK) for s in strings], dtype=np.int32)
    lowered: dict[str, int] = {}
    type_of = np.array([lowered.setdefault(s.lower(), len(lowered)) for s in strings], dtype=np.int32)
    types = type_of[token_strings] if len(strings) else np.zeros(0, dtype=np.int32)
    features = document_features(types, offsets)
    table = np.zeros((max(1, len(strings)), MAX_WORD_CHARS), dtype=np.int16)
    for row, s in enumerate(strings):
        ids = char_ids(s)
        table[row, : len(ids)] = ids
    offsets, source = chunk_offsets(offsets, max_length)
    words = lookup[token_strings] if len(strings) else np.zeros(0, dtype=np.int32)
    return Corpus(words, token_strings, table, offsets, codes, types, features), source


def encode_documents(
    docs: list[PredictDocument], vocabulary: list[str], lowercase: bool, max_length: int | None
) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """Encode documents to tag; returns ``(corpus, source, piece_start)``.

    Item ``i`` of the corpus is tokens ``piece_start[i]:...`` of document ``source[i]``
    (long documents become several items).
    """
    table: dict[str, int] = {}
    flat = [table.setdefault(t, len(table)) for d in docs for t in d.tokens]
    lengths = np.array([len(d.tokens) for d in docs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    corpus, source = encode_corpus(
        list(table), np.asarray(flat, dtype=np.int64), offsets, None, vocabulary, lowercase, max_length
    )
    return corpus, source, corpus.offsets[:-1] - offsets[source]


def prediction_sampler(corpus: Corpus, batch_size: int, replicas: int = 1, rank: int = 0) -> BucketBatchSampler:
    """Length-sorted batches over the non-empty items (empty documents get no model call)."""
    items = np.flatnonzero(corpus.lengths() > 0)
    return BucketBatchSampler(
        corpus.lengths(), batch_size, shuffle=False, num_replicas=replicas, rank=rank, items=items
    )


def build_vocabulary(
    dataset: Dataset, lowercase: bool, min_freq: int, embedding_file: str | None
) -> tuple[list[str], int]:
    """``<pad>``, ``<unk>``, training words, then the other pretrained words.

    Training words are those seen ``min_freq`` times, plus rarer ones that have a pretrained
    vector. Returns ``(words, trainable)``: the first ``trainable`` words are the only ones
    that occur in training batches, so the only embedding rows that training can change.
    """
    train = dataset.splits.get("train")
    if train is None:
        raise DataError("the dataset has no 'train' split, so no vocabulary can be built")
    per_string = np.bincount(train.tokens, minlength=len(dataset.strings))
    counts: Counter[str] = Counter()
    for s, c in zip(dataset.strings, per_string.tolist()):
        if c:
            counts[normalize_token(s, lowercase)] += c
    by_count = sorted(counts, key=lambda w: (-counts[w], w))
    words = [w for w in by_count if counts[w] >= min_freq and w not in SPECIALS]
    pretrained: list[str] = []
    if embedding_file:
        emb = load_embeddings(str(embedding_file))
        if emb.lowercase != lowercase:
            raise DataError(f"{embedding_file}: built with lowercase={emb.lowercase}, but data.lowercase={lowercase}")
        known = [w for w, found in zip(emb.words, emb.found) if found and w not in SPECIALS]
        has_vector = set(known)
        words += [w for w in by_count if counts[w] < min_freq and w in has_vector and w not in SPECIALS]
        have = set(words)
        pretrained = [w for w in known if w not in have]
    return SPECIALS + words + pretrained, len(SPECIALS) + len(words)


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
        self._corpora: dict[tuple, Corpus] = {}  # (split, vocabulary identity) -> encoded split
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
                print(f"data.embedding_file auto: no {beside}, so embeddings start random", file=sys.stderr)
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

    def _encoder(self) -> tuple[list[str], bool]:
        """Vocabulary and lowercasing of the model being run (its checkpoint wins)."""
        model = self.trainer.lightning_module if self.trainer is not None else None
        if getattr(model, "vocabulary", None):
            return model.vocabulary, model.lowercase
        if self.vocabulary is None:
            raise DataError("no vocabulary: give data.dataset_file or a checkpoint")
        return self.vocabulary, self.hparams.lowercase

    def split_corpus(self, split: str) -> Corpus:
        """The encoded corpus of a dataset split (built once per vocabulary)."""
        words, lowercase = self._encoder()
        key = (split, id(words), lowercase)
        if key not in self._corpora:
            part = self.dataset.splits.get(split)
            if part is None:
                raise DataError(f"{self.hparams.dataset_file}: no {split!r} split")
            self._corpora[key], _ = encode_corpus(
                self.dataset.strings, part.tokens, part.offsets, part.tags, words, lowercase, self.hparams.max_length
            )
        return self._corpora[key]

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

    def _loader(self, corpus: Corpus, shuffle: bool) -> DataLoader:
        replicas, rank = self._distributed()
        sampler = BucketBatchSampler(
            corpus.lengths(),
            self.hparams.batch_size,
            shuffle=shuffle,
            seed=self.hparams.seed,
            num_replicas=replicas,
            rank=rank,
        )
        return DataLoader(
            corpus,
            batch_sampler=sampler,
            collate_fn=collate_fun2,
            num_workers=self.hparams.num_workers,
            persistent_workers=self.hparams.num_workers > 0,
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
        """Length-bucketed, reshuffled every epoch."""
        return self._loader(self.split_corpus("train"), shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """Every validation document once, sorted by length."""
        return self._loader(self.split_corpus("val"), shuffle=False)

    def test_dataloader(self) -> DataLoader:
        """Every test document once, sorted by length."""
        return self._loader(self.split_corpus("test"), shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        """Documents of ``predict_file`` or ``predict_split``; empty documents yield no items."""
        h = self.hparams
        if h.predict_split:
            part = self.dataset.splits.get(h.predict_split)
            if part is None:
                raise DataError(f"{h.dataset_file}: no {h.predict_split!r} split")
            self.predict_documents = [
                PredictDocument(d.id, d.tokens)
                for d in (self.dataset.document(h.predict_split, i) for i in range(len(part)))
            ]
        elif h.predict_file:
            self.predict_documents = read_predict_input(h.predict_file)
        else:
            raise DataError("nothing to predict: give data.predict_file or data.predict_split")
        words, lowercase = self._encoder()
        corpus, self.predict_source, self.predict_piece_start = encode_documents(
            self.predict_documents, words, lowercase, h.max_length
        )
        replicas, rank = self._distributed()
        sampler = prediction_sampler(corpus, h.batch_size, replicas, rank)
        return DataLoader(
            corpus,
            batch_sampler=sampler,
            collate_fn=collate_fun2,
            num_workers=h.num_workers,
            generator=self._generator(),
        )
