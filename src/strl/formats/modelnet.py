"""ModelNet40 (and its ModelNet10 subset) in the two public layouts, detected from the folder.

* ``modelnet40_normal_resampled/``: ``modelnet40_shape_names.txt`` (label = line index),
  ``modelnet40_{train,test}.txt`` (ids such as ``night_stand_0001``) and ``<class>/<id>.txt``
  with comma-separated ``x,y,z,nx,ny,nz`` rows. The first ``num_points`` rows of each file are
  read at load time; ``cache_dir`` keeps them in one ``.npy`` per split for the next load.
* ``modelnet40_ply_hdf5_2048/``: ``ply_data_{train,test}*.h5`` with ``data`` ``(B, 2048, 3)`` and
  ``label`` ``(B, 1)``; read lazily.

Points are returned as stored (not normalised).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.base import check_cloud
from strl.formats.io_utils import (ArrayCloudSet, H5CloudSet, H5Stack, SubsetCloudSet, label_array,
                                   natural_key, read_lines, require_dir)

MODELNET40_CLASSES = [
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone",
    "cup", "curtain", "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp",
    "laptop", "mantel", "monitor", "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink",
    "sofa", "stairs", "stool", "table", "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
]
MODELNET10_LABELS_IN_40 = [1, 2, 8, 12, 14, 22, 23, 30, 33, 35]
NORMAL_DIR, H5_DIR = "modelnet40_normal_resampled", "modelnet40_ply_hdf5_2048"


def find_layout(root: str | os.PathLike) -> tuple[str, Path]:
    """``("normal" | "h5", folder)`` for a layout folder or a folder containing one."""
    root = require_dir(root, "ModelNet40 folder")
    for folder in (root, root / NORMAL_DIR, root / H5_DIR):
        if (folder / "modelnet40_shape_names.txt").is_file():
            return "normal", folder
        if folder.is_dir() and any(folder.glob("ply_data_*.h5")):
            return "h5", folder
    raise DataError(root, f"no ModelNet40 here: expected modelnet40_shape_names.txt or ply_data_*.h5 in it "
                          f"or in {NORMAL_DIR}/ or {H5_DIR}/")


def load_modelnet(root: str | os.PathLike, split: str, variant: str = "modelnet40", num_points: int | None = 2048,
                  cache_dir: str | os.PathLike | None = None):
    """ModelNet40 or its ModelNet10 classes as a CloudSet of ``(num_points, 3)`` float32 clouds.

    ``num_points`` takes the first rows of each cloud (None: all). ``cache_dir`` (normal-resampled
    layout only) must lie outside the dataset folder. ModelNet10 keeps the ModelNet40 labels
    ``MODELNET10_LABELS_IN_40``, remapped to 0..9.
    """
    if split not in ("train", "test"):
        raise ConfigError(f"ModelNet split must be 'train' or 'test', got {split!r}")
    if variant not in ("modelnet40", "modelnet10"):
        raise ConfigError(f"ModelNet variant must be 'modelnet40' or 'modelnet10', got {variant!r}")
    layout, folder = find_layout(root)
    if layout == "normal":
        clouds = _load_normal(folder, split, num_points, cache_dir)
    else:
        clouds = _load_h5(folder, split, num_points)
    return clouds if variant == "modelnet40" else modelnet10_view(clouds, folder)


def modelnet10_view(clouds, source: str | os.PathLike | None = None):
    """The ModelNet10 classes of a ModelNet40 CloudSet (read from ``source``), labels remapped to 0..9."""
    expected = [MODELNET40_CLASSES[k] for k in MODELNET10_LABELS_IN_40]
    names = [clouds.class_names[k] for k in MODELNET10_LABELS_IN_40] if len(clouds.class_names) == 40 else None
    if names != expected:
        raise DataError(source, f"class names do not follow the ModelNet40 order, cannot pick ModelNet10: "
                              f"{clouds.class_names}")
    keep = np.flatnonzero(np.isin(clouds.labels, MODELNET10_LABELS_IN_40))
    labels = np.searchsorted(MODELNET10_LABELS_IN_40, clouds.labels[keep]).astype(np.int64)
    labels.flags.writeable = False
    return SubsetCloudSet(clouds, keep, labels, expected)


def _load_h5(folder: Path, split: str, num_points: int | None) -> H5CloudSet:
    files = sorted(folder.glob(f"ply_data_{split}*.h5"), key=natural_key)
    if not files:
        raise DataError(folder, f"no ply_data_{split}*.h5 files")
    names_file = folder / "shape_names.txt"
    names = read_lines(names_file) if names_file.is_file() else list(MODELNET40_CLASSES)
    stack = H5Stack(files, {"data": 3, "label": None})
    labels = label_array(stack.read_all("label"), folder / f"ply_data_{split}*.h5", len(names))
    return H5CloudSet(stack, labels, names, num_points=num_points)


@dataclass(frozen=True)
class SplitIndex:
    """One split of ``modelnet40_normal_resampled`` as its index files list it.

    names: the class names (label = line index); files: ``<class>/<id>.txt`` of each listed shape;
    labels: ``(len(files),)`` read-only int64; split_file: the ``modelnet40_<split>.txt`` read.
    """

    names: list[str]
    files: list[Path]
    labels: np.ndarray
    split_file: Path


def read_split_index(folder: Path, split: str) -> SplitIndex:
    """Parse ``modelnet40_shape_names.txt`` and ``modelnet40_<split>.txt`` (ids such as
    ``night_stand_0001``: the class is the id without its last ``_`` part). Files are not opened."""
    names = read_lines(folder / "modelnet40_shape_names.txt")
    split_file = folder / f"modelnet40_{split}.txt"
    ids = read_lines(split_file)
    if not ids:
        raise DataError(split_file, "lists no shapes")
    index = {n: i for i, n in enumerate(names)}
    classes = ["_".join(s.split("_")[:-1]) for s in ids]
    unknown = sorted({c for c in classes if c not in index})
    if unknown:
        raise DataError(split_file, f"ids of classes missing from modelnet40_shape_names.txt: {unknown[:5]}")
    labels = np.array([index[c] for c in classes], dtype=np.int64)
    labels.flags.writeable = False
    return SplitIndex(names, [folder / c / f"{s}.txt" for c, s in zip(classes, ids)], labels, split_file)


def _load_normal(folder: Path, split: str, num_points: int | None, cache_dir) -> ArrayCloudSet:
    index = read_split_index(folder, split)
    missing = [f for f in index.files if not f.is_file()]
    if missing:
        raise DataError(missing[0], f"not found ({len(missing)} of the {len(index.files)} files listed in "
                                    f"{index.split_file.name} are missing)")
    points = _cached_points(folder, split, index.files, num_points, cache_dir)
    return ArrayCloudSet(points, index.labels, index.names, index.split_file)


def read_normal_txt(path: Path, num_points: int | None) -> np.ndarray:
    """First ``num_points`` rows (all if None) of a comma-separated x,y,z,... file -> ``(n, 3)`` float32."""
    try:
        arr = np.loadtxt(path, delimiter=",", max_rows=num_points, usecols=(0, 1, 2), dtype=np.float32, ndmin=2)
    except (ValueError, OSError) as e:
        raise DataError(path, f"cannot parse comma-separated x,y,z rows ({e})") from None
    if num_points is not None and len(arr) < num_points:
        raise DataError(path, f"has {len(arr)} points, {num_points} requested")
    return check_cloud(arr, path)


def _cached_points(folder: Path, split: str, files: list[Path], num_points, cache_dir) -> np.ndarray:
    """``(B, num_points, 3)`` float32 of ``files``, from/to ``cache_dir`` when given."""
    cache = None
    if cache_dir is not None:
        cache_dir = Path(cache_dir)
        if cache_dir.resolve().is_relative_to(folder.resolve()):
            raise DataError(cache_dir, f"cache folder must lie outside the dataset folder {folder}")
        key = hashlib.sha1(f"v1|{split}|{num_points}".encode())
        for f in files:
            key.update(f"|{f.relative_to(folder)}:{f.stat().st_size}".encode())
        cache = cache_dir / f"{NORMAL_DIR}_{split}_{num_points}pts_{key.hexdigest()[:16]}.npy"
        if cache.is_file():
            try:
                arr = np.load(cache, mmap_mode="r", allow_pickle=False)
                if arr.dtype == np.float32 and arr.ndim == 3 and arr.shape[0] == len(files):
                    return arr
            except (ValueError, OSError) as e:
                warnings.warn(f"{cache}: unreadable cache, rebuilding it ({e})")
    clouds = [read_normal_txt(f, num_points) for f in files]
    if len({len(c) for c in clouds}) != 1:
        raise DataError(folder, "files hold different numbers of points; pass num_points to read a common prefix")
    points = np.stack(clouds)
    if cache is not None:
        tmp = cache.with_suffix(f".tmp{os.getpid()}")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.save(fh, points)
            os.replace(tmp, cache)
        except OSError as e:
            raise DataError(cache_dir, f"cannot write the cache ({e})") from None
    points.flags.writeable = False
    return points
