"""Document statistics of each token: its count and first occurrence, and (``repeats``) its bigrams' repeats.

Data side: ``data.features.document_features`` per whole document (``repeats`` asks the encoding for
the 3 repeat columns too), nothing cached. Model side: ``DocumentInput`` gives the chosen columns
of ``batch.features`` as they are (not dropped out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.features import DOC_FEATURES, REPEAT_FEATURES
from keyword_lightning.inputs.base import BuildContext, Input


@dataclass(frozen=True)
class DocumentConfig:
    """``document`` in ``model.inputs``: statistics of each token over its whole document.

    ``doc_features``: its count in the document and its first occurrence; ``repeat_features``: how
    its bigrams repeat (for Chinese characters).
    """

    doc_features: bool = True
    repeat_features: bool = False


class DocumentInput(Input):
    """Columns of ``batch.features``: the 2 document ones (``document``) and the 3 repeat ones (``repeats``)."""

    name = "document"
    Config = DocumentConfig
    order = 30
    build_order = 40

    def __init__(self, document: bool = True, repeats: bool = False) -> None:
        blocks = ([(0, DOC_FEATURES)] if document else []) + ([(DOC_FEATURES, REPEAT_FEATURES)] if repeats else [])
        super().__init__(sum(width for _, width in blocks))
        self.blocks, self.repeats = blocks, repeats

    @classmethod
    def build(cls, config: DocumentConfig, context: BuildContext) -> DocumentInput:
        """The columns that ``config`` turns on."""
        if not (config.doc_features or config.repeat_features):
            raise ValueError("the document input needs doc_features or repeat_features (or leave it out)")
        return cls(config.doc_features, config.repeat_features)

    def encoding(self) -> dict[str, Any]:
        """The repeat columns are computed only when asked for."""
        return {"repeats": True} if self.repeats else {}

    def forward(self, batch: Batch) -> torch.Tensor:
        """[B,T,width] float32 columns of ``batch.features``."""
        features = batch.features
        need = max(first + width for first, width in self.blocks)
        if features is None or features.shape[-1] < need:
            raise ValueError(f"this network needs {need} document features per token")
        return torch.cat([features[..., first : first + width] for first, width in self.blocks], dim=-1)
