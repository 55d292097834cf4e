"""Checkpoints: the one reader and validator used by the CLI, the LightningModule and the extractor.

A keyword-lightning checkpoint is a Lightning checkpoint plus, under ``CHECKPOINT_KEY``, the
vocabulary, the casing, the tokenizer of raw text and the label maps (and the wandb run id and RNG state for resuming,
a transformer's config and tokenizer files as text: ``transformer_files``, ``encoder_files`` in
checkpoints of earlier releases, and the document-level ranker: ``ranker``, a ``scoring.rankers`` state
such as ``{"kind": "hand"}``; ``scorer`` in checkpoints of earlier releases, still read; absent from older
ones, which rank by the hand rule), so prediction needs nothing but
the file. It holds no pickled objects: everything loads with ``torch.load(weights_only=True)``, and
anything that would need more is refused.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from keyword_lightning.data.vocabulary import SPECIALS
from keyword_lightning.scoring.rankers import ranker_from_state
from keyword_lightning.tagging.schemes import KEYWORD_LABELS, SBMEO
from keyword_lightning.text.tokenizers import TOKENIZERS

CHECKPOINT_KEY = "keyword_lightning"
CHECKPOINT_VERSION = 1
LABEL_MAPS = {"keyword": list(KEYWORD_LABELS), "position": list(SBMEO)}  # head 1's and head 2's classes
EMBEDDING_KEYS = ("net.inputs.words.embedding.weight", "net.inputs.words.fixed_embedding")  # trainable, fixed rows
OLD_EMBEDDING_KEYS = ("net.embedding.weight", "net.fixed_embedding")  # before ``inputs/`` (still read)


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, unsafe or not a keyword-lightning checkpoint."""


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load ``path`` with ``weights_only=True`` and validate it; errors are one line naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before failing
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch's own messages are long and deep, and cut: name the likely cause
        raise CheckpointError(
            f"{path}: cannot load checkpoint: truncated or not a keyword-lightning checkpoint ({type(err).__name__})"
        ) from None
    try:
        validate(dequantize(ckpt))
    except CheckpointError as err:
        raise CheckpointError(f"{path}: {err}") from None
    return ckpt


QUANTIZED = (".int8", ".scale")  # a tensor T stored as T.int8 [R,E] and T.scale [R,1]: T = int8 * scale / 127


