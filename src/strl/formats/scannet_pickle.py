"""ScanNet whole scenes from the PointNet++ release: ``scannet_{train,test}.pickle``.

The file is a sequence of pickled objects (written by Python 2): first the list of scene
arrays ``(N_i, 3 or more)``, then (optionally) the list of per-point semantic labels ``(N_i,)``.
Only numpy arrays, lists and plain values are unpickled; any other reference is refused, so
a pickle cannot run code.
"""

from __future__ import annotations

import os
import pickle

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import ArrayCloudSet, check_index, point_labels_copy, require_dir, require_file

ALLOWED_GLOBALS = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    *((f"numpy.{core}.multiarray", name) for core in ("core", "_core") for name in ("_reconstruct", "scalar")),
    *((f"numpy.{core}.numeric", "_frombuffer") for core in ("core", "_core")),
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that reconstructs numpy arrays and builtin containers, nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refers to {module}.{name}; only numpy arrays are allowed")
        return super().find_class(module, name)


def read_pickled_objects(path, limit: int = 2) -> list:
    """Up to ``limit`` objects pickled one after another in ``path`` (Python 2 strings as latin-1)."""
    path = require_file(path, "pickle file")
    objects = []
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while f.tell() < size and len(objects) < limit:
            try:
                objects.append(NumpyOnlyUnpickler(f, encoding="latin1").load())
            except Exception as e:  # noqa: BLE001 - any failure of a restricted unpickle is bad input
                raise DataError(path, f"cannot unpickle object {len(objects) + 1}: {type(e).__name__}: {e}") from None
    return objects


class ScanNetScenes(ArrayCloudSet):
    """Whole scenes; ``self[i]`` is ``(N_i, 3)`` float32, ``point_labels(i)`` ``(N_i,)`` int64 or None."""

    def __init__(self, path: str | os.PathLike):
        objects = read_pickled_objects(path)
        if not objects:
            raise DataError(path, "is empty")
        scenes = objects[0]
        if not isinstance(scenes, (list, tuple)) or not all(isinstance(s, np.ndarray) for s in scenes):
            raise DataError(path, "first object must be a list of numpy arrays (one per scene)")
        for k, s in enumerate(scenes):
            if s.ndim != 2 or s.shape[1] < 3 or s.dtype.kind not in "fiu":
                raise DataError(path, f"scene {k} has shape {s.shape} / dtype {s.dtype}, expected (N, 3+) numbers")
        self.semantic = objects[1] if len(objects) > 1 else None
        if self.semantic is not None and not (isinstance(self.semantic, (list, tuple))
                                              and len(self.semantic) == len(scenes)):
            raise DataError(path, f"second object must be a list of {len(scenes)} per-point label arrays")
        super().__init__(list(scenes), None, None, path)

    def point_labels(self, i: int) -> np.ndarray | None:
        """Per-point semantic labels of scene ``i`` as ``(N_i,)`` int64, or None if the file has none."""
        if self.semantic is None:
            return None
        i = check_index(i, len(self))
        return point_labels_copy(self.semantic[i], self.path, len(self.clouds[i]), f"labels of scene {i}")


def load_scannet_scenes(root: str | os.PathLike, split: str) -> ScanNetScenes:
    """``scannet_{split}.pickle`` from ``root`` or ``root/scannet``; ``split`` is "train" or "test"."""
    if split not in ("train", "test"):
        raise ConfigError(f"ScanNet scene split must be 'train' or 'test', got {split!r}")
    root = require_dir(root, "ScanNet folder")
    for folder in (root, root / "scannet"):
        if (folder / f"scannet_{split}.pickle").is_file():
            return ScanNetScenes(folder / f"scannet_{split}.pickle")
    raise DataError(root / f"scannet_{split}.pickle", "not found (also looked in the scannet/ sub-folder)")
