"""Which dataset a path holds, told from names, folder layout and array keys alone.

:func:`identify` looks at file and folder names, HDF5 keys and ``.npz`` member headers; it reads
no point data. It returns a :class:`Detected` whose ``open()`` builds the readers: a dict from a
part name (a split, or ``"scenes"`` / ``"sequences"``) to a CloudSet or a SequenceSet.

Formats, in the order they are tried (a folder that holds none of them itself may hold exactly
one of them one level down, e.g. the parent of ``h5_files`` or of ``scannet_frames_25k``):

* ``shapenet``: an ``.npz`` with a 3-D ``data`` array (``shapenet57448xyzonly.npz``)
* ``modelnet40_normal_resampled``: ``modelnet40_shape_names.txt`` and ``<class>/<id>.txt``
* ``modelnet40_ply_hdf5_2048``: ``ply_data_{train,test}*.h5`` with ``data`` and ``label``
* ``scanobjectnn``: ``[h5_files/]main_split*/*objectdataset*.h5``
* ``shapenetpart_txt``: ``synsetoffset2category.txt`` and ``<synset>/<token>.txt``
* ``shapenetpart_h5``: ``*.h5`` with ``data``, ``label`` and ``pid``
* ``s3dis``: ``indoor3d_sem_seg_hdf5_data``, i.e. ``ply_data_all_*.h5`` and ``room_filelist.txt``
* ``scannet_pickle``: ``scannet_{train,test}.pickle`` (whole scenes)
* ``rgbd``: a scene folder with ``depth/`` and ``pose/``, or a folder of such scenes
* ``kitti_object``: ``training/{velodyne,calib}/`` (+ ``ImageSets/``), or the ``training`` folder
* ``kitti_raw``: ``<date>/<date>_drive_<NNNN>_sync/velodyne_points/data/`` (or a date or drive folder)
* ``kitti``: ``sequences/NN/velodyne/*.bin`` (or the ``sequences`` folder, or one ``NN`` folder)
* ``npy``: one ``.npy`` of ``(M, N, 3+)`` clouds (or of one ``(N, 3+)`` cloud)
* ``point_file``: one ``.ply/.pcd/.off/.obj/.txt/.xyz/.npz`` point file
* ``folder``: any other folder with such point files below it (:mod:`strl.formats.folder`)

The table of formats is :data:`FORMATS` (:mod:`strl.formats.known_formats`); each has a probe
(:mod:`strl.formats.probes`) and a reader (:mod:`strl.formats.openers`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from strl.errors import ConfigError, DataError
from strl.formats.headers import LISTED_CHILDREN, children, h5_files, h5_shapes, npy_shape
from strl.formats.known_formats import FORMATS, FormatSpec
from strl.formats.lazy_sets import ModelNetTextFiles, SingleFile
from strl.formats.probes import has_frames

__all__ = [  # what was importable from here before recognition was split into its pieces
    "FORMATS", "LISTED_CHILDREN", "Detected", "FormatSpec", "ModelNetTextFiles", "SingleFile", "identify",
    "is_sequence_set",
]


@dataclass(frozen=True)
class Detected:
    """A recognised dataset.

    format: a key of :data:`FORMATS`. description: one line saying what was found.
    open: ``open() -> dict[str, CloudSet | SequenceSet]``, the readers of each part (split).
    path: where the format was found (may be a sub-folder of the path given to :func:`identify`).
    pipeline: augmentation pipeline that suits the data, ``"object"`` or ``"scene"``.
    up: the vertical axis for display: ``"y"``, ``"z"`` or ``"-y"``.
    """

    format: str
    description: str
    open: Callable[[], dict]
    path: Path
    pipeline: str = "object"
    up: str = "y"


def is_sequence_set(data) -> bool:
    """Whether a part returned by ``Detected.open()`` is a SequenceSet (else a CloudSet)."""
    return hasattr(data, "num_frames") and hasattr(data, "frame")


def _detected(name: str, found: Path) -> Detected:
    spec = FORMATS[name]
    return Detected(name, f"{spec.title} at {found}", lambda: spec.open(found), found, spec.pipeline, spec.up)


def identify(path: str | os.PathLike, format: str | None = None) -> Detected:
    """The dataset at ``path`` (see the module docstring), or ``format`` (a key of FORMATS) forced.

    A folder that holds no format itself is searched one level down; it must then hold exactly
    one dataset. Raises DataError naming what was looked for, ConfigError for an unknown ``format``.
    """
    if format is not None and format not in FORMATS:
        raise ConfigError(f"unknown data format {format!r}; known: {', '.join(FORMATS)}")
    p = Path(path)
    if not p.exists():
        raise DataError(p, "no such file or folder")
    if format is not None:  # forced: open what the probe finds, else the path itself and let the reader say why
        below = _hits_below(p, only=format)
        found = FORMATS[format].probe(p) or (below[0][1] if len(below) == 1 else p)
        return _detected(format, found)
    for name, spec in FORMATS.items():
        if name != "folder" and (found := spec.probe(p)) is not None:
            if _gathers(name, p):  # a folder of scenes or sequences: its other entries must not be datasets
                _only_one(p, [(n, c) for n, c in _hits_below(p) if n != name] + [(name, p)])
            return _detected(name, found)
    below = _hits_below(p)
    _only_one(p, below)
    if below:
        return _detected(*below[0])
    if FORMATS["folder"].probe(p) is not None:
        return _detected("folder", p)
    raise DataError(p, f"no known dataset here{_h5_hint(p)}; looked for " + "; ".join(
        f"{name}: {spec.looks_for}" for name, spec in FORMATS.items()))


def _gathers(name: str, p: Path) -> bool:
    """Whether format ``name`` was recognised in folder ``p`` from its sub-folders (scenes, sequences)."""
    if name == "rgbd":
        return not has_frames(p)
    return name == "kitti" and not ((p / "velodyne").is_dir() or (p / "sequences").is_dir())


def _only_one(p: Path, hits: list[tuple[str, Path]]) -> None:
    if len(hits) > 1:
        listing = ", ".join(f"{c.name if c != p else 'its sub-folders'} ({n})" for n, c in hits[:10])
        raise DataError(p, f"holds several datasets: {listing}; give the path of one of them")


def _h5_hint(p: Path) -> str:
    """Why an HDF5 file (``p`` or the first in folder ``p``) was not recognised, for the error message."""
    first = p if p.suffix == ".h5" else next(iter(h5_files(p)), None)
    if first is None:
        return ""
    shapes = h5_shapes(first)
    if shapes is None:
        return f" ({first.name} is not a readable HDF5 file)"
    return f" ({first.name} has datasets {shapes}, which fit no known HDF5 release)"


def _hits_below(p: Path, only: str | None = None) -> list[tuple[str, Path]]:
    """``(format, entry)`` for each entry of folder ``p`` that holds a dataset by itself."""
    if not p.is_dir():
        return []
    hits = []
    for child in children(p):
        for name, spec in FORMATS.items():
            if not spec.searched_below or (only is not None and name != only):
                continue
            if name == "npy" and len(npy_shape(child) or ()) != 3:
                continue  # a folder of single-cloud .npy files is a user folder
            if spec.probe(child) is not None:
                hits.append((name, child))
                break
    return hits
