"""How a command shares the machine and the terminal: threads, streams, quiet, known noise.

Torch threads, stdout for results only, ``--quiet``, and third-party messages that tell a user
nothing.

Every command (``fit``, ``validate``, ``test``, ``predict``, ``serve``) and ``KeywordExtractor``
go through here, so the rules are one set:

- **Threads.** torch's default (one thread per core) spins against other processes: two short
  fits at once on 2 cores each run far slower than one alone (``benchmarks/shared_cpu.py``;
  measured: benchmarks/results/throughput.md#two-fits-at-once-on-a-shared-cpu).
  ``default_threads`` gives each process half the usable cores, at least one, unless
  ``OMP_NUM_THREADS`` says otherwise.
- **Streams.** stdout carries only a command's results (prediction records, test metrics);
  logs, warnings, progress and wandb's lines go to stderr (``results_stream``).
- **Quiet.** ``--quiet`` or ``KW_QUIET=1``: only errors on stderr (``set_quiet``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from typing import TextIO

QUIET_ENV = "KW_QUIET"

# Messages of Lightning and torch that say nothing to a user of this project (matched at the
# start of the message); dropped at the logging handler or the warnings filter they come through.
NOISE = (
    "💡 Tip:",  # Lightning's advertisements for its cloud loggers
    "GPU available:",
    "TPU available:",
    "HPU available:",
    "Seed set to",
    "`isinstance(treespec, LeafSpec)` is deprecated",  # Lightning's _pytree under torch 2.13
    "The dirpath has changed from",  # a resumed fit's checkpoints go to the new run folder on purpose
    "The number of training batches",  # short runs (limit_train_batches) vs log_every_n_steps
    "`Trainer.fit` stopped:",  # the per-epoch lines already say when training ended
    "Restoring states from the checkpoint path",  # the user named the checkpoint (or --ckpt_path best says it)
    "Loaded model weights from the checkpoint",
    "Be aware that when using `ckpt_path`",  # predict/test need no early stopping or checkpoint callbacks
    "LightningCLI's args parameter is intended",  # main() hands LightningCLI the command line it has read
    "Total length of `DataLoader` across ranks is zero",  # an empty input: PredictionWriter says so
)
LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")


def default_threads(cores: int | None = None) -> int:
    """Torch threads for one process: half the usable cores, at least 1.

    Two such processes fill the machine without spinning against each other; one alone gives up
    little, since a BiLSTM step of this size gains little from a second thread
    (``benchmarks/shared_cpu.py`` measures both).
    """
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not on Linux
            cores = os.cpu_count() or 1
    return max(1, cores // 2)


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads; ``None``: ``OMP_NUM_THREADS`` or ``default_threads``; 0: torch's own."""
    import torch

    if threads is None:
        threads = int(os.environ.get("OMP_NUM_THREADS") or 0) or default_threads()
    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def is_quiet() -> bool:
    """``--quiet`` was given (it sets ``KW_QUIET=1``) or ``KW_QUIET=1`` is in the environment."""
    return os.environ.get(QUIET_ENV, "") not in ("", "0")


def set_quiet(quiet: bool = True) -> None:
    """``--quiet`` (every command's, one way): ``KW_QUIET``, then Lightning's loggers and the warnings filter."""
    os.environ[QUIET_ENV] = "1" if quiet else "0"
    quiet_third_parties()


def say(message: str) -> None:
    """One line for the user on stderr, unless quiet."""
    if not is_quiet():
        print(message, file=sys.stderr, flush=True)


_results: TextIO | None = None


def results_stream() -> TextIO:
    """Where a command's results go: the real stdout, also while ``sys.stdout`` points at stderr."""
    return _results or sys.stdout


def results_only_on_stdout() -> None:
    """From now on ``sys.stdout`` is stderr, so only ``results_stream()`` writes reach stdout."""
    global _results
    if _results is None:
        _results, sys.stdout = sys.stdout, sys.stderr


def restore_stdout() -> None:
    """Undo ``results_only_on_stdout``."""
    global _results
    if _results is not None:
        sys.stdout, _results = _results, None


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).lstrip().startswith(NOISE)


def quiet_third_parties() -> None:
    """Drop ``NOISE`` from Lightning's log handlers and the warnings filter; in quiet mode, all but errors.

    wandb prints its own lines unless ``WANDB_SILENT``; the CLI sets that and says in one line
    where the offline run is.
    """
    os.environ.setdefault("WANDB_SILENT", "true")
    quiet = is_quiet()
    for name in LIGHTNING_LOGGERS:
        log = logging.getLogger(name)
        if quiet:
            log.setLevel(logging.ERROR)
        for handler in log.handlers:
            if not any(isinstance(f, _DropNoise) for f in handler.filters):
                handler.addFilter(_DropNoise())
    if quiet:
        warnings.simplefilter("ignore")
    else:
        for start in NOISE:
            warnings.filterwarnings("ignore", message=f".*{re.escape(start)}")
