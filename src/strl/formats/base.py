"""The two shapes every reader in :mod:`strl.formats` and :mod:`strl.sequences` returns.

* :class:`CloudSet` — a collection of point clouds, optionally labelled (ShapeNet, ModelNet40, ...).
* :class:`SequenceSet` — sequences of frames that share one coordinate frame (RGB-D scans,
  LiDAR sweeps, views of an object); temporal pairs are drawn from these.

Readers return ``float32`` arrays of shape ``(N, 3)``; they never modify their cached arrays
(callers get copies or read-only views) and raise :class:`strl.errors.DataError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class CloudSet(Protocol):
    """A collection of clouds. ``labels`` is ``(len,)`` int64 or ``None``; ``class_names`` likewise."""

    labels: np.ndarray | None
    class_names: list[str] | None

    def __len__(self) -> int: ...

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        ...


@dataclass
class Frame:
    """One frame of a sequence.

    points: ``(N, 3)`` float32 in the sequence's shared (world) frame.
    origin: ``(3,)`` float32 position of the sensor in that frame, or ``None`` (objects). Pairs
        subtract the anchor frame's origin from both frames, so a pair stays aligned near zero.
    lidar_pose: ``(4, 4)`` float64 LiDAR -> world transform of a LiDAR sweep, or ``None``. Pairs
        whose anchor has one are expressed in the anchor sweep's LiDAR frame instead (x forward,
        y left, z up, the sensor at the origin), as a LiDAR detector sees a sweep.
    """

    points: np.ndarray
    origin: np.ndarray | None = None
    lidar_pose: np.ndarray | None = None


@runtime_checkable
class SequenceSet(Protocol):
    """Sequences of frames; ``len()`` is the number of sequences."""

    def __len__(self) -> int: ...

    def num_frames(self, s: int) -> int: ...

    def frame(self, s: int, t: int) -> Frame: ...


class CloudsAsSequences:
    """A :class:`CloudSet` seen as one-frame sequences (pairs are then spatial-only)."""

    def __init__(self, clouds: CloudSet):
        self.clouds = clouds

    def __len__(self) -> int:
        return len(self.clouds)

    def num_frames(self, s: int) -> int:
        return 1

    def frame(self, s: int, t: int) -> Frame:
        return Frame(np.asarray(self.clouds[s], dtype=np.float32))


def check_cloud(points: np.ndarray, path, what: str = "cloud") -> np.ndarray:
    """Validate a cloud read from ``path``: 2-D, >= 3 columns, non-empty, finite. Returns ``(N, 3)`` float32."""
    from strl.errors import DataError

    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise DataError(path, f"{what} has shape {tuple(arr.shape)}, expected (N, 3) or wider")
    if arr.shape[0] == 0:
        raise DataError(path, f"{what} is empty (0 points)")
    if not np.issubdtype(arr.dtype, np.number):
        raise DataError(path, f"{what} has dtype {arr.dtype}, expected numbers")
    xyz = np.ascontiguousarray(arr[:, :3], dtype=np.float32)
    if not np.isfinite(xyz).all():
        bad = int((~np.isfinite(xyz)).any(axis=1).sum())
        raise DataError(path, f"{what} has {bad} point(s) with NaN or inf coordinates")
    return xyz
