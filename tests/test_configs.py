"""Every YAML in configs/ resolves through the CLI (`--print_config`), as a user would pass it."""

from __future__ import annotations

import sys

import pytest
import yaml

from tests.conftest import ROOT

CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))
RECIPE = ROOT / "configs" / "inspec.yaml"


def _kind(path) -> str:
    rel = path.relative_to(ROOT / "configs")
    if rel.parts[0] == "shared":
        return "trainer group"  # `trainer: shared/trainer.yaml` in a recipe, or --trainer FILE
    if rel.parts[0] == "trainer":
        return "preset"  # added after a recipe: --config RECIPE --config FILE
    if "program" in yaml.safe_load(path.read_text()):
        return "sweep"  # a wandb sweep file, not a CLI config (tests/test_experience.py runs it)
    return "recipe"


def resolve(args: list[str], capsys, monkeypatch) -> dict:
    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.cli import KeywordCLI

    monkeypatch.setattr(sys, "argv", ["keyword-lightning"])  # pytest's own flags are not the CLI's
    with pytest.raises(SystemExit) as done:
        KeywordCLI(JointRNN, KeywordDataModule, args=["fit", *args, "--print_config"])
    assert done.value.code in (0, None)
    return yaml.safe_load(capsys.readouterr().out)


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(ROOT)) for p in CONFIGS])
def test_every_config_resolves(path, capsys, monkeypatch):
    kind = _kind(path)
    if kind == "sweep":
        assert {"program", "parameters", "metric"} <= set(yaml.safe_load(path.read_text()))
        return
    args = {
        "recipe": ["--config", str(path)],
        "preset": ["--config", str(RECIPE), "--config", str(path)],
        "trainer group": ["--trainer", str(path)],
    }[kind]
    config = resolve(args, capsys, monkeypatch)
    own = yaml.safe_load(path.read_text())
    if kind == "trainer group":
        own = {"trainer": own}
    for section, values in own.items():
        if isinstance(values, dict):  # every key the file sets reaches the resolved config
            for key, value in values.items():
                if not isinstance(value, (list, dict)):
                    assert config[section][key] == value, (section, key)
    if kind != "trainer group":
        # Recipes build on the shared trainer: its loggers and callbacks are there.
        callbacks = [c["class_path"].rsplit(".", 1)[1] for c in config["trainer"]["callbacks"]]
        assert {"EarlyStopping", "ModelCheckpoint", "PredictionWriter", "Plots"} <= set(callbacks)
        assert [lg["class_path"].rsplit(".", 1)[1] for lg in config["trainer"]["logger"]] == [
            "CSVLogger",
            "WandbLogger",
        ]


def test_recipes_hold_only_what_differs():
    recipes = [p for p in CONFIGS if _kind(p) == "recipe"]
    assert len(recipes) >= 2
    for path in recipes:
        assert yaml.safe_load(path.read_text())["trainer"] == "shared/trainer.yaml", path
