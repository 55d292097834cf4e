"""The model's settings in groups, and the one path from settings (or a checkpoint) to a network.

    model:
      network:   {hidden_size1: 128, cell: lstm, ...}          NetworkConfig (model/network.py)
      inputs:    [words, {document: {doc_features: true}}]      inputs/registry.py
      loss:      {alpha: 0.5}                                   LossConfig
      optimizer: {lr: 0.003, weight_decay: 0.0}                 OptimizerConfig (model/optimizer.py)
      decoding:  {decoder: viterbi, fusion_weight: 0.0, ranker: auto}  Decoding (tagging/decoding.py)

Checkpoints keep these as plain nested values (``ModelSettings.hparams``). Checkpoints of earlier
releases kept 23 flat keys (``hidden_size1``, ``char_dim``, ``lr``, ...); ``FLAT_KEYS`` says where
each went, ``from_hparams`` reads both, and a config that still uses a flat key fails with a line
naming the new one (``training.lightning_cli.OneLineErrors``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from keyword_lightning.inputs.registry import SettingsError, as_list, input_configs
from keyword_lightning.model import checkpoint
from keyword_lightning.model.network import DRNN, NetworkConfig
from keyword_lightning.model.optimizer import OptimizerConfig
from keyword_lightning.tagging.decoding import Decoding


@dataclass(frozen=True)
class LossConfig:
    """``model.loss``: loss = alpha * CE(head 1) + (1 - alpha) * head 2's loss (CE, or the CRF's)."""

    alpha: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")


# Where each flat key of earlier releases went: a group's field, or an input's setting.
# fmt: off
FLAT_KEYS = {
    **{key: f"network.{key}" for key in (
        "hidden_size1", "hidden_size2", "cell", "bidirectional", "dropout", "locked_dropout", "crf", "sequence_mode")},
    "embedding_dim": "inputs: words.dim", "context_window": "inputs: words.context_window",
    "freeze_embeddings": "inputs: words.freeze", "word_dropout": "inputs: words.word_dropout",
    "char_dim": "inputs: chars.dim", "char_channels": "inputs: chars.channels",
    "doc_features": "inputs: document.doc_features", "repeat_features": "inputs: document.repeat_features",
    "encoder": "inputs: transformer", "alpha": "loss.alpha", "lr": "optimizer.lr",
    "weight_decay": "optimizer.weight_decay", "decoder": "decoding.decoder", "fusion_weight": "decoding.fusion_weight",
    "vocab_size": "the checkpoint's embedding rows",
}
# fmt: on


def new_place(flat_key: str) -> str:
    """Where an earlier release's ``model.KEY`` is now, in words (``model.network.cell``, ...)."""
    where = FLAT_KEYS[flat_key]
    if where.startswith("inputs: "):
        name, _, setting = where[len("inputs: ") :].partition(".")
        return f"{setting} of {name} in model.inputs" if setting else f"the {name} entry of model.inputs"
    return where if " " in where else f"model.{where}"


def _group(kind: type, value: Any, name: str) -> Any:
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    if not isinstance(value, dict):
        raise SettingsError(f"model.{name} must be a mapping, got {value!r}")
    known = {f.name for f in fields(kind)}
    if set(value) - known:
        raise SettingsError(f"model.{name} has no setting {', '.join(sorted(set(value) - known))}")
    try:
        return kind(**value)
    except ValueError as err:
        raise SettingsError(f"model.{name}: {err}") from None


@dataclass(frozen=True)
class ModelSettings:
    """Every setting of ``JointRNN`` but the data's (vocabulary, casing, tokenizer, vectors)."""

    network: NetworkConfig = NetworkConfig()
    inputs: dict[str, Any] = field(default_factory=lambda: input_configs(None))  # name -> its Config
    loss: LossConfig = LossConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    decoding: Decoding = Decoding()

    @classmethod
    def of(
        cls, network: Any = None, inputs: Any = None, loss: Any = None, optimizer: Any = None, decoding: Any = None
    ) -> ModelSettings:
        """Settings from the groups as configs give them (mappings, dataclasses or None: defaults)."""
        return cls(
            _group(NetworkConfig, network, "network"),
            inputs if isinstance(inputs, dict) else input_configs(inputs),
            _group(LossConfig, loss, "loss"),
            _group(OptimizerConfig, optimizer, "optimizer"),
            _group(Decoding, decoding, "decoding"),
        )

    @classmethod
    def from_hparams(cls, hparams: dict[str, Any]) -> ModelSettings:
        """Settings from a checkpoint's hyperparameters, nested or (earlier releases) flat."""
        nested = unflatten(hparams) if set(hparams) & set(FLAT_KEYS) else hparams
        return cls.of(*(nested.get(name) for name in ("network", "inputs", "loss", "optimizer", "decoding")))

    def hparams(self) -> dict[str, Any]:
        """Plain nested values, as checkpoints keep them (``torch.load(weights_only=True)`` reads them)."""
        plain = {f.name: asdict(getattr(self, f.name)) for f in fields(self) if f.name != "inputs"}
        return {**plain, "inputs": as_list(self.inputs)}

    def with_word_dim(self, dim: int) -> ModelSettings:
        """These settings with word vectors of ``dim`` (pretrained vectors bring their own size)."""
        return replace(self, inputs={**self.inputs, "words": replace(self.inputs["words"], dim=dim)})


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """An earlier release's flat hyperparameters as nested settings (``FLAT_KEYS``); unknown keys are dropped."""
    group: dict[str, dict[str, Any]] = {g: {} for g in ("network", "loss", "optimizer", "decoding")}
    for key, where in FLAT_KEYS.items():
        name, _, setting = where.partition(".")
        if key in flat and name in group:
            group[name][setting] = flat[key]
    words = {
        "dim": flat.get("embedding_dim", 300),
        "context_window": flat.get("context_window", 1),
        "freeze": flat.get("freeze_embeddings", False),
        "word_dropout": flat.get("word_dropout", 0.0),
    }
    inputs: list[Any] = [{"words": words}]
    if flat.get("char_dim", 0) > 0:
        inputs.append({"chars": {"dim": flat["char_dim"], "channels": flat.get("char_channels", 50)}})
    if flat.get("doc_features") or flat.get("repeat_features"):
        inputs.append({"document": {k: bool(flat.get(k)) for k in ("doc_features", "repeat_features")}})
    if flat.get("encoder"):
        inputs.append({"transformer": dict(flat["encoder"])})
    return {**group, "inputs": inputs}


def build_network(
    settings: ModelSettings, vocab_size: int, trainable_words: int | None = None, transformer_files: dict | None = None
) -> DRNN:
    """The network of ``settings`` (random weights; a transformer pretrained or from ``transformer_files``)."""
    return DRNN(settings.network, settings.inputs, vocab_size, trainable_words, transformer_files)


def network_from_checkpoint(ckpt: dict[str, Any]) -> tuple[DRNN, ModelSettings]:
    """A read checkpoint's trained network and its settings (``checkpoint.read_checkpoint`` reads the file)."""
    settings = ModelSettings.from_hparams(dict(ckpt.get("hyper_parameters") or {}))
    trainable, fixed = checkpoint.embedding_rows(ckpt)
    meta = ckpt[checkpoint.CHECKPOINT_KEY]
    trainable_words = None if fixed is None else trainable
    net = build_network(settings, trainable + (fixed or 0), trainable_words, checkpoint.transformer_files(meta))
    prefix = "net."
    net.load_state_dict({k[len(prefix) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)})
    return net, settings
