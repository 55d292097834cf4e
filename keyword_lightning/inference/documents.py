"""Records of documents read from files: the source named, and each keyphrase's page where the source has pages.

``with_source(record, source)`` adds to a ``predictions.jsonl`` record (``inference/predictions.py``)
``"source": {"name", "kind", "title", "pages"}`` and, for a paged source (PDF), ``page`` to each
occurrence in ``keyphrases`` and ``page`` (its first occurrence's) and ``pages`` (every page it
occurs on, ascending) to each phrase of ``ranked``. Pages count from 1.
"""

from __future__ import annotations

from typing import Any

from keyword_lightning.documents import SourceText


def with_source(record: dict[str, Any], source: SourceText) -> dict[str, Any]:
    """``record`` with its source and pages (a new dict; ``record`` is left as it is)."""
    out = {**record, "source": source.to_dict()}
    if source.pages is None:
        return out
    out["keyphrases"] = [{**k, "page": source.page_of(k["start_char"])} for k in record["keyphrases"]]
    out["ranked"] = [with_pages(k, source) for k in record["ranked"]]
    return out


def with_pages(phrase: dict[str, Any], source: SourceText) -> dict[str, Any]:
    """A ranked phrase (``occurrences``: ``[start, end]`` pairs) with ``page`` and ``pages``."""
    pages = [source.page_of(start) for start, _ in phrase["occurrences"]]
    first = source.page_of(min(start for start, _ in phrase["occurrences"])) if pages else None
    return {**phrase, "page": first, "pages": sorted(set(pages))}
