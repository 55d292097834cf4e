"""extract's typed records and the failures it must not hide: a negative --top-k, a model failing on a whole chunk.

A chunk where the model fails on every document, alone too, has a cause outside the documents
(memory, the device): its unit is left uncommitted and a re-run tags every document once.
"""

from __future__ import annotations

import collections
import json
import random
from pathlib import Path

import pytest

from keyword_lightning.corpus.extract import main as extract_main
from keyword_lightning.corpus.options import ExtractOptions
from keyword_lightning.corpus.results import DocumentError, UnitDone, UnitFailed, WorkerInfo, from_json, to_json
from keyword_lightning.corpus.sources import plan_units
from keyword_lightning.corpus.worker import ShardWorker
from tests.serving import make_tiny_checkpoint

WORDS = "neural networks learn keyphrase extraction graph theory optimization of the a we study".split()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("extract-failures"))


def write_corpus(path: Path, n: int) -> list[str]:
    rng = random.Random(0)
    rows = [{"id": f"d{i}", "text": " ".join(rng.choices(WORDS, k=rng.randint(4, 20)))} for i in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [r["id"] for r in rows]


def shard_ids(out: Path) -> collections.Counter:
    return collections.Counter(json.loads(line)["id"] for p in sorted(out.glob("part-*.jsonl")) for line in p.open())


def broken(texts, ids=None):
    raise RuntimeError("CUDA error: out of memory")  # the same for every document: not theirs


def test_a_negative_top_k_is_one_line_and_exit_2(ckpt, tmp_path, capsys):
    write_corpus(tmp_path / "in.jsonl", 3)
    for flag in ("--top-k", "--top_k"):
        where = ["--ckpt_path", str(ckpt), "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out")]
        with pytest.raises(SystemExit) as exit_:
            extract_main([*where, flag, "-1"])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.count("\n") == 1, err
        assert err.startswith("keyword-lightning extract: error: argument --top-k") and "-1 is negative" in err
    assert not (tmp_path / "out").exists()


def test_a_negative_top_k_is_refused_by_the_api_and_serve_takes_none(ckpt):
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.serve.requests import DEFAULT_LIMITS, RequestError, texts_of

    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=1)
    for call in (extractor.keyphrases, extractor.extract):
        for bad in (-1, 1.5, True):
            with pytest.raises(ValueError, match="top_k must be None or a whole number, 0 or more"):
                call("graph theory", top_k=bad)
    assert extractor.keyphrases("graph theory", top_k=0) == []
    with pytest.raises(RequestError) as refused:  # serve's requests have no top_k to go wrong
        texts_of({"text": "graph theory", "top_k": -1}, DEFAULT_LIMITS)
    assert refused.value.status == 422 and "unknown field 'top_k'" in refused.value.message


def test_a_model_failing_on_every_document_leaves_the_unit_for_a_rerun(ckpt, tmp_path, monkeypatch, capsys):
    ids = write_corpus(tmp_path / "in" / "a.jsonl", 40)
    out = tmp_path / "out"
    where = ["--ckpt_path", str(ckpt), "--input", str(tmp_path / "in"), "--output", str(out)]
    args = [*where, *"--workers 1 --threads 1 --batch-size 4 --shard-mb 0.001".split()]

    def here(units, options, progress, on_done):
        """The local engine's contract, in this process, with a model that fails on everything."""
        worker = ShardWorker(options)
        monkeypatch.setattr(worker.extractor, "predict", broken)
        results = [worker.attempt(unit) for unit in units]
        for done in results:
            if isinstance(done, UnitDone):
                on_done(done)
        return [r for r in results if isinstance(r, UnitFailed)]

    monkeypatch.setattr("keyword_lightning.corpus.local.run_local", here)
    with pytest.raises(SystemExit) as exit_:
        extract_main(args)
    err = capsys.readouterr().err.strip().splitlines()
    units = len(json.loads((out / "_plan.json").read_text())["units"])
    assert exit_.value.code == 1 and units > 1
    assert err[-1].startswith(f"keyword-lightning extract: error: {units} of {units} unit(s) failed (part-00000: ")
    assert "ChunkFailed: the model failed on each of the" in err[-1] and "CUDA error: out of memory" in err[-1]
    assert not list(out.glob("part-*")) and not list((out / "_parts").iterdir())  # nothing committed
    assert not (out / "errors.jsonl").exists() and not (out / "_manifest.json").exists()

    monkeypatch.undo()  # the model works again: a re-run with the same arguments finishes the work
    extract_main(args)
    assert shard_ids(out) == collections.Counter(ids)  # every document once
    manifest = json.loads((out / "_manifest.json").read_text())
    assert (manifest["documents"], manifest["errors"], manifest["last_run"]["units_run"]) == (len(ids), 0, units)


def test_a_document_the_model_fails_on_alone_goes_to_errors(ckpt, tmp_path, monkeypatch):
    write_corpus(tmp_path / "in.jsonl", 6)
    out = tmp_path / "out"
    out.mkdir()
    options = ExtractOptions(str(ckpt), str(tmp_path / "in.jsonl"), str(out), batch_size=2)
    worker = ShardWorker(options)
    predict = worker.extractor.predict

    def fails_on_d3(texts, ids=None):
        if "d3" in (ids or []):
            raise ValueError("this document breaks the model")
        return predict(texts, ids)

    monkeypatch.setattr(worker.extractor, "predict", fails_on_d3)
    (unit,) = plan_units(str(tmp_path / "in.jsonl"), 10**6)
    done = worker.attempt(unit)
    assert isinstance(done, UnitDone) and (done.documents, done.read) == (5, 6)
    assert done.errors == (DocumentError("d3", "the model failed (ValueError: this document breaks the model)"),)
    assert sorted(shard_ids(out)) == ["d0", "d1", "d2", "d4", "d5"]
    on_disk = json.loads((out / "_parts" / "part-00000.json").read_text())
    assert UnitDone.from_dict(on_disk) == done and on_disk["errors"] == [{"id": "d3", "reason": done.errors[0].reason}]


def test_the_records_round_trip_and_the_options_say_what_decides_the_records():
    done = UnitDone("part-00001", 3, (DocumentError("x", "empty text"),), 0.5, WorkerInfo("h", 7, 12.5))
    failed = UnitFailed("part-00002", "OSError: disk full")
    assert from_json(to_json(done)) == done and from_json(to_json(failed)) == failed
    assert done.read == 4 and done.worker.name == "h:7"
    options = ExtractOptions("c.ckpt", "in", "out", top_k=3)
    plan = {"format": "jsonl", "top_k": 3, "min_score": None, "max_chars": 1_000_000, "with_tokens": False}
    assert options.pick(options.PLAN) == {**plan, "shard_mb": 4.0, "max_file_mb": 50.0, "max_pages": 1000}
    assert set(options.PLAN).isdisjoint(options.RUN)
