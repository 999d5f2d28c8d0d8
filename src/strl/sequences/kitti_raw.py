"""LiDAR sweeps of KITTI raw drives (synced + rectified), registered with the OXTS poses.

::

    <root>/<date>/<date>_drive_<NNNN>_sync/velodyne_points/data/NNNNNNNNNN.bin  float32 x, y, z, reflectance
    <root>/<date>/<date>_drive_<NNNN>_sync/oxts/data/NNNNNNNNNN.txt             one line of 30 values
    <root>/<date>/calib_imu_to_velo.txt                                         R: 9 values, T: 3 values
    <root>/<date>/calib_velo_to_cam.txt                                         the same for velodyne -> camera 0

``root`` may also be one date folder or one drive folder. Raw sweeps are **not** motion-compensated.

Poses (raw devkit ``convertOxtsToPose``): the Mercator scale ``cos(lat_0)`` of the drive's first
OXTS frame; translation ``(scale * er * lon, scale * er * ln(tan((90 + lat) / 2)), alt)`` with
``er = 6378137`` m and the angles in radians; rotation ``Rz(yaw) Ry(pitch) Rx(roll)``; every pose
is then expressed in the first frame's IMU frame. A sweep's world points are
``pose_imu_i @ inv(Tr_imu_to_velo) @ [x, y, z, 1]``.

Each drive is a sequence named like ``2011_09_26_drive_0005``. Frames to leave out (e.g. those
near KITTI object val frames, :func:`strl.formats.kitti_mapping.split_neighbourhood`) split a
drive into runs of consecutive raw frames; each run is then a sequence ``<drive>@<first>-<last>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from strl.errors import DataError
from strl.formats.kitti_mapping import drive_name
from strl.sequences.frame_files import list_frames, listing
from strl.sequences.kitti import SweepSequences
from strl.sequences.kitti_files import calib_values, read_calib_entries

__all__ = ["EARTH_RADIUS", "OXTS_FIELDS", "KittiRawSequences", "find_drives", "oxts_poses", "read_oxts",
           "read_rigid_calib"]

OXTS_FIELDS = (
    "lat", "lon", "alt", "roll", "pitch", "yaw", "vn", "ve", "vf", "vl", "vu", "ax", "ay", "az", "af", "al", "au",
    "wx", "wy", "wz", "wf", "wl", "wu", "pos_accuracy", "vel_accuracy", "navstat", "numsats", "posmode", "velmode",
    "orimode",
)
EARTH_RADIUS = 6378137.0  # metres, as the raw devkit
DRIVE_PATTERN = re.compile(r"^\d{4}_\d{2}_\d{2}_drive_\d{4}_sync$")


def read_oxts(path: str | os.PathLike) -> np.ndarray:
    """The 30 values of an OXTS file (:data:`OXTS_FIELDS`) as float64 ``(30,)``."""
    p = Path(path)
    try:
        parts = p.read_text().split()
    except FileNotFoundError:
        raise DataError(p, "OXTS file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(p, f"cannot read OXTS file ({e})") from None
    if len(parts) != len(OXTS_FIELDS):
        raise DataError(p, f"{len(parts)} values, expected {len(OXTS_FIELDS)} (lat lon alt roll pitch yaw ...)")
    try:
        values = np.array(parts, dtype=np.float64)
    except ValueError:
        raise DataError(p, "OXTS values are not all numbers") from None
    if not np.isfinite(values[:6]).all():
        raise DataError(p, "NaN or inf in lat, lon, alt, roll, pitch or yaw")
    return values


def oxts_poses(oxts: np.ndarray) -> np.ndarray:
    """IMU poses ``(T, 4, 4)`` from OXTS rows ``(T, >= 6)`` (lat, lon in degrees, alt, roll, pitch, yaw),
    in the IMU frame of row 0 (which gets the identity), with row 0's Mercator scale."""
    lat, lon, alt, roll, pitch, yaw = np.asarray(oxts, np.float64)[:, :6].T
    scale = np.cos(np.deg2rad(lat[0]))
    t = np.stack([scale * EARTH_RADIUS * np.deg2rad(lon),
                  scale * EARTH_RADIUS * np.log(np.tan(np.deg2rad(90.0 + lat) / 2)), alt], axis=1)
    one, zero = np.ones_like(lat), np.zeros_like(lat)

    def rot(c, s, axes):  # (T, 3, 3) rotations about one axis, written from the rows' templates
        return np.stack([np.stack(row, -1) for row in axes(c, s)], -2)

    rx = rot(np.cos(roll), np.sin(roll), lambda c, s: [(one, zero, zero), (zero, c, -s), (zero, s, c)])
    ry = rot(np.cos(pitch), np.sin(pitch), lambda c, s: [(c, zero, s), (zero, one, zero), (-s, zero, c)])
    rz = rot(np.cos(yaw), np.sin(yaw), lambda c, s: [(c, -s, zero), (s, c, zero), (zero, zero, one)])
    poses = np.zeros((len(lat), 4, 4))
    poses[:, :3, :3] = rz @ ry @ rx
    poses[:, :3, 3] = t
    poses[:, 3, 3] = 1.0
    return np.linalg.inv(poses[0]) @ poses


