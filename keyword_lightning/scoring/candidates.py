"""A document's keyphrase candidates beyond the tagger's spans, each with the features a ranker reads.

The tagger proposes few phrases on text unlike its training genres (a news story: about 17, where
readers marked about 49, three quarters of them single words). So candidates are also the phrases
between stop words and punctuation: every run of 1 to ``MAX_WORDS`` tokens that holds a letter,
starts with a letter or digit and is no stop word (``text/stopwords.py``), within one sentence (or
line), plus every span the tagger marks (which may cross a stop word: "theory of computation"; cut
where a sentence or line starts). One candidate per key (its tokens' Porter stems, as stemmed F1@k
matches phrases), with every place it occurs.

Every candidate has the tagger's soft score: each token's probability of a keyword tag
(``keyness``: 1 - P(O)), averaged over a place's tokens. Its features (``FEATURES``, in that order;
positions are fractions of the document's tokens or sentences, 0 = the start):

- frequency: ``log_count`` (log 1 + places), ``count_rank`` (its count over the document's largest
  count of a candidate as long), ``sentence_share`` (share of sentences holding it);
- the tagger: ``marked`` (log 1 + places marked as a whole span), ``marked_share``, ``score_max``
  (best phrase score of a marked place), ``score_sum`` (log 1 + their sum), ``hand`` (log 1 + the
  hand rule's score, ``keyphrases.rank_score``, over the marked places), ``keyness_mean``,
  ``keyness_max``;
- position: ``first``, ``last``, ``spread``, ``in_title`` (in the first sentence or line),
  ``in_head`` (first place in the first ``HEAD_FRACTION`` of tokens);
- form: ``length`` (words), ``capitalized`` (share of places with every word capitalized, not
  counting a one-word place that starts a sentence), ``acronym`` (a word in capitals), ``digit``,
  ``crosses_stop`` (only the tagger proposes it);
- how common its words are in general: ``common_mean``, ``common_min``, ``common_max`` (each word's
  log rank in a frequency list, e.g. GloVe's order, over the log of the list's length; 1 for a word
  outside it);
- the document: ``doc_length`` (log tokens), ``doc_keyness`` (mean keyness of its tokens), which
  a non-linear ranker can combine with the rest (how much to trust the tagger on this document).

Pure logic on plain lists and numpy; no torch.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from keyword_lightning.scoring.keyphrases import HEAD_FRACTION, POSITION_WEIGHT
from keyword_lightning.scoring.ranking import stem
from keyword_lightning.text.stopwords import STOP_WORDS

MAX_WORDS = 3  # longest candidate between stop words; the tagger's spans may be longer
SENTENCE_ENDS = frozenset({".", "!", "?"})
FEATURES = (
    "log_count", "count_rank", "count_order", "sentence_share",
    "marked", "marked_share", "score_max", "score_sum", "hand", "keyness_mean", "keyness_max",
    "first", "last", "spread", "in_title", "in_head",
    "length", "capitalized", "acronym", "digit", "crosses_stop",
    "common_mean", "common_min", "common_max",
    "doc_length", "doc_keyness", "doc_single",
)  # fmt: skip


@dataclass
class Candidates:
    """A document's candidates: ``keys[i]`` (stems), ``texts[i]`` (first place), ``places[i]`` (char spans).

    ``features`` is ``[len(keys), len(FEATURES)]`` float32, rows in order of first occurrence.
    """

    keys: list[tuple[str, ...]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    places: list[list[tuple[int, int]]] = field(default_factory=list)
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, len(FEATURES)), np.float32))

    def __len__(self) -> int:
        return len(self.keys)


def candidate_word(token: str) -> bool:
    """A token that may be part of a candidate: it starts with a letter or digit, holds a letter, is no stop word."""
    return token[:1].isalnum() and any(c.isalpha() for c in token) and token.lower() not in STOP_WORDS


def sentence_ids(tokens: Sequence[str], spans: Sequence[tuple[int, int]], text: str) -> list[int]:
    """Each token's sentence: a new one after ``.``/``!``/``?`` and at a line break between tokens."""
    out, current = [], 0
    for i in range(len(tokens)):
        if i and (tokens[i - 1] in SENTENCE_ENDS or "\n" in text[spans[i - 1][1] : spans[i][0]]):
            current += 1
        out.append(current)
    return out


def places_of(
    ok: Sequence[bool], starts: Sequence[bool], tagged: Sequence[tuple[int, int]], max_words: int
) -> set[tuple[int, int]]:
    """``(start, length)`` of every run of 1..``max_words`` candidate words within a sentence, and every tagged span.

    ``starts[i]``: token ``i`` starts a sentence (a run does not cross into it: a title is not part of
    the sentence below it).
    """
    places = {(a, b - a + 1) for a, b in tagged}
    n = len(ok)
    for a in range(n):
        if not ok[a]:
            continue
        for length in range(1, max_words + 1):
            end = a + length - 1
            if end >= n or not ok[end] or (length > 1 and starts[end]):
                break
            places.add((a, length))
    return places


