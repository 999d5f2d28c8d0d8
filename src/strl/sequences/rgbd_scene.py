"""One RGB-D scene indexed: its frame numbers, depth files, poses and intrinsics.

Frames whose pose is not finite are dropped when the scene is indexed, frames without a valid
depth pixel on request; each drop is counted in the reader's ``stats`` and named in a
:class:`~strl.sequences.frame_files.DataWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from strl.errors import DataError
from strl.sequences.frame_files import DataWarning, list_frames, listing
from strl.sequences.rgbd_files import (check_intrinsics_fit, depth_image_size, find_intrinsics, read_intrinsics,
                                      read_pose)


@dataclass
class Scene:
    name: str
    folder: Path
    keys: list[int]  # frame numbers, ascending
    depth_files: list[Path]
    poses: np.ndarray  # (T, 4, 4) float64, camera-to-world
    intrinsics: tuple[float, float, float, float]
    intrinsics_file: Path | None = None


def _warn_dropped(folder: Path, dropped: list[str], total: int, why: str) -> None:
    # stacklevel 4: past this function, index_scene / drop_empty_frames and the reader's __init__
    warnings.warn(f"{folder}: dropped {len(dropped)} of {total} frame(s) {why}: " + listing(dropped),
                  DataWarning, stacklevel=4)


def _check_frames_match(folder: Path, depth: dict[int, Path], poses: dict[int, Path]) -> None:
    """DataError naming the depth images without a pose and the poses without a depth image."""
    no_pose = sorted(set(depth) - set(poses))
    no_depth = sorted(set(poses) - set(depth))
    if no_pose or no_depth:
        parts = []
        if no_pose:
            parts.append("no pose for depth " + listing([depth[k].name for k in no_pose]))
        if no_depth:
            parts.append("no depth for pose " + listing([poses[k].name for k in no_depth]))
        raise DataError(folder, "depth/ and pose/ do not match: " + "; ".join(parts))


def index_scene(folder: Path, stats: dict) -> Scene:
    """The scene in ``folder``, without the frames whose pose is not finite (counted in ``stats``).

    The intrinsics are checked against the size of the first depth image (its header only).
    """
    for sub in ("depth", "pose"):
        if not (folder / sub).is_dir():
            raise DataError(folder / sub, f"scene has no {sub}/ folder")
    intrinsics_file = find_intrinsics(folder)
    intrinsics = read_intrinsics(intrinsics_file)
    depth = list_frames(folder / "depth", ".png")
    poses = list_frames(folder / "pose", ".txt")
    _check_frames_match(folder, depth, poses)
    keys, mats, dropped = [], [], []
    for key in sorted(depth):
        pose = read_pose(poses[key])
        if pose is None:
            dropped.append(f"pose/{poses[key].name}")
        else:
            keys.append(key)
            mats.append(pose)
    if dropped:
        stats["dropped_nonfinite_pose"] += len(dropped)
        _warn_dropped(folder, dropped, len(depth), "whose pose is not finite")
    if not keys:
        why = "no depth/*.png frames" if not depth else "every pose is non-finite"
        raise DataError(folder, f"scene has no usable frames ({why})")
    first = depth[keys[0]]
    if (size := depth_image_size(first)) is not None:
        check_intrinsics_fit(intrinsics, size, first, intrinsics_file)
    return Scene(folder.name, folder, keys, [depth[k] for k in keys], np.stack(mats), intrinsics, intrinsics_file)


def drop_empty_frames(scene: Scene, has_points: Callable[[int], bool], stats: dict) -> None:
    """Remove the frames ``t`` of ``scene`` where ``has_points(t)`` is false (counted in ``stats``)."""
    keep = [t for t in range(len(scene.keys)) if has_points(t)]
    kept = set(keep)
    dropped = [f"depth/{scene.depth_files[t].name}" for t in range(len(scene.keys)) if t not in kept]
    if dropped:
        stats["dropped_empty_depth"] += len(dropped)
        _warn_dropped(scene.folder, dropped, len(scene.keys), "with no valid depth pixel")
    if not keep:
        raise DataError(scene.folder, "scene has no usable frames (no valid depth pixel in any frame)")
    scene.keys = [scene.keys[t] for t in keep]
    scene.depth_files = [scene.depth_files[t] for t in keep]
    scene.poses = scene.poses[keep]
