"""Where KITTI object frames come from in the raw drives, and which pre-training frames are near them.

The object devkit's ``mapping/`` folder (section "Mapping to Raw Data" of its ``readme.txt``):

* ``train_rand.txt``: one comma-separated line of 7481 integers; entry ``i`` (object frame ``i``,
  0-based) is a **1-based** line number of ``train_mapping.txt``.
* ``train_mapping.txt``: one line per raw frame, ``<date> <date>_drive_<NNNN>_sync <frame, 10 digits>``.

Example: object frame 000000 -> entry 7282 -> ``2011_09_28 2011_09_28_drive_0106_sync 0000000048``.

Drives are named here without the ``_sync`` suffix (``2011_09_28_drive_0106``), the way the
odometry devkit names them (:data:`ODOMETRY_RAW_DRIVES`). A set of pre-training frames is a dict
``{drive: (M,) int64 raw frame numbers}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from strl.errors import DataError
from strl.formats.io_utils import read_lines

__all__ = [
    "MAPPING_FOLDERS", "ODOMETRY_RAW_DRIVES", "RawFrame", "drive_name", "find_mapping", "frames_near",
    "odometry_frames", "pretraining_overlap", "raw_frames_of_split", "read_object_mapping", "split_frames",
    "split_neighbourhood",
]

# odometry sequence -> (raw drive, first frame, last frame), from the odometry devkit readme
ODOMETRY_RAW_DRIVES: dict[str, tuple[str, int, int]] = {
    "00": ("2011_10_03_drive_0027", 0, 4540),
    "01": ("2011_10_03_drive_0042", 0, 1100),
    "02": ("2011_10_03_drive_0034", 0, 4660),
    "03": ("2011_09_26_drive_0067", 0, 800),
    "04": ("2011_09_30_drive_0016", 0, 270),
    "05": ("2011_09_30_drive_0018", 0, 2760),
    "06": ("2011_09_30_drive_0020", 0, 1100),
    "07": ("2011_09_30_drive_0027", 0, 1100),
    "08": ("2011_09_30_drive_0028", 1100, 5170),
    "09": ("2011_09_30_drive_0033", 0, 1590),
    "10": ("2011_09_30_drive_0034", 0, 1200),
}

# where the devkit's mapping/ folder is looked for, relative to the object root
MAPPING_FOLDERS = ("mapping", "devkit/mapping", "devkit_object/mapping")


def drive_name(folder: str) -> str:
    """``2011_09_26_drive_0005_sync`` -> ``2011_09_26_drive_0005`` (other names unchanged)."""
    return folder[: -len("_sync")] if folder.endswith("_sync") else folder


@dataclass(frozen=True)
class RawFrame:
    """One raw frame: ``date`` (``2011_09_26``), ``drive`` (``2011_09_26_drive_0005``), ``frame`` (0-based)."""

    date: str
    drive: str
    frame: int


def find_mapping(root: str | os.PathLike) -> Path | None:
    """The devkit ``mapping/`` folder under ``root`` (see :data:`MAPPING_FOLDERS`), or None."""
    for sub in MAPPING_FOLDERS:
        folder = Path(root) / sub
        if (folder / "train_mapping.txt").is_file() and (folder / "train_rand.txt").is_file():
            return folder
    return None


def _mapping_lines(path: Path) -> list[RawFrame]:
    frames = []
    for line_no, line in enumerate(read_lines(path), start=1):
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit() or not parts[1].startswith(parts[0] + "_drive_"):
            raise DataError(path, f"line {line_no}: {line!r} is not '<date> <date>_drive_<NNNN>_sync <frame>'")
        frames.append(RawFrame(parts[0], drive_name(parts[1]), int(parts[2])))
    return frames


def read_object_mapping(mapping_dir: str | os.PathLike) -> list[RawFrame]:
    """The raw frame of every object training frame: entry ``i`` is object frame ``i``.

    Raises DataError naming the file (and line or entry) for malformed lines, entries that are not
    integers, and line numbers outside ``1..len(train_mapping.txt)``.
    """
    folder = Path(mapping_dir)
    lines = _mapping_lines(folder / "train_mapping.txt")
    rand_path = folder / "train_rand.txt"
    entries = [e.strip() for e in ",".join(read_lines(rand_path)).split(",") if e.strip()]
    out = []
    for i, entry in enumerate(entries):
        if not entry.isdigit() or not 1 <= int(entry) <= len(lines):
            raise DataError(rand_path, f"entry {i + 1} (object frame {i:06d}) is {entry!r}, expected a line "
                                       f"number 1..{len(lines)} of train_mapping.txt")
        out.append(lines[int(entry) - 1])
    return out


def raw_frames_of_split(mapping: list[RawFrame], ids: Iterable[str | int], where: str | os.PathLike | None = None
                        ) -> list[RawFrame]:
    """The raw frame of each object frame id (``"000123"`` or ``123``) of a training split, in order.

    ``where`` (the split file) is named in the DataError for ids the mapping does not cover.
    """
    numbers = [int(i) for i in ids]
    outside = [f"{n:06d}" for n in numbers if not 0 <= n < len(mapping)]
    if outside:
        raise DataError(where, f"{len(outside)} frame id(s) beyond the {len(mapping)} frames of the raw-data "
                               f"mapping: {', '.join(outside[:5])}")
    return [mapping[n] for n in numbers]


def frames_near(frames: Iterable[RawFrame], window: int) -> dict[str, np.ndarray]:
    """``{drive: sorted raw frame numbers}`` within ``window`` frames of any of ``frames``."""
    by_drive: dict[str, list[int]] = {}
    for f in frames:
        by_drive.setdefault(f.drive, []).append(f.frame)
    offsets = np.arange(-window, window + 1)
    return {d: np.unique((np.array(v)[:, None] + offsets).ravel().clip(min=0)) for d, v in by_drive.items()}


def odometry_frames(sequences: Iterable[str] = tuple(ODOMETRY_RAW_DRIVES)) -> dict[str, np.ndarray]:
    """The raw frames that odometry ``sequences`` (``"00"``..``"10"``) are cut from, per drive."""
    out: dict[str, np.ndarray] = {}
    for seq in sequences:
        key = f"{int(seq):02d}" if str(seq).isdigit() else str(seq)
        if key not in ODOMETRY_RAW_DRIVES:
            continue  # 11-21 are not cut from a published raw drive list
        drive, first, last = ODOMETRY_RAW_DRIVES[key]
        out[drive] = np.union1d(out.get(drive, np.zeros(0, np.int64)), np.arange(first, last + 1))
    return out


def _distance_to_nearest(values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``(Q,)`` distance from each query to the nearest of the sorted, non-empty ``values``."""
    pos = np.searchsorted(values, queries)
    above = values[np.minimum(pos, len(values) - 1)]
    below = values[np.maximum(pos - 1, 0)]
    return np.minimum(np.abs(above - queries), np.abs(queries - below))