def read_rigid_calib(path: str | os.PathLike) -> np.ndarray:
    """A raw ``calib_*_to_*.txt`` (``R:`` 9 values, ``T:`` 3 values) as a 4x4 transform."""
    p = Path(path)
    entries = read_calib_entries(p)
    missing = [k for k in ("R", "T") if k not in entries]
    if missing:
        raise DataError(p, f"no {' or '.join(repr(k + ':') for k in missing)} line (rotation R, translation T)")
    out = np.eye(4)
    out[:3, :3] = calib_values(p, entries, "R", 9, "3x3").reshape(3, 3)
    out[:3, 3] = calib_values(p, entries, "T", 3)
    return out


def find_drives(root: str | os.PathLike) -> list[Path]:
    """The drive folders (``<date>_drive_<NNNN>_sync`` with ``velodyne_points/data``) at, in or two
    levels below ``root``, sorted by name."""
    p = Path(root)
    candidates = [p] if DRIVE_PATTERN.match(p.name) else [*p.glob("*_drive_*_sync"), *p.glob("*/*_drive_*_sync")]
    return sorted((d for d in candidates if DRIVE_PATTERN.match(d.name) and (d / "velodyne_points" / "data").is_dir()),
                  key=lambda d: d.name)


def _runs(frames: np.ndarray) -> list[np.ndarray]:
    """Sorted frame numbers cut into runs of consecutive numbers."""
    return np.split(frames, np.flatnonzero(np.diff(frames) > 1) + 1) if len(frames) else []


