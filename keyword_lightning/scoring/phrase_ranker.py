"""The phrase ranker: a logistic regression over the document-level features of the tagger's phrases.

The tagger marks occurrences; ``keyphrases.phrases`` gathers them into a document's unique phrases,
each with its features (counts, tag-probability scores, positions, length, ``in_head``, ``rarity``).
``PhraseRanker`` scores those features with a logistic regression: each feature standardized (counts,
score sums and lengths after ``log1p``), one weight each and a bias, fitted by Newton's method on the
L2-penalized log loss (no randomness: the same documents give the same weights, and no RNG is drawn).
A candidate phrase is positive when its key (the tuple of its tokens' Porter stems, or their ids)
is a gold keyphrase's key, as stemmed F1@k matches them.

Which features a ranker reads is part of its state (``features``). One this release fits reads
``FEATURES``: every feature but ``rarity``. ``rarity`` read a background table (``Rarity``): for
each word, in how many of the ranker's training documents it occurs. Rankers fitted two releases
before read it; they load, their table with them, and rank records (``token_idf``) as before. The
transfer check (``benchmarks/ranking.py``: rankers fitted on one genre's validation split, ranking
the other's test split, ``results/ranking.md`` of build 40b0e65) showed why it was dropped: a table
of one genre's words (Inspec's) lowered F1@10 on another genre (SemEval-2017), while it changed
nothing on its own.

``choose`` picks between the hand rule (``keyphrases.HAND``) and a learned ranker by 2-fold
cross-fitting on the given documents (fit on one half, F1@10 on the other, both ways): the learned
one only if its mean F1@10 beats the hand rule's. ``JointRNN`` calls it on the validation documents
at the end of each validation epoch (``model/ranker.py``). States are plain dicts, lists, str, int,
float and bool: a checkpoint that holds one loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

import numpy as np

from keyword_lightning.scoring.keyphrases import HAND, phrases, rank_occurrences
from keyword_lightning.scoring.ranking import SCORE_DIGITS, hits_at
from keyword_lightning.text.tokenizers import normalize_token

KNOWN = ("count", "score_sum", "score_max", "score_mean", "first", "last", "spread", "length", "in_head", "rarity")
FEATURES = tuple(name for name in KNOWN if name != "rarity")  # what a ranker fitted by this release reads
LOGGED = frozenset({"count", "score_sum", "length"})  # read as log(1 + value)
L2 = 1.0  # the penalty on the (standardized) weights; the bias is not penalized
NEWTON_STEPS = 50
CUT = 10  # choose() compares F1@10, stemmed


class FitError(ValueError):
    """Documents a ranker cannot be fitted on (no gold or no other candidate): the documents', not a fault.

    Only this is caught where a fit may fail (``choose``, ``choice.cross_fitted``); a numerical error
    (numpy's ``LinAlgError``, also a ``ValueError``) is a fault and goes through.
    """


class TaggedDocument(NamedTuple):
    """One training document of a phrase ranker: its tagged occurrences, its length and its gold keys.

    ``keys``, ``scores``, ``starts``, ``lengths``: per occurrence, as ``rank_occurrences`` reads them;
    ``n_tokens``: the document's tokens; ``gold``: the gold keyphrases' keys (as ``keys``). The one
    builder is ``keyphrases.span_occurrences`` over tagged spans (``model/ranker.py``,
    ``inference/labelling.py``).
    """

    keys: list[Hashable]
    scores: list[float]
    starts: list[int]
    lengths: list[int]
    n_tokens: int
    gold: list[Hashable]


class Rarity:
    """The IDF table of a ranker of earlier releases (read, never fitted): ``idf = log((1 + N) / (1 + df))``.

    ``df[word]``: how many of the ``documents`` it was counted on hold the word.
    """

    def __init__(self, df: dict[str, int], documents: int) -> None:
        self.df, self.documents = df, documents

    def token_idf(self, words: Sequence[str | None]) -> list[float]:
        """Each word's IDF (a word outside the table, or None, the highest)."""
        top = math.log(1 + self.documents)
        return [top - math.log(1 + (self.df.get(w, 0) if w is not None else 0)) for w in words]


def vector(f: dict[str, float], names: Sequence[str] = FEATURES) -> list[float]:
    """A phrase's features ``names`` in that order, ``LOGGED`` ones as ``log(1 + value)``."""
    return [math.log1p(f[name]) if name in LOGGED else f[name] for name in names]


class PhraseRanker:
    """Logistic regression over a phrase's features: ``score = sigmoid(weights . z + bias)``, ``z`` standardized."""

    kind = "logistic"

    def __init__(
        self,
        weights: Sequence[float],
        bias: float,
        mean: Sequence[float],
        scale: Sequence[float],
        rarity: Rarity | None = None,
        lowercase: bool = True,
        features: Sequence[str] = FEATURES,
    ) -> None:
        self.features = tuple(features)
        self.weights, self.bias = [float(w) for w in weights], float(bias)
        self.mean, self.scale = [float(m) for m in mean], [float(s) for s in scale]
        self.rarity, self.lowercase = rarity, lowercase
        self._w = [w / s for w, s in zip(self.weights, self.scale)]  # on the raw vector
        self._b = self.bias - sum(w * m for w, m in zip(self._w, self.mean))

    def logit(self, f: dict[str, float]) -> float:
        """``weights . z + bias`` of a phrase's features."""
        return self._b + sum(w * x for w, x in zip(self._w, vector(f, self.features)))

    def score(self, f: dict[str, float]) -> float:
        """The probability that the phrase is a gold keyphrase, rounded as phrase scores are."""
        z = self.logit(f)
        p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        return round(p, SCORE_DIGITS)

    def token_idf(self, tokens: Sequence[str]) -> list[float] | None:
        """Each token's IDF in this ranker's table (tokens normalized as the vocabulary is); None: no table."""
        if self.rarity is None:
            return None
        return self.rarity.token_idf([normalize_token(t, self.lowercase) for t in tokens])

    @classmethod
    def fit(cls, documents: Sequence[TaggedDocument], lowercase: bool = True, l2: float = L2) -> PhraseRanker:
        """Fit on ``documents``' candidate phrases, reading ``FEATURES`` (``FitError`` without both kinds of phrase)."""
        rows, labels = [], []
        for d in documents:
            gold = set(d.gold)
            for key, f, _ in phrases(d.keys, d.scores, d.starts, d.lengths, d.n_tokens):
                rows.append(vector(f))
                labels.append(float(key in gold))
        y = np.asarray(labels)
        if not 0 < y.sum() < len(y):
            raise FitError(f"a ranker needs positive and negative candidates ({int(y.sum())} of {len(y)} positive)")
        x = np.asarray(rows, dtype=np.float64)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        w = newton((x - mean) / scale, y, l2)
        return cls(w[:-1].tolist(), float(w[-1]), mean.tolist(), scale.tolist(), None, lowercase)

    def state(self) -> dict[str, Any]:
        """Plain values (``from_state`` reads them back); the rarity table only when it reads one."""
        table = {"documents": self.rarity.documents, "df": dict(self.rarity.df)} if self.rarity is not None else {}
        return {
            "kind": self.kind,
            "features": list(self.features),
            "weights": self.weights,
            "bias": self.bias,
            "mean": self.mean,
            "scale": self.scale,
            "lowercase": self.lowercase,
            **table,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PhraseRanker:
        """A ranker from ``state()``'s values, this release's or the one before (ValueError when neither's)."""
        features = state.get("features")
        if (
            not isinstance(features, list)
            or not features
            or not all(isinstance(f, str) for f in features)
            or len(set(features)) < len(features)
        ):
            raise ValueError(f"ranker features must be a list of distinct names of {list(KNOWN)}, got {features!r}")
        if unknown := [f for f in features if f not in KNOWN]:
            raise ValueError(f"ranker features {unknown} are not among this release's {list(KNOWN)}")
        numbers = [state.get(k) for k in ("weights", "mean", "scale")]
        if not all(isinstance(v, list) and len(v) == len(features) for v in numbers) or not all(
            isinstance(x, int | float) and math.isfinite(x) for x in [*sum(numbers, []), state.get("bias")]
        ):
            raise ValueError(f"ranker weights, mean and scale must be {len(features)} finite numbers each")
        if any(s <= 0 for s in state["scale"]) or not isinstance(state.get("lowercase"), bool):
            raise ValueError("ranker scales must be positive and 'lowercase' a bool")
        rarity = cls.table_from_state(state) if "rarity" in features else None
        return cls(*numbers[:1], state["bias"], *numbers[1:], rarity, state["lowercase"], features)

    @staticmethod
    def table_from_state(state: dict[str, Any]) -> Rarity:
        """The rarity table of a ranker's state (ValueError when it is not one)."""
        df, documents = state.get("df"), state.get("documents")
        if not isinstance(documents, int) or not isinstance(df, dict):
            raise ValueError("ranker rarity table must be a dict of word counts and a document count")
        if not all(isinstance(w, str) and isinstance(c, int) and 0 < c <= documents for w, c in df.items()):
            raise ValueError("ranker rarity table must map words to document counts")
        return Rarity(dict(df), documents)


def newton(z: np.ndarray, y: np.ndarray, l2: float, steps: int = NEWTON_STEPS) -> np.ndarray:
    """Weights and bias (last) minimizing the log loss of ``sigmoid(z @ w + b)`` plus ``l2 / 2 * |w|^2``."""
    a = np.hstack([z, np.ones((len(z), 1))])
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0

    def loss(w: np.ndarray) -> float:
        t = a @ w
        return float(np.logaddexp(0, t).sum() - y @ t + 0.5 * (penalty * w * w).sum())

    w = np.zeros(a.shape[1])
    current = loss(w)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + penalty * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6 and loss(w - t * step) > current:  # backtracking: the loss never goes up
            t /= 2
        w, previous = w - t * step, current
        current = loss(w)
        if previous - current < 1e-10 * max(1.0, abs(current)):
            break
    return w


def f1_at(ranker: Any, documents: Sequence[TaggedDocument], k: int = CUT) -> float:
    """Micro F1@k of ``ranker``'s ranking of ``documents``: ``2 sum tp / (sum predicted + sum gold)`` (``hits_at``).

    A ranker of earlier releases that reads ``rarity`` ranks here without it (its IDFs need the words).
    """
    tp = predicted = gold = 0
    for d in documents:
        ranked = rank_occurrences(d.keys, d.scores, d.starts, d.lengths, d.n_tokens, ranker)
        hits, listed = hits_at([key for key, _, _ in ranked], set(d.gold), k)
        tp, predicted, gold = tp + hits, predicted + listed, gold + len(set(d.gold))
    return 2 * tp / (predicted + gold) if predicted + gold else 0.0


def choose(documents: Sequence[TaggedDocument], lowercase: bool = True, k: int = CUT) -> tuple[Any, dict[str, float]]:
    """``HAND`` or a ``PhraseRanker`` fitted on all ``documents``, by 2-fold cross-fitting, and the figures.

    The documents alternate between two halves; each half is ranked by the hand rule and by a
    ranker fitted on the other half. Returns the chosen ranker and ``{"hand": mean F1@k, "learned":
    mean F1@k (nan when a half could not be fitted)}``; the learned ranker wins only when better.
    """
    halves = [list(documents[0::2]), list(documents[1::2])]
    hand, learned = [], []
    for held, train in (halves, halves[::-1]):
        hand.append(f1_at(HAND, held, k))
        try:
            learned.append(f1_at(PhraseRanker.fit(train, lowercase), held, k))
        except FitError:
            learned.append(math.nan)
    figures = {"hand": sum(hand) / 2, "learned": sum(learned) / 2}
    if not figures["learned"] > figures["hand"]:  # nan: not better
        return HAND, figures
    return PhraseRanker.fit(documents, lowercase), figures
