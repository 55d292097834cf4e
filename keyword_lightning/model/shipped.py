"""The general model shipped inside the package: where it lies, how ``make general`` packs it, what it records.

``keyword_lightning/pretrained/general.ckpt`` is a keyword-lightning checkpoint cut to what prediction
reads (the weights, the settings, the vocabulary, the ranker; no optimizer state, no RNG state), small
enough for a package: every weight as float16, and the rows of the pretrained words no training
document holds (never trained: GloVe's own vectors) as int8 with a scale per row
(``checkpoint.quantize``; read back as float32 by every reader), kept to the ``extra_words`` most
frequent (GloVe's order) beside every word seen in training. Float16 and int8 change no test F1@10;
the words cut cost a little of it (measured: benchmarks/results/NOTES.md#model-shipped). ``general.json`` beside it
records its sha256, the commit and command that built it, its settings and the fixed paragraph's
ranked keyphrases, which the tests check the file against (``inference/ship.py`` writes both).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from keyword_lightning.model import checkpoint

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
GENERAL = PRETRAINED / "general.ckpt"
MANIFEST = PRETRAINED / "general.json"
EXTRA_WORDS = 60000  # pretrained words outside the training vocabulary that the shipped file keeps
FIXED = checkpoint.EMBEDDING_KEYS[1]  # the pretrained words outside the training vocabulary: rows never trained
MAX_BYTES = 10_000_000  # 10 MB, what a package may carry
# A paragraph of no genre the model was trained on: the tests check its ranking against the manifest.
PARAGRAPH = (
    "Coral reefs in the Pacific are bleaching as ocean temperatures rise. Marine biologists in Australia "
    "measured coral cover on the Great Barrier Reef for ten years and found that heat waves killed half of "
    "the shallow corals. Reef fish that feed on coral declined too, while algae spread over the dead reef."
)


class ShippedModelError(checkpoint.CheckpointError):
    """The shipped model is missing (a checkout without ``make general``) or not what its manifest records."""


def path() -> Path:
    """The shipped general model's file (``ShippedModelError`` when the package holds none)."""
    if not GENERAL.is_file():
        raise ShippedModelError(
            f"{GENERAL}: no shipped model in this installation (build it with `make general`, or give --ckpt_path)"
        )
    return GENERAL


def sha256(file: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """What ``general.json`` records of the shipped model."""
    return json.loads(path.read_text(encoding="utf-8"))


def settings(ckpt: dict[str, Any]) -> dict[str, Any]:
    """What the manifest records of a checkpoint's settings: the network's groups, the vocabulary, the ranker's."""
    meta = ckpt[checkpoint.CHECKPOINT_KEY]
    ranker = checkpoint.ranker_state(meta) or {"kind": "hand"}
    hparams = {k: v for k, v in (ckpt.get("hyper_parameters") or {}).items() if not k.startswith("_")}
    described = {k: ranker[k] for k in ("kind", "features", "threshold") if k in ranker}
    members = {"members": len(ranker["members"])} if "members" in ranker else {}
    common = {"common_words": len(ranker["common_words"])} if "common_words" in ranker else {}
    vocabulary = {"vocabulary": len(meta["vocabulary"]), "tokenizer": checkpoint.tokenizer_of(meta)}
    return {**hparams, **vocabulary, "lowercase": meta["lowercase"], "ranker": {**described, **members, **common}}


def pack(source: str | Path, target: str | Path, extra_words: int = EXTRA_WORDS) -> dict[str, Any]:
    """Write ``target``: ``source`` cut to what prediction reads (see the module docstring); its summary.

    The cut copy is validated (``checkpoint.validate``) before it is written, atomically.
    """
    from keyword_lightning.data.formats import atomic_write

    ckpt = checkpoint.read_checkpoint(source)
    meta = dict(ckpt[checkpoint.CHECKPOINT_KEY])
    trainable, fixed = checkpoint.embedding_rows(ckpt)
    kept = min(extra_words, fixed or 0)
    state = dict(ckpt["state_dict"])
    hparams = dict(ckpt.get("hyper_parameters") or {})
    if fixed is not None and kept:
        state[FIXED] = state[FIXED][:kept]
    elif fixed is not None:  # no pretrained word beyond training's: no fixed rows at all
        del state[FIXED]
        hparams["trainable_words"] = None
    state = {k: v.half() if v.is_floating_point() and k != FIXED else v for k, v in state.items()}
    if FIXED in state:
        state[FIXED + checkpoint.QUANTIZED[0]], state[FIXED + checkpoint.QUANTIZED[1]] = checkpoint.quantize(
            state.pop(FIXED)
        )
    meta["vocabulary"] = meta["vocabulary"][: trainable + kept]
    for key in ("torch_rng_state", "wandb_run_id"):  # for resuming a fit: nothing prediction reads
        meta.pop(key, None)
    packed = {"state_dict": state, "hyper_parameters": hparams, checkpoint.CHECKPOINT_KEY: meta}
    packed["pytorch-lightning_version"] = ckpt.get("pytorch-lightning_version", "2.5.0")
    checkpoint.validate(checkpoint.dequantize({**packed, "state_dict": dict(state)}))
    with atomic_write(target) as fh:
        torch.save(packed, fh)
    return {"vocabulary": len(meta["vocabulary"]), "extra_words": kept, "bytes": Path(target).stat().st_size}
