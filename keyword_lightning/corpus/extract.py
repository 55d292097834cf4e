"""``keyword-lightning extract``: tag a corpus into sharded records, on this machine or on a Ray cluster.

    keyword-lightning extract --ckpt_path best --input corpus/ --output out/ [--engine ray --workers 4]

The input (JSONL, Parquet, ``.txt`` or document files: PDF, HTML, DOCX, Markdown; a file, a folder
or a glob) is split into units (``sources.py``), each unit becomes one shard of ``out/``
(``shards.py``), and a re-run with the same arguments skips the units already done: an
interrupted run, re-run, ends with every document exactly once. Bad documents (and files) go to
``errors.jsonl`` and the run goes on. A missing checkpoint, an
unreadable input, an option out of range (``--top-k -1``) or an output folder of another extract
ends at once in one line, exit 2; units that fail (their shards are not written: an unreadable
file, a full disk, or the model failing on each document of a chunk, ``worker.ChunkFailed``) end
in one line, exit 1, and a re-run retries them. The options are one record (``options.py``), a
unit's outcome another (``results.py``).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from keyword_lightning.commands import (
    CKPT_HELP,
    CommandParser,
    UsageError,
    fail,
    resolve_checkpoint,
    run_command,
    whole_number,
)
from keyword_lightning.corpus.options import ExtractOptions
from keyword_lightning.corpus.progress import Progress
from keyword_lightning.corpus.results import UnitDone, UnitFailed
from keyword_lightning.corpus.shards import OutputError, check_plan, finish, is_complete, lock, remove_temporaries
from keyword_lightning.corpus.sources import MB, InputError, Unit, plan_units
from keyword_lightning.runtime import say

PROG = "keyword-lightning extract"


def parser() -> CommandParser:
    """The options of ``keyword-lightning extract`` (each in both spellings: ``--top-k`` and ``--top_k``)."""
    p = CommandParser("extract")
    add = p.add_argument
    add("--ckpt_path", default=None, help=CKPT_HELP)
    add(
        "--input",
        required=True,
        help="a .jsonl or .parquet file or folder (id, text), a folder of .txt, .pdf, .html, .docx or .md files "
        "(one document each, mixed), or a glob",
    )
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
    add("--max-file-mb", type=float, default=50.0, help="larger PDF/HTML/DOCX/... files go to errors.jsonl")
    add("--max-pages", type=int, default=1000, help="PDFs of more pages go to errors.jsonl")
    return p


def plan_record(options: ExtractOptions, units: list[Unit]) -> dict[str, Any]:
    """What ``_plan.json`` holds: what decides the records (not the engine, the workers or the batch size)."""
    planned = [u.to_dict() for u in units]
    return {"version": 1, "checkpoint": options.ckpt_path, **options.pick(options.PLAN), "units": planned}


class Tally:
    """What the driver keeps of the units done: documents, and per worker process its units and peak RSS."""

    def __init__(self) -> None:
        self.documents, self.workers = 0, {}

    def add(self, done: UnitDone) -> None:
        """Count ``done``."""
        self.documents += done.read
        w = self.workers.setdefault(done.worker.name, {"units": 0, "documents": 0})
        w.update(units=w["units"] + 1, documents=w["documents"] + done.read, peak_rss_mb=done.worker.peak_rss_mb)


def run_engine(options: ExtractOptions, pending: list[Unit], progress: Progress, tally: Tally) -> list[UnitFailed]:
    """Run ``pending`` on ``options.engine``; the units that failed."""
    if options.engine == "ray":
        from keyword_lightning.corpus.ray_engine import EngineError, run_ray

        try:
            return run_ray(pending, options, progress, tally.add)
        except EngineError as err:
            raise UsageError(str(err)) from None
    from keyword_lightning.corpus.local import run_local

    return run_local(pending, options, progress, tally.add)


def start(options: ExtractOptions) -> tuple[ExtractOptions, list[Unit], IO]:
    """The checkpoint read, the input planned, the output folder locked and its plan checked (one line if not)."""
    out = Path(options.output).resolve()
    ckpt = resolve_checkpoint(options.ckpt_path).resolve()  # read once here, not in every worker
    options = replace(options, ckpt_path=str(ckpt), output=str(out))
    units = plan_units(options.input, max(1, int(options.shard_mb * MB)), exclude=out)
    held = lock(out)
    check_plan(out, plan_record(options, units))
    return options, units, held


def extract(options: ExtractOptions) -> None:
    """Plan, skip what is done, run the rest, then write ``errors.jsonl`` and ``_manifest.json``."""
    options, units, held = start(options)
    with held:  # the lock on the output folder, until this run ends however it ends
        run(options, units)


def run(options: ExtractOptions, units: list[Unit]) -> None:
    """Skip the units done, run the others, then write ``errors.jsonl`` and ``_manifest.json``."""
    out = Path(options.output)
    remove_temporaries(out)
    pending = [u for u in units if not is_complete(out, u.name, options.format)]
    done = len(units) - len(pending)
    say(
        f"extract: {len(units)} unit(s) of input, {done} already done; {len(pending)} to run on {options.engine} "
        f"with {options.workers} worker(s)"
    )
    started, begin = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    tally = Tally()
    progress = Progress(sum(u.size for u in pending), options.progress_seconds)
    try:
        failed = run_engine(options, pending, progress, tally) if pending else []
    except KeyboardInterrupt:
        progress.close()
        fail(PROG, "interrupted; the complete shards are kept: run the same command again to finish", 130)
    progress.close()
    seconds = time.perf_counter() - begin
    if failed:
        first = f"{failed[0].unit}: {failed[0].reason}"
        again = "the complete shards are kept: run the same command again to finish them"
        fail(PROG, f"{len(failed)} of {len(pending)} unit(s) failed ({first}); {again}", code=1)
    remove_temporaries(out)  # a killed Ray actor's half-written shard: its unit was run again
    last_run = run_record(options, tally, len(pending), done, started, seconds)
    about = {"input": options.input, "checkpoint": options.ckpt_path, **options.pick(("format", "engine"))}
    manifest = finish(out, units, options.format, {**about, "last_run": last_run})
    errors = f"{manifest['errors']:,} failed (see errors.jsonl)" if manifest["errors"] else "none failed"
    rate = f"{last_run['docs_per_second'] or 0:,.0f} docs/s"
    say(
        f"extract: {manifest['documents']:,} documents in {manifest['shard_count']} shard(s) in {out}; {errors}; "
        f"this run: {last_run['documents']:,} documents in {seconds:.1f} s ({rate})"
    )


def run_record(options: ExtractOptions, tally: Tally, ran: int, skipped: int, started, seconds: float) -> dict:
    """The manifest's ``last_run``: the engine, the units run and skipped, documents/s, each worker's peak RSS."""
    finished = datetime.datetime.now(datetime.timezone.utc)
    return {
        **options.pick(options.RUN),
        "units_run": ran,
        "units_skipped": skipped,
        "documents": tally.documents,
        "seconds": round(seconds, 3),
        "docs_per_second": round(tally.documents / seconds, 1) if seconds > 0 else None,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "worker_processes": tally.workers,
    }


def main(argv: list[str] | None = None) -> None:
    """``keyword-lightning extract ...``: a user's error in one line, exit 2; failed units, exit 1."""
    args = parser().parse_args(argv)
    run_command(PROG, lambda: extract(ExtractOptions.from_args(args)), user=(InputError, OutputError))


if __name__ == "__main__":
    main()
