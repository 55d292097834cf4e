"""keyword-lightning extract: a corpus into shards, locally or on Ray; exactly once however a run is interrupted.

The Ray tests skip only when Ray is not installed, and fail instead with KW_REQUIRE_RAY=1 (set by .ci/run).
Runs are child processes (the driver is killed with SIGKILL in some); each kill test then ends whatever
is left of the killed driver's session (a local Ray's agents), and only that.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keyword_lightning.corpus.extract import main as extract_main
from keyword_lightning.corpus.progress import Progress
from keyword_lightning.corpus.shards import OutputError, check_plan
from keyword_lightning.corpus.sources import plan_units
from keyword_lightning.corpus.unit_documents import documents
from keyword_lightning.corpus.worker import shape
from tests.conftest import CLI, run_cli, run_env
from tests.serving import make_tiny_checkpoint

WORDS = "neural networks learn keyphrase extraction graph theory optimization survey of in the a we study".split()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("extract"))


@pytest.fixture()
def need_ray():
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("KW_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed (KW_REQUIRE_RAY=1): pip install -e '.[ray]'")
        pytest.skip("ray is not installed")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def corpus(folder: Path, files: int, docs: int, seed: int = 0) -> list[str]:
    """``docs`` short documents in ``files`` JSONL files under ``folder``; their ids."""
    rng, ids = random.Random(seed), []
    per = docs // files
    for f in range(files):
        rows = [{"id": f"d{f}-{i}", "text": " ".join(rng.choices(WORDS, k=rng.randint(4, 30)))} for i in range(per)]
        write_jsonl(folder / f"f{f}.jsonl", rows)
        ids += [r["id"] for r in rows]
    return ids


def records(out: Path) -> list[dict]:
    """Every record of the shards of ``out``, shard by shard."""
    found = []
    for shard in sorted(out.glob("part-*")):
        if shard.suffix == ".parquet":
            import pyarrow.parquet as pq

            found += pq.read_table(shard).to_pylist()
        else:
            found += [json.loads(line) for line in shard.read_text(encoding="utf-8").splitlines()]
    return found


def assert_exactly_once(out: Path, ids: list[str]) -> None:
    counts = collections.Counter(r["id"] for r in records(out))
    assert not [i for i, n in counts.items() if n > 1], "written twice"
    assert set(counts) == set(ids), f"missing {len(set(ids) - set(counts))}, unexpected {len(set(counts) - set(ids))}"
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["documents"] == len(ids) and manifest["errors"] == 0
    assert not list(out.glob(".*.tmp")) and not list((out / "_parts").glob(".*.tmp"))


def extract(ckpt: Path, src: Path, out: Path, *extra: str, cwd: Path, check: bool = True):
    args = ["extract", "--ckpt_path", ckpt, "--input", src, "--output", out, *extra]
    return run_cli(args, cwd, env=run_env(OMP_NUM_THREADS="1"), check=check)


# ----------------------------------------------------------------------------- planning and reading (in-process)


def test_units_cover_every_line_once_whatever_the_shard_size(tmp_path):
    rng = random.Random(1)
    rows = [{"id": str(i), "text": "x" * rng.randint(1, 300)} for i in range(200)]
    write_jsonl(tmp_path / "in" / "a.jsonl", rows[:120])
    (tmp_path / "in" / "b.jsonl").write_bytes(b"\n" + "".join(json.dumps(r) + "\n" for r in rows[120:]).encode())
    for shard_bytes in (1, 57, 300, 4096, 10**7):
        units = plan_units(str(tmp_path / "in"), shard_bytes)
        ids = [d.id for u in units for d in documents(u, 1000)]
        assert ids == [r["id"] for r in rows], shard_bytes
        assert [u.name for u in units] == [f"part-{i:05d}" for i in range(len(units))]
        assert units == plan_units(str(tmp_path / "in"), shard_bytes)  # the same units on every run


def test_bad_documents_each_have_a_reason(tmp_path):
    lines = [
        json.dumps({"id": "ok", "text": "graph theory"}).encode(),
        json.dumps({"id": "empty", "text": "  "}).encode(),
        b'{"id": "latin1", "text": "caf\xe9"}',
        json.dumps({"id": "long", "text": "word " * 30}).encode(),
        json.dumps({"id": "notext", "title": "graph"}).encode(),
        json.dumps({"id": "surrogate", "text": "\ud800"}).encode(),
        b"{not json",
    ]
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (unit,) = plan_units(str(tmp_path / "bad.jsonl"), 10**6)
    docs = {d.id: d for d in documents(unit, max_chars=100)}
    reasons = {k: d.reason for k, d in docs.items()}
    assert reasons["ok"] is None and docs["ok"].text == "graph theory"
    assert reasons["empty"] == "empty text"
    assert reasons["latin1"].startswith("not valid UTF-8")
    assert reasons["long"] == "150 characters, over --max-chars 100"
    assert reasons["notext"] == "no 'text' field"
    assert reasons["surrogate"].startswith("text is not valid UTF-8")
    assert [r for k, r in reasons.items() if k.startswith("bad.jsonl@")] == [
        "not valid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_top_k_and_min_score_keep_the_best_and_their_occurrences():
    record = {"id": "0", "tokens": ["a", "b", "c"], "tags": ["S", "O", "S"],
              "keyphrases": [{"text": "a", "start_char": 0, "end_char": 1, "score": 0.9},
                             {"text": "c", "start_char": 4, "end_char": 5, "score": 0.5}],
              "ranked": [{"text": "a", "score": 1.3, "occurrences": [[0, 1]]},
                         {"text": "c", "score": 0.4, "occurrences": [[4, 5]]}]}  # fmt: skip
    assert list(shape(record, None, None, False)) == ["id", "keyphrases", "ranked"]
    assert list(shape(record, None, None, True)) == ["id", "tokens", "tags", "keyphrases", "ranked"]
    best = shape(record, 1, None, False)
    assert [k["text"] for k in best["ranked"]] == ["a"] and [k["text"] for k in best["keyphrases"]] == ["a"]
    assert shape(record, None, 1.0, False)["keyphrases"] == best["keyphrases"]


def test_an_output_folder_holds_one_extract(tmp_path):
    check_plan(tmp_path, {"units": [1], "format": "jsonl"})
    check_plan(tmp_path, {"units": [1], "format": "jsonl"})  # the same run again
    with pytest.raises(OutputError, match="other input files or options"):
        check_plan(tmp_path, {"units": [1, 2], "format": "jsonl"})


def test_progress_line_off_a_terminal(tmp_path):
    with open(tmp_path / "log", "w+") as log:
        progress = Progress(1000, every=0.0, stream=log)
        progress.update(250, 500)
        log.seek(0)
        line = log.read()
    assert line.startswith("extract: 250 documents  ") and " docs/s  50% of the input  elapsed 0:00:00  eta " in line


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def inspec_jsonl(tmp_path_factory, inspec_dir) -> Path:
    """The first 120 Inspec test abstracts as JSONL (``id``, ``text``: the tokens joined by spaces)."""
    docs, tokens = [], []
    for line in (inspec_dir / "test.txt").read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            tokens.append(line.split()[0])
        elif tokens:
            docs.append({"id": f"test-{len(docs)}", "text": " ".join(tokens)})
            tokens = []
    return write_jsonl(tmp_path_factory.mktemp("inspec") / "test.jsonl", docs[:120])


@pytest.fixture(scope="module")
def predicted(ckpt, inspec_jsonl) -> dict[str, dict]:
    """``predict --data.predict_file`` of the same file with the same checkpoint."""
    out = inspec_jsonl.parent / "predictions.jsonl"
    args = ["predict", "--ckpt_path", ckpt, "--data.predict_file", inspec_jsonl, "--trainer.callbacks.output_path",
            out, "--threads", "1", "--quiet"]  # fmt: skip
    run_cli(args, inspec_jsonl.parent)
    return {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def assert_same_records(found: list[dict], expected: dict[str, dict], tokens: bool) -> None:
    assert sorted(r["id"] for r in found) == sorted(expected)
    for record in found:
        want = expected[record["id"]]
        spans = [(k["text"], k["start_char"], k["end_char"]) for k in record["keyphrases"]]
        assert spans == [(k["text"], k["start_char"], k["end_char"]) for k in want["keyphrases"]]
        scores = [k["score"] for k in record["keyphrases"]] + [k["score"] for k in record["ranked"]]
        assert scores == pytest.approx([k["score"] for k in want["keyphrases"] + want["ranked"]], abs=1e-5)
        assert [(k["text"], k["occurrences"]) for k in record["ranked"]] == [
            (k["text"], k["occurrences"]) for k in want["ranked"]
        ]
        assert ("tokens" in record) == tokens and (not tokens or record["tokens"] == want["tokens"])


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_both_engines_write_what_predict_writes(engine, request, ckpt, inspec_jsonl, predicted, tmp_path):
    if engine == "ray":
        request.getfixturevalue("need_ray")
    out = tmp_path / "out"
    # local: the tokens too, and a progress line every 0.2 s; ray: --quiet, nothing on stderr
    extra = ["--with-tokens", "--progress-seconds", "0.2"] if engine == "local" else ["--quiet"]
    proc = extract(ckpt, inspec_jsonl, out, "--engine", engine, "--workers", "2", "--shard-mb", "0.03", *extra,
                   cwd=tmp_path)  # fmt: skip
    assert proc.stdout == ""  # stdout is for results; extract's results are files
    if engine == "local":
        assert any(line.startswith("extract: ") and " docs/s  " in line for line in proc.stderr.splitlines())
    else:
        assert proc.stderr == ""
    assert_same_records(records(out), predicted, tokens=engine == "local")
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["engine"] == engine and manifest["checkpoint"] == str(ckpt.resolve())
    assert manifest["shard_count"] == len(list(out.glob("part-*.jsonl"))) > 1
    assert (out / "errors.jsonl").read_text() == ""


def start(ckpt: Path, src: Path, out: Path, *extra: str, cwd: Path) -> subprocess.Popen:
    """An extract in a session of its own (so that whatever it starts can be found and ended)."""
    cmd = [sys.executable, "-m", CLI, "extract", "--ckpt_path", ckpt, "--input", src, "--output", out, *extra]
    log = open(cwd / f"log-{time.monotonic_ns()}", "w+")  # noqa: SIM115 - closed with the test's tmp_path
    proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, env=run_env(OMP_NUM_THREADS="1"), stdout=log, stderr=log,
                            start_new_session=True)  # fmt: skip
    proc.log = log
    return proc


def session_processes(sid: int) -> list[int]:
    """The live processes of session ``sid`` (zombies, dead and waiting for a reaper, are not counted)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
                if os.getsid(int(name)) == sid and stat.rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(name))
            except OSError:
                pass
    return found


