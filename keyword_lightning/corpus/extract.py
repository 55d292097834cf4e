"""``keyword-lightning extract``: tag a corpus into sharded records, on this machine or on a Ray cluster.

    keyword-lightning extract --ckpt_path best --input corpus/ --output out/ [--engine ray --workers 4]

The input (JSONL, Parquet or ``.txt`` files; a file, a folder or a glob) is split into units
(``sources.py``), each unit becomes one shard of ``out/`` (``shards.py``), and a re-run with the
same arguments skips the units already done: an interrupted run, re-run, ends with every document
exactly once. Bad documents go to ``errors.jsonl`` and the run goes on. A missing checkpoint, an
unreadable input or an output folder of another extract ends at once in one line, exit 2; units
that fail (their shards are not written) end in one line, exit 1, and a re-run retries them.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path
from typing import Any

from keyword_lightning.commands import CKPT_HELP, CommandParser, fail, resolve_checkpoint, whole_number
from keyword_lightning.corpus.progress import Progress
from keyword_lightning.corpus.shards import OutputError, check_plan, finish, is_complete, lock, remove_temporaries
from keyword_lightning.corpus.sources import MB, InputError, plan_units
from keyword_lightning.model.checkpoint import CheckpointError
from keyword_lightning.runs import RunError
from keyword_lightning.runtime import default_threads, say

PROG = "keyword-lightning extract"


def parser() -> CommandParser:
    """The options of ``keyword-lightning extract`` (each in both spellings: ``--top-k`` and ``--top_k``)."""
    p = CommandParser("extract")
    add = p.add_argument
    add("--ckpt_path", required=True, help=CKPT_HELP)
    add("--input", required=True, help="a .jsonl or .parquet file or folder (id, text), a folder of .txt, or a glob")
    add("--output", required=True, help="the output folder: part-*.jsonl|parquet, errors.jsonl, _manifest.json")
    add("--engine", choices=["local", "ray"], default="local")
    add("--address", default=None, help="ray: a running cluster (auto: the one this machine belongs to)")
    add("--workers", type=int, default=0, help="worker processes or actors (default: half the CPU cores, at least 1)")
    add("--threads", type=int, default=1, help="torch threads per worker")
    add("--batch-size", type=int, default=64, help="documents per forward pass")
    add("--format", choices=["jsonl", "parquet"], default="jsonl", help="of the shards")
    add("--top-k", type=whole_number, default=None, help="keep each document's K best keyphrases")
    add("--min-score", type=float, default=None, help="drop keyphrases ranked below this score")
    add("--max-chars", type=int, default=1_000_000, help="longer documents go to errors.jsonl")
    add("--device", choices=["cpu", "cuda"], default="cpu")
    add("--with-tokens", action="store_true", help="also write each record's tokens and tags")
    add("--shard-mb", type=float, default=4.0, help="input megabytes per shard (a unit of work)")
    add("--progress-seconds", type=float, default=10.0, help="off a terminal, a line every N s")
    return p


def cuda_available() -> bool:
    """Whether torch sees a CUDA device here."""
    import torch

    return torch.cuda.is_available()


def plan_record(args: argparse.Namespace, ckpt: Path, units: list) -> dict[str, Any]:
    """What ``_plan.json`` holds: what decides the records (not the engine, the workers or the batch size)."""
    options = {k: getattr(args, k) for k in ("format", "top_k", "min_score", "max_chars", "with_tokens", "shard_mb")}
    return {"version": 1, "checkpoint": str(ckpt), **options, "units": [u.to_dict() for u in units]}


def run_engine(args, pending: list, worker_kwargs: dict, progress: Progress, on_record) -> list[dict]:
    """The failed units of running ``pending`` on ``args.engine``."""
    if args.engine == "ray":
        from keyword_lightning.corpus.ray_engine import EngineError, run_ray

        try:
            return run_ray(pending, worker_kwargs, args.workers, args.address, progress, on_record)
        except EngineError as err:
            fail(PROG, err)
    from keyword_lightning.corpus.local import run_local

    return run_local(pending, worker_kwargs, args.workers, progress, on_record)


def main(argv: list[str] | None = None) -> None:
    """Plan, skip what is done, run the rest, then write ``errors.jsonl`` and ``_manifest.json``."""
    args = parser().parse_args(argv)
    if args.workers < 0 or args.threads < 1 or args.batch_size < 1 or args.max_chars < 1 or args.shard_mb <= 0:
        fail(PROG, "--workers, --threads, --batch-size, --max-chars and --shard-mb must be positive")
    if args.address and args.engine != "ray":
        fail(PROG, "--address is for --engine ray")
    if args.device == "cuda" and args.engine == "local" and not cuda_available():
        fail(PROG, "--device cuda: no CUDA device on this machine")
    args.workers = args.workers or default_threads()
    out = Path(args.output).resolve()
    try:
        ckpt = resolve_checkpoint(args.ckpt_path).resolve()  # read once here, not in every worker
        units = plan_units(args.input, max(1, int(args.shard_mb * MB)), exclude=out)
        held = lock(out)  # noqa: F841 - released when this process ends
        check_plan(out, plan_record(args, ckpt, units))
    except (CheckpointError, RunError, InputError, OutputError) as err:
        fail(PROG, err)
    except OSError as err:  # the output folder cannot be made or written
        fail(PROG, f"{err.filename or out}: {err.strerror or err}")
    remove_temporaries(out)
    pending = [u for u in units if not is_complete(out, u.name, args.format)]
    say(f"extract: {len(units)} unit(s) of input, {len(units) - len(pending)} already done; "
        f"{len(pending)} to run on {args.engine} with {args.workers} worker(s)")  # fmt: skip
    worker_kwargs = {"ckpt_path": str(ckpt), "out": str(out), "fmt": args.format, "max_chars": args.max_chars,
                     "top_k": args.top_k, "min_score": args.min_score, "with_tokens": args.with_tokens,
                     "batch_size": args.batch_size, "device": args.device, "threads": args.threads}  # fmt: skip
    started, start = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    records: list[dict] = []
    progress = Progress(sum(u.size for u in pending), args.progress_seconds)
    try:
        failed = run_engine(args, pending, worker_kwargs, progress, records.append) if pending else []
    except KeyboardInterrupt:
        progress.close()
        fail(PROG, "interrupted; the complete shards are kept: run the same command again to finish", 130)
    progress.close()
    seconds = time.perf_counter() - start
    if failed:
        first = failed[0]
        fail(PROG, f"{len(failed)} of {len(pending)} unit(s) failed ({first['unit']}: {first['failed']}); "
             "the complete shards are kept: run the same command again to finish them", code=1)  # fmt: skip
    remove_temporaries(out)  # a killed Ray actor's half-written shard: its unit was run again
    run = run_record(args, records, len(pending), len(units) - len(pending), started, seconds)
    manifest = finish(out, units, args.format, {"input": args.input, "checkpoint": str(ckpt), "format": args.format,
                                                "engine": args.engine, "last_run": run})  # fmt: skip
    errors = manifest["errors"]
    say(f"extract: {manifest['documents']:,} documents in {manifest['shard_count']} shard(s) in {out}; "
        f"{f'{errors:,} failed (see errors.jsonl)' if errors else 'none failed'}; this run: "
        f"{run['documents']:,} documents in {seconds:.1f} s ({run['docs_per_second'] or 0:,.0f} docs/s)")  # fmt: skip


def run_record(args, records: list[dict], ran: int, skipped: int, started, seconds: float) -> dict[str, Any]:
    """The manifest's ``last_run``: the engine, the units run and skipped, documents/s, each worker's peak RSS."""
    done = sum(r["documents"] + r["errors"] for r in records)
    workers: dict[str, dict] = {}
    for r in records:
        w = workers.setdefault(f"{r['worker']['host']}:{r['worker']['pid']}", {"units": 0, "documents": 0})
        w.update(units=w["units"] + 1, documents=w["documents"] + r["documents"] + r["errors"],
                 peak_rss_mb=r["worker"]["peak_rss_mb"])  # fmt: skip
    finished = datetime.datetime.now(datetime.timezone.utc)
    return {
        **{k: getattr(args, k) for k in ("engine", "address", "workers", "threads", "device", "batch_size")},
        "units_run": ran,
        "units_skipped": skipped,
        "documents": done,
        "seconds": round(seconds, 3),
        "docs_per_second": round(done / seconds, 1) if seconds > 0 else None,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "worker_processes": workers,
    }


if __name__ == "__main__":
    main()
