"""Per-token metrics and loss means as torchmetrics (sum states, so exact under DDP): what every stage logs."""

from __future__ import annotations

import torch
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import BinaryF1Score


class MaskedAccuracy(Metric):
    """Token accuracy over the real tokens of padded batches, without a host sync per update.

    Inputs to ``update``:
        preds: int ``[B, T]`` predicted class ids.
        target: int ``[B, T]`` gold class ids.
        mask: bool ``[B, T]``, True at real tokens.

    ``compute`` returns ``sum(mask & (preds == target)) / sum(mask)`` (0 without real tokens).
    torchmetrics' own accuracy drops ignored tokens by boolean indexing, which makes every
    update wait for the GPU; here both counts stay on the device until ``compute``.
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("correct", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("total", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> None:
        """Count the correct and the real tokens of a batch."""
        self.correct = self.correct + ((preds == target) & mask).sum()
        self.total = self.total + mask.sum()

    def compute(self) -> torch.Tensor:
        """Accuracy as a float64 scalar."""
        return self.correct.double() / self.total if self.total > 0 else torch.zeros((), dtype=torch.float64)


def token_metrics(prefix: str) -> MetricCollection:
    """Per-token metrics of both heads: ``keyword_acc``, ``keyword_f1`` (head 1), ``position_acc`` (head 2).

    Written so that an update never waits for the GPU: no boolean indexing, no input checks.
    ``keyword_f1`` is fed predictions and labels multiplied by the real-token mask, so pads count
    as true negatives, which F1 does not count.
    """
    return MetricCollection(
        {
            "keyword_acc": MaskedAccuracy(),
            "keyword_f1": BinaryF1Score(validate_args=False),
            "position_acc": MaskedAccuracy(),
        },
        prefix=prefix,
        compute_groups=False,
    )


class LossMean(Metric):
    """A loss averaged over an epoch's documents: ``update(loss, documents)`` with a batch's mean loss.

    Sum states (the loss times the batch's documents, and the documents), summed across DDP ranks:
    exact for any split of the documents. (Lightning 2.6's ``self.log(..., sync_dist=True,
    batch_size=n)`` averages its integer document count across ranks and floors it, 17 documents on
    2 ranks counting as 16: Lightning issue 21859.) No NaN check, which would wait for the GPU.
    Updates are out of place: states reset under ``inference_mode`` (a ``validate`` before ``fit``)
    are inference tensors, which an in-place add outside it refuses.
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("documents", torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, loss: torch.Tensor, documents: int) -> None:
        """Add one batch: its mean ``loss`` over ``documents`` documents."""
        self.total = self.total + loss.detach().float() * documents
        self.documents = self.documents + documents

    def compute(self) -> torch.Tensor:
        """The mean loss per document (NaN with no documents)."""
        return self.total / self.documents


def loss_means(names: tuple[str, ...]) -> MetricCollection:
    """A ``LossMean`` for each loss in ``names`` (validation and test: means over documents)."""
    return MetricCollection({key: LossMean() for key in names}, compute_groups=False)