def quantize(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows [R,E] as int8 [R,E] and a float16 scale per row [R,1] (the row's largest magnitude)."""
    scale = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-12).half()
    return torch.round(rows / scale.float() * 127).clamp(-127, 127).to(torch.int8), scale


def dequantize(ckpt: Any) -> Any:
    """``ckpt`` with each quantized tensor of its state dict (``QUANTIZED``) back as float32, in place.

    A packed checkpoint (``model/shipped.py``) stores the embedding rows no word of training ever
    reached this way; every reader of a checkpoint (``read_checkpoint``, ``JointRNN.on_load_checkpoint``)
    restores them before anything reads the weights. A malformed pair is a ``CheckpointError``.
    """
    state = ckpt.get("state_dict") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        return ckpt
    for key in [k[: -len(QUANTIZED[0])] for k in state if k.endswith(QUANTIZED[0])]:
        values, scale = state.pop(key + QUANTIZED[0]), state.pop(key + QUANTIZED[1], None)
        if not isinstance(scale, torch.Tensor) or values.dim() != 2 or tuple(scale.shape) != (len(values), 1):
            raise CheckpointError(f"checkpoint tensor {key}: int8 rows without a scale for each")
        state[key] = values.float() * scale.float() / 127
    return ckpt


def stored_hparams(path: str | Path) -> dict[str, Any]:
    """A peek at the hyperparameters a checkpoint file holds; ``{}`` when it cannot be read as one.

    For ``JointRNN.load_from_checkpoint``, which then lets Lightning's own loading report the file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError):  # missing, not a zip, unsafe
        return {}
    return dict(saved.get("hyper_parameters") or {}) if isinstance(saved, dict) else {}


def validate(ckpt: Any) -> dict[str, Any]:
    """Check the keyword-lightning part of a loaded checkpoint; return it (``CHECKPOINT_KEY``'s dict).

    Checked: the format version, a vocabulary of distinct strings that starts with the special
    tokens and has one embedding row per word, the casing, label maps equal to this release's, and
    the ranker's state (``scoring.rankers.ranker_from_state`` reads it).
    """
    meta = ckpt.get(CHECKPOINT_KEY) if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or meta.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError("not a keyword-lightning checkpoint (no vocabulary inside)")
    vocab = meta.get("vocabulary")
    if not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab) or len(set(vocab)) != len(vocab):
        raise CheckpointError("checkpoint vocabulary must be a list of distinct strings")
    rows = embedding_rows(ckpt)
    if sum(n for n in rows if n is not None) != len(vocab) or vocab[: len(SPECIALS)] != list(SPECIALS):
        raise CheckpointError(f"checkpoint vocabulary ({len(vocab)} words) does not match its embedding")
    if meta.get("labels") != LABEL_MAPS:
        raise CheckpointError(f"checkpoint label maps {meta.get('labels')} differ from this release's")
    if not isinstance(meta.get("lowercase"), bool):
        raise CheckpointError("checkpoint has no valid 'lowercase' setting")
    files = transformer_files(meta)
    if files is not None and not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())):
        raise CheckpointError("checkpoint transformer files must map file names to text")
    if not isinstance(tokenizer_of(meta), str) or tokenizer_of(meta) not in TOKENIZERS:
        raise CheckpointError(f"checkpoint tokenizer {meta['tokenizer']!r} is not one of {', '.join(TOKENIZERS)}")
    ranker(meta)
    return meta


RANKER_KEYS = ("ranker", "scorer")  # where the ranker's state is kept: this release's name, then the earlier one


def ranker_state(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The ranker's state in a checkpoint's metadata (under ``ranker``, or ``scorer`` in earlier releases)."""
    return next((meta[key] for key in RANKER_KEYS if meta.get(key) is not None), None)


def ranker(meta: dict[str, Any]) -> Any:
    """The ranker of a checkpoint's metadata (``keyphrases.HAND`` when it has none)."""
    try:
        return ranker_from_state(ranker_state(meta))
    except (ValueError, TypeError, AttributeError) as err:
        raise CheckpointError(f"checkpoint ranker: {err}") from None


def transformer_files(meta: dict[str, Any]) -> Any:
    """A checkpoint's transformer config and tokenizer files (``encoder_files`` in earlier releases); None: none."""
    return meta.get("transformer_files", meta.get("encoder_files"))


def tokenizer_of(meta: dict[str, Any]) -> str:
    """How raw text is split for this checkpoint's model (checkpoints from before tokenizers: ``ptb``)."""
    return meta.get("tokenizer", "ptb")


def embedding_rows(ckpt: dict[str, Any]) -> tuple[int, int | None]:
    """``(trainable, fixed)`` embedding row counts of a checkpoint's weights (``fixed`` None: no buffer)."""
    state = ckpt.get("state_dict") or {}
    keys = EMBEDDING_KEYS if EMBEDDING_KEYS[0] in state else OLD_EMBEDDING_KEYS
    trainable, fixed = (state.get(key) for key in keys)
    if not isinstance(trainable, torch.Tensor):
        raise CheckpointError("checkpoint has no embedding weights")
    return trainable.shape[0], None if fixed is None else fixed.shape[0]


def metadata(vocabulary: list[str], lowercase: bool, tokenizer: str, **extra: Any) -> dict[str, Any]:
    """The ``CHECKPOINT_KEY`` entry to store: vocabulary, casing, tokenizer, label maps, and ``extra``."""
    return {
        "version": CHECKPOINT_VERSION,
        "vocabulary": list(vocabulary),
        "lowercase": lowercase,
        "tokenizer": tokenizer,
        "labels": LABEL_MAPS,
        **extra,
    }


def copy_with_ranker(source: str | Path, output: str | Path, state: dict[str, Any]) -> bool:
    """Write a copy of the checkpoint ``source`` whose ranker is ``state``; the tagger is kept.

    The copy is validated before anything is written, then written atomically (an error leaves no
    output; an existing one is replaced only when done). A checkpoint that ranks by the hand rule
    (``decoding.ranker: hand``) gets ``auto`` in the copy, so that it ranks with the ranker given:
    True when that happened. A write that fails is a ``CheckpointError`` naming ``output``.
    """
    from keyword_lightning.data.formats import atomic_write

    ckpt = torch.load(source, map_location="cpu", weights_only=True)
    meta = ckpt[CHECKPOINT_KEY]
    meta.pop("scorer", None)  # the earlier releases' key: one ranker per checkpoint
    meta["ranker"] = state
    decoding = (ckpt.get("hyper_parameters") or {}).get("decoding")
    switched = isinstance(decoding, dict) and decoding.get("ranker") == "hand"
    if switched:
        decoding["ranker"] = "auto"  # else the copy would go on ranking by the hand rule
    validate(ckpt)  # before anything is written
    try:
        with atomic_write(output) as fh:
            torch.save(ckpt, fh)
    except OSError as err:  # named as the output (the error's own file is the temporary one, gone)
        raise CheckpointError(f"{output}: {err.strerror or err}") from None
    return switched
