"""A document's keyphrases: its unique phrases, ranked at the document level.

The tagger marks occurrences; a reader wants a document's phrases. The occurrences are grouped
by their key (the tuple of their tokens' Porter stems, as stemmed F1@k matches them), and each
group becomes one keyphrase with the features a document-level ranking reads:

- ``count``: occurrences in the document;
- ``score_sum``, ``score_max``, ``score_mean``: over the occurrences' phrase scores
  (``ranking.phrase_score``: the geometric mean of the tagger's tag probabilities);
- ``first``, ``last``, ``spread``: where it first and last starts, as a fraction of the
  document's tokens (0 = the first token), and the distance between the two;
- ``length``: its tokens;
- ``in_head``: 1 when it first starts in the document's first ``HEAD_FRACTION`` of tokens;
- ``rarity``: the mean over its first occurrence's words of their IDF in a background table
  (``phrase_ranker.Rarity``); 0 without one. Read only by rankers of earlier releases (``phrase_ranker.py``).

The hand rule, ``rank_score = score_sum * (1.5 - first)``: a phrase the tagger marks often and
early (title, abstract) comes first; ties keep the order of first occurrence. Chosen among the
sum, max and mean of the scores and the mean times log(1 + count) on Inspec and SemEval-2017
(``benchmarks/ranking.py``). ``HAND`` is that rule as a ranker; a learned ranker over the same
features (``phrase_ranker.PhraseRanker``) has the same interface: ``score(features)`` and
``token_idf(tokens)`` (None: it reads no rarity). ``rankers.py`` names every kind of ranker.

One helper, ``rank_occurrences``, serves the prediction records (``rank_record``: the
``ranked`` field) and the test metric (``metrics.RankedKeyphraseF1``), so the logged F1@k is
the F1@k of the written ranking. Pure logic on plain lists.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from keyword_lightning.scoring.ranking import SCORE_DIGITS, phrase_score, stem

POSITION_WEIGHT = 1.5  # a phrase first seen at the start weighs 1.5, at the very end 0.5
# The head of a document: its first 15% of tokens (title and first sentences of an abstract, the
# abstract and introduction of a paper), a fraction rather than 100 tokens, which would hold nearly
# every phrase of an abstract (Inspec's average 135 tokens) and so tell abstracts nothing.
HEAD_FRACTION = 0.15


def features(
    scores: Sequence[float], starts: Sequence[int], n_tokens: int, length: int, rarity: float = 0.0
) -> dict[str, float]:
    """The document-level features of one phrase from its occurrences' ``scores`` and start tokens."""
    n = max(1, n_tokens)
    first, last = min(starts) / n, max(starts) / n
    return {
        "count": float(len(scores)),
        "score_sum": float(sum(scores)),
        "score_max": float(max(scores)),
        "score_mean": float(sum(scores)) / len(scores),
        "first": first,
        "last": last,
        "spread": last - first,
        "length": float(length),
        "in_head": float(min(starts) < HEAD_FRACTION * n),
        "rarity": float(rarity),
    }


def rank_score(f: dict[str, float]) -> float:
    """``score_sum * (POSITION_WEIGHT - first)``, rounded as phrase scores are."""
    return round(f["score_sum"] * (POSITION_WEIGHT - f["first"]), SCORE_DIGITS)


class HandRanker:
    """The hand rule (``rank_score``) as a ranker: what ranks a document's phrases without a learned one."""

    kind = "hand"

    def score(self, f: dict[str, float]) -> float:
        """``rank_score(f)``."""
        return rank_score(f)

    def token_idf(self, tokens: Sequence[str]) -> None:
        """None: the hand rule reads no rarity."""
        return None

    def state(self) -> dict[str, Any]:
        """``{"kind": "hand"}``, as a checkpoint stores it."""
        return {"kind": self.kind}


HAND = HandRanker()


def group(keys: Sequence[Hashable], starts: Sequence[int]) -> dict[Hashable, list[int]]:
    """Occurrence indices by key, each group in text order, the groups in order of first occurrence."""
    groups: dict[Hashable, list[int]] = {}
    for i in sorted(range(len(keys)), key=lambda i: starts[i]):
        groups.setdefault(keys[i], []).append(i)
    return groups


