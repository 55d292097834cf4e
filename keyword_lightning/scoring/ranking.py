"""Ranked keyphrases, as the keyphrase literature scores them: F1@5, F1@10, F1@M, exact or stemmed.

Pure logic on plain lists, shared by the prediction records (the phrase score), the test metric
(``metrics.RankedKeyphraseF1``) and anything else that ranks phrases. Matching follows the
literature (pke, the KP20k line of work): a phrase is the tuple of its lowercased words, or of
their Porter stems (nltk's ``PorterStemmer``); each document's phrases are ranked by score,
de-duplicated after that normalisation (the best-scored copy stays), then cut at ``k``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence

MIN_PROB = 1e-12  # floor of a tag probability before its log (a phrase score is never exactly 0)
SCORE_DIGITS = 6  # scores are rounded so that a ranking from written predictions is the same
ALL = "M"  # the cut that keeps every predicted phrase (F1@M)


def phrase_score(probs: Sequence[float]) -> float:
    """A phrase's score: the geometric mean of the model's probabilities of its tags, rounded."""
    logp = sum(math.log(max(p, MIN_PROB)) for p in probs) / len(probs)
    return round(math.exp(logp), SCORE_DIGITS)


@functools.lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.porter import PorterStemmer  # imported on first use: nltk takes a second to import

    return PorterStemmer()


@functools.lru_cache(maxsize=1 << 17)  # a long document repeats its words: each is stemmed once
def stem(word: str) -> str:
    """The Porter stem of a lowercased word (nltk's ``PorterStemmer``, as the literature uses)."""
    return _stemmer().stem(word.lower(), to_lowercase=True)


def rank_unique(keys: Sequence[Hashable], scores: Sequence[float]) -> list[Hashable]:
    """Phrase keys best score first (ties keep text order), each key once (its best-scored copy)."""
    order = sorted(range(len(keys)), key=lambda i: -scores[i])  # sorted() is stable
    return list(dict.fromkeys(keys[i] for i in order))


def hits_at(ranked: Sequence[Hashable], gold: set, k: int | str) -> tuple[int, int]:
    """``(true positives, predicted)`` of the top ``k`` of ``ranked`` (``k = ALL``: all of them)."""
    top = ranked if k == ALL else ranked[: int(k)]
    return sum(key in gold for key in top), len(top)
