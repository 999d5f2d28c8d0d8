"""LiDAR sweeps in the KITTI odometry layout, registered into each sequence's world frame.

::

    <root>/sequences/NN/velodyne/NNNNNN.bin   float32 records (x, y, z, intensity), sensor frame
    <root>/sequences/NN/calib.txt             has a line ``Tr: <12 numbers>`` (3x4 velodyne -> camera 0)
    <root>/poses/NN.txt                       12 numbers a line (3x4 camera-0 pose); line i = sweep i
    or <root>/sequences/NN/poses.txt          the same, next to the sweeps

``root`` may also be the ``sequences`` folder itself. Sweeps are ordered by the number in their
stem. A world point is ``pose_i @ Tr @ [x, y, z, 1]``; the sensor origin is ``pose_i @ Tr @ [0, 0, 0, 1]``.
Filtering (range, ground) happens in the sensor frame, before registration. Intensity is ignored.
Each frame carries its LiDAR -> world transform (``Frame.lidar_pose``), so temporal pairs arrive
in the anchor sweep's LiDAR frame (the partner registered into it with the poses).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.base import Frame
from strl.sequences.frame_files import DataWarning, list_frames
from strl.sequences.frame_points import check_max_points, registered_frame, seeded_subset
from strl.sequences.kitti_files import read_calib_tr, read_poses, read_velodyne

GROUND_MODES = ("keep", "remove")


def _sequence_folder(root: Path) -> Path:
    if (root / "sequences").is_dir():
        return root / "sequences"
    if root.is_dir() and any((p / "velodyne").is_dir() for p in root.iterdir() if p.is_dir()):
        return root
    raise DataError(root, "not a KITTI odometry folder: expected sequences/NN/velodyne/")


class SweepSequences:
    """LiDAR sweeps (``.bin``) in sequences, each sweep with its sensor -> world transform.

    The shared part of the KITTI readers: options, filtering in the sensor frame, the seeded subset
    and the registration. Subclasses fill :attr:`names`, one list of sweep paths per sequence in
    ``_sweeps`` and implement :meth:`transform`. See :class:`KittiSequences` for the arguments.

    ``frame(s, t)`` returns ``Frame(points (N, 3) float32 world, origin (3,) float32 sensor position,
    lidar_pose (4, 4) float64 LiDAR -> world)``.
    """

    def __init__(self, *, min_range: float = 0.0, max_range: float | None = None, ground: str = "keep",
                 ground_height: float = -1.5, max_points: int | None = None, seed: int = 0):
        if ground not in GROUND_MODES:
            raise ConfigError(f"ground must be one of {', '.join(GROUND_MODES)}, got {ground!r}")
        if min_range < 0 or (max_range is not None and max_range <= min_range):
            raise ConfigError(f"need 0 <= min_range < max_range, got {min_range}, {max_range}")
        check_max_points(max_points)
        self.min_range = float(min_range)
        self.max_range = max_range
        self.ground = ground
        self.ground_height = float(ground_height)
        self.max_points = max_points
        self.seed = seed
        self.stats = {"sweeps_read": 0, "points_read": 0, "points_out_of_range": 0, "points_ground": 0}
        self.names: list[str] = []
        self._sweeps: list[list[Path]] = []

    def __len__(self) -> int:
        return len(self.names)

    def num_frames(self, s: int) -> int:
        return len(self._sweeps[s])

    def sweep_path(self, s: int, t: int) -> Path:
        return self._sweeps[s][t]

    def transform(self, s: int, t: int) -> np.ndarray:
        """The 4x4 sensor -> world transform of sweep ``t`` of sequence ``s``."""
        raise NotImplementedError

    def frame(self, s: int, t: int) -> Frame:
        """Sweep ``t`` of sequence ``s``, filtered in the sensor frame, then registered to the world."""
        path = self._sweeps[s][t]
        xyz = read_velodyne(path).astype(np.float64)
        keep = np.ones(len(xyz), dtype=bool)
        if self.min_range > 0 or self.max_range is not None:
            r = np.linalg.norm(xyz, axis=1)
            in_range = r >= self.min_range
            if self.max_range is not None:
                in_range &= r <= self.max_range
            keep &= in_range
            self.stats["points_out_of_range"] += int((~in_range).sum())
        if self.ground == "remove":
            above = xyz[:, 2] >= self.ground_height
            self.stats["points_ground"] += int((keep & ~above).sum())
            keep &= above
        self.stats["sweeps_read"] += 1
        self.stats["points_read"] += len(xyz)
        xyz = xyz[keep]
        if len(xyz) == 0:
            raise DataError(path, "no point left after range/ground filtering")
        xyz = seeded_subset(xyz, self.max_points, self.seed, self.names[s], t)
        return registered_frame(xyz, self.transform(s, t), lidar=True)


class KittiSequences(SweepSequences):
    """KITTI-style LiDAR sequences as a :class:`~strl.formats.base.SequenceSet`.

    Args:
        root: the folder holding ``sequences/`` (and optionally ``poses/``), or ``sequences/`` itself.
        sequences: names (``"00"``) or numbers (``0``) to use; ``None`` uses every sequence that
            has poses (those without, like KITTI's test sequences 11-21, are skipped with a warning).
        min_range, max_range: keep points whose distance to the sensor is in this range (metres).
        ground: ``"keep"``, or ``"remove"`` to drop points with sensor-frame ``z < ground_height``.
        ground_height: that threshold (metres, sensor frame; the KITTI scanner is ~1.73 m up).
        max_points: random subset of at most this many points per sweep, seeded per (sequence, sweep).
        seed: seed of that subset.

    ``frame(s, t)`` returns ``Frame(points (N, 3) float32 world, origin (3,) float32 sensor position)``.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        sequences: Sequence[str | int] | None = None,
        min_range: float = 0.0,
        max_range: float | None = None,
        ground: str = "keep",
        ground_height: float = -1.5,
        max_points: int | None = None,
        seed: int = 0,
    ):
        super().__init__(min_range=min_range, max_range=max_range, ground=ground, ground_height=ground_height,
                         max_points=max_points, seed=seed)
        self.root = Path(root)
        seq_dir = _sequence_folder(self.root)
        poses_dir = seq_dir.parent / "poses"
        available = sorted(p.name for p in seq_dir.iterdir() if (p / "velodyne").is_dir())
        if sequences is None:
            names = available
        else:
            names = [self._resolve_name(n, available, seq_dir) for n in sequences]
        self._transforms: list[np.ndarray] = []  # (T, 4, 4) velodyne -> world, per sequence
        skipped = []
        for name in names:
            folder = seq_dir / name
            pose_file = next((p for p in (poses_dir / f"{name}.txt", folder / "poses.txt") if p.is_file()), None)
            if pose_file is None:
                if sequences is None:
                    skipped.append(name)
                    continue
                raise DataError(folder, f"no poses: neither {poses_dir / (name + '.txt')} nor {folder / 'poses.txt'}")
            tr = read_calib_tr(folder / "calib.txt")
            poses = read_poses(pose_file)
            sweeps = list_frames(folder / "velodyne", ".bin")
            if not sweeps:
                raise DataError(folder / "velodyne", "no .bin sweeps")
            if len(poses) != len(sweeps):
                raise DataError(pose_file, f"{len(poses)} pose line(s) but {len(sweeps)} sweep(s) in {folder / 'velodyne'}")
            self.names.append(name)
            self._sweeps.append([sweeps[k] for k in sorted(sweeps)])
            self._transforms.append(poses @ tr)
        if skipped:
            warnings.warn(
                f"{seq_dir}: skipped {len(skipped)} sequence(s) without poses: {', '.join(skipped)}",
                DataWarning,
                stacklevel=2,
            )
        if not self.names:
            raise DataError(seq_dir, "no sequence with velodyne sweeps and poses")

    @staticmethod
    def _resolve_name(name: str | int, available: list[str], seq_dir: Path) -> str:
        text = f"{name:02d}" if isinstance(name, int) else str(name)
        for candidate in (text, text.zfill(2)):
            if candidate in available:
                return candidate
        raise DataError(seq_dir, f"no sequence {text!r} with a velodyne/ folder; found: {', '.join(available) or 'none'}")

    def transform(self, s: int, t: int) -> np.ndarray:
        return self._transforms[s][t]
