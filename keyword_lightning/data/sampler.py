"""Length-bucketed batches: documents of similar length share a batch, so little padding runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np


class BucketBatchSampler:
    """Yields lists of item indices, each batch holding documents of similar length.

    Shuffled (training): each epoch, the items are permuted with ``seed + epoch``, cut into
    pools of ``batch_size * pool_batches`` items, each pool is sorted by length and cut into
    batches, and the batch order is shuffled. Not shuffled (evaluation): all items sorted by
    length, cut into batches. Within a batch the longest item comes first (the order the
    segmented RNN runs in, so it need not permute the batch). Every item appears exactly once
    per epoch.

    Distributed: the batch count is made a multiple of ``num_replicas`` by splitting the
    largest batches, and rank ``r`` takes batches ``r, r + R, ...``: ranks get disjoint
    batches, the same number each (so DDP never waits on a missing step), and together
    they cover every item once. Only when every batch is down to one item and the count is
    still uneven are a few items repeated in training (evaluation needs no equal steps, so
    there each item stays once).

    Lightning calls ``set_epoch`` on a batch sampler's ``.sampler``; it points here.
    """

    def __init__(
        self,
        lengths: np.ndarray,
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        pool_batches: int = 50,
        items: np.ndarray | None = None,
    ) -> None:
        self.lengths = np.asarray(lengths)
        self.items = np.arange(len(self.lengths)) if items is None else np.asarray(items)
        self.size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.num_replicas, self.rank, self.pool_batches = num_replicas, rank, pool_batches
        self.epoch = 0
        self.sampler = self  # so that Lightning's set_epoch reaches us
        self._cached: tuple[int, list[np.ndarray]] | None = None  # (epoch, its batches for this rank)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle to produce (called by Lightning each epoch)."""
        self.epoch = epoch

    def _all_batches(self) -> list[np.ndarray]:
        # Built once an epoch: Lightning asks for len() several times, and at KP20k size a
        # build shuffles and sorts half a million items.
        if self._cached is None or self._cached[0] != self.epoch:
            self._cached = (self.epoch, self._build_batches())
        return self._cached[1]

    def _build_batches(self) -> list[np.ndarray]:
        items = self.items
        if self.shuffle:
            rng = np.random.default_rng(self.seed + self.epoch)
            items = items[rng.permutation(len(items))]
            pool = self.size * self.pool_batches
            batches = []
            for p in range(0, len(items), pool):
                chunk = items[p : p + pool]
                chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
                batches += [chunk[i : i + self.size] for i in range(0, len(chunk), self.size)]
            batches = [batches[i] for i in rng.permutation(len(batches))]
        else:
            items = items[np.argsort(-self.lengths[items], kind="stable")]
            batches = [items[i : i + self.size] for i in range(0, len(items), self.size)]
        while len(batches) % self.num_replicas and any(len(b) > 1 for b in batches):
            big = max(range(len(batches)), key=lambda i: len(batches[i]))
            half = len(batches[big]) // 2
            batches[big : big + 1] = [batches[big][:half], batches[big][half:]]
        if self.shuffle and len(batches) % self.num_replicas:
            # Only single-item batches are left (batch_size 1, or fewer items than ranks): in
            # training every rank must take the same number of steps, so, as torch's
            # DistributedSampler does, a few items are repeated.
            n = len(batches)
            batches += [batches[i % n] for i in range(self.num_replicas - n % self.num_replicas)]
        return batches[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self._all_batches():
            yield batch.tolist()

    def __len__(self) -> int:
        return len(self._all_batches())


def weighted_items(groups: Sequence[str], weights: Mapping[str, float], seed: int = 0) -> np.ndarray:
    """Item indices for one epoch of a mixture: item ``i`` of group ``groups[i]`` appears ``weight`` times.

    A weight of 2.5 gives every item of its group twice and a seeded half of them (rounded) a third
    time; 0.5 keeps a seeded half; a group without a weight keeps 1. Raises ``ValueError`` for a
    weight below 0 or a name that is no group (a typo would silently weigh nothing).
    """
    groups = np.asarray(groups, dtype=object)
    unknown = sorted(set(weights) - set(groups.tolist()))
    if unknown:
        have = sorted(set(groups.tolist()))
        raise ValueError(f"corpus_weights name {', '.join(map(repr, unknown))}: no such corpus (have {have})")
    rng = np.random.default_rng(seed)
    out = []
    for name in dict.fromkeys(groups.tolist()):  # in order of first appearance
        members = np.flatnonzero(groups == name)
        w = float(weights.get(name, 1.0))
        if w < 0:
            raise ValueError(f"corpus_weights[{name!r}] = {w}: a weight is 0 or more")
        whole, part = int(w), w - int(w)
        out += [members] * whole
        out.append(np.sort(rng.choice(members, size=int(round(part * len(members))), replace=False)))
    return np.concatenate(out) if out else np.arange(0)
