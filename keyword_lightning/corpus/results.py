"""What running a unit of ``extract`` comes to: ``UnitDone`` (its shard committed) or ``UnitFailed`` (not written).

``errors`` means one thing everywhere: the documents of a unit that could not be tagged, each a
``DocumentError`` (a line of ``errors.jsonl``); how many there are is ``len(errors)``. A unit's
``_parts`` file is ``UnitDone.to_dict()``; the Ray engine carries results as ``to_json`` text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DocumentError:
    """A document that could not be tagged, and why: a line of ``errors.jsonl``."""

    id: str
    reason: str


@dataclass(frozen=True)
class WorkerInfo:
    """The process that ran a unit, and its peak resident memory then (MB)."""

    host: str
    pid: int
    peak_rss_mb: float

    @property
    def name(self) -> str:
        """``host:pid``."""
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True)
class UnitDone:
    """A unit whose shard is committed: ``documents`` tagged into it, ``errors`` reported instead."""

    unit: str
    documents: int
    errors: tuple[DocumentError, ...]
    seconds: float
    worker: WorkerInfo

    @property
    def read(self) -> int:
        """The unit's documents, tagged or reported."""
        return self.documents + len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The unit's ``_parts`` file (``from_dict`` reads it back)."""
        return {**asdict(self), "errors": [asdict(e) for e in self.errors]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnitDone:
        """The ``UnitDone`` that ``to_dict`` wrote."""
        errors = tuple(DocumentError(**e) for e in d["errors"])
        return cls(d["unit"], d["documents"], errors, d["seconds"], WorkerInfo(**d["worker"]))


@dataclass(frozen=True)
class UnitFailed:
    """A unit whose shard was not written (an unreadable file, a full disk, a model failing on a whole chunk).

    Nothing of it is visible in the output; a re-run with the same arguments runs it again.
    """

    unit: str
    reason: str


UnitResult = UnitDone | UnitFailed


def to_json(result: UnitResult) -> str:
    """``result`` as one JSON object, its kind under ``"kind"``."""
    if isinstance(result, UnitDone):
        return json.dumps({"kind": "done", **result.to_dict()}, ensure_ascii=False)
    return json.dumps({"kind": "failed", **asdict(result)}, ensure_ascii=False)


def from_json(text: str) -> UnitResult:
    """The ``UnitDone`` or ``UnitFailed`` of ``to_json``."""
    d = json.loads(text)
    kind = d.pop("kind")
    return UnitDone.from_dict(d) if kind == "done" else UnitFailed(**d)
