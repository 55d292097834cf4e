"""JointRNN: the LightningModule around ``DRNN`` (the seed's model, loss, optimizer and loop).

loss = alpha * CE(head 1) + (1 - alpha) * CE(head 2) (or head 2's CRF loss), padding ignored.
One ``model_step`` serves train, validation and test; each stage has its own metric objects.
The vocabulary travels inside every checkpoint (``checkpoint.py``), so prediction needs nothing else;
so does the ranker chosen on the validation documents (``ranker.py``).
"""

from __future__ import annotations

import math
import os
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import WandbLogger
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import MulticlassConfusionMatrix

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.embeddings import load_embeddings
from keyword_lightning.data.encoding import Reading
from keyword_lightning.data.vocabulary import SPECIALS
from keyword_lightning.model import checkpoint
from keyword_lightning.model.network import NetworkConfig
from keyword_lightning.model.optimizer import OptimizerConfig, adam
from keyword_lightning.model.ranker import RankerChoice
from keyword_lightning.model.settings import FLAT_KEYS, LossConfig, ModelSettings, build_network
from keyword_lightning.scoring.metrics import KeyphraseSetF1, PhraseF1, RankedKeyphraseF1
from keyword_lightning.scoring.rankers import of_tagged_phrases, ranker_of
from keyword_lightning.scoring.token_metrics import loss_means, token_metrics
from keyword_lightning.tagging.crf import head2_loss
from keyword_lightning.tagging.decoding import Decoding, decode, tag_batch, tag_probabilities, tag_scores
from keyword_lightning.tagging.schemes import IGNORE_INDEX, SBMEO

LOSSES = ("loss", "loss1", "loss2")  # alpha-weighted total, head 1, head 2
DEFAULTS = ModelSettings()  # every group's defaults, stated once


