"""The candidate ranker: a small network over a document's candidates (``candidates.py``), best first.

Per candidate, its ``FEATURES`` (standardized) go through one hidden layer (ReLU) to a logit:
``logit = w2 . relu(W1 z + b1) + b2``. A hidden layer rather than a linear model, because the
evidence to trust differs by document: on a news story the words counted most often are the
keyphrases, on a science abstract the tagger's multi-word spans are, and the document's own
features (how much of it the tagger marks, how many of its spans are single words) tell which.
``ENSEMBLE`` such networks, each fitted from its own seed, are averaged: one network's ranking of a
genre it was not fitted on moved with its seed (``benchmarks/generalization.py``), their mean far less.

Fitted listwise: for each training document, the softmax of its candidates' logits against its
gold keyphrases (cross-entropy), each document weighed so that every group (a corpus, a genre)
counts the same, so that no genre is traded for another. Then ``score = sigmoid(a * logit + b)``,
``a`` and ``b`` fitted to the candidates' labels (Platt scaling), so a score reads as the
probability that the candidate is a gold keyphrase and a ``min_score`` means the same on every
document. Beside the listwise loss, each candidate's own log loss (``POINTWISE``) gives a logit's
level a meaning, so that a news story, where half the candidates are keyphrases, scores higher than
an abstract, where few are. A document's keyphrases are then its candidates scored at least
``threshold`` (chosen by ``choice.py`` to maximize F1@10, at least one listed): the list ends where
the candidates stop being keyphrases, as the tagger's own phrases end. The fit is seeded (torch's
generator of its own): the same documents give the same ranker.

The state is plain lists of floats and strings (``state``/``from_state``): a checkpoint that holds it
loads with ``torch.load(weights_only=True)``. Scoring needs numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from keyword_lightning.scoring.candidates import FEATURES, Candidates
from keyword_lightning.scoring.phrase_ranker import FitError, newton

HIDDEN = 16
EPOCHS = 30
ENSEMBLE = 5
LR = 3e-3
WEIGHT_DECAY = 1e-4
BATCH = 32  # documents per optimizer step
SEED = 0
POINTWISE = 1.0  # weight of each candidate's own log loss beside the listwise one: a logit's level means something


class CandidateRanker:
    """Scores a document's ``Candidates`` (see the module docstring); ``common_words``: the frequency list it reads."""

    kind = "candidates"

    def __init__(
        self,
        members: Sequence[Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]],
        mean: Sequence[float],
        scale: Sequence[float],
        platt: tuple[float, float] = (1.0, 0.0),
        features: Sequence[str] = FEATURES,
        common_words: Sequence[str] = (),
        threshold: float = 0.0,
    ) -> None:
        self.features = tuple(features)
        self.members = [[(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in m] for m in members]
        self.mean, self.scale = np.asarray(mean, np.float64), np.asarray(scale, np.float64)
        self.platt = (float(platt[0]), float(platt[1]))
        self.threshold = float(threshold)
        self.common_words = list(common_words)
        self.common = {w: i for i, w in enumerate(self.common_words)}  # word -> rank (0: most frequent)
        self._columns = [FEATURES.index(f) for f in self.features]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits [N] of candidates' feature rows ``x`` [N, len(FEATURES)]: the mean of the members'."""
        z = (np.asarray(x, np.float64)[:, self._columns] - self.mean) / self.scale
        total = np.zeros(len(z))
        for layers in self.members:
            h = z
            for i, (w, b) in enumerate(layers):
                h = h @ w.T + b
                if i < len(layers) - 1:
                    h = np.maximum(h, 0.0)
            total += h[:, 0]
        return total / len(self.members)

    def order(self, scores: np.ndarray, limit: int | None = None) -> list[int]:
        """Candidates best first, those scored ``threshold`` or more (at least the best one), at most ``limit``."""
        best = np.argsort(-scores, kind="stable")  # stable: ties keep the order of first occurrence
        kept = [int(i) for i in best if scores[i] >= self.threshold] or [int(i) for i in best[:1]]
        return kept[:limit]

    def scores(self, candidates: Candidates) -> np.ndarray:
        """Each candidate's probability of being a gold keyphrase [N]."""
        if not len(candidates):
            return np.zeros(0)
        a, b = self.platt
        return 0.5 * (1 + np.tanh((a * self.logits(candidates.features) + b) / 2))  # sigmoid, no overflow

    @classmethod
    def fit(
        cls,
        documents: Sequence[tuple[Candidates, set]],
        groups: Sequence[Any] | None = None,
        common_words: Sequence[str] = (),
        features: Sequence[str] = FEATURES,
        hidden: int = HIDDEN,
        epochs: int = EPOCHS,
        seed: int = SEED,
        ensemble: int = ENSEMBLE,
    ) -> CandidateRanker:
        """Fit on ``documents`` (candidates, gold keys); ``groups[i]``: document ``i``'s corpus, each weighed equally.

        ``ensemble`` networks of ``hidden`` units, ``epochs`` passes each, seeds ``seed``, ``seed + 1``, ...

        ``FitError`` when no document has both a gold and a non-gold candidate.
        """
        import torch

        columns = [FEATURES.index(f) for f in features]
        groups = list(groups) if groups is not None else [0] * len(documents)
        rows, labels, kept = [], [], []
        for (cands, gold), group in zip(documents, groups):
            y = np.asarray([key in gold for key in cands.keys], np.float64)
            if 0 < y.sum() < len(y):  # a document with no gold candidate (all absent) teaches the ranking nothing
                rows.append(cands.features[:, columns].astype(np.float64))
                labels.append(y)
                kept.append(group)
        sizes = {g: kept.count(g) for g in set(kept)}
        weights = [1.0 / sizes[g] for g in kept]  # each group (corpus) weighs the same, whatever its documents
        if not rows:
            raise FitError("a candidate ranker needs documents with both gold and other candidates")
        x = np.concatenate(rows)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        data = [
            (torch.tensor((r - mean) / scale, dtype=torch.float32), torch.tensor(y, dtype=torch.float32), w)
            for r, y, w in zip(rows, labels, weights)
        ]
        members = [_fit_network(data, len(columns), hidden, epochs, seed + i) for i in range(ensemble)]
        ranker = cls(members, mean.tolist(), scale.tolist(), (1.0, 0.0), features, common_words)
        logits = np.concatenate([ranker.logits(_padded(r, columns)) for r in rows])
        ranker.platt = platt_scaling(logits, np.concatenate(labels))
        return ranker

    def state(self) -> dict[str, Any]:
        """Plain values (``from_state`` reads them back)."""
        return {
            "kind": self.kind,
            "features": list(self.features),
            "members": [[{"weight": w.tolist(), "bias": b.tolist()} for w, b in m] for m in self.members],
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "platt": list(self.platt),
            "common_words": list(self.common_words),
            "threshold": self.threshold,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CandidateRanker:
        """A ranker from ``state()``'s values (ValueError naming what is wrong)."""
        features = state.get("features")
        valid = isinstance(features, list) and all(isinstance(f, str) for f in features)
        if not valid or not features or not set(features) <= set(FEATURES):
            raise ValueError(f"candidate ranker features must be a list of names of {list(FEATURES)}")
        members = state.get("members")
        if not isinstance(members, list) or not members:
            raise ValueError("candidate ranker members must be a non-empty list of networks")
        networks = [_layers(m, len(features)) for m in members]
        mean, scale, platt = (np.asarray(state.get(k), dtype=object) for k in ("mean", "scale", "platt"))
        if mean.shape != (len(features),) or scale.shape != mean.shape or platt.shape != (2,):
            raise ValueError(f"candidate ranker mean and scale must be {len(features)} numbers, platt 2")
        if not _finite(mean, scale, platt) or (scale.astype(np.float64) <= 0).any():
            raise ValueError("candidate ranker mean, scale and platt must be finite, scales positive")
        words = state.get("common_words")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("candidate ranker common_words must be a list of strings")
        threshold = state.get("threshold", 0.0)
        if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"candidate ranker threshold must be a number in [0, 1], got {threshold!r}")
        platt = tuple(platt.astype(float))
        return cls(networks, mean.astype(float), scale.astype(float), platt, features, words, threshold)


def _fit_network(data: list, width: int, hidden: int, epochs: int, seed: int) -> list:
    """One network fitted listwise on ``data`` (``(z, labels, weight)`` per document): its layers as lists."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # building the layers draws from torch's global generator: not here
        net = torch.nn.Sequential(torch.nn.Linear(width, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    with torch.no_grad():  # torch's default initialization, drawn from the fit's own generator
        for layer in (net[0], net[2]):
            bound = 1 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    total = sum(w for _, _, w in data)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator).tolist()
        for start in range(0, len(order), BATCH):
            loss = torch.zeros(())
            for i in order[start : start + BATCH]:  # each document: softmax cross-entropy against its gold
                z, y, w = data[i]
                logits = net(z).squeeze(-1)
                listwise = -(logits.log_softmax(0) * y).sum() / y.sum()
                pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) if POINTWISE else 0.0
                loss = loss + w * (listwise + POINTWISE * pointwise)
            optimizer.zero_grad()
            (loss * len(data) / total / BATCH).backward()  # the mean over a batch of equally weighed documents
            optimizer.step()
    return [(net[0].weight.tolist(), net[0].bias.tolist()), (net[2].weight.tolist(), net[2].bias.tolist())]


def _layers(member: Any, width: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One network's layers from its state: finite matrices chaining from ``width`` inputs to one output."""
    layers = []
    for layer in member if isinstance(member, list) and member else [None]:
        w = np.asarray(layer.get("weight") if isinstance(layer, dict) else None, dtype=object)
        b = np.asarray(layer.get("bias") if isinstance(layer, dict) else None, dtype=object)
        if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],) or not _finite(w, b):
            raise ValueError(f"candidate ranker layers must be finite weight matrices chaining from {width} inputs")
        layers.append((w.astype(np.float64), b.astype(np.float64)))
        width = w.shape[0]
    if width != 1:
        raise ValueError("candidate ranker's last layer must have one output")
    return layers


def _finite(*arrays: np.ndarray) -> bool:
    try:
        return all(np.isfinite(a.astype(np.float64)).all() for a in arrays)
    except (TypeError, ValueError):
        return False


def _padded(rows: np.ndarray, columns: list[int]) -> np.ndarray:
    """Rows of the fitted columns placed back into full ``FEATURES`` rows (what ``logits`` reads)."""
    full = np.zeros((len(rows), len(FEATURES)))
    full[:, columns] = rows
    return full


def platt_scaling(logits: np.ndarray, labels: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """``(a, b)`` minimizing the log loss of ``sigmoid(a * logit + b)`` (Newton's method)."""
    w = newton(logits[:, None], labels, l2=1.0, steps=steps)  # a little penalty: separable labels stay finite
    return float(w[0]), float(w[1])
