"""File formats: the dataset pickle and its data model, a safe unpickler, atomic writes.

The CoNLL and JSONL readers that produce ``GoldDocument`` objects are in ``readers.py``.

The dataset pickle (``data_set.pkl``, the seed's file name) holds only built-in types, so it
loads without importing anything. Format ``keyword-lightning/dataset``, version 2::

    {"format": "keyword-lightning/dataset", "version": 2,
     "tokenizer": "ptb" | "chars" | "jieba",  # how raw text is split like the training text (text/tokenizers.py)
     "strings": [str, ...],                # every distinct token string, as written
     "splits": {"train" | "val" | "test": {
         "ids": [str, ...],                # one per document
         "offsets": bytes,                 # int64 little-endian [n_docs + 1], doc i = tokens[o[i]:o[i+1]]
         "tokens": bytes,                  # int32 little-endian [n_tokens], indices into "strings"
         "tags": bytes}}}                  # uint8 [n_tokens], BIO codes 0=O 1=B 2=I

Token data are flat arrays rather than per-token Python objects, so a corpus of 100M tokens
stays a few hundred MB in memory. Version 1, written before there were other tokenizers, has
no ``"tokenizer"``: it loads as ``ptb``.
"""

from __future__ import annotations

import array
import io
import os
import pickle
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keyword_lightning.tagging.schemes import BIO_I
from keyword_lightning.text.tokenizers import TOKENIZERS

DATASET_FORMAT = "keyword-lightning/dataset"
DATASET_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 has no "tokenizer" and means ptb
SPLITS = ("train", "val", "test")
CORPUS_SEP = "/"  # a document of a dataset prepared from several corpora has the id CORPUS/ID


class DataError(ValueError):
    """Bad input data; the message is one line naming the file, line or document."""


@dataclass
class GoldDocument:
    """One document of a labelled corpus: its tokens and their gold tags.

    ``codes``: normalised BIO codes (``tagging.bio_codes``). Raw text to tag is a
    ``data.inputs.PredictDocument``; a corpus document of ``extract``, a ``corpus.unit_documents.CorpusDocument``.
    """

    id: str
    tokens: list[str]
    codes: list[int]


@dataclass
class Split:
    """One split of a prepared dataset, as compact arrays (see the module docstring)."""

    ids: list[str]
    offsets: np.ndarray  # int64 [n_docs + 1]
    tokens: np.ndarray  # int32 [n_tokens], indices into the dataset's strings
    tags: np.ndarray  # uint8 [n_tokens]

    def __len__(self) -> int:
        return len(self.ids)

    def lengths(self) -> np.ndarray:
        """Token count of each document, int64 ``[n_docs]``."""
        return np.diff(self.offsets)

    def corpora(self) -> list[str]:
        """Each document's corpus: the part of its id before ``CORPUS_SEP`` ("" for one corpus)."""
        return [i.split(CORPUS_SEP, 1)[0] if CORPUS_SEP in i else "" for i in self.ids]


@dataclass
class Dataset:
    """A loaded dataset pickle: the string table, the splits it holds, the tokenizer of its raw text."""

    strings: list[str]
    splits: dict[str, Split]
    tokenizer: str = "ptb"

    def document(self, split: str, index: int) -> GoldDocument:
        """Document ``index`` of ``split`` as Python lists (for display and tests)."""
        part = self.splits[split]
        lo, hi = part.offsets[index], part.offsets[index + 1]
        tokens = [self.strings[i] for i in part.tokens[lo:hi]]
        return GoldDocument(part.ids[index], tokens, part.tags[lo:hi].tolist())


def build_dataset(splits: dict[str, Iterable[GoldDocument]], tokenizer: str = "ptb") -> dict:
    """The picklable dataset object (module docstring) for documents per split.

    Documents are consumed one at a time (a generator such as ``iter_conll`` works): tokens go
    straight into flat arrays, so no per-token Python object outlives its document.
    ``tokenizer`` (one of ``text.TOKENIZERS``) is recorded: raw text must be split that way.
    """
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r} (known: {', '.join(TOKENIZERS)})")
    table: dict[str, int] = {}
    out: dict[str, dict] = {}
    for name, docs in splits.items():
        ids: list[str] = []
        lengths = array.array("q")
        tokens = array.array("i")
        tags = array.array("B")
        for d in docs:
            ids.append(d.id)
            lengths.append(len(d.tokens))
            tokens.extend([table.setdefault(t, len(table)) for t in d.tokens])
            tags.extend(d.codes)
        offsets = np.zeros(len(ids) + 1, dtype="<i8")
        np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
        out[name] = {
            "ids": ids,
            "offsets": offsets.tobytes(),
            "tokens": np.frombuffer(tokens, dtype=np.int32).astype("<i4").tobytes(),
            "tags": bytes(tags),
        }
    return {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "tokenizer": tokenizer,
        "strings": list(table),
        "splits": out,
    }


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Refuses every global: our pickles hold only dicts, lists, str, bytes and numbers."""

    def find_class(self, module: str, name: str):  # noqa: D102 - pickle's hook
        raise pickle.UnpicklingError(f"refused to load global '{module}.{name}' (pickles here hold data only)")


def safe_load_pickle(path: str | os.PathLike) -> object:
    """Load a pickle that may hold built-in data types only; code-running pickles are refused."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with open(path, "rb") as fh:
            return _NoGlobalsUnpickler(io.BufferedReader(fh)).load()
    except pickle.UnpicklingError as err:
        if str(err).startswith("refused"):
            raise DataError(f"{path}: {err}") from None
        raise DataError(f"{path}: truncated or corrupt pickle ({err})") from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as err:
        raise DataError(f"{path}: truncated or corrupt pickle ({type(err).__name__}: {err})") from None


