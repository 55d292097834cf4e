"""DRNN: the seed's two-head ("joint-layer") RNN as a plain ``nn.Module``, and its ``NetworkConfig``.

    batch -> the inputs' vectors, concatenated (``inputs/``: word embeddings in a context window,
             + char CNN, + document features, + a transformer's word vectors)      -> x [B,T,D]
    x  -> RNN layer 1 -> h1 [B,T,d*H1] -> head 1 -> [B,T,2]  "is this token part of a keyword?"
    h1 -> RNN layer 2 -> h2 [B,T,d*H2] -> head 2 -> [B,T,5]  S/B/M/E/O position tag
                                                    (+ a CRF's transition scores, ``tagging/crf.py``)
    (d = 2 when bidirectional)

Padding never changes a result (``model/rnn.py`` says how each ``sequence_mode`` keeps it so).
Dropout is either plain (a new mask per token) or locked (Gal & Ghahramani's variational
dropout: one mask per sequence, the same at every time step), on the embeddings, between the
layers and before the heads (``inputs/base.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from keyword_lightning.data.batch import Batch
from keyword_lightning.inputs.base import BuildContext, SequenceDropout
from keyword_lightning.inputs.encoder import TransformerEncoder
from keyword_lightning.inputs.registry import build_inputs, concatenation_order, input_configs
from keyword_lightning.inputs.words import WordsInput
from keyword_lightning.model.rnn import CELLS, SEQUENCE_MODES, MaskedRNN, resolve_mode
from keyword_lightning.tagging.crf import TagCRF
from keyword_lightning.tagging.schemes import KEYWORD_LABELS, SBMEO


@dataclass(frozen=True)
class NetworkConfig:
    """``model.network``: the RNN layers and the heads (what it reads is ``model.inputs``).

    Args:
        hidden_size1 / hidden_size2: RNN layer sizes (per direction).
        cell: ``rnn``, ``gru`` or ``lstm``.
        bidirectional: run each layer in both directions.
        dropout: dropout on the inputs, between the layers and before the heads.
        locked_dropout: one dropout mask per sequence for all time steps (variational dropout).
        crf: head 2 as a linear-chain CRF, trained and decoded by sequence (``tagging/crf.py``).
        sequence_mode: ``auto``, ``packed``, ``padded`` or ``segmented``: how the layers run over
            padded batches (``model/rnn.py``); it changes speed, not results, so the command line
            may set it for a trained checkpoint.

    """

    hidden_size1: int = 300
    hidden_size2: int = 300
    cell: str = "lstm"
    bidirectional: bool = True
    dropout: float = 0.5
    locked_dropout: bool = False
    crf: bool = False
    sequence_mode: str = "auto"

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.sequence_mode not in SEQUENCE_MODES:
            raise ValueError(f"sequence_mode must be one of {', '.join(SEQUENCE_MODES)}, got {self.sequence_mode!r}")


# Parameter names of earlier releases (their checkpoints keep loading): old prefix -> new prefix.
OLD_KEYS = {
    "head1.": "keyword_head.",
    "head2.": "position_head.",
    "embedding.": "inputs.words.embedding.",
    "fixed_embedding": "inputs.words.fixed_embedding",
    "char_cnn.": "inputs.chars.cnn.",
    "encoder.": "inputs.transformer.encoder.",
}


class DRNN(nn.Module):
    """The joint-layer network; see the module docstring for shapes. Called as ``net(batch)``."""

    def __init__(
        self,
        config: NetworkConfig,
        inputs: dict[str, Any] | list | None = None,
        vocab_size: int = 2,
        trainable_words: int | None = None,
        transformer_files: dict[str, str] | None = None,
    ) -> None:
        """``inputs``: ``model.inputs`` (``inputs.registry``); the rest is what the words and the encoder need."""
        super().__init__()
        self.config = config
        self.sequence_mode = config.sequence_mode  # the owner may change it: it changes speed, not results
        self.dropout = SequenceDropout(config.dropout, config.locked_dropout)
        configs = inputs if isinstance(inputs, dict) else input_configs(inputs)
        context = BuildContext(vocab_size, trainable_words, transformer_files, self.dropout)
        self.inputs = nn.ModuleDict(build_inputs(configs, context))
        self.order = concatenation_order(list(self.inputs))
        directions = 2 if config.bidirectional else 1
        token_dim = sum(source.width for source in self.inputs.values())
        self.rnn1 = MaskedRNN(config.cell, token_dim, config.hidden_size1, config.bidirectional)
        self.keyword_head = nn.Linear(directions * config.hidden_size1, len(KEYWORD_LABELS))  # head 1
        self.rnn2 = MaskedRNN(config.cell, directions * config.hidden_size1, config.hidden_size2, config.bidirectional)
        self.position_head = nn.Linear(directions * config.hidden_size2, len(SBMEO))  # head 2
        self.crf = TagCRF() if config.crf else None  # head 2's transition scores (``tagging/crf.py``)
        self._register_load_state_dict_pre_hook(_rename_old_keys)

    @property
    def words(self) -> WordsInput:
        """The word input (embedding rows, GloVe vectors, the fixed rows)."""
        return self.inputs["words"]

    @property
    def transformer(self) -> TransformerEncoder | None:
        """The transformer input's model (its ``encoder``), if the network reads one."""
        return self.inputs["transformer"].encoder if "transformer" in self.inputs else None

    @property
    def vocab_size(self) -> int:
        """Embedding rows, trainable and fixed."""
        return self.words.vocab_size

    def features(self, batch: Batch) -> torch.Tensor:
        """What RNN layer 1 reads: the inputs' vectors, concatenated in their ``order`` [B,T,D]."""
        parts = [self.inputs[name](batch) for name in self.order]
        return torch.cat([parts[0], *(p.to(parts[0].dtype) for p in parts[1:])], dim=-1)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Return head-1 logits [B,T,2] and head-2 logits [B,T,5]; values at pads are meaningless."""
        mode = resolve_mode(self.sequence_mode, batch.words.is_cuda)
        x = self.features(batch)
        h1 = self.rnn1(x, batch.lengths, mode)
        h2 = self.rnn2(self.dropout(h1), batch.lengths, mode)
        return self.keyword_head(self.dropout(h1)), self.position_head(self.dropout(h2))


def _rename_old_keys(state: dict, prefix: str, *args: object) -> None:
    """Load a state dict of an earlier release (``OLD_KEYS``) into this network."""
    for key in [k for k in state if k.startswith(prefix)]:
        rest = key[len(prefix) :]
        for old, new in OLD_KEYS.items():
            if rest.startswith(old) and (old.endswith(".") or rest == old):
                state[prefix + new + rest[len(old) :]] = state.pop(key)
                break
