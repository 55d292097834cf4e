"""``ShardWorker``: loads the checkpoint once, then turns whole units into shards. The one worker of both engines.

The local engine runs one in each of its processes (``local.py``); the Ray engine hands the class
to ``Dataset.map_batches``, which builds one per actor (``ray_engine.py``). Either way a unit is
read, tagged and written by one call of ``run``, so both engines write the same shards.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keyword_lightning.corpus.readers import Doc, documents
from keyword_lightning.corpus.shards import ShardWriter
from keyword_lightning.corpus.sources import Unit
from keyword_lightning.documents import DEFAULT_LIMITS, Limits
from keyword_lightning.documents.source import MB
from keyword_lightning.inference.documents import with_source

CHUNK_BATCHES = 16  # forward-pass batches handed to the extractor at once: it groups them by length
CHUNK_CHARS = 4_000_000  # ... and at most this much text, so a chunk of long documents stays small


def shape(record: dict[str, Any], top_k: int | None, min_score: float | None, with_tokens: bool) -> dict[str, Any]:
    """A ``predictions.jsonl`` record as ``extract`` writes it.

    ``--top-k`` and ``--min-score`` keep the document's best keyphrases (``ranked``, as
    ``KeywordExtractor.keyphrases``), and ``keyphrases`` keeps the occurrences of those;
    ``tokens`` and ``tags`` only ``with_tokens``.
    """
    ranked = record["ranked"]
    keyphrases = record["keyphrases"]
    if top_k is not None or min_score is not None:
        from keyword_lightning.scoring.keyphrases import select

        ranked = select(ranked, top_k, min_score)
        kept = {tuple(span) for phrase in ranked for span in phrase["occurrences"]}
        keyphrases = [k for k in keyphrases if (k["start_char"], k["end_char"]) in kept]
    out = {"id": record["id"]}
    if "source" in record:  # a document file: its kind, title and pages (inference/documents.py)
        out["source"] = record["source"]
    if with_tokens:
        out.update(tokens=record["tokens"], tags=record["tags"])
    return {**out, "keyphrases": keyphrases, "ranked": ranked}


def chunks(docs: Iterator[Doc], size: int, chars: int = CHUNK_CHARS) -> Iterator[list[Doc]]:
    """``docs`` in lists of at most ``size`` documents or about ``chars`` characters."""
    chunk: list[Doc] = []
    held = 0
    for doc in docs:
        chunk.append(doc)
        held += len(doc.text or "")
        if len(chunk) >= size or held >= chars:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def peak_rss_mb() -> float:
    """The peak resident memory of this process, MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ShardWorker:
    """Reads a unit, tags its documents in chunks and writes its shard (``shards.ShardWriter``).

    Args:
        ckpt_path: the checkpoint (a path every worker can read).
        out: the output folder.
        fmt: ``jsonl`` or ``parquet``.
        max_chars, top_k, min_score, with_tokens: ``extract``'s options of the same names.
        max_file_mb, max_pages: ``extract``'s limits on a document file (``documents.Limits``).
        batch_size: documents per forward pass.
        device: ``cpu`` or ``cuda``.
        threads: torch threads of this worker.

    """

    def __init__(
        self,
        ckpt_path: str,
        out: str,
        fmt: str = "jsonl",
        max_chars: int = 1_000_000,
        top_k: int | None = None,
        min_score: float | None = None,
        with_tokens: bool = False,
        batch_size: int = 64,
        device: str = "cpu",
        threads: int = 1,
        max_file_mb: float = DEFAULT_LIMITS.max_bytes / MB,
        max_pages: int = DEFAULT_LIMITS.max_pages,
    ) -> None:
        from keyword_lightning.inference.extractor import KeywordExtractor

        self.extractor = KeywordExtractor.from_checkpoint(ckpt_path, device=device, threads=threads,
                                                          batch_size=batch_size)  # fmt: skip
        self.out, self.fmt, self.max_chars = out, fmt, max_chars
        self.top_k, self.min_score, self.with_tokens = top_k, min_score, with_tokens
        self.chunk = batch_size * CHUNK_BATCHES
        self.limits = Limits(max_bytes=int(max_file_mb * MB), max_pages=max_pages)

    def run(self, unit: Unit, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Tag ``unit`` and commit its shard; its record (``_parts``). ``progress(docs, bytes)`` after each chunk."""
        start, documents_done, errors, done = time.perf_counter(), 0, [], 0
        with ShardWriter(Path(self.out), unit.name, self.fmt, self.with_tokens) as writer:
            for chunk in chunks(documents(unit, self.max_chars, self.limits), self.chunk):
                good = [d for d in chunk if d.reason is None]
                errors += [{"id": d.id, "reason": d.reason} for d in chunk if d.reason is not None]
                records = self.tag(good, errors)
                sources = {d.id: d.source for d in good if d.source is not None}
                records = [with_source(r, sources[r["id"]]) if r["id"] in sources else r for r in records]
                writer.write([shape(r, self.top_k, self.min_score, self.with_tokens) for r in records])
                documents_done += len(records)
                if progress:
                    progress(len(chunk), chunk[-1].done - done)
                done = chunk[-1].done
            record = {
                "unit": unit.name,
                "documents": documents_done,
                "errors": errors,
                "seconds": round(time.perf_counter() - start, 3),
                "worker": {"host": socket.gethostname(), "pid": os.getpid(), "peak_rss_mb": round(peak_rss_mb(), 1)},
            }
            writer.commit(record)
        if progress and unit.size > done:
            progress(0, unit.size - done)
        return {**record, "errors": len(errors)}

    def tag(self, docs: list[Doc], errors: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Records of ``docs``; should the chunk fail, each document alone, so that only a failing one is lost."""
        if not docs:
            return []
        try:
            return self.extractor.predict([d.text for d in docs], [d.id for d in docs])
        except Exception:  # noqa: BLE001 - isolate the document that breaks the chunk
            records = []
            for d in docs:
                try:
                    records += self.extractor.predict([d.text], [d.id])
                except Exception as err:  # noqa: BLE001
                    errors.append({"id": d.id, "reason": f"the model failed ({type(err).__name__}: {str(err)[:200]})"})
            return records

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """``Dataset.map_batches``: a batch of units (column ``unit``, JSON) to their records (column ``summary``)."""
        import json

        import numpy as np

        out = [self.attempt(Unit.from_dict(json.loads(str(text)))) for text in batch["unit"]]
        return {"summary": np.array([json.dumps(s) for s in out], dtype=object)}

    def attempt(self, unit: Unit, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """``run``, with an error (an unreadable file, a full disk) as ``{"unit", "failed"}``: the other units go on."""
        try:
            return self.run(unit, progress)
        except Exception as err:  # noqa: BLE001 - one unit's failure must not end the others
            return {"unit": unit.name, "failed": f"{type(err).__name__}: {str(err)[:300]}"}
