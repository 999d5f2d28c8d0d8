"""RGB-D scans as sequences of back-projected depth frames (ScanNet ``scannet_frames_25k`` layout).

One scene folder holds::

    depth/NNNNNN.png          16-bit depth, millimetres by default (0 = no measurement)
    pose/NNNNNN.txt           4x4 camera-to-world matrix
    intrinsics_depth.txt      4x4 (or 3x3) K: fx=K[0,0], fy=K[1,1], cx=K[0,2], cy=K[1,2]
                              (``intrinsic_depth.txt`` and ``intrinsic/intrinsic_depth.txt`` as in
                              the raw ScanNet export are accepted too)
    color/...                 optional, ignored

``root`` is either one such scene folder or a folder of them. Any RGB-D export in this convention
(a phone scanner, a synthetic renderer) works. Frames are ordered by the integer in their file stem.

Back-projection of pixel ``(u=column, v=row)``: ``z = depth / depth_scale``,
``x = (u - cx) z / fx``, ``y = (v - cy) z / fy``, ``world = pose @ [x, y, z, 1]``.

Differences from the original STRL loader (it kept every pixel and never looked at the pose):

* pixels with depth 0 (and beyond ``max_depth``) are dropped;
* frames whose pose holds NaN/inf (ScanNet writes ``-inf`` where tracking was lost) are dropped
  when the scene is indexed, with a :class:`DataWarning` naming the files;
* a frame with no valid pixel is skipped with a counted :class:`DataWarning`: the nearest frame of
  the same scene that has valid pixels is returned in its place (or, with ``check_depth=True``,
  such frames are found and removed up front, which reads every depth image once).

Poses and intrinsics are read when the set is built (small text files); depth images are read
lazily by :meth:`RGBDSequences.frame`, so the set is cheap to pickle into DataLoader workers.
"""

from __future__ import annotations

import os
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from strl.errors import ConfigError, DataError
from strl.formats.base import Frame, SequenceSet

INTRINSICS_NAMES = ("intrinsics_depth.txt", "intrinsic_depth.txt", "intrinsic/intrinsic_depth.txt")
SPLITS = ("all", "train", "val")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_SHOWN = 5  # file names listed in a message before "..."


class DataWarning(UserWarning):
    """Input that was usable only after dropping part of it (frames, sweeps, pixels)."""


def _listing(names: Sequence[str]) -> str:
    head = ", ".join(str(n) for n in names[:_SHOWN])
    return head + (f", ... ({len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")


def frame_key(path: Path) -> int:
    """The integer a frame file is ordered by: its stem (``000100.png`` -> 100), or the trailing digits."""
    match = re.search(r"(\d+)$", path.stem)
    if match is None:
        raise DataError(path, "file name has no frame number (expected e.g. 000100" + path.suffix + ")")
    return int(match.group(1))


def list_frames(folder: Path, suffix: str) -> dict[int, Path]:
    """Files ``folder/*suffix`` keyed by frame number; two files with one number are an error."""
    frames: dict[int, Path] = {}
    for path in sorted(folder.glob("*" + suffix)):
        key = frame_key(path)
        if key in frames:
            raise DataError(folder, f"{frames[key].name} and {path.name} have the same frame number {key}")
        frames[key] = path
    return frames


