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
The pieces: :mod:`~strl.sequences.rgbd_files` (file readers), :mod:`~strl.sequences.scene_split`,
:mod:`~strl.sequences.rgbd_scene` (indexing), :mod:`~strl.sequences.depth_points` (back-projection).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.base import Frame
from strl.sequences.depth_points import DepthBackProjection
from strl.sequences.frame_files import DataWarning
from strl.sequences.frame_points import check_max_points, registered_frame, seeded_subset
from strl.sequences.rgbd_files import find_scene_folders
from strl.sequences.rgbd_scene import drop_empty_frames, index_scene
from strl.sequences.scene_split import SPLITS, select_scenes


def _check_options(split, val_fraction, depth_scale, max_depth, pixel_stride, max_points) -> None:
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
    check_max_points(max_points)


def nearest_first(n: int, t: int) -> list[int]:
    """``t``, then the other frames of ``range(n)`` by growing distance to it (earlier first)."""
    order = [t]
    for d in range(1, n):
        order += [u for u in (t - d, t + d) if 0 <= u < n]
    return order


class RGBDSequences:
    """RGB-D scenes as a :class:`~strl.formats.base.SequenceSet` (one sequence per scene).

    Args:
        root: a scene folder or a folder of scene folders (see module docstring).
        split: ``"all"``, ``"train"`` or ``"val"``; a seeded scene-level split of the pool.
        val_fraction: share of scenes (ScanNet rooms) in ``"val"``.
        split_seed: seed of that split.
        scenes: restrict the pool to these scene names (a list, or a path to a text file with one
            name per line, ``#`` comments allowed), e.g. ScanNet's ``scannetv2_train.txt``.
        depth_scale: depth units per metre (1000 for ScanNet's millimetre PNGs, 5000 for TUM RGB-D).
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
        _check_options(split, val_fraction, depth_scale, max_depth, pixel_stride, max_points)
        self.root = Path(root)
        self.depth_scale = float(depth_scale)
        self.max_depth = max_depth
        self.pixel_stride = int(pixel_stride)
        self.max_points = max_points
        self.seed = seed
        self.stats = dict.fromkeys(("dropped_nonfinite_pose", "dropped_empty_depth", "empty_frames_replaced",
                                    "frames_read", "pixels_read", "pixels_no_depth", "pixels_beyond_max_depth"), 0)
        self._depth = DepthBackProjection(self.depth_scale, max_depth, self.pixel_stride, self.stats)
        self._empty: set[tuple[int, int]] = set()

        folders = {p.name: p for p in find_scene_folders(self.root)}
        self._scenes = []
        for name in select_scenes(self.root, folders, scenes, split, val_fraction, split_seed):
            self._scenes.append(index_scene(folders[name], self.stats))
        if check_depth:
            for s, scene in enumerate(self._scenes):
                drop_empty_frames(scene, lambda t, s=s: self._camera_points(s, t) is not None, self.stats)

    @property
    def names(self) -> list[str]:
        """Scene names, one per sequence."""
        return [sc.name for sc in self._scenes]

    def __len__(self) -> int:
        return len(self._scenes)

    def num_frames(self, s: int) -> int:
        return len(self._scenes[s].keys)

    @property
    def depth_range(self) -> tuple[float, float] | None:
        """``(min, max)`` in metres of the measured depths of the frames read so far in this process."""
        return self._depth.depth_range

    def depth_path(self, s: int, t: int) -> Path:
        return self._scenes[s].depth_files[t]

    def frame(self, s: int, t: int) -> Frame:
        """Frame ``t`` of scene ``s``: valid pixels back-projected into the scene's world frame."""
        scene = self._scenes[s]
        if not 0 <= t < len(scene.keys):
            raise IndexError(f"frame {t} out of range for scene {scene.name} with {len(scene.keys)} frames")
        for u in nearest_first(len(scene.keys), t):
            if (s, u) in self._empty:
                continue
            cam = self._camera_points(s, u)
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
        cam = seeded_subset(cam, self.max_points, self.seed, scene.name, scene.keys[u])
        return registered_frame(cam, scene.poses[u])

    def _camera_points(self, s: int, t: int) -> np.ndarray | None:
        """Valid pixels of frame ``t`` of scene ``s`` as ``(N, 3)`` float64 camera points (``None`` if none)."""
        scene = self._scenes[s]
        return self._depth.camera_points(scene.depth_files[t], scene.intrinsics, scene.intrinsics_file)
