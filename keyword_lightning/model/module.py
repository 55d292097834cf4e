"""JointRNN: the LightningModule around ``DRNN`` (the seed's model, loss, optimizer and loop).

loss = alpha * CE(head 1) + (1 - alpha) * CE(head 2) (or head 2's CRF loss), padding ignored.
One ``model_step`` serves train, validation and test; each stage has its own holder of metric
objects (``stage_metrics.py``). The vocabulary travels inside every checkpoint (``checkpoint.py``),
so prediction needs nothing else; so does the ranker chosen on the validation documents
(``ranker.py``). The side jobs of a run (the random state and the wandb run kept for a
resume, telling the data module how to read) are callbacks the model brings along (``hooks.py``).
"""

from __future__ import annotations

import math
import os
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.embeddings import load_embeddings
from keyword_lightning.data.encoding import Reading
from keyword_lightning.data.vocabulary import SPECIALS
from keyword_lightning.model import checkpoint
from keyword_lightning.model.hooks import DataReading, RandomState, WandbRunId
from keyword_lightning.model.network import NetworkConfig
from keyword_lightning.model.optimizer import OptimizerConfig, adam
from keyword_lightning.model.ranker import RankerChoice, rarity_idf
from keyword_lightning.model.settings import FLAT_KEYS, LossConfig, ModelSettings, build_network
from keyword_lightning.model.stage_metrics import StageMetrics, TestMetrics
from keyword_lightning.scoring.rankers import of_tagged_phrases, ranker_of
from keyword_lightning.tagging.crf import head2_loss
from keyword_lightning.tagging.decoding import Decoding, decode, tag_batch, tag_probabilities, tag_scores
from keyword_lightning.tagging.schemes import IGNORE_INDEX

DEFAULTS = ModelSettings()  # every group's defaults, stated once


