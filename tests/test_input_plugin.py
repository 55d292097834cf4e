"""An input that this file alone adds (``PositionInput``) is read from a YAML config, built, trained and saved.

Inputs declare themselves (``inputs.base.Input``): a subclass with a ``name`` is known once its
module is imported; the registry knows none by name. This one gives each token its place in the
document (0 for the first, 1 for the last), scaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
import yaml

from keyword_lightning.data.batch import Batch
from keyword_lightning.inputs.base import BuildContext, Input
from keyword_lightning.inputs.registry import SettingsError, input_configs, known_inputs


@dataclass(frozen=True)
class PositionConfig:
    """``position`` in ``model.inputs``: how much a token's place in its document weighs."""

    scale: float = 1.0


class PositionInput(Input):
    """[B,T,1]: each token's place in its document, from 0 to ``scale``."""

    name = "position"
    Config = PositionConfig
    order = 25  # between chars and document
    build_order = 50  # after the inputs of earlier releases: their parameters draw the same random numbers

    def __init__(self, scale: float) -> None:
        super().__init__(1)
        self.scale = scale

    @classmethod
    def build(cls, config: PositionConfig, context: BuildContext) -> PositionInput:
        """A scale above 0."""
        if config.scale <= 0:
            raise ValueError("scale must be above 0")
        return cls(config.scale)

    def forward(self, batch: Batch) -> torch.Tensor:
        """[B,T,1] floats: t / (length - 1)."""
        steps = torch.arange(batch.words.shape[1], device=batch.words.device, dtype=torch.float32)
        last = (batch.lengths.to(steps.device).float() - 1).clamp(min=1)
        return (steps[None, :] / last[:, None]).clamp(max=1.0)[..., None] * self.scale


@pytest.fixture(autouse=True, scope="module")
def forget_the_plugin():
    """The other test modules of this session see the package's inputs only."""
    yield
    Input.known.pop("position", None)


def test_the_plugin_is_known_in_its_order_and_checked_like_the_others():
    assert list(known_inputs()) == ["words", "chars", "position", "document", "transformer"]
    configs = input_configs(["document", {"position": {"scale": 2.0}}, "words"])
    assert list(configs) == ["words", "position", "document"] and configs["position"] == PositionConfig(2.0)
    with pytest.raises(SettingsError, match="model.inputs: position has no setting weight"):
        input_configs(["words", {"position": {"weight": 1}}])
    with pytest.raises(TypeError, match="input name 'words' is taken"):
        type("Words", (Input,), {"name": "words", "__module__": __name__})


def test_a_yaml_config_trains_and_saves_a_model_that_reads_the_plugin(tiny_corpus, tmp_path, monkeypatch):
    import sys

    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.model.settings import network_from_checkpoint
    from keyword_lightning.training.lightning_cli import KeywordCLI

    config = tmp_path / "position.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "seed_everything": 0,
                "model": {
                    "network": {"hidden_size1": 8, "hidden_size2": 8, "dropout": 0.0},
                    "inputs": [{"words": {"dim": 8}}, {"position": {"scale": 2.0}}],
                },
                "data": {"dataset_file": str(tiny_corpus), "embedding_file": None, "batch_size": 4},
                "trainer": {
                    "max_epochs": 1,
                    "logger": False,
                    "enable_progress_bar": False,
                    "callbacks": [],
                    "enable_model_summary": False,
                    "default_root_dir": str(tmp_path),
                },
            }
        )
    )
    monkeypatch.setattr(sys, "argv", ["keyword-lightning"])
    cli = KeywordCLI(JointRNN, KeywordDataModule, args=["fit", "--config", str(config)], save_config_callback=None)
    net = cli.model.net
    assert net.order == ["words", "position"] and net.rnn1.forward_rnn.input_size == net.inputs["words"].width + 1
    assert net.inputs["position"].scale == 2.0
    path = tmp_path / "position.ckpt"
    cli.trainer.save_checkpoint(path)
    loaded, settings = network_from_checkpoint(torch.load(path, weights_only=True))
    assert list(settings.inputs) == ["words", "position"] and loaded.inputs["position"].scale == 2.0
