"""The Python API and plots: a checkpoint alone is enough to extract keyphrases."""

import json
import shutil
import subprocess
import sys

import matplotlib.image as mpimg
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger

from keyword_lightning import KeywordExtractor
from keyword_lightning.model.checkpoint import CheckpointError
from keyword_lightning.training.callbacks import Plots
from keyword_lightning.training.plots import main as plot_main
from tests.conftest import fit_tiny, run_cli, run_env


def test_extractor_from_checkpoint_alone(tiny_checkpoint, tiny_corpus):
    shutil.rmtree(tiny_corpus.parent)  # no dataset files anywhere
    ex = KeywordExtractor.from_checkpoint(tiny_checkpoint, device="cpu")
    text = "A survey of graph theory in optimization."
    phrases = ex.extract(text)
    assert phrases, "the tiny model learned its corpus"
    for p in phrases:
        assert text[p["start_char"] : p["end_char"]] == p["text"]
        assert 0 < p["score"] <= 1
    assert {p["text"] for p in phrases} >= {"graph theory"}
    many = ex.extract([text, "", "Neural networks learn keyphrase extraction."])
    assert len(many) == 3 and many[1] == []
    assert len(ex.extract(text, top_k=1)) == 1
    assert ex.extract(text, min_score=1.01) == []


def test_extractor_long_document_is_chunked(tiny_checkpoint):
    ex = KeywordExtractor.from_checkpoint(tiny_checkpoint, max_length=7)
    text = " ".join(["We study graph theory and optimization ."] * 30)
    (record,) = ex.predict([text])
    assert len(record["tags"]) == len(record["tokens"]) == 210
    assert all(text[p["start_char"] : p["end_char"]] == p["text"] for p in record["keyphrases"])


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found: .*nope.ckpt"):
        KeywordExtractor.from_checkpoint(tmp_path / "nope.ckpt")
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="bad.ckpt: cannot load checkpoint"):
        KeywordExtractor.from_checkpoint(bad)


def _png_size(path):
    image = mpimg.imread(path)
    return image.shape[1], image.shape[0]


def test_plots_after_fit_and_test_and_redraw(tiny_corpus, tmp_path):
    logger = CSVLogger(tmp_path, name="run")
    trainer, model, dm = fit_tiny(tiny_corpus, tmp_path, epochs=3, logger=logger, callbacks=[Plots()])
    run = tmp_path / "run" / "version_0"
    assert _png_size(run / "learning_curves.png") == (1600, 360)
    trainer.test(model, dm, verbose=False)
    assert _png_size(run / "confusion_matrix.png") == (460, 400)
    (run / "learning_curves.png").unlink()
    plot_main([str(run)])
    assert _png_size(run / "learning_curves.png") == (1600, 360)


def test_plot_cli_errors_on_an_empty_folder(tmp_path):
    with pytest.raises(SystemExit, match="has no metrics.csv"):
        plot_main([str(tmp_path)])


def test_extraction_imports_no_lightning(tiny_checkpoint, tmp_path):
    """The one-call API needs torch only: extracting loads no Lightning module at all."""
    script = (
        "import sys; from keyword_lightning import KeywordExtractor\n"
        f"ex = KeywordExtractor.from_checkpoint({str(tiny_checkpoint)!r})\n"
        "phrases = ex.extract('graph theory and optimization')\n"
        "heavy = ('lightning', 'pytorch_lightning', 'torchmetrics')\n"
        "print(len(phrases), sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=run_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, loaded = proc.stdout.split(" ", 1)
    assert int(count) > 0 and loaded.strip() == "[]"


def test_extractor_from_a_model_in_memory_equals_from_its_checkpoint(tiny_checkpoint):
    from keyword_lightning import JointRNN

    model = JointRNN.load_from_checkpoint(tiny_checkpoint, map_location="cpu", weights_only=True)
    text = "A survey of graph theory in optimization."
    assert KeywordExtractor.from_model(model).predict([text]) == KeywordExtractor.from_checkpoint(
        tiny_checkpoint
    ).predict([text])


def test_stdin_to_stdout_prediction(tiny_checkpoint, tmp_path):
    """`echo text | keyword-lightning predict ... --data.predict_file - ...output_path -` prints JSONL only."""
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-", "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false",
            "--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
            "--trainer.callbacks.output_path", "-"]  # fmt: skip
    text = "We study graph theory.\nNeural networks.\n"
    proc = run_cli(args, tmp_path, env=run_env(WANDB_MODE="disabled"), input=text)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in records] == ["0", "1"]
    assert records[0]["tokens"] == ["We", "study", "graph", "theory", "."]


def test_predict_from_stdin_in_an_empty_folder_needs_only_the_checkpoint(tiny_checkpoint, tmp_path):
    """The recipe names data/data_set.pkl, which this folder lacks: raw text must not need it."""
    from tests.conftest import ROOT

    args = ["predict", "--config", ROOT / "configs/seed.yaml", "--ckpt_path", tiny_checkpoint,
            "--data.predict_file", "-", "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.callbacks.output_path", "-"]  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli(args, empty, env=run_env(WANDB_MODE="disabled"), input="We study graph theory.\n")
    (record,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert record["tokens"] == ["We", "study", "graph", "theory", "."]
    written = sorted(str(p.relative_to(empty)) for p in empty.rglob("*") if p.is_file())
    assert written == []  # no logger: no run folder, no config.yaml, no data


@pytest.mark.parametrize("decoder", ["argmax", "viterbi"])
def test_command_line_decoder_wins_over_the_checkpoint(decoder, tiny_checkpoint, tiny_corpus, tmp_path, monkeypatch):
    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.training.lightning_cli import KeywordCLI

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["keyword-lightning"])  # pytest's own flags are not the CLI's
    stored = torch.load(tiny_checkpoint, weights_only=True)["hyper_parameters"]
    assert stored["decoding"]["decoder"] == "viterbi" and stored["network"]["sequence_mode"] == "auto"
    args = ["test", "--ckpt_path", str(tiny_checkpoint), "--data.dataset_file", str(tiny_corpus),
            "--model.decoding.decoder", decoder, "--model.decoding.fusion_weight", "0.25",
            "--model.network.sequence_mode", "padded", "--model.network.hidden_size1", "99",
            "--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]  # fmt: skip
    cli = KeywordCLI(JointRNN, KeywordDataModule, args=args, save_config_callback=None)
    assert cli.model.decoding.decoder == decoder and cli.model.decoding.fusion_weight == 0.25
    assert cli.model.net.sequence_mode == "padded"  # how the weights run: the command line's too
    assert cli.model.settings.network.hidden_size1 == 16  # the weights' shape comes from the checkpoint
