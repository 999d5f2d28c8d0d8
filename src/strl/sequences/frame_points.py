"""What every sequence reader does to one frame's sensor points: a seeded subset, then registration."""

from __future__ import annotations

import zlib

import numpy as np

from strl.errors import ConfigError
from strl.formats.base import Frame


def check_max_points(max_points: int | None) -> None:
    """ConfigError unless ``max_points`` is ``None`` or at least 1."""
    if max_points is not None and max_points < 1:
        raise ConfigError(f"max_points must be >= 1 or None, got {max_points}")


def seeded_subset(points: np.ndarray, max_points: int | None, seed: int, sequence: str, key: int) -> np.ndarray:
    """At most ``max_points`` of the ``(N, 3)`` points, in their order, drawn from a generator seeded by
    ``(seed, sequence name, frame key)``, so a frame gives the same subset in every process."""
    if max_points is None or len(points) <= max_points:
        return points
    rng = np.random.default_rng([seed, zlib.crc32(sequence.encode()), key])
    return points[np.sort(rng.choice(len(points), max_points, replace=False))]


def transform_points(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """``(N, 3)`` points moved by the 4x4 ``transform`` (in the points' dtype promoted with the transform's)."""
    # einsum, not @: a multi-threaded BLAS call for three columns mostly costs thread start-up
    return np.einsum("nj,ij->ni", points, transform[:3, :3]) + transform[:3, 3]


def registered_frame(points: np.ndarray, to_world: np.ndarray, lidar: bool = False) -> Frame:
    """``(N, 3)`` sensor points moved by the 4x4 ``to_world``: world points and the sensor origin, float32.

    ``lidar``: the points are a LiDAR sweep; the frame keeps ``to_world`` as its ``lidar_pose``, so
    pairs are expressed in the anchor sweep's LiDAR frame (:class:`strl.sequences.pairs.PairDataset`).
    """
    world = transform_points(points, to_world)
    pose = np.asarray(to_world, np.float64) if lidar else None
    return Frame(world.astype(np.float32), to_world[:3, 3].astype(np.float32), pose)
