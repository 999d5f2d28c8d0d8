"""Temporal pairs: which two frames of a sequence form a positive pair, and the Dataset that draws them.

Every random choice of an item comes from ``numpy.random.default_rng([seed, epoch, index])``, so
an item is the same whichever worker or process loads it, and a resumed run draws what an
uninterrupted one would.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from strl.errors import ConfigError
from strl.formats.base import SequenceSet
from strl.sequences.frame_points import transform_points

PAIR_MODES = ("temporal", "spatial", "both")


def partner_frame(t: int, num_frames: int, window: int, mode: str, rng: np.random.Generator) -> int:
    """The partner of frame ``t``: a frame at most ``window`` steps away.

    ``temporal`` excludes ``t`` itself (unless it is the only frame), ``both`` includes it,
    ``spatial`` (or ``window == 0``) always returns ``t``.
    """
    if mode not in PAIR_MODES:
        raise ConfigError(f"unknown pair mode {mode!r}; known: {', '.join(PAIR_MODES)}")
    if mode == "spatial" or window <= 0 or num_frames <= 1:
        return t
    lo, hi = max(0, t - window), min(num_frames - 1, t + window)
    candidates = np.arange(lo, hi + 1)
    if mode == "temporal":
        candidates = candidates[candidates != t]
    return int(rng.choice(candidates))


def resample(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(M, 3) -> (n, 3)``: a random subset without replacement, or with replacement when ``M < n``."""
    m = points.shape[0]
    idx = rng.choice(m, size=n, replace=m < n)
    return points[idx]


class PairDataset(Dataset):
    """Pairs of frames ``(frame_points, 3)`` float32 from a :class:`SequenceSet`.

    One item per frame (the anchor). Both frames are shifted by the anchor's sensor origin (when the
    sequence has one), so a pair stays aligned in one frame near zero. LiDAR sweeps (frames with a
    ``lidar_pose``) are instead both expressed in the anchor sweep's LiDAR frame (x forward, y left,
    z up, the sensor at the origin): the partner sweep is registered into it with the poses, and
    the anchor is its own sweep as the sensor saw it. Items are indexed by ``(index, epoch)`` keys
    (see :class:`EpochSampler`) or by a plain index (epoch 0).
    """

    def __init__(self, sequences: SequenceSet, frame_points: int, window: int = 1, mode: str = "both", seed: int = 0):
        if mode not in PAIR_MODES:
            raise ConfigError(f"unknown pair mode {mode!r}; known: {', '.join(PAIR_MODES)}")
        self.sequences = sequences
        self.frame_points = frame_points
        self.window = window
        self.mode = mode
        self.seed = seed
        self.index = [(s, t) for s in range(len(sequences)) for t in range(sequences.num_frames(s))]
        if not self.index:
            raise ConfigError("the pre-training data holds no frames")

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key) -> dict[str, torch.Tensor]:
        i, epoch = key if isinstance(key, tuple) else (key, 0)
        rng = np.random.default_rng([self.seed, epoch, i])
        s, t = self.index[i]
        u = partner_frame(t, self.sequences.num_frames(s), self.window, self.mode, rng)
        anchor = self.sequences.frame(s, t)
        partner = anchor if u == t else self.sequences.frame(s, u)
        a = resample(anchor.points, self.frame_points, rng)
        b = resample(partner.points, self.frame_points, rng)
        if anchor.lidar_pose is not None:
            to_anchor = np.linalg.inv(anchor.lidar_pose)
            a, b = transform_points(a, to_anchor), transform_points(b, to_anchor)
        elif anchor.origin is not None:
            shift = np.asarray(anchor.origin, np.float32)
            a, b = a - shift, b - shift
        return {
            "a": torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)),
            "b": torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)),
            "key": torch.tensor([self.seed, epoch, i], dtype=torch.int64),
        }


class EpochSampler(torch.utils.data.Sampler):
    """Yields ``(index, epoch)`` keys in an order fixed by ``(seed, epoch)``, split across processes.

    Lightning calls :meth:`set_epoch` before each epoch. With ``W`` processes, rank ``r`` takes every
    ``W``-th index of the shuffled order (the order is padded by wrapping so all ranks take the same count).
    """

    def __init__(self, size: int, seed: int = 0, shuffle: bool = True, rank: int | None = None, world: int | None = None):
        self.size, self.seed, self.shuffle = size, seed, shuffle
        self._rank, self._world = rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rank_world(self) -> tuple[int, int]:
        if self._world is not None:
            return self._rank or 0, self._world
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        _, world = self._rank_world()
        return -(-self.size // world)

    def __iter__(self):
        rank, world = self._rank_world()
        order = np.arange(self.size)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        total = len(self) * world
        order = np.resize(order, total)  # wrap-pad
        for i in order[rank::world]:
            yield int(i), self.epoch
