"""Every YAML in configs/ resolves through the CLI (`--print_config`), as a user would pass it.

configs/experiments/ holds the benchmark recipes (benchmarks/accuracy.py, and benchmarks/csl.py in
csl/): each resolves on its own, and is its base config with the keys its header names as changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks.accuracy import settings
from tests.conftest import ROOT

CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))
EXPERIMENTS = ROOT / "configs" / "experiments"
SHARED_TRAINER = ROOT / "configs" / "shared" / "trainer.yaml"
RECIPE = ROOT / "configs" / "inspec.yaml"


def _kind(path) -> str:
    rel = path.relative_to(ROOT / "configs")
    if rel.parts[0] == "shared":
        return "trainer group"  # `trainer: shared/trainer.yaml` in a recipe, or --trainer FILE
    if rel.parts[0] == "trainer":
        return "preset"  # added after a recipe: --config RECIPE --config FILE
    if rel.parts[0] == "experiments":
        return "experiment"  # a benchmark recipe: a whole config, resolved on its own
    if "program" in yaml.safe_load(path.read_text()):
        return "sweep"  # a wandb sweep file, not a CLI config (tests/test_experience.py runs it)
    return "recipe"


def resolve(args: list[str], capsys, monkeypatch) -> dict:
    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.training.lightning_cli import KeywordCLI

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
        "experiment": ["--config", str(path)],
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
    for path in recipes:  # the shared trainer, or one of its variants (general.yaml: chosen on val/macro_f1@10)
        trainer = yaml.safe_load(path.read_text())["trainer"]
        assert trainer == "shared/trainer.yaml" or (path.name, trainer) == ("general.yaml", "shared/trainer-macro.yaml")
    for path in (p for p in CONFIGS if _kind(p) == "experiment"):  # a trainer of configs/shared/
        trainer = (path.parent / yaml.safe_load(path.read_text())["trainer"]).resolve()
        assert trainer.parent == SHARED_TRAINER.parent and trainer.is_file(), path


# ----------------------------------------------------------------------------- experiments


def declared(path: Path) -> tuple[Path, set[str]]:
    """The ``# base:`` config and the ``# changed:`` keys of an experiment's header."""
    text = path.read_text()
    base = re.search(r"^# base: (\S+)$", text, re.M)
    assert base, f"{path}: no '# base: configs/X.yaml' line"
    changed = re.search(r"^# changed: (.+)$", text, re.M)
    return ROOT / base.group(1), {k.strip() for k in changed.group(1).split(",")} if changed else set()


def experiments() -> list[Path]:
    return sorted(EXPERIMENTS.rglob("*.yaml"))


@pytest.mark.parametrize("path", experiments(), ids=lambda p: str(p.relative_to(EXPERIMENTS)))
def test_an_experiment_is_its_base_with_the_changes_it_declares(path):
    base, changed = declared(path)
    ours, theirs = settings(path), settings(base)
    differs = {key for key in ours.keys() | theirs.keys() if ours.get(key) != theirs.get(key)}
    assert differs == changed, f"{path.name} differs from {base.name} in {sorted(differs)}, declares {sorted(changed)}"


def test_trainer_variants_follow_the_shared_trainer():
    """configs/shared/trainer-*.yaml copy configs/shared/trainer.yaml: a change there must be made here too."""
    shared = yaml.safe_load(SHARED_TRAINER.read_text())
    presets = {}
    for name in ("csl", "general"):
        preset = yaml.safe_load((ROOT / "configs" / "trainer" / f"{name}.yaml").read_text())
        presets[name] = preset["trainer"]["callbacks"]
    variants = sorted(SHARED_TRAINER.parent.glob("trainer-*.yaml"))
    names = [p.name for p in variants]
    assert names == ["trainer-ema-0.95.yaml", "trainer-ema-0.98.yaml", "trainer-f1-stop.yaml", "trainer-macro.yaml"]
    for path in variants:
        variant = yaml.safe_load(path.read_text())
        assert {k: v for k, v in variant.items() if k != "callbacks"} == {
            k: v for k, v in shared.items() if k != "callbacks"
        }, path.name
        if "ema" in path.name:
            ema = {"class_path": "lightning.pytorch.callbacks.EMAWeightAveraging", "init_args": {"decay": 0.0}}
            ema["init_args"]["decay"] = float(path.stem.rsplit("-", 1)[1])
            assert variant["callbacks"] == [*shared["callbacks"], ema], path.name
        else:
            assert variant["callbacks"] == presets["csl" if "f1-stop" in path.name else "general"], path.name


def test_the_benchmarks_recipes_are_the_experiment_files():
    from benchmarks import accuracy, csl

    inspec = {p.stem for p in EXPERIMENTS.glob("*.yaml")}
    chinese = {p.stem for p in (EXPERIMENTS / "csl").glob("*.yaml")}
    assert {p.parent for p in experiments()} == {EXPERIMENTS, EXPERIMENTS / "csl"}
    assert set(accuracy.RECIPES) == inspec and set(csl.RECIPES) == chinese == set(csl.PREPARE_WITH)
    assert {"default", "seed", "minilm-frozen", "minilm-finetuned"} <= inspec
    named = {n for group in accuracy.GROUPS.values() for n in group} | {s for s, _ in accuracy.DECODE_ONLY.values()}
    assert named - set(accuracy.DECODE_ONLY) <= inspec
    assert {n for group in csl.GROUPS.values() for n in group} <= chinese | set(csl.BASELINES)
    assert accuracy.recipe_configs("chars+lr-plateau") == [EXPERIMENTS / "chars.yaml", EXPERIMENTS / "lr-plateau.yaml"]
