"""End to end on real Inspec: prepare, fit, test, predict, through the CLI and plain Lightning."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import pytest
import torch

from benchmarks.gold import read_conll_gold, read_records, spans_from_bio
from benchmarks.scoring import score_predictions, score_ranked
from keyword_lightning.runs import metric_rows
from tests.conftest import PREPARE, ROOT, run_cli

SMALL = [
    "--model.network.hidden_size1", "24", "--model.network.hidden_size2", "24",
    "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
]  # fmt: skip


def test_prepared_inspec_matches_the_data_readme(inspec_prepared):
    from keyword_lightning.data.formats import load_dataset

    ds = load_dataset(inspec_prepared / "data_set.pkl")
    sizes = {k: (len(v), len(v.tokens)) for k, v in ds.splits.items()}
    assert sizes == {"train": (1000, 141508), "val": (500, 66291), "test": (500, 67300)}
    b, i = (ds.splits["train"].tags == 1).sum(), (ds.splits["train"].tags == 2).sum()
    assert (b, i) == (9790, 11311)


def test_prepare_cli_from_jsonl(tmp_path):
    recs = [
        {
            "id": f"d{i}",
            "text": "We apply graph theory to neural networks.",
            "keyphrases": ["graph theory", "neural networks"],
        }
        for i in range(3)
    ]
    f = tmp_path / "c.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in recs))
    run_cli(["--format", "jsonl", "--train", f, "--out", "out"], tmp_path, module=PREPARE)
    from keyword_lightning.data.formats import load_dataset

    doc = load_dataset(tmp_path / "out" / "data_set.pkl").document("train", 2)
    assert doc.id == "d2" and doc.codes == [0, 0, 1, 2, 0, 1, 2, 0]


def test_prepare_cli_error_is_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tB-KEY\nb\tQ\n")
    proc = run_cli(["--train", bad, "--out", tmp_path / "o"], tmp_path, module=PREPARE, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"keyword-lightning-prepare: error: {bad}:2: unknown tag 'Q' (expected O, B-<type> or I-<type>)"
    ]
    assert not (tmp_path / "o" / "data_set.pkl").exists()


@pytest.mark.slow
def test_fit_fast_dev_run_in_process(inspec_prepared, tmp_path, monkeypatch):
    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.training.lightning_cli import CLI_OPTIONS, KeywordCLI

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["keyword-lightning"])  # pytest's own flags are not the CLI's
    dataset = str(inspec_prepared / "data_set.pkl")
    cli = KeywordCLI(JointRNN, KeywordDataModule, args=["fit", "--config", str(ROOT / "configs/inspec.yaml"),
                     "--data.dataset_file", dataset, "--trainer.fast_dev_run", "2", *SMALL], **CLI_OPTIONS)  # fmt: skip
    assert cli.trainer.state.finished and cli.trainer.global_step == 2
    assert cli.model.vocabulary == cli.datamodule.vocabulary and cli.model.settings.network.hidden_size1 == 24
    assert "document" in cli.model.net.inputs  # the recipe's input reached the network


class _History(L.Callback):
    def __init__(self):
        self.val_loss = []

    def on_validation_epoch_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self.val_loss.append(float(trainer.callback_metrics["val/loss"]))


def _plain_fit(dataset: Path, tmp: Path, epochs: int, lr: float = 1e-3):
    from keyword_lightning import JointRNN, KeywordDataModule

    L.seed_everything(7, workers=True)
    dm = KeywordDataModule(str(dataset), batch_size=32)
    network = {"hidden_size1": 32, "hidden_size2": 32}
    model = JointRNN(network, [{"words": {"dim": 32}}], optimizer={"lr": lr}, vocabulary=dm.vocabulary)
    history = _History()
    trainer = L.Trainer(
        max_epochs=epochs, limit_train_batches=12, limit_val_batches=4, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[history], default_root_dir=tmp,
        deterministic=True,
    )  # fmt: skip
    (before,) = trainer.validate(model, dm, verbose=False)
    history.val_loss.clear()
    history.val_loss.append(before["val/loss"])  # the untrained model's
    trainer.fit(model, dm)
    return trainer, model, dm, history


@pytest.mark.slow
def test_short_real_fit_lowers_val_loss_with_a_plain_trainer(inspec_prepared, tmp_path):
    trainer, model, dm, history = _plain_fit(inspec_prepared / "data_set.pkl", tmp_path, epochs=3, lr=1e-2)
    untrained, *epochs = history.val_loss
    assert epochs[-1] < epochs[0] < untrained * 0.8, history.val_loss
    (result,) = trainer.test(model, dm, verbose=False)
    assert {"test/loss", "test/phrase_f1", "test/phrase_precision", "test/phrase_recall", "test/keyword_f1"} <= set(
        result
    )


@pytest.mark.slow
def test_same_seed_gives_identical_metrics(inspec_prepared, tmp_path):
    a = _plain_fit(inspec_prepared / "data_set.pkl", tmp_path / "a", epochs=1)[3].val_loss
    b = _plain_fit(inspec_prepared / "data_set.pkl", tmp_path / "b", epochs=1)[3].val_loss
    assert a == b


@pytest.mark.slow
def test_cli_fit_test_predict_in_new_processes(inspec_prepared, inspec_dir, tmp_path):
    config = ["--config", ROOT / "configs/inspec.yaml", "--data.dataset_file", inspec_prepared / "data_set.pkl"]
    run_cli(["fit", *config, *SMALL, "--trainer.max_epochs", "2", "--trainer.limit_train_batches", "6"], tmp_path)
    # A second run in the same folder must not crash (its config goes to its own version folder).
    run_cli(["fit", *config, *SMALL, "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2"], tmp_path)
    ckpts = sorted((tmp_path / "runs").glob("version_*/checkpoints/last.ckpt"))
    assert len(ckpts) == 2
    proc = run_cli(["test", *config, *SMALL, "--ckpt_path", "best", "--trainer.logger", "true"], tmp_path)
    assert "version_1/checkpoints/best-" in proc.stderr  # newest fit run
    test_run = sorted((tmp_path / "runs").glob("version_*"))[-1]  # asked for a logger: a run folder
    logged = {k: v for k, v in metric_rows(test_run / "metrics.csv")[-1].items() if k.startswith("test/")}
    assert 0.0 <= logged["test/phrase_f1"] <= 1.0

    run_cli(["predict", *config, *SMALL, "--ckpt_path", "best", "--data.predict_split", "test"], tmp_path)
    pred_file = tmp_path / "predictions.jsonl"  # no logger, no run folder: the working directory
    records = [json.loads(line) for line in pred_file.read_text().splitlines()]
    gold = spans_from_bio(inspec_dir / "test.txt")  # independent of the package's readers
    assert len(records) == len(gold) == 500
    tp = n_pred = n_gold = 0
    for rec, g in zip(records, gold):
        p = {(k["start_token"], k["end_token"]) for k in rec["keyphrases"]}
        tp, n_pred, n_gold = tp + len(p & g), n_pred + len(p), n_gold + len(g)
        for k in rec["keyphrases"]:
            assert 0 < k["score"] <= 1
            assert k["text"] == " ".join(rec["tokens"][k["start_token"] : k["end_token"] + 1])
    f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
    assert f1 == pytest.approx(logged["test/phrase_f1"], abs=1e-6)
    # Document-level keyphrase sets (lowercased strings), micro and macro: the benchmark's scorer.
    scored = score_predictions(pred_file, gold)
    assert scored["set_f1"] == pytest.approx(logged["test/set_f1"], abs=1e-6)
    assert scored["set_macro_f1"] == pytest.approx(logged["test/set_macro_f1"], abs=1e-6)
    # Ranked F1@5 / @10 / @M, exact and Porter-stemmed: the comparison benchmark's scorer.
    _, gold_phrases = read_conll_gold(inspec_dir / "test.txt")
    ranked = score_ranked(read_records(pred_file), gold_phrases)
    for cut in ("5", "10", "M"):
        for suffix in ("", "_stem"):
            key = f"f1@{cut}{suffix}"
            assert ranked[key] == pytest.approx(logged[f"test/{key}"], abs=1e-6), key
    assert ranked["macro_f1@M_stem"] == pytest.approx(logged["test/macro_f1@M_stem"], abs=1e-6)

    # Raw text: char offsets slice back to each phrase; empty lines give empty documents.
    text = "Neural networks for keyphrase extraction (KE).\n\nA survey of graph theory and optimization methods."
    (tmp_path / "in.txt").write_text(text + "\n")
    out = tmp_path / "raw.jsonl"
    # No dataset at all: the checkpoint alone. The config's last callback is the PredictionWriter.
    run_cli(["predict", "--config", ROOT / "configs/inspec.yaml", "--data.dataset_file", "null", *SMALL,
             "--ckpt_path", "last", "--data.predict_file", "in.txt", "--trainer.callbacks.output_path", out],
            tmp_path)  # fmt: skip
    lines = text.split("\n")
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["0", "1", "2"] and recs[1]["tokens"] == [] and recs[1]["keyphrases"] == []
    for rec, line in zip(recs, lines):
        for k in rec["keyphrases"]:
            assert line[k["start_char"] : k["end_char"]] == k["text"]


@pytest.mark.slow
def test_checkpoint_alone_predicts_on_cpu(inspec_prepared, tmp_path):
    """A checkpoint carries its vocabulary: load it with nothing else and tag raw text."""
    trainer, model, dm, _ = _plain_fit(inspec_prepared / "data_set.pkl", tmp_path, epochs=1)
    path = tmp_path / "m.ckpt"
    trainer.save_checkpoint(path)
    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.training.callbacks import PredictionWriter

    loaded = JointRNN.load_from_checkpoint(path, map_location="cpu")
    assert loaded.vocabulary == dm.vocabulary
    (tmp_path / "in.txt").write_text("Fuzzy control of nonlinear systems.\n")
    writer = PredictionWriter(str(tmp_path / "p.jsonl"))
    pdm = KeywordDataModule(predict_file=str(tmp_path / "in.txt"))
    L.Trainer(logger=False, callbacks=[writer], enable_progress_bar=False).predict(
        loaded, pdm, return_predictions=False
    )
    (rec,) = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert rec["tokens"] == ["Fuzzy", "control", "of", "nonlinear", "systems", "."]
    assert len(rec["tags"]) == 6
    assert torch.equal(loaded.net.words.embedding.weight, model.net.words.embedding.weight)
