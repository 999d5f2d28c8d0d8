"""ShapeNetPart (16 categories, 50 parts) in its text and HDF5 releases, detected from the folder.

* ``shapenetcore_partanno_segmentation_benchmark_v0_normal/``: ``synsetoffset2category.txt``
  (``Airplane<TAB>02691156``; label = line index), ``train_test_split/shuffled_{train,val,test}_file_list.json``
  (entries ``shape_data/<synset>/<token>``) and ``<synset>/<token>.txt`` rows ``x y z nx ny nz part``.
* HDF5 release (``shapenet_part_seg_hdf5_data/``): ``*train*.h5``, ``*val*.h5``, ``*test*.h5`` with
  ``data`` ``(B, 2048, 3)``, ``label`` ``(B, 1)`` (category) and ``pid`` ``(B, 2048)`` (part ids).

Splits: ``train``, ``val``, ``test``, ``trainval``. Labels are categories; ``part_labels(i)``
gives the per-point part ids. Every access reads the file again, so results never change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import (H5CloudSet, H5Stack, check_index, cloud_copy, label_array, natural_key,
                                   point_labels_copy, read_lines, require_dir)

SHAPENETPART_CLASSES = ["Airplane", "Bag", "Cap", "Car", "Chair", "Earphone", "Guitar", "Knife",
                        "Lamp", "Laptop", "Motorbike", "Mug", "Pistol", "Rocket", "Skateboard", "Table"]
NUM_PARTS = 50
SPLITS = {"train": ["train"], "val": ["val"], "test": ["test"], "trainval": ["train", "val"]}
TXT_DIR = "shapenetcore_partanno_segmentation_benchmark_v0_normal"
H5_DIRS = ("shapenet_part_seg_hdf5_data", "hdf5_data")


def load_shapenetpart(root: str | os.PathLike, split: str = "trainval"):
    """The ``split`` of ShapeNetPart under ``root`` (a layout folder or a folder containing one)."""
    if split not in SPLITS:
        raise ConfigError(f"ShapeNetPart split must be one of {sorted(SPLITS)}, got {split!r}")
    root = require_dir(root, "ShapeNetPart folder")
    for folder in (root, root / TXT_DIR, *(root / d for d in H5_DIRS)):
        if (folder / "synsetoffset2category.txt").is_file():
            return ShapeNetPartTxt(folder, split)
        if folder.is_dir() and any(folder.glob("*.h5")):
            return ShapeNetPartH5(folder, split)
    raise DataError(root, f"no ShapeNetPart here: expected synsetoffset2category.txt or *.h5 in it or in {TXT_DIR}/")


def _categories(path: Path) -> list[tuple[str, str]]:
    rows = [line.split() for line in read_lines(path)]
    if not rows or any(len(r) != 2 for r in rows):
        raise DataError(path, "expected lines '<Category> <synset id>'")
    return [(r[0], r[1]) for r in rows]


class ShapeNetPartTxt:
    """Text release: ``self[i]`` is ``(N, 3)`` float32, ``part_labels(i)`` ``(N,)`` int64."""

    def __init__(self, folder: str | os.PathLike, split: str):
        self.folder = require_dir(folder)
        cats = _categories(self.folder / "synsetoffset2category.txt")
        self.class_names = [name for name, _ in cats]
        label_of = {synset: k for k, (_, synset) in enumerate(cats)}
        self.files, labels = [], []
        for part in SPLITS[split]:
            list_file = self.folder / "train_test_split" / f"shuffled_{part}_file_list.json"
            for entry in self._entries(list_file):
                bits = entry.split("/") if isinstance(entry, str) else []
                if len(bits) != 3 or bits[1] not in label_of:
                    raise DataError(list_file, f"entry {entry!r} is not 'shape_data/<synset>/<token>' "
                                               f"of a synset in synsetoffset2category.txt")
                self.files.append(self.folder / bits[1] / f"{bits[2]}.txt")
                labels.append(label_of[bits[1]])
        missing = [f for f in self.files if not f.is_file()]
        if missing:
            raise DataError(missing[0], f"not found ({len(missing)} of {len(self.files)} listed files missing)")
        self.labels = np.array(labels, dtype=np.int64)
        self.labels.flags.writeable = False

    @staticmethod
    def _entries(list_file: Path) -> list:
        if not list_file.is_file():
            raise DataError(list_file, "split list not found")
        try:
            entries = json.loads(list_file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise DataError(list_file, f"not valid JSON ({e})") from None
        if not isinstance(entries, list) or not entries:
            raise DataError(list_file, "expected a non-empty JSON list of 'shape_data/<synset>/<token>'")
        return entries

    def __len__(self) -> int:
        return len(self.files)

    def _rows(self, i: int) -> tuple[Path, np.ndarray]:
        path = self.files[check_index(i, len(self))]
        try:
            rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
        except (ValueError, OSError) as e:
            raise DataError(path, f"cannot parse rows 'x y z nx ny nz part' ({e})") from None
        if rows.shape[1] != 7:
            raise DataError(path, f"rows have {rows.shape[1]} columns, expected 7 (x y z nx ny nz part)")
        return path, rows

    def __getitem__(self, i: int) -> np.ndarray:
        """Shape ``i`` as ``(N, 3)`` float32."""
        path, rows = self._rows(i)
        return cloud_copy(rows[:, :3], path, "points")

    def part_labels(self, i: int) -> np.ndarray:
        """``(N,)`` int64 part ids (0..49) of shape ``i``."""
        path, rows = self._rows(i)
        part = rows[:, 6]
        integral = np.isfinite(part).all() and (part == np.round(part)).all()
        if not (integral and part.min() >= 0 and part.max() < NUM_PARTS):
            raise DataError(path, f"part column must hold integers 0..{NUM_PARTS - 1}")
        return part.astype(np.int64)


class ShapeNetPartH5(H5CloudSet):
    """HDF5 release: ``self[i]`` is ``(2048, 3)`` float32, ``part_labels(i)`` ``(2048,)`` int64."""

    def __init__(self, folder: str | os.PathLike, split: str):
        folder = require_dir(folder)
        files = sorted({f for part in SPLITS[split] for f in folder.glob(f"*{part}*.h5")}, key=natural_key)
        if not files:
            raise DataError(folder, f"no *{'*.h5 / *'.join(SPLITS[split])}*.h5 files for split {split!r}")
        names_file = folder / "all_object_categories.txt"
        names = [n for n, _ in _categories(names_file)] if names_file.is_file() else list(SHAPENETPART_CLASSES)
        stack = H5Stack(files, {"data": 3, "label": None, "pid": 2})
        if stack.shapes["pid"] != stack.shapes["data"][:1]:
            raise DataError(files[0], f"'pid' rows have shape {stack.shapes['pid']}, "
                                      f"expected {stack.shapes['data'][:1]}")
        super().__init__(stack, label_array(stack.read_all("label"), files[0], len(names)), names)

    def part_labels(self, i: int) -> np.ndarray:
        """``(N,)`` int64 part ids (0..49) of shape ``i``."""
        path, j = self.stack.where(i)
        ids = point_labels_copy(self.stack.read("pid", i), path, self.stack.shapes["pid"][0], f"pid[{j}]")
        if ids.size and (ids.min() < 0 or ids.max() >= NUM_PARTS):
            raise DataError(path, f"pid[{j}] holds values outside 0..{NUM_PARTS - 1}")
        return ids
