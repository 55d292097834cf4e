"""``extract``'s options as one typed record, read from the command line and checked once (``from_args``).

The driver, the plan (``_plan.json``), the manifest and every worker read this record; none
picks options from ``argparse``'s namespace.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from keyword_lightning.commands import UsageError
from keyword_lightning.runtime import default_threads


@dataclass(frozen=True)
class ExtractOptions:
    """What ``keyword-lightning extract`` was asked to do.

    ``PLAN`` names the options that decide the records (kept in ``_plan.json``: a re-run must
    have the same), ``RUN`` those that decide only how a run goes (the manifest's ``last_run``).
    A worker reads ``ckpt_path``, ``output`` and the options of ``shape`` and ``ShardWorker``.
    """

    ckpt_path: str | None  # None: the general model shipped in the package
    input: str
    output: str
    engine: str = "local"
    address: str | None = None
    workers: int = 1
    threads: int = 1
    batch_size: int = 64
    format: str = "jsonl"
    top_k: int | None = None
    min_score: float | None = None
    max_chars: int = 1_000_000
    device: str = "cpu"
    with_tokens: bool = False
    shard_mb: float = 4.0
    progress_seconds: float = 10.0
    max_file_mb: float = 50.0  # a PDF, HTML, DOCX, ... file larger than this goes to errors.jsonl
    max_pages: int = 1000  # ... and a PDF of more pages

    PLAN: ClassVar[tuple[str, ...]] = (
        "format",
        "top_k",
        "min_score",
        "max_chars",
        "with_tokens",
        "shard_mb",
        "max_file_mb",
        "max_pages",
    )
    RUN: ClassVar[tuple[str, ...]] = ("engine", "address", "workers", "threads", "device", "batch_size")

    def pick(self, names: tuple[str, ...]) -> dict[str, Any]:
        """``{name: value}`` of ``names`` (``PLAN``, ``RUN``), in that order."""
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ExtractOptions:
        """The options of a parsed command line, checked (``UsageError``: one line); ``--workers 0``: half the cores."""
        sizes = (args.threads, args.batch_size, args.max_chars, args.shard_mb, args.max_file_mb, args.max_pages)
        if args.workers < 0 or min(sizes) <= 0:
            raise UsageError(
                "--workers, --threads, --batch-size, --max-chars, --shard-mb, --max-file-mb and --max-pages "
                "must be positive"
            )
        if args.address and args.engine != "ray":
            raise UsageError("--address is for --engine ray")
        if args.device == "cuda" and args.engine == "local" and not cuda_available():
            raise UsageError("--device cuda: no CUDA device on this machine")
        values = {f.name: getattr(args, f.name) for f in fields(cls)}
        return cls(**{**values, "workers": args.workers or default_threads()})


def cuda_available() -> bool:
    """Whether torch sees a CUDA device here."""
    import torch

    return torch.cuda.is_available()