def pretraining_overlap(split_frames: Mapping[str, list[RawFrame]], pretraining: Mapping[str, np.ndarray],
                        window: int = 0) -> dict[str, dict]:
    """How the object frames of each split meet a set of pre-training frames.

    ``split_frames``: ``{split: raw frames of its object frames}``; ``pretraining``: ``{drive: raw
    frame numbers}``. Per split: ``frames`` and ``drives`` (counts), ``shared_drives`` (drives
    that hold both), ``frames_near`` (object frames with a pre-training frame of their drive at
    most ``window`` frames away; 0 means the very same raw frame).
    """
    report = {}
    for split, frames in split_frames.items():
        drives = sorted({f.drive for f in frames})
        shared = [d for d in drives if len(pretraining.get(d, ())) > 0]
        near = 0
        for d in shared:
            mine = np.array([f.frame for f in frames if f.drive == d])
            near += int((_distance_to_nearest(np.sort(np.asarray(pretraining[d])), mine) <= window).sum())
        report[split] = {"frames": len(frames), "drives": len(drives), "shared_drives": shared, "frames_near": near}
    return report


def split_frames(object_root: str | os.PathLike, split: str) -> list[RawFrame]:
    """The raw frames of the object frames of ``ImageSets/<split>.txt`` (train or val), via the devkit
    mapping found under ``object_root`` (DataError if there is none)."""
    from strl.formats.kitti_object import read_split_ids

    mapping_dir = find_mapping(object_root)
    if mapping_dir is None:
        raise DataError(object_root, "no devkit mapping: expected train_mapping.txt and train_rand.txt in one of "
                                     + ", ".join(f"{sub}/" for sub in MAPPING_FOLDERS))
    split_file = Path(object_root) / "ImageSets" / f"{split}.txt"
    return raw_frames_of_split(read_object_mapping(mapping_dir), read_split_ids(split_file), split_file)


def split_neighbourhood(object_root: str | os.PathLike, split: str = "val", window: int = 10) -> dict[str, np.ndarray]:
    """``{drive: raw frames}`` at most ``window`` frames from an object frame of ``split``: what to
    leave out of pre-training on raw drives (``KittiRawSequences(..., exclude=...)``)."""
    return frames_near(split_frames(object_root, split), window)