class KittiRawSequences(SweepSequences):
    """KITTI raw drives as a :class:`~strl.formats.base.SequenceSet` of registered LiDAR sweeps.

    Args:
        root: the raw data folder (``<date>/<drive>_sync/``), one date folder or one drive folder.
        drives: drive names to use (``2011_09_26_drive_0005``, with or without ``_sync``); ``None``: all.
        exclude: ``{drive: raw frame numbers}`` to leave out (see the module docstring).
        min_range, max_range, ground, ground_height, max_points, seed: as
            :class:`strl.sequences.kitti.KittiSequences`.

    Every sweep must have its OXTS file (checked from the folder listings); OXTS files are read
    when a frame is, with the first OXTS frame of the drive as the world frame.
    ``frame(s, t)`` returns ``Frame(points (N, 3) float32 world, origin (3,) float32 sensor position)``.
    """

    def __init__(self, root: str | os.PathLike, *, drives: Sequence[str] | None = None,
                 exclude: Mapping[str, np.ndarray] | None = None, min_range: float = 0.0,
                 max_range: float | None = None, ground: str = "keep", ground_height: float = -1.5,
                 max_points: int | None = None, seed: int = 0):
        super().__init__(min_range=min_range, max_range=max_range, ground=ground, ground_height=ground_height,
                         max_points=max_points, seed=seed)
        self.root = Path(root)
        found = find_drives(self.root)
        if not found:
            raise DataError(self.root, "no KITTI raw drive here: expected <date>/<date>_drive_<NNNN>_sync/"
                                       "velodyne_points/data/*.bin")
        by_name = {drive_name(d.name): d for d in found}
        wanted = list(by_name) if drives is None else [drive_name(str(d)) for d in drives]
        unknown = [d for d in wanted if d not in by_name]
        if unknown:
            raise DataError(self.root, f"no drive {listing(unknown)}; found: {listing(list(by_name))}")
        self.drives: list[str] = []  # the drive of each sequence
        self.frame_numbers: list[np.ndarray] = []  # the raw frame number of each sweep, per sequence
        self._oxts: list[dict[int, Path]] = []  # per sequence: raw frame -> OXTS file
        self._first_oxts: list[Path] = []  # per sequence: the drive's first OXTS file (its world frame)
        self._velo_to_imu: list[np.ndarray] = []  # per sequence: inv(Tr_imu_to_velo) of its date
        self._first_values: dict[Path, np.ndarray] = {}
        self.excluded = 0  # sweeps left out
        for name in wanted:
            self._add_drive(name, by_name[name], (exclude or {}).get(name))
        if not self.names:
            raise DataError(self.root, "no sweep left after leaving out the excluded frames")

    def _add_drive(self, name: str, folder: Path, excluded) -> None:
        sweeps = list_frames(folder / "velodyne_points" / "data", ".bin")
        oxts = list_frames(folder / "oxts" / "data", ".txt") if (folder / "oxts" / "data").is_dir() else {}
        lacking = [f"{k:010d}.txt" for k in sorted(sweeps) if k not in oxts]
        if lacking:
            raise DataError(folder / "oxts" / "data", f"no OXTS file for {len(lacking)} sweep(s): {listing(lacking)}")
        velo_to_imu = np.linalg.inv(read_rigid_calib(folder.parent / "calib_imu_to_velo.txt"))
        frames = np.array(sorted(sweeps), dtype=np.int64)
        kept = frames if excluded is None else frames[~np.isin(frames, np.asarray(excluded))]
        self.excluded += len(frames) - len(kept)
        runs = _runs(kept)
        for run in runs:
            whole = len(runs) == 1 and len(run) == len(frames)
            self.names.append(name if whole else f"{name}@{run[0]}-{run[-1]}")
            self.drives.append(name)
            self.frame_numbers.append(run)
            self._sweeps.append([sweeps[int(k)] for k in run])
            self._oxts.append({int(k): oxts[int(k)] for k in run})
            self._first_oxts.append(oxts[min(oxts)])
            self._velo_to_imu.append(velo_to_imu)

    def transform(self, s: int, t: int) -> np.ndarray:
        """``pose_imu(t) @ inv(Tr_imu_to_velo)``: velodyne -> the drive's first IMU frame."""
        first = self._first_oxts[s]
        if first not in self._first_values:
            self._first_values[first] = read_oxts(first)
        current = read_oxts(self._oxts[s][int(self.frame_numbers[s][t])])
        return oxts_poses(np.stack([self._first_values[first], current]))[1] @ self._velo_to_imu[s]

    def frames_used(self) -> dict[str, np.ndarray]:
        """``{drive: raw frame numbers}`` of every sweep this set serves, for
        :func:`strl.formats.kitti_mapping.pretraining_overlap`."""
        out: dict[str, np.ndarray] = {}
        for drive, frames in zip(self.drives, self.frame_numbers):
            out[drive] = np.concatenate([out.get(drive, np.zeros(0, np.int64)), frames])
        return out

    def velo_to_cam(self, s: int) -> np.ndarray:
        """The 4x4 velodyne -> camera-0 (unrectified) transform of sequence ``s``'s date
        (``calib_velo_to_cam.txt``)."""
        return read_rigid_calib(self._sweeps[s][0].parents[3] / "calib_velo_to_cam.txt")