def within_sentences(span: tuple[int, int, float], starts: Sequence[bool]) -> list[tuple[int, int, float]]:
    """A tagged span cut where a sentence (or line) starts inside it, each piece with the span's score."""
    a, b, score = span
    cuts = [i for i in range(a + 1, b + 1) if starts[i]]
    return [(lo, hi - 1, score) for lo, hi in zip([a, *cuts], [*cuts, b + 1])]


def document_candidates(
    tokens: Sequence[str],
    spans: Sequence[tuple[int, int]],
    text: str,
    keyness: Sequence[float],
    tagged: Sequence[tuple[int, int, float]],
    common: Mapping[str, int] | Callable[[str], int | None] | None = None,
    common_size: int = 1,
    max_words: int = MAX_WORDS,
) -> Candidates:
    """The candidates of one document and their ``FEATURES`` (see the module docstring).

    Args:
        tokens: the document's tokens.
        spans: each token's ``(start, end)`` characters in ``text``.
        text: the document.
        keyness: each token's probability of a keyword tag (1 - P(O)).
        tagged: the tagger's spans, ``(first token, last token, phrase score)``.
        common: a lowercased word's rank in a general frequency list (0 = most frequent), or None.
        common_size: the list's length (a word outside it ranks as the rarest).
        max_words: the longest run between stop words taken as a candidate.

    """
    n = len(tokens)
    if n == 0:
        return Candidates()
    lookup = common.get if isinstance(common, Mapping) else common
    ok = [candidate_word(t) for t in tokens]
    stems = [stem(t) for t in tokens]
    sentence = sentence_ids(tokens, spans, text)
    starts_sentence = [i == 0 or sentence[i] != sentence[i - 1] for i in range(n)]
    n_sentences = sentence[-1] + 1
    title_end = next((i for i in range(n) if sentence[i] > 0), n)
    tagged = [piece for span in tagged for piece in within_sentences(span, starts_sentence)]
    marked = {(a, b - a + 1): score for a, b, score in tagged}
    by_key: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for a, length in sorted(places_of(ok, starts_sentence, [(a, b) for a, b, _ in tagged], max_words)):
        by_key.setdefault(tuple(stems[a : a + length]), []).append((a, length))
    scale = math.log(max(2, common_size))
    rank_cache: dict[str, float] = {}

    def commonness(word: str) -> float:
        value = rank_cache.get(word)
        if value is None:
            rank = lookup(word.lower()) if lookup is not None else None
            value = rank_cache[word] = 1.0 if rank is None else min(1.0, math.log(1 + rank) / scale)
        return value

    out = Candidates()
    rows = []
    counts: dict[int, list[int]] = {}  # length -> minus the counts of candidates that long, ascending
    for key, where in by_key.items():
        counts.setdefault(len(key), []).append(-len(where))
    for values in counts.values():
        values.sort()
    doc_keyness = float(sum(keyness)) / n
    doc_single = sum(b == a for a, b, _ in tagged) / len(tagged) if tagged else 0.0
    marked_first: dict[
        tuple[str, ...], float
    ] = {}  # a marked candidate's first marked place, as the hand rule reads it
    for a, b, _ in sorted(tagged):
        marked_first.setdefault(tuple(stems[a : b + 1]), a / n)
    for key, where in by_key.items():
        a0, length = where[0]
        words = tokens[a0 : a0 + length]
        count = len(where)
        scores = [marked[w] for w in where if w in marked]
        keys = [sum(keyness[a : a + k]) / k for a, k in where]
        first, last = a0 / n, where[-1][0] / n
        sentences = {sentence[a] for a, _ in where}
        caps = sum(all(t[:1].isupper() for t in tokens[a : a + k]) and (k > 1 or not starts_sentence[a])
                   for a, k in where)  # fmt: skip
        ranks = [commonness(t) for t in words if t.lower() not in STOP_WORDS] or [1.0]
        rows.append([
            math.log1p(count), count / -counts[len(key)][0], math.log1p(bisect_left(counts[len(key)], -count)),
            len(sentences) / n_sentences,
            math.log1p(len(scores)), len(scores) / count, max(scores, default=0.0), math.log1p(sum(scores)),
            math.log1p(sum(scores) * (POSITION_WEIGHT - marked_first.get(key, 1.0))), sum(keys) / count, max(keys),
            first, last, last - first, float(a0 < title_end), float(first < HEAD_FRACTION),
            float(length), caps / count, float(any(len(t) > 1 and t.isupper() for t in words)),
            float(any(c.isdigit() for t in words for c in t)), float(not all(ok[a0 : a0 + length])),
            sum(ranks) / len(ranks), min(ranks), max(ranks),
            math.log(n), doc_keyness, doc_single,
        ])  # fmt: skip
        out.keys.append(key)
        out.texts.append(text[spans[a0][0] : spans[a0 + length - 1][1]])
        out.places.append([(spans[a][0], spans[a + k - 1][1]) for a, k in where])
    out.features = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))
    return out
