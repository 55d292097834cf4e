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

from dataclasses import dataclass, fields

import torch
from torch import nn

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.features import DOC_FEATURES, REPEAT_FEATURES
from keyword_lightning.inputs import ORDER
from keyword_lightning.inputs.base import Input, SequenceDropout
from keyword_lightning.inputs.chars import CharsInput
from keyword_lightning.inputs.document import DocumentInput
from keyword_lightning.inputs.encoder import TransformerEncoder
from keyword_lightning.inputs.transformer import TransformerInput
from keyword_lightning.inputs.words import WordsInput
from keyword_lightning.model.rnn import CELLS, MaskedRNN, resolve_mode
from keyword_lightning.tagging.crf import TagCRF
from keyword_lightning.tagging.schemes import KEYWORD_LABELS, SBMEO


@dataclass(frozen=True)
class NetworkConfig:
    """Every setting of the network, with its default, in one place (``JointRNN`` documents each).

    ``embedding_dim: 0`` drops the word embedding (for a network that reads only a transformer).
    """

    vocab_size: int = 2
    embedding_dim: int = 300
    hidden_size1: int = 300
    hidden_size2: int = 300
    cell: str = "lstm"
    bidirectional: bool = True
    dropout: float = 0.5
    locked_dropout: bool = False
    context_window: int = 1
    char_dim: int = 0
    char_channels: int = 50
    doc_features: bool = False
    repeat_features: bool = False
    crf: bool = False
    trainable_words: int | None = None

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.context_window < 1 or self.context_window % 2 == 0:
            raise ValueError(f"context_window must be odd and positive, got {self.context_window}")

    @classmethod
    def from_hparams(cls, hparams: dict) -> NetworkConfig:
        """The network's part of a ``JointRNN``'s hyperparameters (e.g. a checkpoint's)."""
        return cls(**{f.name: hparams[f.name] for f in fields(cls) if f.name in hparams})

    @property
    def token_dim(self) -> int:
        """Size of what RNN layer 1 reads per token, a transformer's vectors not counted."""
        chars = self.char_channels if self.char_dim > 0 else 0
        features = DOC_FEATURES * self.doc_features + REPEAT_FEATURES * self.repeat_features
        return self.embedding_dim * self.context_window + chars + features


# Parameter names of networks before ``inputs/`` (checkpoints keep loading): old prefix -> new prefix.
OLD_KEYS = {
    "embedding.": "inputs.words.embedding.",
    "fixed_embedding": "inputs.words.fixed_embedding",
    "char_cnn.": "inputs.chars.cnn.",
    "encoder.": "inputs.transformer.encoder.",
}


def build_inputs(config: NetworkConfig, encoder: TransformerEncoder | None, dropout: nn.Module) -> dict[str, Input]:
    """The inputs that ``config`` turns on, by name (``inputs.ORDER`` is their order in the token vector).

    Built in the order that keeps the random initialisation and the parameter order of earlier
    releases: a given encoder first, then the word embedding, then the char CNN.
    """
    built: dict[str, Input] = {}
    if encoder is not None:
        built["transformer"] = TransformerInput(encoder, dropout)
    built["words"] = WordsInput(
        config.vocab_size, config.embedding_dim, config.context_window, config.trainable_words, dropout
    )
    if config.char_dim > 0:
        built["chars"] = CharsInput(config.char_dim, config.char_channels, dropout)
    if config.doc_features or config.repeat_features:
        built["document"] = DocumentInput(config.doc_features, config.repeat_features)
    return built


class DRNN(nn.Module):
    """The joint-layer network; see the module docstring for shapes. Called as ``net(batch)``."""

    def __init__(self, config: NetworkConfig, encoder: TransformerEncoder | None = None) -> None:
        super().__init__()
        self.config = config
        self.sequence_mode = "auto"  # how the RNN layers run over padded batches (``model/rnn.py``); set by the owner
        self.dropout = SequenceDropout(config.dropout, config.locked_dropout)
        self.inputs = nn.ModuleDict(build_inputs(config, encoder, self.dropout))
        self.order = [name for name in ORDER if name in self.inputs]
        directions = 2 if config.bidirectional else 1
        token_dim = sum(source.width for source in self.inputs.values())
        self.rnn1 = MaskedRNN(config.cell, token_dim, config.hidden_size1, config.bidirectional)
        self.head1 = nn.Linear(directions * config.hidden_size1, len(KEYWORD_LABELS))
        self.rnn2 = MaskedRNN(config.cell, directions * config.hidden_size1, config.hidden_size2, config.bidirectional)
        self.head2 = nn.Linear(directions * config.hidden_size2, len(SBMEO))
        self.crf = TagCRF() if config.crf else None  # head 2's transition scores (``tagging/crf.py``)
        self._register_load_state_dict_pre_hook(_rename_old_keys)

    @property
    def words(self) -> WordsInput:
        """The word input (embedding rows, GloVe vectors, the fixed rows)."""
        return self.inputs["words"]

    @property
    def encoder(self) -> TransformerEncoder | None:
        """The transformer input's encoder, if the network reads one."""
        return self.inputs["transformer"].encoder if "transformer" in self.inputs else None

    @property
    def vocab_size(self) -> int:
        """Embedding rows, trainable and fixed."""
        return self.words.vocab_size

    def features(self, batch: Batch) -> torch.Tensor:
        """What RNN layer 1 reads: the inputs' vectors, concatenated in ``inputs.ORDER`` [B,T,D]."""
        parts = [self.inputs[name](batch) for name in self.order]
        return torch.cat([parts[0], *(p.to(parts[0].dtype) for p in parts[1:])], dim=-1)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Return head-1 logits [B,T,2] and head-2 logits [B,T,5]; values at pads are meaningless."""
        mode = resolve_mode(self.sequence_mode, batch.words.is_cuda)
        x = self.features(batch)
        h1 = self.rnn1(x, batch.lengths, mode)
        h2 = self.rnn2(self.dropout(h1), batch.lengths, mode)
        return self.head1(self.dropout(h1)), self.head2(self.dropout(h2))


def _rename_old_keys(state: dict, prefix: str, *args: object) -> None:
    """Load a state dict saved before ``inputs/`` (``OLD_KEYS``) into this network."""
    for key in [k for k in state if k.startswith(prefix)]:
        rest = key[len(prefix) :]
        for old, new in OLD_KEYS.items():
            if rest.startswith(old) and (old.endswith(".") or rest == old):
                state[prefix + new + rest[len(old) :]] = state.pop(key)
                break
