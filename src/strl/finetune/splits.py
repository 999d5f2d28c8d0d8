"""The labelled samples of a run: a seeded, stratified label fraction, and a validation split carved from it.

Validation samples come out of the labelled share, so a run never sees more labels than its
fraction allows; a group (class, or ShapeNetPart category) with a single labelled sample keeps it
for training.
"""

from __future__ import annotations

import numpy as np

from strl.evaluate.classifiers import label_subset


def stratified_holdout(groups: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(train, val)`` into ``groups``: ``max(1, round(fraction * n_g))`` of every group
    with at least two members go to ``val`` (seeded); the rest stay in ``train``. Both sorted."""
    rng = np.random.default_rng([seed, 7])
    val = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        if len(members) >= 2:
            take = min(len(members) - 1, max(1, int(round(fraction * len(members)))))
            val.append(rng.permutation(members)[:take])
    val_idx = np.sort(np.concatenate(val)) if val else np.zeros(0, dtype=np.int64)
    train_idx = np.setdiff1d(np.arange(len(groups)), val_idx)
    return train_idx, val_idx


def labelled_split(groups: np.ndarray, label_fraction: float, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)`` of the training split for one run: ``label_fraction`` of each group
    (at least one, seeded by ``seed``), then ``val_fraction`` of those held out for validation."""
    labelled = label_subset(groups, fraction=label_fraction, seed=seed) if label_fraction < 1 else np.arange(len(groups))
    train_pos, val_pos = stratified_holdout(np.asarray(groups)[labelled], val_fraction, seed)
    return labelled[train_pos], labelled[val_pos]


def group_holdout(groups: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(train, val)`` into ``groups (n,)``: whole groups, in a seeded order, go to ``val``
    until it holds at least ``max(1, round(fraction * n))`` samples; at least one group stays in
    ``train``. With a single group the samples are held out one by one instead (as their own
    groups). Both sorted; ``val`` is empty for ``n < 2``."""
    groups = np.asarray(groups)
    n = len(groups)
    names, group_of = np.unique(groups, return_inverse=True)
    if len(names) < 2:
        names, group_of = np.arange(n), np.arange(n)
    if len(names) < 2:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    order = np.random.default_rng([seed, 17]).permutation(len(names))
    sizes = np.bincount(group_of, minlength=len(names))[order]
    target = max(1, int(round(fraction * n)))
    take = min(int(np.searchsorted(np.cumsum(sizes), target)) + 1, len(names) - 1)
    val = np.isin(group_of, order[:take])
    return np.flatnonzero(~val), np.flatnonzero(val)
