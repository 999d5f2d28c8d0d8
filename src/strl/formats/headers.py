"""Cheap looks into files and folders: array shapes from HDF5 keys and ``.npy``/``.npz`` headers,
and folder listings. No point data is read; an unreadable file gives ``None``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from strl.formats.io_utils import natural_key

LISTED_CHILDREN = 500  # entries of a folder looked at when searching one level down


def h5_shapes(path: Path) -> dict[str, tuple] | None:
    """``{key: shape}`` of the top-level datasets of an HDF5 file, or None if it is not one."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return {k: tuple(v.shape) for k, v in f.items() if hasattr(v, "shape")}
    except OSError:
        return None


def read_npy_shape(f) -> tuple:
    """Shape in the header of an open ``.npy`` stream (ValueError if it is not one)."""
    version = np.lib.format.read_magic(f)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in read_header:
        raise ValueError(f"unsupported .npy version {version}")
    return read_header[version](f)[0]


def npz_shapes(path: Path) -> dict[str, tuple] | None:
    """``{key: shape}`` of an ``.npz`` read from the member headers only, or None if unreadable."""
    shapes = {}
    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".npy"):
                    with z.open(name) as f:
                        shapes[name[:-4]] = read_npy_shape(f)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    return shapes


def npy_shape(path: Path) -> tuple | None:
    """Shape of the array in an ``.npy`` file, from its header, or None if unreadable."""
    try:
        with open(path, "rb") as f:
            return read_npy_shape(f)
    except (OSError, ValueError, EOFError):
        return None


def h5_files(folder: Path) -> list[Path]:
    """The ``*.h5`` files of ``folder`` in natural name order (none if it is not a folder)."""
    return sorted(folder.glob("*.h5"), key=lambda p: natural_key(p.name)) if folder.is_dir() else []


def children(folder: Path) -> list[Path]:
    """The first :data:`LISTED_CHILDREN` entries of ``folder`` by name, hidden ones left out."""
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    return entries[:LISTED_CHILDREN]
