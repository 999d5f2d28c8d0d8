"""ScanObjectNN (real-scan objects, 15 classes) from its HDF5 release, read lazily.

Each file holds ``data`` ``(B, 2048, 3)``, ``label`` ``(B,)`` or ``(B, 1)`` and optionally
``mask`` ``(B, 2048)`` (per-point object/background marks). Variants:

* ``OBJ_BG``: ``main_split/{training,test}_objectdataset.h5``
* ``OBJ_ONLY``: ``main_split_nobg/{training,test}_objectdataset.h5``
* ``PB_T50_RS``: ``main_split/{training,test}_objectdataset_augmentedrot_scale75.h5``

``root`` may be the release's ``h5_files`` folder or a folder containing it.
"""

from __future__ import annotations

import os

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import H5CloudSet, H5Stack, label_array, require_dir

SCANOBJECTNN_CLASSES = [
    "bag", "bin", "box", "cabinet", "chair", "desk", "display", "door",
    "shelf", "table", "bed", "pillow", "sink", "sofa", "toilet",
]
VARIANTS = {
    "OBJ_BG": ("main_split", "objectdataset.h5"),
    "OBJ_ONLY": ("main_split_nobg", "objectdataset.h5"),
    "PB_T50_RS": ("main_split", "objectdataset_augmentedrot_scale75.h5"),
}
SPLIT_PREFIX = {"train": "training", "test": "test"}


class ScanObjectNN(H5CloudSet):
    """One split of one variant; ``self[i]`` is ``(2048, 3)`` float32, ``point_mask(i)`` the mask."""

    def __init__(self, path: str | os.PathLike):
        stack = H5Stack([path], {"data": 3, "label": None}, optional={"mask": 2})
        labels = label_array(stack.read_all("label"), path, len(SCANOBJECTNN_CLASSES))
        super().__init__(stack, labels, list(SCANOBJECTNN_CLASSES))
        if "mask" in stack.ndims and stack.shapes["mask"] != stack.shapes["data"][:1]:
            raise DataError(path, f"'mask' rows have shape {stack.shapes['mask']}, expected {stack.shapes['data'][:1]}")

    def point_mask(self, i: int) -> np.ndarray | None:
        """``(N,)`` int64 mask of cloud ``i`` as stored, or None when the file has no mask."""
        return self.stack.read("mask", i).astype(np.int64) if "mask" in self.stack.ndims else None


def load_scanobjectnn(root: str | os.PathLike, split: str, variant: str = "PB_T50_RS") -> ScanObjectNN:
    """The ``split`` ("train" | "test") of ``variant`` (one of :data:`VARIANTS`)."""
    if split not in SPLIT_PREFIX:
        raise ConfigError(f"ScanObjectNN split must be 'train' or 'test', got {split!r}")
    if variant not in VARIANTS:
        raise ConfigError(f"unknown ScanObjectNN variant {variant!r}; known: {sorted(VARIANTS)}")
    root = require_dir(root, "ScanObjectNN folder")
    folder, suffix = VARIANTS[variant]
    name = f"{SPLIT_PREFIX[split]}_{suffix}"
    for base in (root, root / "h5_files"):
        if (base / folder / name).is_file():
            return ScanObjectNN(base / folder / name)
    raise DataError(root / folder / name, f"not found (looked in {root} and {root / 'h5_files'})")
