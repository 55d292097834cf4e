"""`keyword-lightning extract` at scale: both engines with 1 and 2 workers; documents/s, memory, exactly once.

    python -m benchmarks.extract --ckpt CKPT                 # Inspec test, then 100,000 and 10,000 synthetic docs
    python -m benchmarks.extract --ckpt CKPT --docs 2000     # a quick look (2,000 and 200)

CKPT: a `configs/inspec.yaml` fit (GloVe); without `--ckpt` one is fitted first (minutes).
Corpora, as JSONL (`id`, `text`): the 500 Inspec test abstracts (tokens joined by spaces, PTB
escapes undone), and synthetic Inspec-like corpora (`synthetic.write_text_corpus`: Inspec train's
lengths and word frequencies) of `--docs` documents and of a tenth of that, in 8 files each.
Each corpus is cut into at least 16 units (`--shard-mb`, at most 4 MB of input each), so that
two workers have work to share. Each run is `keyword-lightning extract` in a process of its own,
one thread per worker, with a local Ray of as many CPUs as workers for the ray engine. Measured:
wall seconds; documents/s of the run (`_manifest.json`: from the engines' start to the last
shard, without the driver's own start-up); the peak RSS of the driver (its own `ru_maxrss`: the
local engine's workers and the processes of a local Ray are not counted) and of each worker (as
it reported it); the shard count; and whether every input id is in the output exactly once.
Writes benchmarks/results/extract.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

from benchmarks.common import RESULTS, SHARED, command, flags, header, measured, write_results
from benchmarks.corpora import raw_texts
from benchmarks.gold import read_conll_gold
from benchmarks.project import fit_default
from benchmarks.synthetic import write_text_corpus

ENGINES = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]
MIN_UNITS = 16


def inspec_corpus(folder: Path, test: Path) -> list[Path]:
    """The Inspec test abstracts as one JSONL file (ids ``test-N``)."""
    texts, _ = raw_texts(read_conll_gold(test)[0])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inspec-test.jsonl"
    path.write_text("".join(json.dumps({"id": f"test-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    return [path]


def ids_of(paths: list[Path]) -> list[str]:
    return [json.loads(line)["id"] for path in paths for line in path.open(encoding="utf-8")]


def output_ids(out: Path) -> collections.Counter:
    return collections.Counter(json.loads(line)["id"] for p in sorted(out.glob("part-*.jsonl")) for line in p.open())


def run_extract(ckpt: Path, corpus: Path, out: Path, engine: str, workers: int, shard_mb: float) -> dict:
    """One ``extract`` in its own process; its wall time, driver peak RSS and manifest."""
    where = {"--ckpt_path": ckpt, "--input": corpus, "--output": out}
    how = {"--engine": engine, "--workers": workers, "--threads": 1, "--shard-mb": f"{shard_mb:g}"}
    args = ["keyword_lightning.cli", "extract", *flags(where), *flags(how), "--quiet"]
    out.parent.mkdir(parents=True, exist_ok=True)
    wall, driver_rss, _ = measured(args, out.parent)
    manifest = json.loads((out / "_manifest.json").read_text())
    return {"wall": wall, "driver_rss": driver_rss, "manifest": manifest}


def row(name: str, docs: int, engine: str, workers: int, result: dict, once: bool) -> str:
    run = result["manifest"]["last_run"]
    rss = sorted(w["peak_rss_mb"] for w in run["worker_processes"].values())
    return (
        f"| {name} | {docs:,} | {engine} | {workers} | {result['wall']:,.1f} | {run['docs_per_second']:,.0f} | "
        f"{result['driver_rss']:,.0f} | {', '.join(f'{r:,.0f}' for r in rss)} | "
        f"{result['manifest']['shard_count']} | {'yes' if once else '**no**'} |"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=None, help="a configs/inspec.yaml checkpoint (default: fit one)")
    ap.add_argument("--docs", type=int, default=100_000, help="synthetic documents (and a tenth of that)")
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove/glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "extract.md")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-extract-"))
    work.mkdir(parents=True, exist_ok=True)
    ckpt = args.ckpt
    if ckpt is None:
        ckpt, minutes = fit_default(args.inspec, args.glove, work / "fit")
        print(f"fitted {ckpt} in {minutes:.1f} min", flush=True)
    small = max(1, args.docs // 10)
    corpora = {
        "Inspec test": inspec_corpus(work / "inspec", args.inspec / "test.txt"),
        f"synthetic {args.docs:,}": write_text_corpus(work / "big", args.docs, args.inspec / "train.txt", seed=0),
        f"synthetic {small:,}": write_text_corpus(work / "small", small, args.inspec / "train.txt", seed=1),
    }
    rows, speed, driver = [], {}, {}
    for name, paths in corpora.items():
        ids = ids_of(paths)
        shard_mb = min(4.0, sum(p.stat().st_size for p in paths) / 2**20 / MIN_UNITS)
        runs = ENGINES if not name.startswith(f"synthetic {small:,}") else [("local", 2), ("ray", 2)]
        for engine, workers in runs:
            out = work / "out" / f"{name.replace(' ', '-').replace(',', '')}-{engine}-{workers}"
            result = run_extract(ckpt, paths[0].parent, out, engine, workers, shard_mb)
            counts = output_ids(out)
            once = sorted(counts) == sorted(ids) and set(counts.values()) == {1}
            rows.append(row(name, len(ids), engine, workers, result, once))
            speed[(name, engine, workers)] = result["manifest"]["last_run"]["docs_per_second"]
            driver[(name, engine)] = result["driver_rss"]
            print(rows[-1], flush=True)
    big = f"synthetic {args.docs:,}"
    checks = [
        f"- ray, 2 workers / ray, 1 worker ({big}): {speed[(big, 'ray', 2)] / speed[(big, 'ray', 1)]:.2f}x "
        "documents/s (target >= 1.5)",
        f"- ray, 2 workers / local, 2 workers ({big}): {speed[(big, 'ray', 2)] / speed[(big, 'local', 2)]:.2f}x "
        "(target >= 0.8)",
        *(
            f"- driver peak RSS, {engine}: {driver[(big, engine)]:,.0f} MB at {args.docs:,} documents, "
            f"{driver[(f'synthetic {small:,}', engine)]:,.0f} MB at {small:,}: "
            f"{driver[(big, engine)] / driver[(f'synthetic {small:,}', engine)]:.2f}x (target <= 1.3)"
            for engine in ("local", "ray")
        ),
    ]
    argv_shown = ["--docs", str(args.docs)] + (["--ckpt", str(args.ckpt)] if args.ckpt else [])
    text = [
        "# `keyword-lightning extract`: engines, workers, memory",
        "",
        header(command("extract", argv_shown)),
        "",
        f"Checkpoint `{Path(ckpt).name}`. One torch thread per worker; each corpus cut into at least {MIN_UNITS} "
        "units (shards). docs/s: the run's own, from the manifest (without the driver's start-up). Peak RSS in MB: "
        "the driver's own, and each worker's as it reported it. A run's docs/s counts its workers' start-up (a "
        "process, torch, NLTK, the checkpoint: seconds each, more on a busy CPU), which a run of a few thousand "
        "documents does not amortize: the targets below are meant for the 100,000-document corpus.",
        "",
        "| corpus | documents | engine | workers | wall s | docs/s | driver peak RSS | worker peak RSS | shards | "
        "every id once |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|---|",
        *rows,
        "",
        *checks,
        "",
    ]
    write_results(args.out, "\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
