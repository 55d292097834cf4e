"""Scale benchmark: a synthetic corpus the size of KP20k through prepare and one bounded fit epoch.

    python benchmarks/scale.py                         # 530,000 documents (~100M tokens)
    python benchmarks/scale.py --docs 53000            # a tenth, for a quick look

The corpus has Inspec's length distribution (document lengths drawn from Inspec train), a
Zipf vocabulary of 500,000 words and keyphrase tags at Inspec's rates. It measures:
  - `keyword-lightning-prepare` on it: wall time, peak RSS, size of `data_set.pkl`;
  - `keyword-lightning fit` (configs/inspec.yaml, random embeddings, one epoch bounded by
    `--trainer.limit_train_batches`): set-up time (load + encode), training tokens/s, peak RSS.
Each step runs in its own process; peak RSS is that process's own (`wait4`).
Writes benchmarks/results/scale.md. ``write_text_corpus`` makes the raw-text corpus of
``benchmarks/extract.py`` (Inspec's lengths and word frequencies, as JSONL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # `python benchmarks/scale.py`: import this checkout's benchmarks
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, ROOT, SHARED, command, header, write_results  # noqa: E402


def inspec_lengths(path: Path) -> np.ndarray:
    """Document lengths of a CoNLL file (blank-line separated)."""
    lengths, n = [], 0
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            n += 1
        elif n:
            lengths.append(n)
            n = 0
    return np.array(lengths)


def write_corpus(path: Path, docs: int, lengths: np.ndarray, seed: int, vocab: int = 500_000) -> int:
    """Write ``docs`` synthetic CoNLL documents to ``path``; returns the token count."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    # line table: word i with tag O, B-KEY, I-KEY at rows 3i, 3i+1, 3i+2; the last row is a blank line
    table = np.array([f"{w}\t{t}\n".encode() for w in words for t in ("O", "B-KEY", "I-KEY")] + [b"\n"], dtype=object)
    blank = len(table) - 1
    total = 0
    with open(path, "wb") as fh:
        for lo in range(0, docs, 20_000):
            n_docs = min(20_000, docs - lo)
            doc_len = rng.choice(lengths, size=n_docs)
            n = int(doc_len.sum())
            word = np.minimum(rng.zipf(1.3, size=n) - 1, vocab - 1)
            # keyphrases: ~9% of tokens start one, of 1-3 tokens (Inspec-like rates)
            tag = np.zeros(n, dtype=np.int64)
            starts = np.flatnonzero(rng.random(n) < 0.09)
            tag[starts] = 1
            for k in (1, 2):
                nxt = starts + k
                keep = (nxt < n) & (rng.random(len(starts)) < 0.6 / k)
                tag[nxt[keep]] = np.where(tag[nxt[keep]] == 0, 2, tag[nxt[keep]])
            rows = word * 3 + tag
            # a blank line after each document
            ends = np.cumsum(doc_len)
            rows = np.insert(rows, ends, blank)
            fh.write(b"".join(table[rows].tolist()))
            total += n
    return total


def inspec_words(path: Path) -> tuple[list[str], np.ndarray]:
    """The words of a CoNLL file (PTB escapes undone) and each one's share of its tokens."""
    from keyword_lightning.text import PTB_ESCAPES

    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            word = PTB_ESCAPES.get(line.split()[0], line.split()[0])
            counts[word] = counts.get(word, 0) + 1
    freq = np.array(list(counts.values()), dtype=np.float64)
    return list(counts), freq / freq.sum()


