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
  count of a candidate as long), ``count_order`` (log 1 + how many candidates as long occur more
  often), ``sentence_share`` (share of sentences holding it);
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
- the document: ``doc_length`` (log tokens), ``doc_keyness`` (mean keyness of its tokens),
  ``doc_single`` (the share of the tagger's spans that are one word), which a non-linear ranker can
  combine with the rest (how much to trust the tagger, and single words, on this document).

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
    "log_count",
    "count_rank",
    "count_order",
    "sentence_share",
    "marked",
    "marked_share",
    "score_max",
    "score_sum",
    "hand",
    "keyness_mean",
    "keyness_max",
    "first",
    "last",
    "spread",
    "in_title",
    "in_head",
    "length",
    "capitalized",
    "acronym",
    "digit",
    "crosses_stop",
    "common_mean",
    "common_min",
    "common_max",
    "doc_length",
    "doc_keyness",
    "doc_single",
)


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


class _Document:
    """What a document's candidates' features read, computed once a document (per token, or prefix sums)."""

    def __init__(self, tokens, ok, stems, sentence, starts, keyness, tagged, common, common_size) -> None:
        n = self.n = len(tokens)
        self.tokens, self.ok, self.sentence, self.starts = tokens, ok, sentence, starts
        self.n_sentences, self.title_end = sentence[-1] + 1, next((i for i in range(n) if sentence[i] > 0), n)
        self.upper = [t[:1].isupper() for t in tokens]
        self.acronym = [len(t) > 1 and t.isupper() for t in tokens]
        self.digit = [any(c.isdigit() for c in t) for t in tokens]
        self.keyness = np.concatenate([[0.0], np.cumsum(np.asarray(keyness, dtype=np.float64))])  # prefix sums
        self.marked = {(a, b - a + 1): score for a, b, score in tagged}
        self.marked_first: dict[tuple[str, ...], float] = {}  # a key's first marked place: the hand rule's ``first``
        for a, b, _ in sorted(tagged):
            self.marked_first.setdefault(tuple(stems[a : b + 1]), a / n)
        lookup = common.get if isinstance(common, Mapping) else common
        scale = math.log(max(2, common_size))
        self.common: dict[str, float] = {}  # a word's log rank over the list's log length; 1 outside it
        for word in {t.lower() for t in tokens} - STOP_WORDS:
            rank = lookup(word) if lookup is not None else None
            self.common[word] = 1.0 if rank is None else min(1.0, math.log(1 + rank) / scale)
        self.doc = [math.log(n), float(self.keyness[-1]) / n, sum(b == a for a, b, _ in tagged) / max(1, len(tagged))]

    def features(self, key: tuple[str, ...], where: list[tuple[int, int]], counts: list[int]) -> list[float]:
        """``FEATURES`` of candidate ``key`` at its places ``where``; ``counts``: minus its length's counts, sorted."""
        n, a0, length = self.n, where[0][0], where[0][1]
        count = len(where)
        scores = [self.marked[w] for w in where if w in self.marked]
        keyness = [(self.keyness[a + k] - self.keyness[a]) / k for a, k in where]
        first, last = a0 / n, where[-1][0] / n
        caps = sum(all(self.upper[a : a + k]) and (k > 1 or not self.starts[a]) for a, k in where)
        words = range(a0, a0 + length)
        ranks = [self.common[w] for w in (self.tokens[i].lower() for i in words) if w not in STOP_WORDS] or [1.0]
        hand = sum(scores) * (POSITION_WEIGHT - self.marked_first.get(key, 1.0))
        return [
            math.log1p(count),  # log_count
            count / -counts[0],  # count_rank
            math.log1p(bisect_left(counts, -count)),  # count_order
            len({self.sentence[a] for a, _ in where}) / self.n_sentences,  # sentence_share
            math.log1p(len(scores)),  # marked
            len(scores) / count,  # marked_share
            max(scores, default=0.0),  # score_max
            math.log1p(sum(scores)),  # score_sum
            math.log1p(hand),  # hand
            sum(keyness) / count,  # keyness_mean
            max(keyness),  # keyness_max
            first,  # first
            last,  # last
            last - first,  # spread
            float(a0 < self.title_end),  # in_title
            float(first < HEAD_FRACTION),  # in_head
            float(length),  # length
            caps / count,  # capitalized
            float(any(self.acronym[i] for i in words)),  # acronym
            float(any(self.digit[i] for i in words)),  # digit
            float(not all(self.ok[i] for i in words)),  # crosses_stop
            sum(ranks) / len(ranks),  # common_mean
            min(ranks),  # common_min
            max(ranks),  # common_max
            *self.doc,  # doc_length, doc_keyness, doc_single
        ]


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
    ok = [candidate_word(t) for t in tokens]
    stems = [stem(t) for t in tokens]
    sentence = sentence_ids(tokens, spans, text)
    starts = [i == 0 or sentence[i] != sentence[i - 1] for i in range(n)]
    tagged = [piece for span in tagged for piece in within_sentences(span, starts)]
    by_key: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for a, length in sorted(places_of(ok, starts, [(a, b) for a, b, _ in tagged], max_words)):
        by_key.setdefault(tuple(stems[a : a + length]), []).append((a, length))
    doc = _Document(tokens, ok, stems, sentence, starts, keyness, tagged, common, common_size)
    counts: dict[int, list[int]] = {}  # length -> minus the counts of candidates that long, ascending
    for key, where in by_key.items():
        counts.setdefault(len(key), []).append(-len(where))
    for values in counts.values():
        values.sort()
    out = Candidates()
    rows = []
    for key, where in by_key.items():
        a0, length = where[0]
        rows.append(doc.features(key, where, counts[length]))
        out.keys.append(key)
        out.texts.append(text[spans[a0][0] : spans[a0 + length - 1][1]])
        out.places.append([(spans[a][0], spans[a + k - 1][1]) for a, k in where])
    out.features = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))
    return out
