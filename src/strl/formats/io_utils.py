"""Helpers shared by the readers in :mod:`strl.formats`: paths, text lists, labels, lazy HDF5.

Every helper raises :class:`strl.errors.DataError` naming the file and the problem.
"""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import DataError
from strl.formats.base import check_cloud


def require_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` as a :class:`Path`, or a DataError if it is not an existing file."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, f"{what} not found" if not p.exists() else f"{what} is not a regular file")
    return p


def require_dir(path: str | os.PathLike, what: str = "folder") -> Path:
    """``path`` as a :class:`Path`, or a DataError if it is not an existing folder."""
    p = Path(path)
    if not p.is_dir():
        raise DataError(p, f"{what} not found" if not p.exists() else f"{what} is not a folder")
    return p


def natural_key(name: str | os.PathLike) -> list:
    """Sort key that orders ``file2`` before ``file10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.fspath(name))]


def read_lines(path: str | os.PathLike) -> list[str]:
    """Non-empty, stripped lines of a text file."""
    p = require_file(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(p, f"cannot read text file ({e})") from None
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def check_index(i: int, n: int) -> int:
    """Normalise a Python index into ``[0, n)``; IndexError outside (so iteration stops)."""
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"index {i} out of range for {n} items")
    return i + n if i < 0 else i


def cloud_copy(arr: np.ndarray, path, what: str) -> np.ndarray:
    """Validate with :func:`check_cloud` and return an ``(N, 3)`` float32 array the caller owns."""
    out = check_cloud(arr, path, what)
    return out if out.flags.owndata and out.flags.writeable else out.copy()


def _integers(arr: np.ndarray) -> np.ndarray | None:
    """``arr`` as int64 if it holds integers (integral floats included), else None."""
    if arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all():
        return arr.astype(np.int64)
    return arr.astype(np.int64) if arr.dtype.kind in "iu" else None


def label_array(raw, path, num_classes: int | None, what: str = "label") -> np.ndarray:
    """Per-item labels stored as ``(B,)`` or ``(B, 1)`` integers -> read-only ``(B,)`` int64."""
    arr = np.asarray(raw)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(path, f"{what} has shape {arr.shape}, expected (B,) or (B, 1)")
    out = _integers(arr)
    if out is None:
        raise DataError(path, f"{what} has dtype {arr.dtype}, expected integers")
    if out.size and (out.min() < 0 or (num_classes is not None and out.max() >= num_classes)):
        expected = "non-negative" if num_classes is None else f"0..{num_classes - 1}"
        raise DataError(path, f"{what} values span [{out.min()}, {out.max()}], expected {expected}")
    out.flags.writeable = False
    return out


def point_labels_copy(raw, path, n_points: int, what: str) -> np.ndarray:
    """Per-point integer labels (integral floats accepted) -> ``(n_points,)`` int64 copy."""
    arr = np.asarray(raw)
    out = _integers(arr)
    if arr.shape != (n_points,) or out is None:
        raise DataError(path, f"{what} has shape {arr.shape} / dtype {arr.dtype}, expected ({n_points},) integers")
    return out


# --- HDF5 ---------------------------------------------------------------------------------

_OPEN_STACKS: "weakref.WeakSet[H5Stack]" = weakref.WeakSet()


def _close_all_before_fork() -> None:
    for stack in list(_OPEN_STACKS):
        stack.close()


if hasattr(os, "register_at_fork"):  # DataLoader workers re-open files themselves after fork
    os.register_at_fork(before=_close_all_before_fork)


def open_h5(path: str | os.PathLike):
    """Open an HDF5 file read-only with a clear error for missing or corrupt files."""
    import h5py

    p = require_file(path, "HDF5 file")
    try:
        return h5py.File(p, "r")
    except OSError as e:
        raise DataError(p, f"not a readable HDF5 file ({e})") from None


def h5_dataset(f, key: str, path, ndim: int | None = None):
    """Dataset ``key`` of an open file; DataError listing the keys present if absent."""
    if key not in f:
        raise DataError(path, f"has no dataset {key!r}; keys present: {sorted(f.keys())}")
    ds = f[key]
    if not hasattr(ds, "shape"):
        raise DataError(path, f"{key!r} is a group, expected a dataset")
    if ndim is not None and ds.ndim != ndim:
        raise DataError(path, f"dataset {key!r} has shape {ds.shape}, expected {ndim} dimensions")
    return ds


class H5Stack:
    """Rows of the same datasets concatenated over several HDF5 files, read lazily.

    ``ndims`` maps each required key to its expected number of dimensions (None: any);
    ``optional`` keys are used when the first file has them. All keys of a file must have the
    same number of rows. Files are opened on first read in each process (and closed before a
    fork), so one instance serves several DataLoader workers.
    """

    def __init__(self, paths: Sequence[str | os.PathLike], ndims: dict[str, int | None],
                 optional: dict[str, int | None] | None = None):
        if not paths:
            raise DataError(None, "no HDF5 files given")
        self.paths = [Path(p) for p in paths]
        with open_h5(self.paths[0]) as f:
            self.ndims = {**ndims, **{k: n for k, n in (optional or {}).items() if k in f}}
        sizes, self.shapes = [], {}
        for p in self.paths:
            with open_h5(p) as f:
                rows = {k: h5_dataset(f, k, p, n).shape for k, n in self.ndims.items()}
            if len({s[0] for s in rows.values()}) != 1:
                raise DataError(p, f"datasets disagree on the number of rows: {rows}")
            for k, s in rows.items():
                if self.shapes.setdefault(k, s[1:]) != s[1:]:
                    raise DataError(p, f"dataset {k!r} rows have shape {s[1:]}, other files have {self.shapes[k]}")
            sizes.append(next(iter(rows.values()))[0])
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._files: dict[int, object] = {}
        self._pid = os.getpid()
        _OPEN_STACKS.add(self)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def locate(self, i: int) -> tuple[int, int]:
        """Global row ``i`` -> (file index, row within that file)."""
        k = int(np.searchsorted(self.offsets, i, side="right")) - 1
        return k, int(i - self.offsets[k])

    def read(self, key: str, i: int) -> np.ndarray:
        """Row ``i`` (global index) of dataset ``key`` as a new array."""
        k, j = self.locate(check_index(i, len(self)))
        try:
            return np.asarray(self._file(k)[key][j])
        except (OSError, ValueError, KeyError) as e:
            raise DataError(self.paths[k], f"cannot read row {j} of {key!r} ({e})") from None

    def read_all(self, key: str) -> np.ndarray:
        """Dataset ``key`` of every file, concatenated (for small arrays such as labels)."""
        parts = []
        for k, p in enumerate(self.paths):
            try:
                parts.append(np.asarray(self._file(k)[key][()]))
            except (OSError, ValueError) as e:
                raise DataError(p, f"cannot read {key!r} ({e})") from None
        return np.concatenate(parts)

    def where(self, i: int) -> tuple[Path, int]:
        """(file, row within it) of global row ``i``, for error messages."""
        k, j = self.locate(check_index(i, len(self)))
        return self.paths[k], j

    def _file(self, k: int):
        if self._pid != os.getpid():  # forked with handles open: never reuse the parent's
            self._files, self._pid = {}, os.getpid()
        if k not in self._files:
            self._files[k] = open_h5(self.paths[k])
        return self._files[k]

    def close(self) -> None:
        for f in self._files.values():
            try:
                f.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._files = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_files"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        _OPEN_STACKS.add(self)


class H5CloudSet:
    """A :class:`~strl.formats.base.CloudSet` over dataset ``key`` of an :class:`H5Stack`.

    ``__getitem__`` returns the first ``num_points`` rows (all if None) as ``(N, 3)`` float32.
    """

    def __init__(self, stack: H5Stack, labels: np.ndarray | None, class_names: list[str] | None,
                 key: str = "data", num_points: int | None = None):
        self.stack, self.key, self.num_points = stack, key, num_points
        self.labels, self.class_names = labels, class_names
        if len(stack.shapes[key]) != 2 or stack.shapes[key][1] < 3:
            raise DataError(stack.paths[0], f"{key!r} rows have shape {stack.shapes[key]}, expected (N, 3) or wider")
        if len(stack) == 0:
            raise DataError(stack.paths[0], "holds no clouds (0 rows)")
        if num_points is not None and num_points > stack.shapes[key][0]:
            raise DataError(stack.paths[0], f"holds {stack.shapes[key][0]} points per cloud, {num_points} requested")
        if labels is not None and len(labels) != len(stack):
            raise DataError(stack.paths[0], f"{len(labels)} labels for {len(stack)} clouds")

    def __len__(self) -> int:
        return len(self.stack)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        row = self.stack.read(self.key, i)[: self.num_points]
        path, j = self.stack.where(i)
        return cloud_copy(row, path, f"{self.key}[{j}]")


class SubsetCloudSet:
    """Items ``indices`` of ``base`` with their own (e.g. remapped) labels and class names."""

    def __init__(self, base, indices: np.ndarray, labels: np.ndarray | None, class_names: list[str] | None):
        self.base, self.indices = base, np.asarray(indices, dtype=np.int64)
        self.labels, self.class_names = labels, class_names

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        return self.base[int(self.indices[check_index(i, len(self))])]


class ArrayCloudSet:
    """A :class:`~strl.formats.base.CloudSet` over clouds already in memory (or memory-mapped).

    ``clouds``: a ``(B, N, C)`` array or a list of ``(N_i, C)`` arrays, C >= 3; ``path`` names
    their source in error messages. Items are checked on access and returned as copies.
    """

    def __init__(self, clouds, labels: np.ndarray | None, class_names: list[str] | None, path):
        self.clouds, self.labels, self.class_names, self.path = clouds, labels, class_names, path
        if len(clouds) == 0:
            raise DataError(path, "holds no clouds")
        if labels is not None and len(labels) != len(clouds):
            raise DataError(path, f"{len(labels)} labels for {len(clouds)} clouds")

    def __len__(self) -> int:
        return len(self.clouds)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        i = check_index(i, len(self))
        return cloud_copy(self.clouds[i], self.path, f"cloud {i}")
