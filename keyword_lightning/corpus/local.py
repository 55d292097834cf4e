"""The local engine: a ``ShardWorker`` in each of N processes of this machine, handed one unit at a time.

Memory stays bounded: the driver holds the list of units and one small record per finished
unit; a worker holds one chunk of documents (``worker.CHUNK_BATCHES``) and its model. Workers are
spawned (not forked: torch's threads do not survive a fork) and ask the kernel to kill them when
the driver dies, so a killed driver leaves no worker writing behind it. A worker that dies (killed,
out of memory) breaks the pool: its unfinished units are run again in a new pool, up to
``MAX_POOL_RESTARTS`` times.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from keyword_lightning.corpus.options import ExtractOptions
from keyword_lightning.corpus.progress import Progress
from keyword_lightning.corpus.results import UnitDone, UnitFailed, UnitResult
from keyword_lightning.corpus.sources import Unit
from keyword_lightning.corpus.worker import ShardWorker
from keyword_lightning.runtime import say

MAX_POOL_RESTARTS = 3
TICK = 0.25  # seconds between looks at the workers' counts
PR_SET_PDEATHSIG = 1  # linux/prctl.h

_worker: ShardWorker | None = None
_counts: tuple[Any, Any] | None = None  # shared (documents, input bytes) done by all workers


def die_with_driver(driver: int) -> None:
    """Have the kernel send SIGKILL to this process when the driver dies (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != driver:  # it died before the line above
        os._exit(1)


def start_worker(options: ExtractOptions, docs, done_bytes, driver: int) -> None:
    """Pool initializer: load the checkpoint once in this process."""
    global _worker, _counts
    die_with_driver(driver)
    _counts = (docs, done_bytes)
    _worker = ShardWorker(options)


def _count(docs: int, done_bytes: int) -> None:
    for counter, n in zip(_counts, (docs, done_bytes)):
        with counter.get_lock():
            counter.value += n


def run_unit(unit: dict[str, Any]) -> UnitResult:
    """Pool task: one unit, by this process's worker."""
    return _worker.attempt(Unit.from_dict(unit), _count)


def run_local(
    units: list[Unit], options: ExtractOptions, progress: Progress, on_done: Callable[[UnitDone], None]
) -> list[UnitFailed]:
    """Run ``units`` on ``options.workers`` processes; ``on_done`` gets each unit done; the units that failed."""
    ctx = mp.get_context("spawn")
    docs, done_bytes = ctx.Value("q", 0), ctx.Value("q", 0)
    todo, failed, restarts = list(units), [], 0
    while todo:
        start = (options, docs, done_bytes, os.getpid())
        size = min(options.workers, len(todo))
        pool = ProcessPoolExecutor(size, mp_context=ctx, initializer=start_worker, initargs=start)
        try:
            futures = {pool.submit(run_unit, unit.to_dict()): unit for unit in todo}
            todo = []
            while futures:
                finished, _ = wait(futures, timeout=TICK, return_when=FIRST_COMPLETED)
                for future in finished:
                    unit = futures.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:  # a worker died: this unit's shard was not committed
                        todo.append(unit)
                        continue
                    (failed.append if isinstance(result, UnitFailed) else on_done)(result)
                progress.update(docs.value, done_bytes.value)
        except BaseException:  # Ctrl+C: stop the workers now, not after the queued units
            for process in list(getattr(pool, "_processes", {}).values()):  # no public handle on them
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        if todo:
            restarts += 1
            if restarts > MAX_POOL_RESTARTS:
                reason = f"a worker process died {restarts} times"
                return failed + [UnitFailed(unit.name, reason) for unit in todo]
            say(f"extract: a worker process died; {len(todo)} unfinished unit(s) run again in new workers")
    return failed