def _check(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise DataError(f"{where}: {what}")


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Load and validate a dataset pickle; errors name the split and document index."""
    obj = safe_load_pickle(path)
    where = str(path)
    _check(
        isinstance(obj, dict), where, f"expected a dict, found {type(obj).__name__} (not a keyword-lightning dataset)"
    )
    _check(obj.get("format") == DATASET_FORMAT, where, f"format is {obj.get('format')!r}, expected {DATASET_FORMAT!r}")
    _check(
        type(obj.get("version")) is int and obj.get("version") in READABLE_VERSIONS,
        where,
        f"format version {obj.get('version')!r} is not supported (this release reads "
        + " and ".join(map(str, READABLE_VERSIONS))
        + ")",
    )
    tokenizer = obj.get("tokenizer", "ptb")
    _check(
        isinstance(tokenizer, str) and tokenizer in TOKENIZERS,
        where,
        f"unknown tokenizer {tokenizer!r} (this release knows {', '.join(TOKENIZERS)})",
    )
    strings = obj.get("strings")
    _check(
        isinstance(strings, list) and all(isinstance(s, str) for s in strings), where, "'strings' must be a list of str"
    )
    raw_splits = obj.get("splits")
    _check(isinstance(raw_splits, dict) and raw_splits, where, "'splits' must be a non-empty dict")
    splits = {}
    for name, part in raw_splits.items():
        at = f"{where}: split {name!r}"
        _check(name in SPLITS, where, f"unknown split {name!r} (expected one of {', '.join(SPLITS)})")
        _check(isinstance(part, dict), at, f"expected a dict, found {type(part).__name__}")
        for key in ("offsets", "tokens", "tags"):
            _check(isinstance(part.get(key), bytes), at, f"'{key}' must be bytes, found {type(part.get(key)).__name__}")
        ids = part.get("ids")
        _check(isinstance(ids, list) and all(isinstance(i, str) for i in ids), at, "'ids' must be a list of str")
        _check(len(part["offsets"]) % 8 == 0 and len(part["tokens"]) % 4 == 0, at, "array bytes have a wrong size")
        offsets = np.frombuffer(part["offsets"], dtype="<i8").astype(np.int64)
        tokens = np.frombuffer(part["tokens"], dtype="<i4").astype(np.int32)
        tags = np.frombuffer(part["tags"], dtype=np.uint8)
        _check(len(offsets) == len(ids) + 1, at, f"{len(ids)} ids but {len(offsets) - 1} documents")
        _check(len(ids) > 0, at, "no documents")
        _check(offsets[0] == 0, at, "offsets must start at 0")
        lengths = np.diff(offsets)
        if (lengths <= 0).any():
            bad = int(np.argmax(lengths <= 0))
            _check(False, f"{at}, document {bad}", "empty document" if lengths[bad] == 0 else "negative length")
        if offsets[-1] != len(tokens) or len(tokens) != len(tags):
            bad = int(np.searchsorted(offsets[1:], min(len(tokens), len(tags)), side="left"))
            _check(
                False,
                f"{at}, document {bad}",
                f"lengths differ: {len(tokens)} tokens, {len(tags)} tags, offsets end at {offsets[-1]}",
            )
        if len(tokens) and (tokens.min() < 0 or tokens.max() >= len(strings)):
            bad_pos = int(np.argmax((tokens < 0) | (tokens >= len(strings))))
            bad = int(np.searchsorted(offsets[1:], bad_pos, side="right"))
            _check(False, f"{at}, document {bad}", "token index outside the string table")
        if len(tags) and tags.max() > BIO_I:
            bad_pos = int(np.argmax(tags > BIO_I))
            bad = int(np.searchsorted(offsets[1:], bad_pos, side="right"))
            _check(False, f"{at}, document {bad}", f"unknown tag code {int(tags[bad_pos])} (expected 0=O, 1=B, 2=I)")
        splits[name] = Split(list(ids), offsets, tokens, tags)
    return Dataset(strings, splits, tokenizer)


# --------------------------------------------------------------------------- atomic writes


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Write to a temporary file beside ``path`` and rename it into place on success.

    A crash or an error inside the ``with`` block leaves ``path`` as it was (absent or old).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_pickle(obj: object, path: str | os.PathLike) -> None:
    """Pickle ``obj`` to ``path`` atomically."""
    with atomic_write(path) as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