class JointRNN(L.LightningModule):
    """Two-head keyphrase tagger: ``net`` (``DRNN``), the alpha loss, per-stage metrics, Adam.

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
        encoder_files: a transformer's config and tokenizer as text, from a checkpoint (set by the CLI).

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
        encoder_files: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["vocabulary", "lowercase", "tokenizer", "embedding_file", "encoder_files"])
        settings = ModelSettings.of(network, inputs, loss, optimizer, decoding)
        pretrained = load_embeddings(embedding_file) if embedding_file and vocabulary is not None else None
        if pretrained is not None:
            settings = settings.with_word_dim(pretrained.dim)
        self.settings = settings
        self.hparams.update(settings.hparams())  # plain nested values: checkpoints load with weights_only
        self.vocabulary, self.lowercase, self.tokenizer = vocabulary, lowercase, tokenizer
        # Without a vocabulary (a checkpoint's test or predict), the rows come with the checkpoint.
        rows = len(vocabulary) if vocabulary is not None else len(SPECIALS)
        self.net = build_network(settings, rows, trainable_words, encoder_files)
        if pretrained is not None:
            self.net.words.load_vectors(vocabulary, pretrained.words, pretrained.vectors)

        self.train_metrics = token_metrics("train/")
        # Losses as metrics: training's logged once an epoch (a `self.log` call costs milliseconds of
        # Python, too much for every step of a short-step model); all exact under DDP (`loss_means`).
        self.train_losses = MetricCollection(
            {key: MeanMetric(nan_strategy="disable") for key in LOSSES}, compute_groups=False
        )
        self.val_losses, self.test_losses = loss_means(LOSSES), loss_means(LOSSES)
        self.val_metrics = token_metrics("val/")
        self.test_metrics = token_metrics("test/")
        self.val_phrase = PhraseF1()
        self.test_phrase = PhraseF1()
        self.test_set = KeyphraseSetF1()
        self.test_ranked = RankedKeyphraseF1()
        self.test_confusion = MulticlassConfusionMatrix(len(SBMEO), ignore_index=IGNORE_INDEX, normalize="true")
        self.test_confusion_matrix: list[list[float]] | None = None  # set after each test, for plots
        self.ranker_choice = RankerChoice()  # the ranker, chosen on validation (ranker.py)

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: Any, *args: Any, **kwargs: Any) -> JointRNN:  # type: ignore[override]
        """Lightning's, with an earlier release's flat hyperparameters given as the settings they describe.

        Lightning drops the names ``__init__`` does not take: flat ones would build the default network.
        """
        hparams: dict[str, Any] = {}
        if isinstance(checkpoint_path, str | os.PathLike):  # a file object would be read past its start
            try:  # a peek at the hyperparameters; whatever fails here, Lightning's own loading reports
                saved = torch.load(checkpoint_path, map_location="cpu", weights_only=True, mmap=True)
                hparams = dict(saved.get("hyper_parameters") or {})
            except Exception:
                pass
        if set(hparams) & set(FLAT_KEYS):
            kwargs = {**ModelSettings.from_hparams(hparams).hparams(), **kwargs}
        return super().load_from_checkpoint(checkpoint_path, *args, **kwargs)

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
        for key, metric in self.train_losses.items():
            metric.update(out[key].detach())
        self._update_token_metrics(self.train_metrics, out, batch)
        trainer = self._trainer
        if trainer is not None and (self.global_step + 1) % max(1, trainer.log_every_n_steps) == 0:
            self.log("train/loss_step", out["loss"], on_step=True, on_epoch=False)  # the step curve
        return out["loss"]

    def on_train_epoch_end(self) -> None:
        """Log the epoch's ``train/loss_epoch``, ``train/loss1``, ``train/loss2`` and token metrics."""
        losses = self.train_losses.compute()
        names = {"loss": "train/loss_epoch", "loss1": "train/loss1", "loss2": "train/loss2"}
        self.log_dict({names[k]: v for k, v in losses.items()})
        self.log_dict(self.train_metrics.compute())
        self.train_losses.reset()
        self.train_metrics.reset()

    def _eval_step(
        self, stage: str, batch: Batch, losses: MetricCollection, metrics: MetricCollection, phrase: PhraseF1
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model_step(batch)
        size = batch.words.shape[0]
        for key, mean in losses.items():
            mean.update(out[key], size)  # the mean over documents
            self.log(f"{stage}/{key}", mean, on_step=False, on_epoch=True)
        self._update_token_metrics(metrics, out, batch)
        self.log_dict(metrics, on_step=False, on_epoch=True, batch_size=size)
        scores = tag_scores(out["logits1"], out["logits2"], self.decoding.fusion_weight)
        tags = decode(scores, batch.lengths, self.decoding.decoder, self.net.crf)
        phrase.update(tags, batch.labels2)
        return tags, scores

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Losses, token metrics and phrase metrics on validation data; the documents a ranker is fitted on."""
        tags, scores = self._eval_step("val", batch, self.val_losses, self.val_metrics, self.val_phrase)
        if self._choosing_ranker():
            probs = tag_probabilities(scores, tags)
            vocabulary = self.vocabulary
            self.ranker_choice.collect(tags, probs, batch.labels2, batch.stems, batch.words, batch.lengths, vocabulary)

    def _choosing_ranker(self) -> bool:
        return self.decoding.ranker != "hand" and self._trainer is not None and not self._trainer.sanity_checking

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        """Losses, token metrics and phrase metrics on test data."""
        tags, scores = self._eval_step("test", batch, self.test_losses, self.test_metrics, self.test_phrase)
        self.test_set.update(tags, batch.labels2, batch.types)
        probs, ranker = tag_probabilities(scores, tags), of_tagged_phrases(self.ranker)  # see of_tagged_phrases
        idf = self.ranker_choice.token_idf(ranker, batch.words, self.vocabulary)
        self.test_ranked.update(tags, probs, batch.labels2, batch.types, batch.stems, ranker, idf)
        self.test_confusion.update(tags, batch.labels2)

    def _log_phrase(self, stage: str, phrase: PhraseF1) -> None:
        for key, value in phrase.compute().items():
            self.log(f"{stage}/phrase_{key}", value)
        phrase.reset()

    def on_validation_epoch_end(self) -> None:
        """Log ``val/phrase_*``; choose the ranker and log ``val/ranker_f1@10_hand`` and ``_learned``."""
        self._log_phrase("val", self.val_phrase)
        if self._choosing_ranker():
            figures = self.ranker_choice.choose(self._trainer.world_size, self.lowercase)
            for name in ("hand", "learned"):
                if not math.isnan(figures.get(name, math.nan)):  # none when the tagger marked nothing to fit on
                    self.log(f"val/ranker_f1@10_{name}", float(figures[name]), sync_dist=True)  # equal on every rank

    def on_test_epoch_end(self) -> None:
        """Log ``test/phrase_*``, ``test/set_*`` and the ranked ``test/f1@{5,10,M}`` (and ``_stem``)."""
        self._log_phrase("test", self.test_phrase)
        for key, value in self.test_set.compute().items():
            self.log(f"test/set_{key}", value)
        self.test_set.reset()
        for key, value in self.test_ranked.compute().items():
            self.log(f"test/{key}", value)
        self.test_ranked.reset()
        self.test_confusion_matrix = self.test_confusion.compute().nan_to_num(0.0).tolist()
        self.test_confusion.reset()

    def predict_step(self, batch: Batch, batch_idx: int) -> dict[str, Any]:
        """Decoded tags and each token's probability of its tag, per item (``decoding.tag_batch``)."""
        return tag_batch(*self(batch), batch.lengths, batch.index, self.decoding, self.net.crf)

    def configure_optimizers(self) -> Any:
        """Adam (the seed's optimizer); a fine-tuned encoder gets its own group (``model/optimizer.py``)."""
        settings = self.settings.optimizer
        return adam(self.parameters(), self.net.encoder, settings.lr, settings.weight_decay)

    # ------------------------------------------------------------------ checkpoints

    def setup(self, stage: str) -> None:
        """Hand the data module what it asks of the model (``reading``); on fit, take the data's tokenizer."""
        datamodule = getattr(self._trainer, "datamodule", None)
        if stage == "fit" and getattr(datamodule, "tokenizer", None):
            self.tokenizer = datamodule.tokenizer
        if hasattr(datamodule, "read_as"):
            datamodule.read_as(self.reading)

    def reading(self) -> Reading:
        """How data must be encoded for this model now (after a checkpoint's restore: the checkpoint's)."""
        return Reading(self.vocabulary, self.lowercase, self.tokenizer, tuple(self.net.inputs.values()))

    def on_train_start(self) -> None:
        """When fit resumes from a checkpoint, continue its random stream (exact resume on CPU)."""
        state = getattr(self, "_resume_rng_state", None)
        if isinstance(state, torch.Tensor) and state.dtype == torch.uint8:
            torch.set_rng_state(state.cpu())
        self._resume_rng_state = None

    def on_save_checkpoint(self, ckpt: dict[str, Any]) -> None:
        """Store the vocabulary, the label maps and the ranker beside the weights."""
        ckpt[checkpoint.CHECKPOINT_KEY] = checkpoint.metadata(
            self.vocabulary or [],
            self.lowercase,
            self.tokenizer,
            # Dropout draws from torch's global RNG: a resumed run continues the same stream.
            torch_rng_state=torch.get_rng_state(),
            # The CLI continues this wandb run when the checkpoint is resumed or tested.
            wandb_run_id=self._wandb_run_id(),
            # The encoder's config and tokenizer (its weights are in the state dict): the file alone predicts.
            **({"encoder_files": self.net.encoder.files()} if self.net.encoder is not None else {}),
            ranker=self.ranker_choice.state(),  # the ranker chosen on validation
        )

    def _wandb_run_id(self) -> str | None:
        loggers = self._trainer.loggers if self._trainer is not None else []
        started = [lg for lg in loggers if isinstance(lg, WandbLogger) and lg._experiment is not None]
        return str(started[0].version) if started else None

    def on_load_checkpoint(self, ckpt: dict[str, Any]) -> None:
        """Validate and restore the vocabulary; resize the embedding if the data's differed."""
        meta = checkpoint.validate(ckpt)
        trainable, fixed = checkpoint.embedding_rows(ckpt)
        self.net.words.resize_embedding(trainable, fixed)  # if built for another vocabulary (e.g. the data's)
        self.hparams.trainable_words = None if fixed is None else trainable
        self.vocabulary, self.lowercase = meta["vocabulary"], meta["lowercase"]
        self.tokenizer = checkpoint.tokenizer_of(meta)
        self.ranker_choice.load(checkpoint.ranker_state(meta))
        self._resume_rng_state = meta.get("torch_rng_state")
