"""`extract` over a folder of mixed document files: every file once, files/s per kind, reading vs tagging.

    python -m benchmarks.files                      # 1,000 files; fits a one-epoch configs/inspec.yaml model first
    python -m benchmarks.files --ckpt CKPT --files 200

The folder (``build_folder``): PDFs (two columns, running headers, hyphens; 1 to 3 pages), HTML
pages (an article between navigation and scripts), DOCX, Markdown and ``.txt`` files, each
holding Inspec test abstracts, plus one bad file in twenty (truncated, encrypted and scanned
PDFs, zip bombs named ``.docx``, 500 MB sparse files, HTML named ``.pdf``, Word 97 files named
``.docx``, images named ``.md``), in subfolders. One ``extract`` run (local engine, ``--workers``
processes of one thread) reads it; the check: every good file in exactly one shard, every bad
one in ``errors.jsonl``. Then, per kind and in this process (one thread), the seconds spent
reading the files (``documents.read_document``) and tagging their texts (``KeywordExtractor.predict``,
batches of 64): files/s per kind and the share of the time spent reading. Without ``--ckpt``
a model of the default size (configs/inspec.yaml, GloVe) is fitted for one epoch: its speed is
a real model's, its keyphrases are not. Writes benchmarks/results/files.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import CLI, PREPARE, RESULTS, ROOT, SHARED, command, header, run, write_results
from benchmarks.corpora import raw_texts
from benchmarks.gold import read_conll_gold
from benchmarks.make_files import papers, write_bad_files, write_docx, write_html, write_markdown, write_pdf

KINDS = ["pdf", "html", "docx", "markdown", "text"]
WRITERS = {
    "pdf": (write_pdf, ".pdf"),
    "html": (write_html, ".html"),
    "docx": (write_docx, ".docx"),
    "markdown": (write_markdown, ".md"),
}


def build_folder(folder: Path, count: int, texts: list[str], seed: int = 0) -> tuple[dict[str, str], dict[str, str]]:
    """``count`` files under ``folder``: ``(good, bad)``, each a map from the path relative to ``folder`` to its kind
    (good) or a word of its expected error (bad). One file in twenty is bad."""
    rng = random.Random(seed)
    samples = {}
    bad_words = write_bad_files(folder / "_samples", [t for _, ps in papers(texts, 1, 4, seed) for t in ps])
    for name in bad_words:
        samples[name] = (folder / "_samples" / name).read_bytes() if name != "huge.pdf" else None
    good, bad = {}, {}
    for i in range(count):
        sub = folder / f"batch-{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 20 == 19:
            name = list(bad_words)[(i // 20) % len(bad_words)]
            path = sub / f"{i:04d}-{name}"
            if samples[name] is None:
                with open(path, "wb") as fh:
                    fh.truncate(500 * 2**20)  # sparse
            else:
                path.write_bytes(samples[name])
            bad[path.relative_to(folder).as_posix()] = bad_words[name]
            continue
        kind = KINDS[i % len(KINDS)]
        ((title, paras),) = papers(texts, 1, rng.randint(4, 12) if kind == "pdf" else rng.randint(1, 4), seed + i)
        if kind == "text":
            path = sub / f"{i:04d}.txt"
            path.write_text("\n\n".join([title, *paras]), encoding="utf-8")
        else:
            write, suffix = WRITERS[kind]
            path = write(sub / f"{i:04d}{suffix}", title, paras)
        good[path.relative_to(folder).as_posix()] = kind
    return good, bad


def check_output(out: Path, good: dict[str, str], bad: dict[str, str]) -> list[str]:
    """What is wrong with ``extract``'s output folder: a good file not exactly once, a bad one not in errors."""
    ids = collections.Counter(
        json.loads(line)["id"] for shard in sorted(out.glob("part-*.jsonl")) for line in shard.open()
    )
    errors = {e["id"]: e["reason"] for e in map(json.loads, (out / "errors.jsonl").open())}
    problems = [f"{name}: {ids[name]} times in the shards" for name in good if ids[name] != 1]
    problems += [f"{name}: not a file of the input" for name in ids if name not in good]
    problems += [
        f"{name}: not in errors.jsonl ('{word}' expected)"
        for name, word in bad.items()
        if word not in errors.get(name, "")
    ]
    return problems + [f"{name}: an error of a good file ({errors[name]})" for name in errors if name not in bad]


def per_kind(folder: Path, good: dict[str, str], ckpt: Path) -> dict[str, dict]:
    """Per kind: files, seconds reading, seconds tagging (this process, one thread)."""
    from keyword_lightning import KeywordExtractor
    from keyword_lightning.documents import read_document

    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=1)
    extractor.predict(["warm up the model once"])
    out = {}
    for kind in KINDS:
        files = [folder / name for name, k in good.items() if k == kind]
        start = time.perf_counter()
        texts = [read_document(path).text for path in files]
        reading = time.perf_counter() - start
        start = time.perf_counter()
        extractor.predict(texts)
        out[kind] = {
            "files": len(files),
            "reading": reading,
            "tagging": time.perf_counter() - start,
            "chars": sum(map(len, texts)),
        }
    return out