def _load_matrix(path: Path, what: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # loadtxt warns on an empty file; the shape check reports it
            return np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot parse {what} as numbers ({exc})") from None


def read_pose(path: Path) -> np.ndarray | None:
    """A 4x4 camera-to-world pose, or ``None`` when it holds NaN/inf (a frame to drop)."""
    pose = _load_matrix(path, "pose")
    if pose.shape != (4, 4):
        raise DataError(path, f"pose has shape {pose.shape}, expected a 4x4 matrix")
    if not np.isfinite(pose).all():
        return None
    if not np.allclose(pose[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        raise DataError(path, f"pose last row is {pose[3].tolist()}, expected [0, 0, 0, 1]")
    return pose


def read_intrinsics(path: Path) -> tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` from a 3x3 or 4x4 intrinsics text file."""
    k = _load_matrix(path, "intrinsics")
    if k.shape not in ((3, 3), (4, 4)):
        raise DataError(path, f"intrinsics have shape {k.shape}, expected 3x3 or 4x4")
    if not np.isfinite(k).all():
        raise DataError(path, "intrinsics hold NaN or inf")
    fx, fy, cx, cy = float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])
    if fx <= 0 or fy <= 0:
        raise DataError(path, f"focal length must be positive, got fx={fx}, fy={fy}")
    return fx, fy, cx, cy


def read_depth(path: Path) -> np.ndarray:
    """A single-channel 16-bit PNG as an ``(H, W)`` uint16 array."""
    try:
        with Image.open(path) as image:
            mode, fmt = image.mode, image.format
            if mode not in _SIXTEEN_BIT_MODES and not (mode == "I" and fmt == "PNG"):
                raise DataError(path, f"depth image has mode {mode!r}, expected a single-channel 16-bit PNG")
            depth = np.asarray(image)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(path, "depth image is missing") from None
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as exc:
        raise DataError(path, f"cannot decode depth image ({exc})") from None
    if depth.ndim != 2:
        raise DataError(path, f"depth image has shape {depth.shape}, expected (H, W)")
    if depth.dtype != np.uint16:  # mode "I" (older Pillow): 16-bit values held in int32
        if depth.min() < 0 or depth.max() > 65535:
            raise DataError(path, "depth image values do not fit 16 bits")
        depth = depth.astype(np.uint16)
    return depth


def find_intrinsics(scene: Path) -> Path:
    for name in INTRINSICS_NAMES:
        if (scene / name).is_file():
            return scene / name
    raise DataError(scene, "no intrinsics file (looked for " + ", ".join(INTRINSICS_NAMES) + ")")


def find_scene_folders(root: Path) -> list[Path]:
    """``[root]`` when root is a scene (has depth/ or pose/), else its sub-folders that are scenes."""
    if not root.is_dir():
        raise DataError(root, "RGB-D root folder does not exist")
    if (root / "depth").is_dir() or (root / "pose").is_dir():
        return [root]
    scenes = [p for p in sorted(root.iterdir()) if p.is_dir() and ((p / "depth").is_dir() or (p / "pose").is_dir())]
    if not scenes:
        raise DataError(root, "no scene folders: expected depth/ and pose/ in this folder or in its sub-folders")
    return scenes


def _scene_group(name: str) -> str:
    """Scans of one room share a group (ScanNet ``scene0007_00`` and ``scene0007_01``)."""
    match = re.fullmatch(r"(scene\d+)_\d+", name)
    return match.group(1) if match else name


def split_scenes(names: Sequence[str], split: str, val_fraction: float, seed: int) -> list[str]:
    """Scene-level train/val split, seeded; rescans of one ScanNet room stay on one side.

    ``val`` takes ``round(val_fraction * groups)`` groups (at least one when the fraction is
    positive and there are two or more groups; never all of them).
    """
    if split == "all":
        return list(names)
    groups = sorted({_scene_group(n) for n in names})
    n_val = int(round(val_fraction * len(groups)))
    if val_fraction > 0 and len(groups) >= 2:
        n_val = min(max(n_val, 1), len(groups) - 1)
    order = np.random.default_rng(seed).permutation(len(groups))
    val_groups = {groups[i] for i in order[:n_val]}
    return [n for n in names if (_scene_group(n) in val_groups) == (split == "val")]


def _read_scene_list(scenes: Sequence[str] | str | os.PathLike) -> tuple[list[str], Path | None]:
    if isinstance(scenes, (str, os.PathLike)):
        path = Path(scenes)
        if not path.is_file():
            raise DataError(path, "scene list file does not exist")
        lines = path.read_text().splitlines()
        return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")], path
    return [str(s) for s in scenes], None


@dataclass
class _Scene:
    name: str
    folder: Path
    keys: list[int]  # frame numbers, ascending
    depth_files: list[Path]
    poses: np.ndarray  # (T, 4, 4) float64, camera-to-world
    intrinsics: tuple[float, float, float, float]


class RGBDSequences:
    """RGB-D scenes as a :class:`~strl.formats.base.SequenceSet` (one sequence per scene).

    Args:
        root: a scene folder or a folder of scene folders (see module docstring).
        split: ``"all"``, ``"train"`` or ``"val"``; a seeded scene-level split of the pool.
        val_fraction: share of scenes (ScanNet rooms) in ``"val"``.
        split_seed: seed of that split.
        scenes: restrict the pool to these scene names (a list, or a path to a text file with one
            name per line, ``#`` comments allowed), e.g. ScanNet's ``scannetv2_train.txt``.
        depth_scale: depth units per metre (1000 for millimetre PNGs).
        max_depth: drop pixels farther than this (metres); ``None`` keeps all.
        pixel_stride: use every ``pixel_stride``-th row and column.
        max_points: random subset of at most this many points per frame, seeded per (scene, frame).
        seed: seed of that subset.
        check_depth: read every depth image now and drop frames with no valid pixel.

    ``frame(s, t)`` returns ``Frame(points (N, 3) float32 world, origin (3,) float32 camera centre)``.
    ``stats`` counts dropped frames and pixels (per process).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        split: str = "all",
        val_fraction: float = 0.1,
        split_seed: int = 0,
        scenes: Sequence[str] | str | os.PathLike | None = None,
        depth_scale: float = 1000.0,
        max_depth: float | None = None,
        pixel_stride: int = 1,
        max_points: int | None = None,
        seed: int = 0,
        check_depth: bool = False,
    ):
        if split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        if not 0.0 <= val_fraction < 1.0:
            raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
        if not depth_scale > 0:
            raise ConfigError(f"depth_scale must be positive, got {depth_scale}")
        if max_depth is not None and not max_depth > 0:
            raise ConfigError(f"max_depth must be positive or None, got {max_depth}")
        if int(pixel_stride) != pixel_stride or pixel_stride < 1:
            raise ConfigError(f"pixel_stride must be an integer >= 1, got {pixel_stride}")
        if max_points is not None and max_points < 1:
            raise ConfigError(f"max_points must be >= 1 or None, got {max_points}")
        self.root = Path(root)
        self.depth_scale = float(depth_scale)
        self.max_depth = max_depth
        self.pixel_stride = int(pixel_stride)
        self.max_points = max_points
        self.seed = seed
        self.stats = {
            "dropped_nonfinite_pose": 0,
            "dropped_empty_depth": 0,
            "empty_frames_replaced": 0,
            "frames_read": 0,
            "pixels_read": 0,
            "pixels_no_depth": 0,
            "pixels_beyond_max_depth": 0,
        }
        self._rays: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._empty: set[tuple[int, int]] = set()

        folders = {p.name: p for p in find_scene_folders(self.root)}
        names = sorted(folders)
        if scenes is not None:
            wanted, list_file = _read_scene_list(scenes)
            unknown = [n for n in wanted if n not in folders]
            if unknown:
                raise DataError(list_file or self.root, f"unknown scene(s) under {self.root}: {_listing(unknown)}")
            names = sorted(set(wanted))
        names = split_scenes(names, split, val_fraction, split_seed)
        if not names:
            raise DataError(self.root, f"no scenes in split {split!r} (val_fraction={val_fraction})")
        self._scenes = [self._index_scene(folders[n]) for n in names]
        if check_depth:
            for s in range(len(self._scenes)):
                self._drop_empty_frames(s)

    # -- indexing ---------------------------------------------------------------------------

    def _index_scene(self, folder: Path) -> _Scene:
        for sub in ("depth", "pose"):
            if not (folder / sub).is_dir():
                raise DataError(folder / sub, f"scene has no {sub}/ folder")
        intrinsics = read_intrinsics(find_intrinsics(folder))
        depth = list_frames(folder / "depth", ".png")
        poses = list_frames(folder / "pose", ".txt")
        no_pose = sorted(set(depth) - set(poses))
        no_depth = sorted(set(poses) - set(depth))
        if no_pose or no_depth:
            parts = []
            if no_pose:
                parts.append("no pose for depth " + _listing([depth[k].name for k in no_pose]))
            if no_depth:
                parts.append("no depth for pose " + _listing([poses[k].name for k in no_depth]))
            raise DataError(folder, "depth/ and pose/ do not match: " + "; ".join(parts))
        keys, mats, dropped = [], [], []
        for key in sorted(depth):
            pose = read_pose(poses[key])
            if pose is None:
                dropped.append(f"pose/{poses[key].name}")
            else:
                keys.append(key)
                mats.append(pose)
        if dropped:
            self.stats["dropped_nonfinite_pose"] += len(dropped)
            warnings.warn(
                f"{folder}: dropped {len(dropped)} of {len(depth)} frame(s) whose pose is not finite: "
                + _listing(dropped),
                DataWarning,
                stacklevel=3,
            )
        if not keys:
            why = "no depth/*.png frames" if not depth else "every pose is non-finite"
            raise DataError(folder, f"scene has no usable frames ({why})")
        return _Scene(
            name=folder.name,
            folder=folder,
            keys=keys,
            depth_files=[depth[k] for k in keys],
            poses=np.stack(mats),
            intrinsics=intrinsics,
        )

    def _drop_empty_frames(self, s: int) -> None:
        scene = self._scenes[s]
        keep = [t for t in range(len(scene.keys)) if self._camera_points(s, t)[0] is not None]
        kept = set(keep)
        dropped = [f"depth/{scene.depth_files[t].name}" for t in range(len(scene.keys)) if t not in kept]
        if dropped:
            self.stats["dropped_empty_depth"] += len(dropped)
            warnings.warn(
                f"{scene.folder}: dropped {len(dropped)} of {len(scene.keys)} frame(s) with no valid depth pixel: "
                + _listing(dropped),
                DataWarning,
                stacklevel=3,
            )
        if not keep:
            raise DataError(scene.folder, "scene has no usable frames (no valid depth pixel in any frame)")
        scene.keys = [scene.keys[t] for t in keep]
        scene.depth_files = [scene.depth_files[t] for t in keep]
        scene.poses = scene.poses[keep]

    # -- SequenceSet ------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """Scene names, one per sequence."""
        return [sc.name for sc in self._scenes]

    def __len__(self) -> int:
        return len(self._scenes)

    def num_frames(self, s: int) -> int:
        return len(self._scenes[s].keys)

    def depth_path(self, s: int, t: int) -> Path:
        return self._scenes[s].depth_files[t]

    def frame(self, s: int, t: int) -> Frame:
        """Frame ``t`` of scene ``s``: valid pixels back-projected into the scene's world frame."""
        scene = self._scenes[s]
        if not 0 <= t < len(scene.keys):
            raise IndexError(f"frame {t} out of range for scene {scene.name} with {len(scene.keys)} frames")
        for u in self._search_order(len(scene.keys), t):
            if (s, u) in self._empty:
                continue
            cam, key = self._camera_points(s, u)
            if cam is not None:
                break
            self._empty.add((s, u))
            self.stats["empty_frames_replaced"] += 1
            warnings.warn(
                f"{scene.depth_files[u]}: no valid depth pixel; using the nearest frame of the scene that has "
                f"one ({self.stats['empty_frames_replaced']} empty frame(s) met so far)",
                DataWarning,
                stacklevel=2,
            )
        else:
            raise DataError(scene.folder, "scene has no usable frames (no valid depth pixel in any frame)")
        pose = scene.poses[u]
        if self.max_points is not None and len(cam) > self.max_points:
            rng = np.random.default_rng([self.seed, zlib.crc32(scene.name.encode()), key])
            cam = cam[np.sort(rng.choice(len(cam), self.max_points, replace=False))]
        points = cam @ pose[:3, :3].T + pose[:3, 3]
        return Frame(points.astype(np.float32), pose[:3, 3].astype(np.float32))

    @staticmethod
    def _search_order(n: int, t: int) -> list[int]:
        """``t``, then its neighbours by growing distance (earlier first)."""
        order = [t]
        for d in range(1, n):
            order += [u for u in (t - d, t + d) if 0 <= u < n]
        return order

    def _camera_points(self, s: int, t: int) -> tuple[np.ndarray | None, int]:
        """Valid pixels of frame ``t`` as ``(N, 3)`` float64 camera coordinates (``None`` if none)."""
        scene = self._scenes[s]
        path = scene.depth_files[t]
        full = read_depth(path)
        depth = full[:: self.pixel_stride, :: self.pixel_stride]
        z = depth.astype(np.float64) / self.depth_scale
        valid = depth > 0
        self.stats["frames_read"] += 1
        self.stats["pixels_read"] += depth.size
        self.stats["pixels_no_depth"] += int(depth.size - valid.sum())
        if self.max_depth is not None:
            far = valid & (z > self.max_depth)
            self.stats["pixels_beyond_max_depth"] += int(far.sum())
            valid &= ~far
        if not valid.any():
            return None, scene.keys[t]
        xf, yf = self._ray_factors(s, full.shape)
        zv = z[valid]
        cam = np.stack([xf[valid] * zv, yf[valid] * zv, zv], axis=1)
        return cam, scene.keys[t]

    def _ray_factors(self, s: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(u - cx) / fx`` and ``(v - cy) / fy`` on the strided pixel grid, cached per scene and size."""
        cache_key = (s, shape[0], shape[1])
        if cache_key not in self._rays:
            fx, fy, cx, cy = self._scenes[s].intrinsics
            u = np.arange(0, shape[1], self.pixel_stride, dtype=np.float64)
            v = np.arange(0, shape[0], self.pixel_stride, dtype=np.float64)
            xf, yf = np.meshgrid((u - cx) / fx, (v - cy) / fy)
            self._rays[cache_key] = (xf, yf)
        return self._rays[cache_key]


def frame_summary(seqs: SequenceSet, max_frames_per_sequence: int | None = None) -> dict:
    """Counts and value ranges over the frames of any :class:`SequenceSet` (for ``strl data check``).

    Reads every frame, or ``max_frames_per_sequence`` evenly spaced ones per sequence. Returns plain
    Python values: ``sequences``, ``frames`` (total), ``frames_checked``, ``points_per_frame``
    (``min``/``mean``/``max``), ``xyz_min``/``xyz_max`` (over all checked points), ``origin_min``/
    ``origin_max`` (``None`` for frames without a sensor origin) and ``reader_stats`` (a copy of the
    reader's ``stats`` dict if it has one, e.g. pixels without depth and dropped frames).
    """
    counts: list[int] = []
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    origins = []
    total = 0
    for s in range(len(seqs)):
        n = seqs.num_frames(s)
        total += n
        ts = range(n)
        if max_frames_per_sequence is not None and n > max_frames_per_sequence:
            ts = np.unique(np.linspace(0, n - 1, max_frames_per_sequence).round().astype(int)).tolist()
        for t in ts:
            fr = seqs.frame(s, t)
            counts.append(len(fr.points))
            if len(fr.points):
                lo = np.minimum(lo, fr.points.min(axis=0))
                hi = np.maximum(hi, fr.points.max(axis=0))
            if fr.origin is not None:
                origins.append(np.asarray(fr.origin, dtype=np.float64))
    org = np.stack(origins) if origins else None
    return {
        "sequences": len(seqs),
        "frames": total,
        "frames_checked": len(counts),
        "points_per_frame": {
            "min": int(min(counts)) if counts else 0,
            "mean": float(np.mean(counts)) if counts else 0.0,
            "max": int(max(counts)) if counts else 0,
        },
        "xyz_min": lo.tolist() if counts else None,
        "xyz_max": hi.tolist() if counts else None,
        "origin_min": org.min(axis=0).tolist() if org is not None else None,
        "origin_max": org.max(axis=0).tolist() if org is not None else None,
        "reader_stats": dict(getattr(seqs, "stats", {}) or {}),
    }
