"""LiDAR sweeps in the KITTI odometry layout, registered into each sequence's world frame.

::

    <root>/sequences/NN/velodyne/NNNNNN.bin   float32 records (x, y, z, intensity), sensor frame
    <root>/sequences/NN/calib.txt             has a line ``Tr: <12 numbers>`` (3x4 velodyne -> camera 0)
    <root>/poses/NN.txt                       12 numbers a line (3x4 camera-0 pose); line i = sweep i
    or <root>/sequences/NN/poses.txt          the same, next to the sweeps

``root`` may also be the ``sequences`` folder itself. Sweeps are ordered by the number in their
stem. A world point is ``pose_i @ Tr @ [x, y, z, 1]``; the sensor origin is ``pose_i @ Tr @ [0, 0, 0, 1]``.
Filtering (range, ground) happens in the sensor frame, before registration. Intensity is ignored.
"""

from __future__ import annotations

import os
import warnings
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.base import Frame
from strl.sequences.rgbd import DataWarning, list_frames

GROUND_MODES = ("keep", "remove")


def _homogeneous(rows: np.ndarray) -> np.ndarray:
    """``(..., 12)`` row-major 3x4 matrices -> ``(..., 4, 4)``."""
    out = np.zeros(rows.shape[:-1] + (4, 4))
    out[..., :3, :] = rows.reshape(rows.shape[:-1] + (3, 4))
    out[..., 3, 3] = 1.0
    return out


def read_calib_tr(path: Path) -> np.ndarray:
    """The ``Tr:`` (velodyne -> camera 0) transform of a KITTI ``calib.txt`` as a 4x4 matrix."""
    if not path.is_file():
        raise DataError(path, "calibration file is missing")
    for line_no, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        key, sep, rest = line.partition(":")
        if sep and key.strip() == "Tr":
            try:
                values = np.array(rest.split(), dtype=np.float64)
            except ValueError:
                raise DataError(path, f"line {line_no}: cannot parse the Tr values as numbers") from None
            if values.size != 12:
                raise DataError(path, f"line {line_no}: Tr has {values.size} numbers, expected 12 (3x4)")
            if not np.isfinite(values).all():
                raise DataError(path, f"line {line_no}: Tr holds NaN or inf")
            return _homogeneous(values)
    raise DataError(path, "no 'Tr:' line (velodyne -> camera-0 transform)")


def read_poses(path: Path) -> np.ndarray:
    """KITTI poses, 12 numbers a line, as ``(T, 4, 4)`` float64."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # empty file: reported by the count check
            rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot parse poses as numbers ({exc})") from None
    if rows.size == 0:
        return np.zeros((0, 4, 4))
    if rows.shape[1] != 12:
        raise DataError(path, f"pose lines have {rows.shape[1]} numbers, expected 12 (3x4 matrix per line)")
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:
        raise DataError(path, f"NaN or inf in pose line(s) {', '.join(str(i + 1) for i in bad[:5])}")
    return _homogeneous(rows)


def read_velodyne(path: Path) -> np.ndarray:
    """A ``.bin`` sweep as ``(N, 3)`` float32 sensor-frame xyz (intensity dropped)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise DataError(path, "sweep file is missing") from None
    if size % 16:
        raise DataError(path, f"size {size} bytes is not a multiple of 16 (float32 x, y, z, intensity)")
    if size == 0:
        raise DataError(path, "sweep is empty (0 points)")
    xyz = np.fromfile(path, dtype=np.float32).reshape(-1, 4)[:, :3]
    if not np.isfinite(xyz).all():
        bad = int((~np.isfinite(xyz)).any(axis=1).sum())
        raise DataError(path, f"{bad} point(s) with NaN or inf coordinates")
    return xyz


def _sequence_folder(root: Path) -> Path:
    if (root / "sequences").is_dir():
        return root / "sequences"
    if root.is_dir() and any((p / "velodyne").is_dir() for p in root.iterdir() if p.is_dir()):
        return root
    raise DataError(root, "not a KITTI odometry folder: expected sequences/NN/velodyne/")


class KittiSequences:
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
        if ground not in GROUND_MODES:
            raise ConfigError(f"ground must be one of {', '.join(GROUND_MODES)}, got {ground!r}")
        if min_range < 0 or (max_range is not None and max_range <= min_range):
            raise ConfigError(f"need 0 <= min_range < max_range, got {min_range}, {max_range}")
        if max_points is not None and max_points < 1:
            raise ConfigError(f"max_points must be >= 1 or None, got {max_points}")
        self.root = Path(root)
        self.min_range = float(min_range)
        self.max_range = max_range
        self.ground = ground
        self.ground_height = float(ground_height)
        self.max_points = max_points
        self.seed = seed
        self.stats = {"sweeps_read": 0, "points_read": 0, "points_out_of_range": 0, "points_ground": 0}

        seq_dir = _sequence_folder(self.root)
        poses_dir = seq_dir.parent / "poses"
        available = sorted(p.name for p in seq_dir.iterdir() if (p / "velodyne").is_dir())
        if sequences is None:
            names = available
        else:
            names = [self._resolve_name(n, available, seq_dir) for n in sequences]
        self.names: list[str] = []
        self._sweeps: list[list[Path]] = []
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

    def __len__(self) -> int:
        return len(self.names)

    def num_frames(self, s: int) -> int:
        return len(self._sweeps[s])

    def sweep_path(self, s: int, t: int) -> Path:
        return self._sweeps[s][t]

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
        if self.max_points is not None and len(xyz) > self.max_points:
            rng = np.random.default_rng([self.seed, zlib.crc32(self.names[s].encode()), t])
            xyz = xyz[np.sort(rng.choice(len(xyz), self.max_points, replace=False))]
        T = self._transforms[s][t]
        points = xyz @ T[:3, :3].T + T[:3, 3]
        return Frame(points.astype(np.float32), T[:3, 3].astype(np.float32))