def quick_checkpoint(inspec: Path, glove: Path, work: Path) -> Path:
    """configs/inspec.yaml fitted for one epoch: a network of the default size."""
    work.mkdir(parents=True, exist_ok=True)
    run(
        [
            *PREPARE,
            "--format",
            "conll",
            "--train",
            str(inspec / "train.txt"),
            "--val",
            str(inspec / "valid.txt"),
            "--test",
            str(inspec / "test.txt"),
            "--embeddings",
            str(glove),
            "--out",
            str(work / "data"),
        ],
        work,
    )
    run(
        [
            *CLI,
            "fit",
            "--config",
            str(ROOT / "configs" / "inspec.yaml"),
            "--data.dataset_file",
            str(work / "data" / "data_set.pkl"),
            "--trainer.max_epochs",
            "1",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.logger",
            "false",
        ],
        work,
        threads=1,
    )
    return max(work.glob("runs/**/last.ckpt"), key=lambda p: p.stat().st_mtime)


def run_extract(ckpt: Path, folder: Path, out: Path, workers: int) -> tuple[float, dict]:
    """One ``extract`` over ``folder``: its wall seconds and manifest."""
    start = time.perf_counter()
    run(
        [
            *CLI,
            "extract",
            "--ckpt_path",
            str(ckpt),
            "--input",
            str(folder),
            "--output",
            str(out),
            "--workers",
            str(workers),
            "--threads",
            "1",
            "--quiet",
        ],
        folder.parent,
        threads=1,
    )
    return time.perf_counter() - start, json.loads((out / "_manifest.json").read_text())


def report(args, good, bad, wall, manifest, kinds, problems, checkpoint: str) -> str:
    run_ = manifest["last_run"]
    rows = []
    for kind, r in kinds.items():
        total = r["reading"] + r["tagging"]
        rows.append(
            f"| {kind} | {r['files']} | {r['files'] / total:,.1f} | {r['files'] / r['reading']:,.1f} | "
            f"{r['chars'] / max(1, r['files']):,.0f} | {100 * r['reading'] / total:.0f}% |"
        )
    return "\n".join(
        [
            "# `extract` over a folder of PDF, HTML, DOCX, Markdown and text files",
            "",
            header(command("files", args.argv)),
            "",
            f"A folder of {len(good) + len(bad):,} files ({len(bad)} bad: truncated, encrypted and scanned PDFs, "
            "zip bombs named .docx, 500 MB sparse files, HTML named .pdf, Word 97 files named .docx, images named "
            ".md), "
            "built by "
            f"`benchmarks/files.py` from Inspec test abstracts; checkpoint: {checkpoint}. The machine's 2 cores were "
            "shared with a training job: figures are lower than on an idle machine.",
            "",
            f"- `extract --workers {args.workers} --threads 1`: {wall:.1f} s wall, "
            f"{run_['seconds']:.1f} s in the engine; "
            f"{len(good) + len(bad):,} files, {(len(good) + len(bad)) / wall:.1f} files/s (wall, start-up included); "
            f"{manifest['documents']:,} records and {manifest['errors']} errors.",
            f"- Every good file in exactly one shard, every bad one in `errors.jsonl`: "
            f"{'yes' if not problems else '**no**: ' + '; '.join(problems[:5])}.",
            "",
            "Per kind, in one process of one thread (reading: `documents.read_document`; tagging: "
            "`KeywordExtractor.predict`, batches of 64):",
            "",
            "| kind | files | files/s (read + tag) | files/s (reading alone) | characters per file "
            "| time spent reading |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=None, help="a checkpoint (default: configs/inspec.yaml, one epoch)")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove/glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "files.md")
    args = ap.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-files-"))
    work.mkdir(parents=True, exist_ok=True)
    ckpt, checkpoint = args.ckpt, f"`{args.ckpt.name}`" if args.ckpt else "configs/inspec.yaml fitted for one epoch"
    if ckpt is None:
        ckpt = quick_checkpoint(args.inspec, args.glove, work / "fit")
    texts, _ = raw_texts(read_conll_gold(args.inspec / "test.txt")[0])
    folder = work / "corpus"
    good, bad = build_folder(folder, args.files, texts)
    print(f"built {len(good) + len(bad)} files in {folder}", flush=True)
    wall, manifest = run_extract(ckpt, folder, work / "out", args.workers)
    problems = check_output(work / "out", good, bad)
    kinds = per_kind(folder, good, ckpt)
    text = report(args, good, bad, wall, manifest, kinds, problems, checkpoint)
    write_results(args.out, text)
    print(text)
    if problems:
        raise SystemExit(f"{len(problems)} problem(s): {problems[:3]}")


if __name__ == "__main__":
    main()