def write_text_corpus(folder: Path, docs: int, inspec: Path, seed: int = 0, files: int = 8) -> list[Path]:
    """``docs`` raw-text documents (``{"id", "text"}``) in ``files`` JSONL files under ``folder``.

    Inspec-like: each document's length is drawn from Inspec train's, its words from Inspec
    train's words at their frequencies (so GloVe finds them, and the tagger marks keyphrases at
    about its usual rate). Ids are ``syn-N``, unique. Written in blocks: memory stays small.
    """
    rng = np.random.default_rng(seed)
    lengths = inspec_lengths(inspec)
    words, share = inspec_words(inspec)
    vocab = np.array(words, dtype=object)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"corpus-{i:02d}.jsonl" for i in range(files)]
    per_file = -(-docs // files)
    n = 0
    for path in paths:
        with open(path, "w", encoding="utf-8") as fh:
            for lo in range(0, min(per_file, docs - n), 5_000):
                doc_len = rng.choice(lengths, size=min(5_000, per_file - lo, docs - n))
                tokens = vocab[rng.choice(len(vocab), size=int(doc_len.sum()), p=share)]
                ends = np.cumsum(doc_len)
                for i, (a, b) in enumerate(zip(ends - doc_len, ends)):
                    fh.write(json.dumps({"id": f"syn-{n + i}", "text": " ".join(tokens[a:b])}) + "\n")
                n += len(doc_len)
    return paths


def measured(module_args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``python -m MODULE ARGS`` (or a script); returns (wall seconds, its peak RSS MB, its output)."""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONPATH": str(ROOT)}
    # The child reports its own peak RSS at exit, whatever other children ran before.
    wrapper = (
        "import atexit, resource, runpy, sys\n"
        "atexit.register(lambda: print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " file=sys.stderr))\n"
        "target, sys.argv = sys.argv[1], sys.argv[1:]\n"
        "runpy.run_path(target, run_name='__main__') if target.endswith('.py') else "
        "runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, *module_args], cwd=cwd, env=env, capture_output=True,
                          text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"failed: {' '.join(module_args)}\n{proc.stderr[-3000:]}")
    rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB")][-1] / 1024
    return wall, rss, proc.stdout + proc.stderr


def fit_worker(dataset: Path, batches: int) -> None:
    """One bounded epoch, in this process; prints a JSON line."""
    import lightning as L

    from keyword_lightning.cli import KeywordCLI
    from keyword_lightning.data.datamodule import KeywordDataModule
    from keyword_lightning.model.module import JointRNN

    t0 = time.perf_counter()
    args = ["--config", str(ROOT / "configs/inspec.yaml"), "--data.dataset_file", str(dataset),
            "--data.embedding_file", "null", "--model.inputs", "[{words: {dim: 50}}]", "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false", "--trainer.max_epochs", "1",
            "--trainer.limit_train_batches", str(batches), "--trainer.limit_val_batches", "0",
            "--trainer.enable_checkpointing", "false", "--trainer.callbacks", "[]"]  # fmt: skip
    cli = KeywordCLI(JointRNN, KeywordDataModule, run=False, args=args, save_config_callback=None)

    class Count(L.Callback):
        def __init__(self) -> None:
            self.tokens, self.start, self.setup = 0, None, None

        def on_train_start(self, trainer, pl_module) -> None:
            self.setup = time.perf_counter() - t0

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            if batch_idx == 1:  # the first batch warms up
                self.start = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if batch_idx >= 1:
                self.tokens += int(batch.lengths.sum())

    count = Count()
    cli.trainer.callbacks.append(count)
    cli.trainer.fit(cli.model, cli.datamodule)
    seconds = time.perf_counter() - count.start
    setup_seconds = count.setup
    print(json.dumps({"tokens_per_s": count.tokens / seconds, "setup_seconds": setup_seconds}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=530_000)
    ap.add_argument("--batches", type=int, default=40, help="training batches of the bounded epoch")
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "scale.md")
    ap.add_argument("--fit-worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fit_worker:
        fit_worker(args.fit_worker, args.batches)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    lengths = inspec_lengths(args.inspec / "train.txt")
    t0 = time.perf_counter()
    tokens = write_corpus(work / "train.txt", args.docs, lengths, seed=0)
    write_corpus(work / "valid.txt", 500, lengths, seed=1)
    gen_seconds = time.perf_counter() - t0
    print(f"generated {args.docs:,} documents, {tokens:,} tokens in {gen_seconds:.0f} s", flush=True)

    prep_wall, prep_rss, _ = measured(
        ["keyword_lightning.prepare", "--train", str(work / "train.txt"), "--val", str(work / "valid.txt"),
         "--out", str(work / "data")], work)  # fmt: skip
    pkl = work / "data" / "data_set.pkl"
    print(f"prepare: {prep_wall:.0f} s, peak RSS {prep_rss:,.0f} MB, {pkl.stat().st_size / 2**20:,.0f} MB", flush=True)
    fit_wall, fit_rss, out = measured([__file__, "--fit-worker", str(pkl), "--batches", str(args.batches)], work)
    fit = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    print(f"fit: set-up {fit['setup_seconds']:.0f} s, {fit['tokens_per_s']:,.0f} tokens/s, peak RSS {fit_rss:,.0f} MB")

    text = [
        "# Scale: a KP20k-size synthetic corpus",
        "",
        header(command("scale.py", ["--docs", str(args.docs), "--batches", str(args.batches)])),
        f"{args.docs:,} documents, {tokens:,} tokens (Inspec's length distribution, a Zipf vocabulary of",
        "500,000 words); plus a 500-document validation split. Peak RSS is each process's own.",
        "",
        "| step | wall seconds | peak RSS MB | notes |",
        "|---|---:|---:|---|",
        f"| `keyword-lightning-prepare` | {prep_wall:,.0f} | {prep_rss:,.0f} | "
        f"`data_set.pkl` {pkl.stat().st_size / 2**20:,.0f} MB |",
        f"| `fit` set-up (load, vocabulary, encode) | {fit['setup_seconds']:,.0f} | | |",
        f"| `fit`, {args.batches} batches of `configs/inspec.yaml` (random embeddings) | {fit_wall:,.0f} | "
        f"{fit_rss:,.0f} | {fit['tokens_per_s']:,.0f} training tokens/s |",
        "",
    ]
    write_results(args.out, "\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