def wait_for_shards(proc: subprocess.Popen, out: Path, n: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("part-*"))) < n:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "no shards"
        time.sleep(0.2)


def kill_driver(proc: subprocess.Popen) -> list[int]:
    """SIGKILL the driver; then end what is left of its session; the pids that were left."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)
    left = [pid for pid in session_processes(proc.pid) if pid != proc.pid]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def assert_shards_are_whole(out: Path) -> None:
    """After a kill: every visible shard holds as many records as its unit's record says (none is half-written)."""
    for shard in out.glob("part-*.jsonl"):
        part = json.loads((out / "_parts" / f"{shard.stem}.json").read_text())
        assert len(shard.read_text().splitlines()) == part["documents"]


@pytest.mark.parametrize("engine,docs", [("local", 4000), ("ray", 20000)])
def test_a_killed_driver_rerun_writes_every_document_once(engine, docs, request, ckpt, tmp_path):
    if engine == "ray":
        request.getfixturevalue("need_ray")
    ids = corpus(tmp_path / "in", 8, docs)
    out, args = tmp_path / "out", ["--engine", engine, "--workers", "2", "--shard-mb", "0.02"]
    proc = start(ckpt, tmp_path / "in", out, *args, cwd=tmp_path)
    wait_for_shards(proc, out, 3)
    left = kill_driver(proc)
    if engine == "local":
        assert left == []  # the workers die with their driver: none goes on writing behind a re-run
    assert_shards_are_whole(out)
    done = len(list(out.glob("part-*")))
    assert done < len(json.loads((out / "_plan.json").read_text())["units"])  # it was killed part-way
    proc = extract(ckpt, tmp_path / "in", out, *args, cwd=tmp_path)
    assert f", {done} already done" in proc.stderr
    assert_exactly_once(out, ids)


