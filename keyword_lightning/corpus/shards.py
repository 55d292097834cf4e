"""The output folder of ``extract``: shards that appear whole or not at all, so a re-run finishes the work once.

Layout of ``DIR``::

    part-00000.jsonl ...    one shard per input unit (``sources.py``): records as predictions.jsonl holds them
    errors.jsonl            {"id", "reason"} of each document that could not be tagged, in unit order
    _manifest.json          shards, document and error counts, checkpoint, engine, timing (written last)
    _plan.json              the units and the options that shape the records (checked by a re-run)
    _parts/part-00000.json  each finished unit's counts, its errors and the worker that ran it

A unit's shard is written to a hidden temporary name (``.part-00000.jsonl.XXXX.tmp``) and renamed
into place only after its ``_parts`` file is written: a shard that exists is complete, and so is
its unit's record. A re-run skips units whose shard exists and redoes the others from scratch; a
worker killed mid-unit leaves only a temporary file, removed by the next run. So every input
document ends in exactly one shard (or in ``errors.jsonl``) however often a run is interrupted.
``errors.jsonl`` and ``_manifest.json`` are rebuilt from ``_parts`` when every unit is done.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from keyword_lightning.corpus.results import UnitDone
from keyword_lightning.corpus.sources import Unit
from keyword_lightning.data.formats import atomic_write
from keyword_lightning.inference.predictions import to_jsonl

PARTS, PLAN, MANIFEST, ERRORS, LOCK = "_parts", "_plan.json", "_manifest.json", "errors.jsonl", ".lock"


class OutputError(ValueError):
    """An output folder that this run cannot write to (one line)."""


def shard_file(out: Path, name: str, fmt: str) -> Path:
    """Where unit ``name``'s shard goes."""
    return out / f"{name}.{fmt}"


def part_file(out: Path, name: str) -> Path:
    """Where unit ``name``'s record (counts, errors, worker) goes."""
    return out / PARTS / f"{name}.json"


def is_complete(out: Path, name: str, fmt: str) -> bool:
    """The unit's shard exists (renamed into place after its record, so that exists too)."""
    return shard_file(out, name, fmt).is_file() and part_file(out, name).is_file()


def parquet_schema(with_tokens: bool):
    """The Arrow schema of a Parquet shard: the JSONL record's fields, typed."""
    import pyarrow as pa

    # page, pages and source: null but for document files (inference/documents.py)
    number = pa.int64()
    keyphrase = pa.struct(
        [("text", pa.string()), ("start_token", number), ("end_token", number), ("start_char", number)]
        + [("end_char", number), ("score", pa.float64()), ("page", number)]
    )
    spans = pa.list_(pa.list_(pa.int64()))
    ranked = pa.struct(
        [("text", pa.string()), ("score", pa.float64()), ("occurrences", spans)]
        + [("page", number), ("pages", pa.list_(number))]
    )
    source = pa.struct([("name", pa.string()), ("kind", pa.string()), ("title", pa.string()), ("pages", pa.int64())])
    fields = [("id", pa.string()), ("source", source)]
    if with_tokens:
        fields += [("tokens", pa.list_(pa.string())), ("tags", pa.list_(pa.string()))]
    return pa.schema([*fields, ("keyphrases", pa.list_(keyphrase)), ("ranked", pa.list_(ranked))])


class ShardWriter:
    """Writes one unit's shard under a temporary name; ``commit`` makes it visible, anything else removes it."""

    def __init__(self, out: Path, name: str, fmt: str, with_tokens: bool) -> None:
        self.out, self.name, self.fmt = out, name, fmt
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.{fmt}.", suffix=".tmp", dir=out)
        self.tmp = Path(tmp)
        self._fh: IO[bytes] = os.fdopen(fd, "wb")
        self._parquet = None
        if fmt == "parquet":
            import pyarrow.parquet as pq

            self.schema = parquet_schema(with_tokens)
            self._parquet = pq.ParquetWriter(self._fh, self.schema)

    def write(self, records: list[dict[str, Any]]) -> None:
        """Append ``records`` (one Parquet row group per call)."""
        if self._parquet is not None:
            import pyarrow as pa

            if records:
                self._parquet.write_table(pa.Table.from_pylist(records, schema=self.schema))
        else:
            self._fh.write(to_jsonl(records).encode("utf-8"))

    def commit(self, done: UnitDone) -> Path:
        """Close the shard, write the unit's record (``_parts``: ``done``), then rename the shard into place."""
        if self._parquet is not None:
            self._parquet.close()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        with atomic_write(part_file(self.out, self.name), "w") as fh:
            json.dump(done.to_dict(), fh, ensure_ascii=False)
        final = shard_file(self.out, self.name, self.fmt)
        os.replace(self.tmp, final)
        return final

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self.tmp.exists():  # not committed: nothing of the unit becomes visible
            self._fh.close()
            self.tmp.unlink(missing_ok=True)


def lock(out: Path) -> IO:
    """Hold ``DIR/.lock`` while this run writes (released by the kernel when the process ends, however it ends)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PARTS).mkdir(exist_ok=True)
    fh = open(out / LOCK, "a")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise OutputError(f"{out}: another extract is writing there") from None
    return fh


def check_plan(out: Path, plan: dict[str, Any]) -> None:
    """Write ``_plan.json``, or check that the one there is this run's: a folder holds one extract only."""
    path = out / PLAN
    if path.is_file():
        if json.loads(path.read_text(encoding="utf-8")) != json.loads(json.dumps(plan)):
            raise OutputError(
                f"{out} holds an extract of other input files or options ({PLAN}): use another --output "
                "(or delete this one), or re-run with the arguments of the first run"
            )
        return
    with atomic_write(path, "w") as fh:
        json.dump(plan, fh, indent=1)


def remove_temporaries(out: Path) -> int:
    """Delete the temporary files that interrupted runs left (shards and records); how many."""
    found = [*out.glob(".part-*.tmp"), *(out / PARTS).glob(".*.tmp")]
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def finish(out: Path, units: list[Unit], fmt: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """Merge the units' errors into ``errors.jsonl`` and write ``_manifest.json`` (both atomic); the manifest.

    The manifest counts (its own ``errors`` and each shard's) are the lines of ``errors.jsonl``.
    """
    shards, documents, errors = [], 0, 0
    with atomic_write(out / ERRORS, "w") as fh:
        for unit in units:
            part = UnitDone.from_dict(json.loads(part_file(out, unit.name).read_text(encoding="utf-8")))
            fh.write("".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in part.errors))
            name = shard_file(out, unit.name, fmt).name
            shards.append({"name": name, "documents": part.documents, "errors": len(part.errors), "input": unit.label})
            documents, errors = documents + part.documents, errors + len(part.errors)
    manifest = {**manifest, "documents": documents, "errors": errors, "shard_count": len(shards), "shards": shards}
    with atomic_write(out / MANIFEST, "w") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False)
    return manifest
