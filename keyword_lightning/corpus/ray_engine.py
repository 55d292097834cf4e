"""The Ray engine: Ray Data runs ``ShardWorker`` on a pool of actors, one unit per call.

``ray.data.from_items`` holds the units still to do (one block each, so that every actor gets
its own), ``map_batches(ShardWorker, compute=ActorPoolStrategy(size=N))`` builds the worker once per actor (the
checkpoint is loaded once per actor, with ``num_gpus`` on a GPU), and each call reads its unit,
tags it and commits its shard as the local engine does. Ray's own readers and writers are not
used: their blocks and file names depend on how a run is scheduled (a re-run writes new
``{uuid}_{block}`` files beside the old ones), so they could not say which input is done, nor
keep a re-run from writing a document twice. A unit-per-shard written by the worker can
(``shards.py``). An actor that dies is restarted and its unit run again (``max_restarts``,
``max_task_retries``); the half-written shard it left is a hidden temporary file.

``--address auto`` joins a running cluster (``ray start --head`` / ``ray start --address``); the
input, the output folder and the checkpoint must then be on a filesystem every node sees at
the same path, and this package installed on every node. Without it a local Ray starts with
``workers x threads`` CPUs and stops at the end.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from keyword_lightning.corpus.options import ExtractOptions
from keyword_lightning.corpus.progress import Progress
from keyword_lightning.corpus.results import UnitDone, UnitFailed, from_json
from keyword_lightning.corpus.sources import Unit
from keyword_lightning.corpus.worker import ShardWorker
from keyword_lightning.runtime import is_quiet

MAX_RESTARTS = 4  # of one actor, and retries of its unit: a unit that kills every actor it meets ends the run


class EngineError(RuntimeError):
    """The engine cannot start (Ray missing, no cluster at ``--address``); one line."""


def start_ray(address: str | None, cpus: int) -> Any:
    """``ray.init``: join the cluster at ``address``, else start a local one of ``cpus`` CPUs; quiet unless asked."""
    try:
        import ray
    except ImportError:
        raise EngineError("--engine ray needs Ray: pip install 'keyword-lightning[ray]'") from None
    quiet = is_quiet()
    where = {"address": address} if address else {"num_cpus": cpus}
    # Ray's coming behaviour now, and without its warning: a CPU actor's CUDA_VISIBLE_DEVICES is left alone.
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    if not address:  # a Ray of our own has no dashboard to feed: no metrics, and no error line on stderr
        os.environ.setdefault("RAY_enable_metrics_collection", "0")  # when its metrics agent starts late

    try:
        ray.init(
            **where,
            include_dashboard=False,
            log_to_driver=not quiet,
            configure_logging=True,
            logging_level=logging.ERROR if quiet else logging.WARNING,
        )
    except ConnectionError as err:
        raise EngineError(f"--address {address}: no Ray cluster there ({str(err)[:200]})") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = not quiet and sys.stderr.isatty()  # off a terminal: our line per N seconds
    context.print_on_execution_start = False
    # Ray Data's INFO lines and its warnings about object store sizes and resource reservations say
    # nothing about this job (it holds only unit names in the object store); they stay in its own
    # log files (/tmp/ray/session_*/logs/ray-data).
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    if quiet:
        logging.getLogger("ray").setLevel(logging.ERROR)
    return ray


def run_ray(
    units: list[Unit], options: ExtractOptions, progress: Progress, on_done: Callable[[UnitDone], None]
) -> list[UnitFailed]:
    """Run ``units`` on ``options.workers`` Ray actors; ``on_done`` gets each unit done; the units that failed."""
    gpus = 1 if options.device == "cuda" else None
    ray = start_ray(options.address, options.workers * options.threads)
    if gpus and ray.cluster_resources().get("GPU", 0) < 1:  # else Ray Data waits for one forever
        ray.shutdown()
        raise EngineError("--device cuda: the Ray cluster has no GPU")
    sizes = {unit.name: unit.size for unit in units}
    failed, finished, docs, done = [], set(), 0, 0
    try:
        items = [{"unit": json.dumps(unit.to_dict())} for unit in units]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(
            ShardWorker,
            fn_constructor_kwargs={"options": options},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=options.workers),
            num_cpus=options.threads,
            num_gpus=gpus,
            max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_RESTARTS,
        )
        for row in ds.iter_rows():
            result = from_json(str(row["summary"]))
            finished.add(result.unit)
            if isinstance(result, UnitFailed):
                failed.append(result)
                continue
            on_done(result)
            docs, done = docs + result.read, done + sizes[result.unit]
            progress.update(docs, done)
    except Exception as err:  # noqa: BLE001 - Ray's errors are many kinds; the units left are reported
        reason = f"the Ray run failed: {type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}"
        failed += [UnitFailed(unit.name, reason) for unit in units if unit.name not in finished]
    finally:
        ray.shutdown()
    return failed
