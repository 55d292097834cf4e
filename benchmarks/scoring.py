"""The benchmarks' one reference scorer, independent of the package: it imports nothing from ``keyword_lightning``.

The package's logged metrics are checked against it, and every benchmark scores with it:

- strict span F1: exact ``(start, end)`` token spans, unique per document, micro over documents
  (``strict_f1``, ``span_scores``; gold from CoNLL tags by ``gold.spans_from_bio``);
- ranked F1@k and F1@M, exact (lowercased words) and Porter-stemmed (``score_ranked``);
- F1 against all gold keyphrases and against the present ones only (``score_present``): present
  verbatim (CSL's reading, exact match) or, with ``stem``, as a stemmed word sequence.

    from benchmarks.gold import read_conll_gold, read_records
    from benchmarks.scoring import score_ranked
    tokens, gold = read_conll_gold("test.txt")
    scores = score_ranked(read_records("predictions.jsonl"), gold)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from benchmarks.gold import Ranked, Span, record_spans  # noqa: F401 (Span, Ranked: this module's types)

# ----------------------------------------------------------------------------- strict spans


def span_scores(pred: Sequence[set[Span]], gold: Sequence[set[Span]]) -> dict[str, float]:
    """Micro strict span precision, recall and F1: exact ``(start, end)`` spans, unique per document.

    ``f1 = 2 tp / (sum pred + sum gold)``; each is 0.0 when its denominator is 0.
    """
    if len(pred) != len(gold):
        raise ValueError(f"pred has {len(pred)} documents but gold has {len(gold)}")
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    npred, ngold = sum(len(p) for p in pred), sum(len(g) for g in gold)
    return {
        "precision": tp / max(npred, 1),
        "recall": tp / max(ngold, 1),
        "f1": 2 * tp / max(npred + ngold, 1),
    }


def strict_f1(pred: Sequence[set[Span]], gold: Sequence[set[Span]]) -> float:
    """Micro strict span F1 (``span_scores``'s ``f1``)."""
    return span_scores(pred, gold)["f1"]


def score_predictions(pred_file: str | Path, gold: Sequence[set[Span]]) -> dict[str, float]:
    """Strict span P/R/F1 and document-level keyphrase-set F1 (micro and macro) of a ``predictions.jsonl``.

    The set F1 compares each document's unique lowercased phrase strings (its tokens joined by
    single spaces) with the gold spans' strings; the macro one averages over documents with gold.
    """
    records = [json.loads(x) for x in Path(pred_file).read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(gold), (len(records), len(gold))
    pred = record_spans(records)
    stp = spred = sgold = 0
    doc_f1 = []
    for record, p, g in zip(records, pred, gold):
        toks = [t.lower() for t in record["tokens"]]
        ps = {" ".join(toks[s : e + 1]) for s, e in p}
        gs = {" ".join(toks[s : e + 1]) for s, e in g}
        stp, spred, sgold = stp + len(ps & gs), spred + len(ps), sgold + len(gs)
        if gs:
            doc_f1.append(2 * len(ps & gs) / (len(ps) + len(gs)))
    return {
        **span_scores(pred, gold),
        "set_f1": 2 * stp / max(spred + sgold, 1),
        "set_macro_f1": sum(doc_f1) / max(len(doc_f1), 1),
    }


# ----------------------------------------------------------------------------- ranked lists


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.porter import PorterStemmer  # needs no nltk data download

    return PorterStemmer()


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


def normalize(phrase: str, stem: bool) -> tuple[str, ...]:
    """A phrase as a tuple of lowercased words (split on any whitespace), each Porter-stemmed if ``stem``.

    The stemmer is nltk's ``PorterStemmer()`` in its default mode. A phrase of whitespace only
    normalises to ``()``.
    """
    words = phrase.lower().split()
    return tuple(_stem(w) for w in words) if stem else tuple(words)


def _unique(phrases: Sequence[str], stem: bool) -> list[tuple[str, ...]]:
    """Normalised phrases, first occurrence kept, empty ones dropped, order preserved."""
    seen: dict[tuple[str, ...], None] = {}
    for phrase in phrases:
        key = normalize(phrase, stem)
        if key:
            seen.setdefault(key, None)
    return list(seen)


def score_ranked(
    predicted: Sequence[Sequence[tuple[str, float]]], gold: Sequence[Sequence[str]], ks: Sequence[int] = (5, 10)
) -> dict[str, float]:
    """Micro-averaged F1@k for each ``k`` in ``ks`` and F1@M, exact and stemmed, plus macro F1@M.

    Contract, per document ``i`` and for each matching mode (exact: ``normalize(p, stem=False)``;
    ``_stem`` suffix: ``normalize(p, stem=True)``):

    - ``predicted[i]`` is a list of ``(phrase, score)``. It is sorted by score, highest first;
      the sort is stable, so ties keep their input order. Then phrases are normalised, phrases
      that normalise to ``()`` are dropped, and duplicates are dropped keeping the first (the
      best-scored). The cut at ``k`` comes after this de-duplication; ``M`` keeps them all.
    - ``gold[i]`` is a list of phrases, normalised and de-duplicated the same way.
    - ``tp@k`` = number of the first ``k`` unique predicted phrases that are in the unique gold
      set; ``pred@k`` = ``min(k, number of unique predicted)``; ``gold`` = number of unique gold.

    Over documents (micro): ``precision@k = sum tp / sum pred``, ``recall@k = sum tp / sum gold``,
    ``f1@k = 2 sum tp / (sum pred + sum gold)`` (the harmonic mean of the two; 0.0 when a
    denominator is 0). Documents without gold still count their predictions in ``sum pred``;
    documents without predictions still count their gold in ``sum gold``.
    ``macro_f1@M`` is the mean over documents with at least one gold phrase of the per-document
    ``2 tp / (pred + gold)`` with all predictions (0.0 if no document has gold).

    Returns:
        ``{"docs", "f1@5", "precision@5", "recall@5", ..., "f1@M", ..., "macro_f1@M"}`` and the
        same keys with ``_stem`` appended for the stemmed mode (``docs`` once).

    Raises:
        ValueError: ``predicted`` and ``gold`` differ in length, a ``k`` is not a positive int, or a
            score is not finite (NaN would make the ranking undefined).

    """
    if len(predicted) != len(gold):
        raise ValueError(f"predicted has {len(predicted)} documents but gold has {len(gold)}")
    if any(not isinstance(k, int) or k < 1 for k in ks):
        raise ValueError(f"ks must be positive ints, got {list(ks)}")
    for i, ranked in enumerate(predicted):
        bad = [score for _, score in ranked if not math.isfinite(score)]
        if bad:
            raise ValueError(f"document {i}: scores must be finite numbers, got {bad[0]!r}")
    cuts: list[tuple[str, int | None]] = [(str(k), k) for k in ks] + [("M", None)]
    out: dict[str, float] = {"docs": float(len(gold))}
    for stem, suffix in ((False, ""), (True, "_stem")):
        tp = dict.fromkeys((name for name, _ in cuts), 0)
        npred = dict.fromkeys((name for name, _ in cuts), 0)
        ngold, doc_f1 = 0, []
        for ranked, phrases in zip(predicted, gold):
            order = sorted(ranked, key=lambda item: -item[1])  # stable: ties keep input order
            pred = _unique([phrase for phrase, _ in order], stem)
            ref = set(_unique(phrases, stem))
            ngold += len(ref)
            for name, k in cuts:
                top = pred if k is None else pred[:k]
                tp[name] += sum(p in ref for p in top)
                npred[name] += len(top)
            if ref:
                hits = sum(p in ref for p in pred)
                doc_f1.append(2 * hits / (len(pred) + len(ref)))
        for name, _ in cuts:
            out[f"precision@{name}{suffix}"] = tp[name] / npred[name] if npred[name] else 0.0
            out[f"recall@{name}{suffix}"] = tp[name] / ngold if ngold else 0.0
            total = npred[name] + ngold
            out[f"f1@{name}{suffix}"] = 2 * tp[name] / total if total else 0.0
        out[f"macro_f1@M{suffix}"] = sum(doc_f1) / len(doc_f1) if doc_f1 else 0.0
    return out


# ----------------------------------------------------------------------------- present keyphrases

PRESENT_METRICS = ("f1@5", "f1@10", "f1@M")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")  # a CJK ideograph alone, else a run of letters, digits and _


def stemmed_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as ``present_stemmed`` compares them: ``WORD`` matches, lowercased, Porter-stemmed.

    Punctuation and whitespace only separate words (``x-ray`` is ``x ray``); each CJK ideograph
    is a word of its own, so a Chinese keyword is present where it stands verbatim.
    """
    return tuple(_stem(w) for w in WORD.findall(text.lower()))


def present(keyphrases: Sequence[str], text: str) -> list[str]:
    """The keyphrases that occur verbatim (case-insensitively) in ``text``."""
    lowered = text.lower()
    return [k for k in keyphrases if k.strip() and k.lower() in lowered]


def present_stemmed(keyphrases: Sequence[str], text: str) -> list[str]:
    """The keyphrases whose ``stemmed_words`` occur as consecutive words in ``text``'s ``stemmed_words``.

    A keyphrase without words (punctuation only, blank) is not present.
    """
    body = " " + " ".join(stemmed_words(text)) + " "  # words hold no space: a substring is a word sequence
    return [k for k in keyphrases if (words := stemmed_words(k)) and f" {' '.join(words)} " in body]


def score_present(
    predicted: Sequence[Sequence[tuple[str, float]]], docs: Sequence[dict], stem: bool = False
) -> dict[str, float]:
    """``score_ranked`` against all gold keyphrases (``all_`` keys) and the present ones (``present_``).

    ``docs`` are ``{"text", "keyphrases"}`` records; *all* counts absent keyphrases too (none can be found).
    Exact (CSL's reading): present = ``present``, keys ``all_f1@5`` ...; with ``stem``: present =
    ``present_stemmed``, phrases matched by their Porter stems, keys ``all_f1@5_stem`` ...
    """
    find, suffix = (present_stemmed, "_stem") if stem else (present, "")
    every = [d["keyphrases"] for d in docs]
    there = [find(d["keyphrases"], d["text"]) for d in docs]
    out = {}
    for prefix, gold in (("all_", every), ("present_", there)):
        scores = score_ranked(predicted, gold, ks=(5, 10))
        out.update({prefix + key + suffix: scores[key + suffix] for key in PRESENT_METRICS})
    return out
