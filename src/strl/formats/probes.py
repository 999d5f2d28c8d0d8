"""One probe per dataset format: the path the format sits at (the path probed itself), or None.

Probes look at names, folder layout, HDF5 keys and array headers only (:mod:`strl.formats.headers`).
"""

from __future__ import annotations

import os
from pathlib import Path

from strl.formats.headers import children, h5_files, h5_shapes, npy_shape, npz_shapes


def h5_kind(path: Path, shapes: dict[str, tuple]) -> str | None:
    """Which HDF5 release a file with these datasets belongs to."""
    data, label = shapes.get("data"), shapes.get("label")
    if data is None or label is None or len(data) != 3:
        return None
    if path.name.startswith("ply_data_all") or (len(label) == 2 and label[1] > 1 and data[2] >= 6):
        return "s3dis"
    if "pid" in shapes:
        return "shapenetpart_h5"
    if "objectdataset" in path.name or "mask" in shapes:
        return "scanobjectnn"
    return "modelnet40_ply_hdf5_2048"


def has_frames(folder: Path) -> bool:
    """Whether ``folder`` is an RGB-D scene (has ``depth/`` and ``pose/``)."""
    return (folder / "depth").is_dir() and (folder / "pose").is_dir()


def probe_shapenet(p: Path) -> Path | None:
    if p.is_file() and p.suffix == ".npz":
        data = (npz_shapes(p) or {}).get("data")
        return p if data is not None and len(data) == 3 else None
    return None


def probe_modelnet_normal(p: Path) -> Path | None:
    return p if (p / "modelnet40_shape_names.txt").is_file() else None


def probe_h5_folder(kind: str):
    """The probe of HDF5 release ``kind`` (see :func:`h5_kind`): one such file, or a folder whose first one is."""
    def probe(p: Path) -> Path | None:
        if p.is_file() and p.suffix == ".h5":
            shapes = h5_shapes(p)
            return p if shapes is not None and h5_kind(p, shapes) == kind else None
        files = h5_files(p)
        if files:
            shapes = h5_shapes(files[0])
            return p if shapes is not None and h5_kind(files[0], shapes) == kind else None
        return None
    return probe


def probe_scanobjectnn(p: Path) -> Path | None:
    if p.is_dir() and any(p.glob("*/*objectdataset*.h5")) and not any(p.glob("*.h5")):
        return p
    return probe_h5_folder("scanobjectnn")(p)


def probe_shapenetpart_txt(p: Path) -> Path | None:
    return p if (p / "synsetoffset2category.txt").is_file() else None


def probe_s3dis(p: Path) -> Path | None:
    if (p / "room_filelist.txt").is_file() and (any(p.glob("ply_data_all_*.h5")) or (p / "all_files.txt").is_file()):
        return p
    return probe_h5_folder("s3dis")(p)


def probe_scannet_pickle(p: Path) -> Path | None:
    if p.is_file() and p.suffix in (".pickle", ".pkl"):
        return p
    return p if any((p / f"scannet_{s}.pickle").is_file() for s in ("train", "test")) else None


def probe_rgbd(p: Path) -> Path | None:
    if p.is_dir() and (has_frames(p) or any(has_frames(c) for c in children(p) if c.is_dir())):
        return p
    return None


def probe_kitti(p: Path) -> Path | None:
    if not p.is_dir():
        return None
    if (p / "velodyne").is_dir():
        return p
    seq = p / "sequences" if (p / "sequences").is_dir() else p
    return p if any((c / "velodyne").is_dir() for c in children(seq) if c.is_dir()) else None


def _object_split_folder(p: Path) -> bool:
    """Whether ``p`` is a KITTI object ``training/`` or ``testing/`` folder (``velodyne/`` and ``calib/``)."""
    return (p / "velodyne").is_dir() and (p / "calib").is_dir()


def probe_kitti_object(p: Path) -> Path | None:
    """The KITTI object root: a folder with ``training/`` or ``testing/`` (or such a folder itself)."""
    if not p.is_dir():
        return None
    if p.name in ("training", "testing") and _object_split_folder(p):
        return p.parent
    return p if any(_object_split_folder(p / s) for s in ("training", "testing")) else None


def probe_kitti_raw(p: Path) -> Path | None:
    """KITTI raw drives (``<date>/<date>_drive_<NNNN>_sync/velodyne_points/data``) at or below ``p``."""
    from strl.sequences.kitti_raw import find_drives

    return p if p.is_dir() and find_drives(p) else None


def probe_npy(p: Path) -> Path | None:
    shape = npy_shape(p) if p.is_file() and p.suffix == ".npy" else None
    return p if shape is not None and (len(shape) == 3 or len(shape) == 2) and shape[-1] >= 3 else None


def probe_point_file(p: Path) -> Path | None:
    from strl.formats.folder import SUFFIXES

    return p if p.is_file() and p.suffix.lower() in SUFFIXES else None


def probe_folder(p: Path) -> Path | None:
    from strl.formats.folder import SUFFIXES

    if not p.is_dir():
        return None
    for _, dirnames, filenames in os.walk(p):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(Path(n).suffix.lower() in SUFFIXES and not n.startswith(".") for n in filenames):
            return p
    return None