def test_a_killed_ray_worker_is_replaced_and_every_document_written_once(need_ray, ckpt, tmp_path):
    ids = corpus(tmp_path / "in", 8, 6000)
    out = tmp_path / "out"
    proc = start(ckpt, tmp_path / "in", out, "--engine", "ray", "--workers", "2", "--shard-mb", "0.02", cwd=tmp_path)
    try:
        wait_for_shards(proc, out, 2)
        workers = [p for p in session_processes(proc.pid) if b"ShardWorker" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert workers, "no Ray worker actor found"
        os.kill(workers[0], signal.SIGKILL)
        assert proc.wait(timeout=300) == 0
    finally:
        if proc.poll() is None:
            kill_driver(proc)
    assert_exactly_once(out, ids)
    proc.log.seek(0)
    assert "none failed" in proc.log.read()


def has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def mixed(ckpt, tmp_path_factory):
    """One run over a folder of ``.txt`` files, a Parquet file and four bad documents (one a 5 MB file); Parquet out.

    (One run for three inputs: each run costs its workers' start-up. Without pyarrow, no Parquet.)
    """
    folder = tmp_path_factory.mktemp("mixed")
    texts = {f"g{i}": "We study graph theory and optimization." for i in range(5)}
    latin1 = b'{"id": "latin1", "text": "caf\xe9 graph theory"}'
    lines = [json.dumps({"id": k, "text": v}).encode() for k, v in texts.items()]
    lines[3:3] = [
        json.dumps({"id": "empty", "text": ""}).encode(),
        latin1,
        json.dumps({"id": "notext"}).encode(),
    ]
    (folder / "in" / "notes" / "sub").mkdir(parents=True)
    (folder / "in" / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (folder / "in" / "notes" / "huge.txt").write_text("graph theory " * 400_000)  # 5.2 MB
    for name in ("a.txt", "sub/b.txt"):
        texts[f"notes/{name}"] = f"Graph theory and {name}."
        (folder / "in" / "notes" / name).write_text(texts[f"notes/{name}"], encoding="utf-8")
    if has_pyarrow():
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = {f"p{i}": " ".join(random.Random(i).choices(WORDS, k=12)) for i in range(40)}
        (folder / "in" / "tables").mkdir()
        table = pa.table({"id": list(rows), "text": list(rows.values())})
        pq.write_table(table, folder / "in" / "tables" / "t.parquet", row_group_size=7)
        texts.update(rows)
    fmt = "parquet" if has_pyarrow() else "jsonl"
    proc = extract(ckpt, folder / "in", folder / "out", "--format", fmt, "--workers", "1", "--shard-mb", "0.0005",
                   cwd=folder)  # fmt: skip
    return folder / "out", proc, texts, latin1.index(0xE9)


def test_bad_documents_go_to_errors_and_the_run_goes_on(mixed):
    out, proc, texts, byte = mixed
    assert "4 failed (see errors.jsonl)" in proc.stderr.splitlines()[-1]
    lines = (out / "errors.jsonl").read_text().splitlines()
    assert {e["id"]: e["reason"] for e in map(json.loads, lines)} == {
        "empty": "empty text",
        "latin1": f"not valid UTF-8 (byte {byte} of its line)",
        "notes/huge.txt": "5,200,000 bytes, over --max-chars 1,000,000",
        "notext": "no 'text' field",
    }
    assert sorted(r["id"] for r in records(out)) == sorted(texts)
    manifest = json.loads((out / "_manifest.json").read_text())
    assert (manifest["documents"], manifest["errors"]) == (len(texts), 4)


def test_missing_checkpoint_or_input_is_one_line(ckpt, tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"id": "0", "text": "graph theory"}\n')
    (tmp_path / "empty").mkdir()
    args = ["extract", "--ckpt_path", tmp_path / "nope.ckpt", "--input", tmp_path / "in.jsonl", "--output", "out"]
    proc = run_cli(args, tmp_path, check=False)  # the console command, once
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("keyword-lightning extract: error: checkpoint not found: ")
    cases = [  # the same entry point in this process (no torch to import again)
        (["--ckpt_path", ckpt, "--input", tmp_path / "missing.jsonl"], "missing.jsonl: no such file or folder"),
        (["--ckpt_path", ckpt, "--input", tmp_path / "empty"], "empty: no .jsonl, .parquet, .txt or document"),
        (["--ckpt_path", ckpt, "--input", tmp_path / "in.jsonl", "--top-k", "x"], "invalid int value: 'x'"),
    ]
    for args, needle in cases:
        with pytest.raises(SystemExit) as exit_:
            extract_main([*map(str, args), "--output", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "out").exists()


def test_parquet_in_and_out_and_a_folder_of_text_files(need_ray, mixed, ckpt):
    from keyword_lightning import KeywordExtractor

    out, _, texts, _ = mixed
    assert len(list(out.glob("part-*.parquet"))) > 3 and not list(out.glob("part-*.jsonl"))
    assert {"notes/a.txt", "notes/sub/b.txt", "p0", "p39"} <= {r["id"] for r in records(out)}
    expected = KeywordExtractor.from_checkpoint(ckpt, threads=1).predict(list(texts.values()), list(texts))
    assert_same_records(records(out), {r["id"]: r for r in expected}, tokens=False)


def test_the_benchmark_corpus_is_inspec_like_with_unique_ids(inspec_dir, tmp_path):
    from benchmarks.synthetic import write_text_corpus

    paths = write_text_corpus(tmp_path, 50, inspec_dir / "train.txt", files=3)
    rows = [json.loads(line) for path in paths for line in path.open()]
    assert len(paths) == 3 and sorted(r["id"] for r in rows) == sorted(f"syn-{i}" for i in range(50))
    assert all(len(r["text"].split()) > 1 for r in rows)
