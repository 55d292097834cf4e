"""Rankers: what orders a document's keyphrases, best first (the records' ``ranked``). One name, three kinds.

- ``hand`` (``keyphrases.HAND``): the tagger's phrases by ``score_sum * (1.5 - first)``;
- ``logistic`` (``phrase_ranker.PhraseRanker``): the tagger's phrases by a logistic regression over
  their document-level features, the ranker a fit chooses on its validation documents;
- ``candidates`` (``candidate_ranker.CandidateRanker``): every candidate of the text, the tagger's
  phrases and the phrases between stop words (``candidates.py``), by a small network over their
  features; fitted by ``keyword-lightning fit-ranker`` on labelled documents of several genres.

A checkpoint keeps its ranker's state under ``ranker`` (``scorer`` in checkpoints of earlier
releases, still read); ``ranker_from_state`` reads either. ``rank_document`` ranks one document
with whichever kind it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keyword_lightning.scoring.candidate_ranker import CandidateRanker
from keyword_lightning.scoring.candidates import document_candidates
from keyword_lightning.scoring.keyphrases import HAND, rank_record
from keyword_lightning.scoring.phrase_ranker import PhraseRanker
from keyword_lightning.scoring.ranking import SCORE_DIGITS

KINDS = {HAND.kind: None, PhraseRanker.kind: PhraseRanker, CandidateRanker.kind: CandidateRanker}
RANKED_LIMIT = 100  # a candidate ranker lists at most 100 of a document's candidates (a paper holds thousands)


def ranker_from_state(state: dict[str, Any] | None) -> Any:
    """The ranker of a checkpoint's state: ``HAND`` for None or ``{"kind": "hand"}`` (ValueError: not one)."""
    kind = state.get("kind") if isinstance(state, dict) else state
    if state is None or kind == HAND.kind:
        return HAND
    if kind not in KINDS:
        raise ValueError(f"ranker kind {kind!r} is not one of {', '.join(KINDS)}")
    return KINDS[kind].from_state(state)


def ranker_of(setting: str, ranker: Any) -> Any:
    """What ranks a document's phrases under ``decoding.ranker`` ``setting``: ``HAND`` for ``hand``, else ``ranker``."""
    return HAND if setting == "hand" else ranker or HAND


def of_tagged_phrases(ranker: Any) -> Any:
    """What ranks the tagger's phrases alone (``test/f1@k``): ``ranker``, or ``HAND`` for a candidate ranker.

    A candidate ranker reads the raw text (casing, sentences), which a test batch does not carry;
    its F1@k is measured on raw text (``benchmarks/generalization.py``).
    """
    return HAND if isinstance(ranker, CandidateRanker) else ranker


def rank_document(
    record: dict[str, Any],
    text: str,
    spans: Sequence[tuple[int, int]],
    keyness: Sequence[float],
    ranker: Any = None,
) -> list[dict[str, Any]]:
    """A prediction record's keyphrases, unique and best first: ``text``, ``score``, ``occurrences``.

    ``text`` and ``spans`` (each token's characters) are the record's document; ``keyness`` each
    token's probability of a keyword tag. ``occurrences`` are ``[start_char, end_char]`` pairs in
    text order. ``ranker``: any kind (None: ``HAND``).
    """
    if not isinstance(ranker, CandidateRanker):
        return rank_record(record, ranker)
    tagged = [(p["start_token"], p["end_token"], p["score"]) for p in record["keyphrases"]]
    found = document_candidates(record["tokens"], spans, text, keyness, tagged, ranker.common, len(ranker.common))
    scores = ranker.scores(found)
    return [
        {
            "text": found.texts[i],
            "score": round(float(scores[i]), SCORE_DIGITS),
            "occurrences": [list(place) for place in found.places[i]],
        }
        for i in ranker.order(scores, RANKED_LIMIT)
    ]
