"""What each stage of ``JointRNN`` measures, one holder a stage: ``StageMetrics`` (train, validation), ``TestMetrics``.

A holder is an ``nn.Module``, so Lightning moves its metric objects with the model and syncs them
under DDP. Every stage has the mean of its losses (``LOSSES``) and its token metrics; validation
and test the phrase F1 of the decoded tags; a test also the keyphrase sets, the ranked
keyphrases (F1@k) and the confusion of head 2's tags.
"""

from __future__ import annotations

from torch import nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import MulticlassConfusionMatrix

from keyword_lightning.scoring.metrics import KeyphraseSetF1, PhraseF1, RankedKeyphraseF1
from keyword_lightning.scoring.token_metrics import loss_means, token_metrics
from keyword_lightning.tagging.schemes import IGNORE_INDEX, SBMEO

LOSSES = ("loss", "loss1", "loss2")  # alpha-weighted total, head 1, head 2


def train_losses() -> MetricCollection:
    """Training's loss means, logged once an epoch; exact under DDP, as ``loss_means`` are.

    Once an epoch: a ``self.log`` call costs milliseconds of Python, too much for every step of a
    short-step model.
    """
    return MetricCollection({key: MeanMetric(nan_strategy="disable") for key in LOSSES}, compute_groups=False)


class StageMetrics(nn.Module):
    """The metric objects of one stage (``train``, ``val``): ``losses``, ``tokens`` and, but in training, ``phrase``."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage
        self.losses = train_losses() if stage == "train" else loss_means(LOSSES)
        self.tokens = token_metrics(f"{stage}/")
        self.phrase = PhraseF1() if stage != "train" else None


class TestMetrics(StageMetrics):
    """A test's: the ``StageMetrics`` and ``sets``, ``ranked`` (F1@k) and head 2's ``confusion``."""

    def __init__(self) -> None:
        super().__init__("test")
        self.sets = KeyphraseSetF1()
        self.ranked = RankedKeyphraseF1()
        self.confusion = MulticlassConfusionMatrix(len(SBMEO), ignore_index=IGNORE_INDEX, normalize="true")
