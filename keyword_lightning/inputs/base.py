"""What an input is: a data side (what the encoding computes for it, what is cached) and a model side.

Like flair's ``TokenEmbeddings``: the network knows of an input only its ``width`` and that
``input(batch)`` gives [B,T,width]; it concatenates what its listed inputs give. The data side,
``encoding()`` and ``attach()``, is what the data module and the extractor ask of each input
(they never look inside the network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.encoding import Corpus


class SequenceDropout(nn.Module):
    """Dropout on [B,T,D] sequences; ``locked`` shares one [B,1,D] mask across all time steps."""

    def __init__(self, p: float, locked: bool) -> None:
        super().__init__()
        self.p, self.locked = p, locked

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` scaled by an inverted-dropout mask (identity in eval mode)."""
        if not self.training or self.p == 0.0:
            return x
        if not self.locked:
            return F.dropout(x, self.p, training=True)
        mask = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


@dataclass(frozen=True)
class BuildContext:
    """What building an input may need beyond its own settings: the data's and the network's part."""

    vocab_size: int  # embedding rows (the vocabulary's words)
    trainable_words: int | None = None  # leading rows that train (``words.py``); None: all
    transformer_files: dict[str, str] | None = None  # a checkpoint's transformer config and tokenizer, as text
    dropout: nn.Module | None = None  # the network's dropout, shared by the inputs that drop out


class Input(nn.Module):
    """One input of the network. Subclasses set ``name`` and ``width`` and define ``forward``.

    A subclass with a ``name`` declares itself (``Input.known``, on definition): its settings
    (``Config``, read by ``config``), where its vectors go (``order``), when it is built
    (``build_order``) and how (``build``). Adding an input is one module; ``registry.py`` knows
    none by name. Data side: ``encoding()`` gives ``data.encoding.encode_corpus`` the options this
    input needs (e.g. ``pieces``, ``repeats``); ``attach()`` gives an encoded split what is cached for
    it (a frozen encoder's vectors). Model side: ``forward(batch)`` -> [B,T,width].
    """

    name = ""  # its key under ``model.inputs``
    Config: type = object  # the settings of this input under ``model.inputs`` (a frozen dataclass)
    order = 0  # where its vectors go in the concatenation, lowest first
    build_order = 0  # when it is built, lowest first: parameters are made (and drawn at random) in this order
    required = ""  # why every model lists this input ("": it is optional); the required ones are the default
    own_errors: tuple[type[Exception], ...] = ()  # its errors that name what failed already: shown as they are
    cached = False  # whether attach() reads (or writes) a cache
    known: ClassVar[dict[str, type[Input]]] = {}  # every input with a name, by name

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            other = Input.known.get(cls.name)
            where = (cls.__module__, cls.__qualname__)
            if other is not None and (other.__module__, other.__qualname__) != where:  # not the same class again
                raise TypeError(f"input name {cls.name!r} is taken by {other.__module__}.{other.__qualname__}")
            Input.known[cls.name] = cls

    @classmethod
    def config(cls, values: dict[str, Any]) -> Any:
        """Its ``Config`` of the settings ``values`` (their keys already checked against its fields)."""
        return cls.Config(**values)

    @classmethod
    def build(cls, config: Any, context: BuildContext) -> Input:  # pragma: no cover - abstract
        """Build the input from its ``Config`` and the ``context``."""
        raise NotImplementedError

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def encoding(self) -> dict[str, Any]:
        """Options of ``encode_corpus``/``encode_documents`` that this input needs."""
        return {}

    def attach(self, corpus: Corpus, dataset_file: str, split: str, max_length: int | None) -> None:
        """Give an encoded split of a prepared dataset what is cached for this input (nothing by default)."""

    def forward(self, batch: Batch) -> torch.Tensor:  # pragma: no cover - abstract
        """The vectors [B,T,width] of ``batch``."""
        raise NotImplementedError


def encoding_options(inputs: list[Input] | tuple[Input, ...]) -> dict[str, Any]:
    """The ``encode_corpus`` options that ``inputs`` ask for, merged."""
    options: dict[str, Any] = {}
    for source in inputs:
        options.update(source.encoding())
    return options