class JointRNN(L.LightningModule):
    """Two-head keyphrase tagger: ``net`` (``DRNN``), the alpha loss, per-stage metrics, Adam.

    ``net`` is the network module, built from the settings (``network`` is its settings group,
    ``model.network`` in a config); its parameters are a checkpoint's ``net.*`` weights.

    Args:
        network: the RNN layers and heads (``model/network.py``'s ``NetworkConfig``).
        inputs: what the network reads, a list of inputs and their settings (``inputs/registry.py``);
            None: ``[words]``.
        loss: ``alpha``, the weight of head 1 in the loss (``model/settings.py``'s ``LossConfig``).
        optimizer: Adam's ``lr`` and ``weight_decay`` (``model/optimizer.py``).
        decoding: ``decoder``, ``fusion_weight`` and ``ranker`` (``tagging/decoding.py``); set at test
            or predict time without retraining.
        vocabulary: embedding rows' words (linked from the data; restored from checkpoints).
        lowercase: how tokens are normalised before lookup (linked from the data; kept with the vocabulary).
        tokenizer: how raw text is split (``text.TOKENIZERS``; linked from the data, kept like ``lowercase``).
        embedding_file: ``embedding.pkl`` with pretrained vectors (linked from the data).
        trainable_words: leading vocabulary rows seen in training (linked from the data); the
            others stay fixed outside the optimizer (``inputs/words.py``). None: all train.
        transformer_files: a transformer's config and tokenizer as text, from a checkpoint (set by the CLI).

    """

    def __init__(
        self,
        network: NetworkConfig = DEFAULTS.network,
        inputs: list[str | dict[str, Any]] | None = None,
        loss: LossConfig = DEFAULTS.loss,
        optimizer: OptimizerConfig = DEFAULTS.optimizer,
        decoding: Decoding = DEFAULTS.decoding,
        vocabulary: list[str] | None = None,
        lowercase: bool = True,
        tokenizer: str = "ptb",
        embedding_file: str | None = None,
        trainable_words: int | None = None,
        transformer_files: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(
            ignore=["vocabulary", "lowercase", "tokenizer", "embedding_file", "transformer_files"]
        )
        settings = ModelSettings.of(network, inputs, loss, optimizer, decoding)
        pretrained = load_embeddings(embedding_file) if embedding_file and vocabulary is not None else None
        if pretrained is not None:
            settings = settings.with_word_dim(pretrained.dim)
        self.settings = settings
        self.hparams.update(settings.hparams())  # plain nested values: checkpoints load with weights_only
        self.vocabulary, self.lowercase, self.tokenizer = vocabulary, lowercase, tokenizer
        # Without a vocabulary (a checkpoint's test or predict), the rows come with the checkpoint.
        rows = len(vocabulary) if vocabulary is not None else len(SPECIALS)
        self.net = build_network(settings, rows, trainable_words, transformer_files)
        if pretrained is not None:
            self.net.words.load_vectors(vocabulary, pretrained.words, pretrained.vectors)

        self.train_metrics, self.val_metrics = StageMetrics("train"), StageMetrics("val")
        self.test_metrics = TestMetrics()
        self.test_confusion_matrix: list[list[float]] | None = None  # set after each test, for plots
        self.ranker_choice = RankerChoice()  # the ranker, chosen on validation (ranker.py)

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: Any, *args: Any, **kwargs: Any) -> JointRNN:  # type: ignore[override]
        """Lightning's, with an earlier release's flat hyperparameters given as the settings they describe.

        Lightning drops the names ``__init__`` does not take: flat ones would build the default network.
        """
        hparams = checkpoint.stored_hparams(checkpoint_path) if isinstance(checkpoint_path, str | os.PathLike) else {}
        if set(hparams) & set(FLAT_KEYS):
            kwargs = {**ModelSettings.from_hparams(hparams).hparams(), **kwargs}
        return super().load_from_checkpoint(checkpoint_path, *args, **kwargs)

    def configure_callbacks(self) -> list[L.Callback]:
        """The side jobs this model brings to every run (``hooks.py``)."""
        return [RandomState(), WandbRunId(), DataReading()]

    @property
    def decoding(self) -> Decoding:
        """The decoding settings of this model (``decoder``, ``fusion_weight``, ``ranker``)."""
        return self.settings.decoding

    @property
    def ranker(self) -> Any:
        """What ranks a document's phrases: the chosen ranker, or the hand rule with ``decoding.ranker: hand``."""
        return ranker_of(self.decoding.ranker, self.ranker_choice.ranker)

    # ------------------------------------------------------------------ forward and loss

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Head-1 logits [B,T,2] and head-2 logits [B,T,5]."""
        return self.net(batch)

    def model_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Losses and logits of one batch (shared by train, validation and test)."""
        logits1, logits2 = self(batch)
        loss1 = F.cross_entropy(logits1.flatten(0, 1), batch.labels1.flatten(), ignore_index=IGNORE_INDEX)
        loss2 = head2_loss(logits2, batch.labels2, batch.lengths, self.net.crf)
        alpha = self.settings.loss.alpha
        loss = alpha * loss1 + (1 - alpha) * loss2
        return {"loss": loss, "loss1": loss1, "loss2": loss2, "logits1": logits1, "logits2": logits2}

    def _update_token_metrics(self, metrics: MetricCollection, out: dict[str, torch.Tensor], batch: Batch) -> None:
        mask = batch.labels1 != IGNORE_INDEX  # [B,T] real tokens
        predicted1 = out["logits1"].argmax(-1)
        metrics["keyword_acc"].update(predicted1, batch.labels1, mask)
        metrics["keyword_f1"].update(predicted1 * mask, batch.labels1 * mask)
        metrics["position_acc"].update(out["logits2"].argmax(-1), batch.labels2, mask)

    # ------------------------------------------------------------------ stages

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """One optimisation step."""
        out = self.model_step(batch)
        for key, metric in self.train_metrics.losses.items():
            metric.update(out[key].detach())
        self._update_token_metrics(self.train_metrics.tokens, out, batch)
        trainer = self._trainer
        if trainer is not None and (self.global_step + 1) % max(1, trainer.log_every_n_steps) == 0:
            self.log("train/loss_step", out["loss"], on_step=True, on_epoch=False)  # the step curve
        return out["loss"]

    def on_train_epoch_end(self) -> None:
        """Log the epoch's ``train/loss_epoch``, ``train/loss1``, ``train/loss2`` and token metrics."""
        metrics = self.train_metrics
        names = {"loss": "train/loss_epoch", "loss1": "train/loss1", "loss2": "train/loss2"}
        self.log_dict({names[k]: v for k, v in metrics.losses.compute().items()})
        self.log_dict(metrics.tokens.compute())
        metrics.losses.reset()
        metrics.tokens.reset()

    def _eval_step(self, metrics: StageMetrics, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model_step(batch)
        size = batch.words.shape[0]
        for key, mean in metrics.losses.items():
            mean.update(out[key], size)  # the mean over documents
            self.log(f"{metrics.stage}/{key}", mean, on_step=False, on_epoch=True)
        self._update_token_metrics(metrics.tokens, out, batch)
        self.log_dict(metrics.tokens, on_step=False, on_epoch=True, batch_size=size)
        scores = tag_scores(out["logits1"], out["logits2"], self.decoding.fusion_weight)
        tags = decode(scores, batch.lengths, self.decoding.decoder, self.net.crf)
        metrics.phrase.update(tags, batch.labels2)
        return tags, scores

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Losses, token metrics and phrase metrics on validation data; the documents a ranker is fitted on."""
        tags, scores = self._eval_step(self.val_metrics, batch)
        if self._choosing_ranker():
            corpora = getattr(self._trainer.datamodule, "item_corpora", None)  # each document's corpus
            groups = corpora("val")[batch.index.cpu().numpy()].tolist() if corpora is not None else None
            probs = tag_probabilities(scores, tags)
            self.ranker_choice.collect(tags, probs, batch.labels2, batch.stems, batch.lengths, groups)

    def _choosing_ranker(self) -> bool:  # collected with every ranker setting: val/macro_f1@10 reads the documents
        return self._trainer is not None and not self._trainer.sanity_checking

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        """Losses, token metrics and phrase metrics on test data."""
        metrics = self.test_metrics
        tags, scores = self._eval_step(metrics, batch)
        metrics.sets.update(tags, batch.labels2, batch.types)
        probs = tag_probabilities(scores, tags)  # [B,T], as predict_step scores phrases
        ranker = of_tagged_phrases(self.ranker)  # a candidate ranker reads raw text, which batches do not carry
        idf = rarity_idf(ranker, batch.words, self.vocabulary)
        metrics.ranked.update(tags, probs, batch.labels2, batch.types, batch.stems, ranker, idf)
        metrics.confusion.update(tags, batch.labels2)

    def _log_phrase(self, metrics: StageMetrics) -> None:
        for key, value in metrics.phrase.compute().items():
            self.log(f"{metrics.stage}/phrase_{key}", value)
        metrics.phrase.reset()

    def on_validation_epoch_end(self) -> None:
        """Log ``val/phrase_*``; choose the ranker; log ``val/ranker_f1@10_hand``, ``_learned`` and ``val/macro_f1@10``.

        ``val/macro_f1@10``: the mean over the validation corpora of each one's F1@10 (the hand
        rule's), what a recipe of several corpora chooses its checkpoint by (``configs/general.yaml``).
        """
        self._log_phrase(self.val_metrics)
        if self._choosing_ranker():
            fit = self.decoding.ranker != "hand"  # hand: no ranker fitted, the macro still logged
            figures = self.ranker_choice.choose(self._trainer.world_size, self.lowercase, fit)
            logged = {"hand": "ranker_f1@10_hand", "learned": "ranker_f1@10_learned", "macro_f1@10": "macro_f1@10"}
            for name, key in logged.items():
                if not math.isnan(figures.get(name, math.nan)):  # none when the tagger marked nothing to fit on
                    self.log(f"val/{key}", float(figures[name]), sync_dist=True)  # equal on every rank

    def on_test_epoch_end(self) -> None:
        """Log ``test/phrase_*``, ``test/set_*`` and the ranked ``test/f1@{5,10,M}`` (and ``_stem``)."""
        metrics = self.test_metrics
        self._log_phrase(metrics)
        for key, value in metrics.sets.compute().items():
            self.log(f"test/set_{key}", value)
        metrics.sets.reset()
        for key, value in metrics.ranked.compute().items():
            self.log(f"test/{key}", value)
        metrics.ranked.reset()
        self.test_confusion_matrix = metrics.confusion.compute().nan_to_num(0.0).tolist()
        metrics.confusion.reset()

    def predict_step(self, batch: Batch, batch_idx: int) -> dict[str, Any]:
        """Decoded tags and each token's probability of its tag, per item (``decoding.tag_batch``)."""
        return tag_batch(*self(batch), batch.lengths, batch.index, self.decoding, self.net.crf)

    def configure_optimizers(self) -> Any:
        """Adam (the seed's optimizer); a fine-tuned encoder gets its own group (``model/optimizer.py``)."""
        settings = self.settings.optimizer
        return adam(self.parameters(), self.net.transformer, settings.lr, settings.weight_decay)

    # ------------------------------------------------------------------ checkpoints

    def reading(self) -> Reading:
        """How data must be encoded for this model now (after a checkpoint's restore: the checkpoint's)."""
        return Reading(self.vocabulary, self.lowercase, self.tokenizer, tuple(self.net.inputs.values()))

    def on_save_checkpoint(self, ckpt: dict[str, Any]) -> None:
        """Store the vocabulary, the label maps and the ranker beside the weights (and what ``hooks.py`` keeps)."""
        kept = ckpt.get(checkpoint.CHECKPOINT_KEY) or {}  # the random state and the wandb run id (hooks.py)
        ckpt[checkpoint.CHECKPOINT_KEY] = checkpoint.metadata(
            self.vocabulary or [],
            self.lowercase,
            self.tokenizer,
            **kept,
            # The encoder's config and tokenizer (its weights are in the state dict): the file alone predicts.
            **({"transformer_files": self.net.transformer.files()} if self.net.transformer is not None else {}),
            ranker=self.ranker_choice.state(),  # the ranker chosen on validation
        )

    def on_load_checkpoint(self, ckpt: dict[str, Any]) -> None:
        """Validate and restore the vocabulary; resize the embedding if the data's differed."""
        meta = checkpoint.validate(checkpoint.dequantize(ckpt))  # a packed checkpoint's int8 rows, as floats
        trainable, fixed = checkpoint.embedding_rows(ckpt)
        self.net.words.resize_embedding(trainable, fixed)  # if built for another vocabulary (e.g. the data's)
        self.hparams.trainable_words = None if fixed is None else trainable
        self.vocabulary, self.lowercase = meta["vocabulary"], meta["lowercase"]
        self.tokenizer = checkpoint.tokenizer_of(meta)
        self.ranker_choice.load(checkpoint.ranker_state(meta))