def phrases(
    keys: Sequence[Hashable],
    scores: Sequence[float],
    starts: Sequence[int],
    lengths: Sequence[int],
    n_tokens: int,
    token_idf: Sequence[float] | None = None,
) -> list[tuple[Hashable, dict[str, float], list[int]]]:
    """Each key once, in order of first occurrence: ``(key, features, its occurrence indices in text order)``.

    ``token_idf``: each token's IDF (``phrase_ranker.Rarity``), for the ``rarity`` feature; None: 0.
    """
    out = []
    for key, members in group(keys, starts).items():
        first, length = starts[members[0]], lengths[members[0]]
        idf = token_idf[first : first + length] if token_idf is not None else ()
        rarity = sum(idf) / len(idf) if len(idf) else 0.0
        f = features([scores[i] for i in members], [starts[i] for i in members], n_tokens, length, rarity)
        out.append((key, f, members))
    return out


def rank_occurrences(
    keys: Sequence[Hashable],
    scores: Sequence[float],
    starts: Sequence[int],
    lengths: Sequence[int],
    n_tokens: int,
    ranker: Any = None,
    token_idf: Sequence[float] | None = None,
) -> list[tuple[Hashable, float, list[int]]]:
    """Each key once, best first: ``(key, rank score, its occurrence indices in text order)``.

    ``ranker``: what scores a phrase's features (None: ``HAND``); ``token_idf`` as ``phrases`` reads it.
    """
    ranker = ranker or HAND
    found = phrases(keys, scores, starts, lengths, n_tokens, token_idf)
    ranked = [(key, ranker.score(f), members) for key, f, members in found]
    ranked.sort(key=lambda r: -r[1])  # stable: ties keep the order of first occurrence
    return ranked


def phrase_key(tokens: Sequence[str]) -> tuple[str, ...]:
    """A phrase's key: its tokens' Porter stems (lowercased)."""
    return tuple(stem(token) for token in tokens)


def occurrences(record: dict[str, Any]) -> tuple[list[tuple[str, ...]], list[float], list[int], list[int]]:
    """A prediction record's keyphrase occurrences as ``rank_occurrences`` reads them: keys, scores, starts, lengths."""
    phrases, tokens = record["keyphrases"], record["tokens"]
    keys = [phrase_key(tokens[p["start_token"] : p["end_token"] + 1]) for p in phrases]
    starts = [p["start_token"] for p in phrases]
    lengths = [p["end_token"] - p["start_token"] + 1 for p in phrases]
    return keys, [p["score"] for p in phrases], starts, lengths


def span_occurrences(
    spans: Sequence[tuple[int, int]], probs: Sequence[float], ids: Sequence[Hashable]
) -> tuple[list[tuple[Hashable, ...]], list[float], list[int], list[int]]:
    """Tagged ``spans`` (inclusive token pairs) as ``rank_occurrences`` reads them: keys, scores, starts, lengths.

    A span's key is the tuple of its tokens' ``ids`` (e.g. stem ids), its score ``phrase_score`` of ``probs``.
    """
    keys = [tuple(ids[a : b + 1]) for a, b in spans]
    scores = [phrase_score(probs[a : b + 1]) for a, b in spans]
    return keys, scores, [a for a, _ in spans], [b - a + 1 for a, b in spans]


def rank_record(record: dict[str, Any], ranker: Any = None) -> list[dict[str, Any]]:
    """A prediction record's keyphrases as a document's: ``text`` (its first occurrence), ``score``, ``occurrences``.

    ``occurrences`` are ``[start_char, end_char]`` pairs, in text order. ``ranker``: as ``rank_occurrences``.
    """
    found, ranker = record["keyphrases"], ranker or HAND
    idf = ranker.token_idf(record["tokens"]) if found else None
    ranked = rank_occurrences(*occurrences(record), len(record["tokens"]), ranker, idf)
    return [
        {
            "text": found[members[0]]["text"],
            "score": score,
            "occurrences": [[found[i]["start_char"], found[i]["end_char"]] for i in members],
        }
        for _, score, members in ranked
    ]


def select(ranked: Sequence[dict[str, Any]], top_k: int | None = None, min_score: float | None = None) -> list:
    """The first ``top_k`` of a ranking, less those scored below ``min_score``."""
    kept = [k for k in ranked if min_score is None or k["score"] >= min_score]
    return kept if top_k is None else kept[:top_k]
