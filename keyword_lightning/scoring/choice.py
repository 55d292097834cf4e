"""Choosing a ranker on labelled documents of several corpora, so that no corpus is traded for another.

Each ``LabelledDocument`` holds what every kind of ranker reads (``rankers.py``): the tagger's
phrases (``TaggedDocument``, for the hand rule and the phrase ranker) and every candidate
(``Candidates``, for the candidate ranker), with the document's gold keys (tuples of Porter stems;
absent keyphrases too, so F1 counts them as the literature does) and its ``group`` (its corpus).

``macro_f1`` is the mean over groups of each group's micro F1@k; ``choose`` fits each kind on
one half of every group and scores it on the other half, both ways (2-fold cross-fitting; the
halves alternate within a group; a group's counts summed over both halves), and keeps the kind
with the best macro F1@10, fitted on all documents. The candidate ranker's ``threshold`` (where a
document's list ends) is the one of ``THRESHOLDS`` with the best cross-fitted macro F1@10. The
hand rule needs no fit; a learned kind that cannot be fitted on a half scores nan and is not
chosen. Pure logic; the candidate ranker's
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
MACRO = "macro"  # the key of the mean over groups among the groups' own figures
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


def counts(ranker: Any, documents: Sequence[LabelledDocument], k: int = CUT) -> dict[str, list[int]]:
    """Each group's ``[tp, predicted, gold]`` of the top ``k`` of ``ranker``'s ranking, summed over its documents."""
    out: dict[str, list[int]] = {}
    for doc in documents:
        tp, predicted = hits_at(ranked_keys(ranker, doc), doc.gold, k)
        c = out.setdefault(doc.group, [0, 0, 0])
        c[0], c[1], c[2] = c[0] + tp, c[1] + predicted, c[2] + len(doc.gold)
    return out


def macro(summed: dict[str, list[int]]) -> dict[str, float]:
    """Each group's micro F1 (``2 sum tp / (sum predicted + sum gold)``) of ``counts`` and their mean, ``MACRO``."""
    out = {g: 2 * tp / (p + n) if p + n else 0.0 for g, (tp, p, n) in summed.items()}
    return {**out, MACRO: sum(out.values()) / len(out) if out else 0.0}


def macro_f1(ranker: Any, documents: Sequence[LabelledDocument], k: int = CUT) -> dict[str, float]:
    """Each group's micro F1@k and their mean, ``MACRO``."""
    return macro(counts(ranker, documents, k))


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
) -> tuple[dict[str, float], float, list[tuple[Any, list[LabelledDocument]]]]:
    """``kind`` by 2-fold cross-fitting: each group's F1@10 and their mean, the threshold, and the folds.

    Each document is ranked by the ranker fitted on the other half (every group's counts summed
    over both halves, then each group's F1). The threshold is the candidate ranker's best of
    ``THRESHOLDS`` (0.0 for the other kinds); the folds are ``(ranker, the documents it ranks)``,
    with that threshold set. A kind that cannot be fitted on a half (``FitError``) scores nan.
    """
    fit = fitter(kind, common_words)
    a, b = halves(documents)
    try:
        folds = [(fit(train), held) for train, held in ((a, b), (b, a))]
    except FitError:  # a learned kind with no positive or no negative example in a half
        return {key: math.nan for key in macro_f1(HAND, documents)}, 0.0, []

    def figures(threshold: float) -> dict[str, float]:
        summed: dict[str, list[int]] = {}
        for ranker, held in folds:
            if isinstance(ranker, CandidateRanker):
                ranker.threshold = threshold
            for group, c in counts(ranker, held).items():
                total = summed.setdefault(group, [0, 0, 0])
                total[:] = [x + y for x, y in zip(total, c)]
        return macro(summed)

    thresholds = THRESHOLDS if kind == CandidateRanker.kind else (0.0,)
    by_threshold = {t: figures(t) for t in thresholds}
    best = max(thresholds, key=lambda t: by_threshold[t][MACRO])  # the lowest of equals
    for ranker, _ in folds:
        if isinstance(ranker, CandidateRanker):
            ranker.threshold = best
    return by_threshold[best], best, folds


def choose(
    documents: Sequence[LabelledDocument], kinds: Sequence[str] = KINDS, common_words: Sequence[str] = ()
) -> tuple[Any, dict[str, dict[str, float]]]:
    """The best of ``kinds`` by cross-fitted macro F1@10, fitted on all ``documents``, and every kind's figures."""
    results = {kind: cross_fitted(kind, documents, common_words) for kind in kinds}
    figures = {kind: f for kind, (f, _, _) in results.items()}
    scored = [kind for kind in kinds if not math.isnan(figures[kind][MACRO])]
    if not scored:
        raise FitError("no ranker could be fitted on these documents (no gold and other candidates)")
    best = max(scored, key=lambda kind: figures[kind][MACRO])  # the first of equals: kinds in order
    ranker = fitter(best, common_words)(documents)
    if isinstance(ranker, CandidateRanker):
        ranker.threshold = results[best][1]
    return ranker, figures
