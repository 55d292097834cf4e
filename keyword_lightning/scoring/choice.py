"""Choosing a ranker on labelled documents of several corpora, so that no corpus is traded for another.

Each ``LabelledDocument`` holds what every kind of ranker reads (``rankers.py``): the tagger's
phrases (``TaggedDocument``, for the hand rule and the phrase ranker) and every candidate
(``Candidates``, for the candidate ranker), with the document's gold keys (tuples of Porter stems;
absent keyphrases too, so F1 counts them as the literature does) and its ``group`` (its corpus).

``macro_f1`` is the mean over groups of each group's micro F1@k; ``choose`` fits each kind on
one half of every group and scores it on the other half, both ways (2-fold cross-fitting; the
halves alternate within a group), and keeps the kind with the best mean macro F1@10, fitted on all
documents. The candidate ranker's ``threshold`` (where a document's list ends) is the one of
``THRESHOLDS`` with the best cross-fitted macro F1@10. The hand rule needs no fit; a learned kind
that cannot be fitted on a half scores nan and is not chosen. Pure logic; the candidate ranker's
fit uses torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

from keyword_lightning.scoring.candidate_ranker import CandidateRanker
from keyword_lightning.scoring.candidates import Candidates
from keyword_lightning.scoring.keyphrases import HAND, rank_occurrences
from keyword_lightning.scoring.phrase_ranker import FitError, PhraseRanker, TaggedDocument
from keyword_lightning.scoring.ranking import hits_at

CUT = 10
THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
KINDS = (HAND.kind, PhraseRanker.kind, CandidateRanker.kind)


class LabelledDocument(NamedTuple):
    """One labelled document as every kind of ranker reads it (see the module docstring)."""

    group: str
    tagged: TaggedDocument
    candidates: Candidates
    gold: frozenset[tuple[str, ...]]


def ranked_keys(ranker: Any, doc: LabelledDocument) -> list[Hashable]:
    """``doc``'s keys, best first, as ``ranker`` (any kind) ranks them."""
    if isinstance(ranker, CandidateRanker):
        return [doc.candidates.keys[i] for i in ranker.order(ranker.scores(doc.candidates))]
    t = doc.tagged
    return [key for key, _, _ in rank_occurrences(t.keys, t.scores, t.starts, t.lengths, t.n_tokens, ranker)]


def macro_f1(ranker: Any, documents: Sequence[LabelledDocument], k: int = CUT) -> dict[str, float]:
    """Each group's micro F1@k (``2 sum tp / (sum min(k, predicted) + sum gold)``) and their mean, ``macro``."""
    counts: dict[str, list[int]] = {}
    for doc in documents:
        tp, predicted = hits_at(ranked_keys(ranker, doc), doc.gold, k)
        c = counts.setdefault(doc.group, [0, 0, 0])
        c[0], c[1], c[2] = c[0] + tp, c[1] + predicted, c[2] + len(doc.gold)
    out = {g: 2 * tp / (p + n) if p + n else 0.0 for g, (tp, p, n) in counts.items()}
    return {**out, "macro": sum(out.values()) / len(out) if out else 0.0}


def fitter(kind: str, common_words: Sequence[str] = ()) -> Callable[[Sequence[LabelledDocument]], Any]:
    """A function that fits a ranker of ``kind`` (one of ``KINDS``) on documents."""
    if kind == HAND.kind:
        return lambda docs: HAND
    if kind == PhraseRanker.kind:
        return lambda docs: PhraseRanker.fit([d.tagged for d in docs])
    if kind == CandidateRanker.kind:
        return lambda docs: CandidateRanker.fit(
            [(d.candidates, d.gold) for d in docs], [d.group for d in docs], common_words=common_words
        )
    raise ValueError(f"ranker kind {kind!r} is not one of {', '.join(KINDS)}")


def halves(documents: Sequence[LabelledDocument]) -> tuple[list[LabelledDocument], list[LabelledDocument]]:
    """Two halves, each holding every other document of each group."""
    seen: dict[str, int] = {}
    parts: tuple[list[LabelledDocument], list[LabelledDocument]] = ([], [])
    for doc in documents:
        n = seen.get(doc.group, 0)
        seen[doc.group] = n + 1
        parts[n % 2].append(doc)
    return parts


def cross_fitted(
    kind: str, documents: Sequence[LabelledDocument], common_words: Sequence[str] = ()
) -> tuple[dict[str, float], float]:
    """``kind``'s ``macro_f1`` by 2-fold cross-fitting (each group's F1@10 and the macro, means of both folds).

    Also the candidate ranker's best threshold on those folds (0.0 for the other kinds).
    """
    fit = fitter(kind, common_words)
    a, b = halves(documents)
    try:
        folds = [(fit(train), held) for train, held in ((a, b), (b, a))]
    except FitError:  # a learned kind with no positive or no negative example in a half
        return {key: math.nan for key in macro_f1(HAND, documents)}, 0.0

    def figures(threshold: float) -> dict[str, float]:
        scored = []
        for ranker, held in folds:
            if isinstance(ranker, CandidateRanker):
                ranker.threshold = threshold
            scored.append(macro_f1(ranker, held))
        return {key: sum(f[key] for f in scored) / len(scored) for key in scored[0]}

    thresholds = THRESHOLDS if kind == CandidateRanker.kind else (0.0,)
    by_threshold = {t: figures(t) for t in thresholds}
    best = max(thresholds, key=lambda t: by_threshold[t]["macro"])  # the lowest of equals
    return by_threshold[best], best


def choose(
    documents: Sequence[LabelledDocument], kinds: Sequence[str] = KINDS, common_words: Sequence[str] = ()
) -> tuple[Any, dict[str, dict[str, float]]]:
    """The best of ``kinds`` by cross-fitted macro F1@10, fitted on all ``documents``, and every kind's figures."""
    results = {kind: cross_fitted(kind, documents, common_words) for kind in kinds}
    figures = {kind: f for kind, (f, _) in results.items()}
    scored = [kind for kind in kinds if not math.isnan(figures[kind]["macro"])]
    if not scored:
        raise FitError("no ranker could be fitted on these documents (no gold and other candidates)")
    best = max(scored, key=lambda kind: figures[kind]["macro"])  # the first of equals: kinds in order
    ranker = fitter(best, common_words)(documents)
    if isinstance(ranker, CandidateRanker):
        ranker.threshold = results[best][1]
    return ranker, figures
