"""S3DIS semantic segmentation blocks (``indoor3d_sem_seg_hdf5_data/``, PointNet release), read lazily.

``all_files.txt`` lists ``ply_data_all_*.h5`` (else they are globbed and sorted); each holds
``data`` ``(B, 4096, 9)`` float32 (xyz, rgb/255, xyz/room max) and ``label`` ``(B, 4096)``
uint8 (13 classes). ``room_filelist.txt`` names the room (``Area_X_room``) of every block.
The test split of ``test_area`` is that area's blocks; the train split is all other blocks.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import (H5Stack, check_index, cloud_copy, natural_key, point_labels_copy,
                                   read_lines, require_dir)

S3DIS_CLASSES = ["ceiling", "floor", "wall", "beam", "column", "window", "door",
                 "table", "chair", "sofa", "bookcase", "board", "clutter"]
FOLDER = "indoor3d_sem_seg_hdf5_data"


def _block_files(folder: Path) -> list[Path]:
    listing = folder / "all_files.txt"
    if listing.is_file():  # entries carry the release's folder prefix: keep the file name only
        return [folder / Path(line).name for line in read_lines(listing)]
    files = sorted(folder.glob("ply_data_all_*.h5"), key=natural_key)
    if not files:
        raise DataError(folder, "no all_files.txt and no ply_data_all_*.h5 files")
    return files


class S3DISBlocks:
    """Blocks of one split. ``self[i]``: ``(4096, 3)`` float32 xyz; ``features(i)``: ``(4096, 9)``;
    ``point_labels(i)``: ``(4096,)`` int64. ``labels``/``class_names`` are None (labels are per point,
    see ``point_class_names``); ``rooms[i]`` names the room of block ``i``.
    """

    labels = None
    class_names = None
    point_class_names = S3DIS_CLASSES

    def __init__(self, root: str | os.PathLike, split: str, test_area: int | str = 5):
        if split not in ("train", "test"):
            raise ConfigError(f"S3DIS split must be 'train' or 'test', got {split!r}")
        if str(test_area) not in {"1", "2", "3", "4", "5", "6"}:
            raise ConfigError(f"S3DIS test_area must be 1..6, got {test_area!r}")
        root = require_dir(root, "S3DIS folder")
        folder = root if (root / "room_filelist.txt").is_file() or not (root / FOLDER).is_dir() else root / FOLDER
        room_list = folder / "room_filelist.txt"
        all_rooms = read_lines(room_list)
        self.stack = H5Stack(_block_files(folder), {"data": 3, "label": 2})
        n_points, n_channels = self.stack.shapes["data"]
        if n_channels < 3 or self.stack.shapes["label"] != (n_points,):
            raise DataError(folder, f"block shapes data {self.stack.shapes['data']} / "
                                    f"label {self.stack.shapes['label']} do not fit (N, 9) / (N,)")
        if len(all_rooms) != len(self.stack):
            raise DataError(room_list, f"names {len(all_rooms)} rooms but the h5 files hold {len(self.stack)} blocks")
        areas = [room.split("_")[1] if room.startswith("Area_") and room.count("_") >= 2 else None
                 for room in all_rooms]
        if None in areas:
            k = areas.index(None)
            raise DataError(room_list, f"line {k + 1} is not 'Area_<n>_<room>': {all_rooms[k]!r}")
        in_test = np.array([a == str(test_area) for a in areas])
        self.indices = np.flatnonzero(in_test if split == "test" else ~in_test)
        if len(self.indices) == 0:
            raise DataError(room_list, f"no blocks for split {split!r} with test_area {test_area}")
        self.rooms = [all_rooms[k] for k in self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _row(self, key: str, i: int) -> tuple[np.ndarray, Path, str]:
        g = int(self.indices[check_index(i, len(self))])
        path, j = self.stack.where(g)
        return self.stack.read(key, g), path, f"{key}[{j}]"

    def __getitem__(self, i: int) -> np.ndarray:
        """Block ``i`` as ``(N, 3)`` float32 xyz."""
        return cloud_copy(*self._row("data", i))

    def features(self, i: int) -> np.ndarray:
        """All stored channels of block ``i``, ``(N, C)`` float32 (C = 9 in the release)."""
        row, path, what = self._row("data", i)
        cloud_copy(row, path, what)  # validates xyz
        if not np.isfinite(row).all():
            raise DataError(path, f"{what} has NaN or inf features")
        return np.array(row, dtype=np.float32)

    def point_labels(self, i: int) -> np.ndarray:
        """``(N,)`` int64 class ids (0..12) of block ``i``."""
        row, path, what = self._row("label", i)
        ids = point_labels_copy(row, path, len(row), what)
        if ids.size and (ids.min() < 0 or ids.max() >= len(S3DIS_CLASSES)):
            raise DataError(path, f"{what} holds values outside 0..{len(S3DIS_CLASSES) - 1}")
        return ids


def load_s3dis(root: str | os.PathLike, split: str, test_area: int | str = 5) -> S3DISBlocks:
    """Blocks of ``split`` ("train" | "test") with Area ``test_area`` (1..6) held out."""
    return S3DISBlocks(root, split, test_area)
