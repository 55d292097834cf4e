"""The general model shipped inside the package: its checksum, ``weights_only`` loading, recorded settings and
the fixed paragraph's ranking against its manifest; ``KeywordExtractor.pretrained()``; a wheel that carries it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
import torch

from keyword_lightning.model import shipped
from tests.conftest import ROOT, run_env


def test_the_shipped_file_is_what_its_manifest_records():
    record = shipped.manifest()
    assert shipped.GENERAL.is_file() and record["file"] == shipped.GENERAL.name
    assert shipped.sha256(shipped.GENERAL) == record["sha256"]
    assert shipped.GENERAL.stat().st_size == record["bytes"] <= shipped.MAX_BYTES
    assert record["built"]["command"] and record["built"]["commit"]
    ckpt = torch.load(shipped.GENERAL, map_location="cpu", weights_only=True)  # no pickled code runs
    assert shipped.settings(ckpt) == record["settings"]
    assert set(ckpt) == {"state_dict", "hyper_parameters", "keyword_lightning", "pytorch-lightning_version"}
    state = ckpt["state_dict"]
    assert {str(v.dtype) for v in state.values()} == {"torch.float16", "torch.int8"}  # packed: half, int8 rows
    assert shipped.FIXED not in state and state[shipped.FIXED + ".int8"].shape[0] == record["packed"]["extra_words"]
    assert record["settings"]["ranker"]["kind"] == "candidates"


def test_the_shipped_model_ranks_the_fixed_paragraph_as_recorded():
    from keyword_lightning import KeywordExtractor

    recorded = shipped.manifest()["paragraph"]
    assert recorded["text"] == shipped.PARAGRAPH
    found = KeywordExtractor.pretrained(threads=1).keyphrases(shipped.PARAGRAPH)
    assert {k["text"]: k["score"] for k in found} == pytest.approx(dict(recorded["keyphrases"]), abs=1e-5)
    scores = [score for _, score in recorded["keyphrases"]]
    clear = [i for i in range(len(scores)) if all(abs(scores[i] - s) > 1e-5 for j, s in enumerate(scores) if j != i)]
    assert [found[i]["text"] for i in clear] == [recorded["keyphrases"][i][0] for i in clear]  # order, but near-ties
    assert len(found) >= 5 and any(k["text"].lower().startswith("coral") for k in found[:3])


def test_int8_rows_come_back_within_their_step(tmp_path):
    from keyword_lightning.model.checkpoint import CheckpointError, dequantize, quantize

    rows = torch.randn(50, 8) * torch.linspace(0.01, 3, 50)[:, None]
    values, scale = quantize(rows)
    assert values.dtype == torch.int8 and scale.shape == (50, 1)
    back = dequantize({"state_dict": {"w.int8": values, "w.scale": scale}})["state_dict"]
    assert set(back) == {"w"} and torch.allclose(back["w"], rows, atol=0, rtol=0) is False
    assert ((back["w"] - rows).abs() <= scale.float() / 127 + 1e-3 * rows.abs()).all()  # within one step a row
    with pytest.raises(CheckpointError, match="int8 rows without a scale"):
        dequantize({"state_dict": {"w.int8": values}})


def test_no_shipped_model_is_one_line(monkeypatch, tmp_path):
    from keyword_lightning import KeywordExtractor

    monkeypatch.setattr(shipped, "GENERAL", tmp_path / "general.ckpt")
    with pytest.raises(shipped.ShippedModelError, match="no shipped model in this installation"):
        KeywordExtractor.pretrained()


def test_a_wheel_carries_the_model_and_ranks_as_the_checkout(tmp_path):
    """``pip wheel --no-deps .``, installed into a folder of its own and imported from there, not from this checkout."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path, str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("keyword_lightning-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"keyword_lightning/pretrained/general.ckpt", "keyword_lightning/pretrained/general.json"} <= set(names)
    subprocess.run([*pip, "install", "--no-deps", "--target", tmp_path / "site", wheel], check=True)
    site = str(tmp_path / "site")
    code = (
        "import json, keyword_lightning as k; from keyword_lightning.model import shipped; "
        f"assert str(shipped.GENERAL).startswith({site!r}), shipped.GENERAL; "
        "print(json.dumps([p['text'] for p in k.KeywordExtractor.pretrained(threads=1).keyphrases(shipped.PARAGRAPH)]))"
    )
    env = run_env(PYTHONPATH=site)  # the installed copy first, this checkout not on the path
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == [text for text, _ in shipped.manifest()["paragraph"]["keyphrases"]]


def test_predict_extract_and_serve_take_the_shipped_model_when_none_is_named(tmp_path):
    from keyword_lightning.commands import resolve_checkpoint
    from keyword_lightning.serve.api import parser as serve_parser
    from tests.conftest import run_cli

    assert resolve_checkpoint(None) == resolve_checkpoint("pretrained") == shipped.GENERAL
    assert serve_parser().parse_args([]).ckpt_path is None  # serve resolves it the same way
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "reef.txt").write_text(shipped.PARAGRAPH + "\n", encoding="utf-8")
    recorded = [text for text, _ in shipped.manifest()["paragraph"]["keyphrases"]]
    args = ["predict", "--data.predict_file", "docs/reef.txt", "--trainer.callbacks.output_path", "-"]
    (record,) = [json.loads(line) for line in run_cli(args, tmp_path).stdout.splitlines()]
    assert [k["text"] for k in record["ranked"]] == recorded
    run_cli(["extract", "--input", "docs", "--output", "out"], tmp_path)
    (shard,) = (tmp_path / "out").glob("part-*.jsonl")
    (extracted,) = [json.loads(line) for line in shard.read_text(encoding="utf-8").splitlines()]
    assert [k["text"] for k in extracted["ranked"]] == recorded
