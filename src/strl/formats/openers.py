"""The readers of each dataset format: ``open_<format>(path) -> {part name: CloudSet | SequenceSet}``.

``path`` is where the format's probe (:mod:`strl.formats.probes`) found it. Reader modules are
imported when a format is opened, so recognising a dataset imports none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from strl.errors import DataError
from strl.formats.io_utils import read_lines
from strl.formats.lazy_sets import ModelNetTextFiles, SingleFile


def split_parts(splits, has_files: Callable[[str], bool], load: Callable[[str], object], where: Path) -> dict:
    """``{split: load(split)}`` for each split whose files are there; DataError at ``where`` if none is."""
    parts = {s: load(s) for s in splits if has_files(s)}
    if not parts:
        raise DataError(where, f"no files of the splits {', '.join(splits)}")
    return parts


def h5_folder(p: Path) -> Path:
    """The folder of an HDF5 release found at ``p`` (one of its files, or the folder)."""
    return p.parent if p.is_file() else p


def open_shapenet(p: Path) -> dict:
    from strl.formats.shapenet import ShapeNetNPZ

    return {"all": ShapeNetNPZ(p)}


def open_modelnet_normal(p: Path) -> dict:
    return split_parts(("train", "test"), lambda s: (p / f"modelnet40_{s}.txt").is_file(),
                       lambda s: ModelNetTextFiles(p, s), p)


def open_modelnet_h5(p: Path) -> dict:
    from strl.formats.modelnet import load_modelnet

    folder = h5_folder(p)
    return split_parts(("train", "test"), lambda s: any(folder.glob(f"ply_data_{s}*.h5")),
                       lambda s: load_modelnet(folder, s, num_points=None), folder)


def open_scanobjectnn(p: Path) -> dict:
    from strl.formats.scanobjectnn import ScanObjectNN

    if p.is_file():
        return {p.stem: ScanObjectNN(p)}
    files = sorted(p.glob("*objectdataset*.h5")) or sorted(p.glob("*/*objectdataset*.h5"))
    return {f.relative_to(p).with_suffix("").as_posix(): ScanObjectNN(f) for f in files}


def open_shapenetpart_txt(p: Path) -> dict:
    from strl.formats.shapenetpart import ShapeNetPartTxt

    lists = p / "train_test_split"
    return split_parts(("train", "val", "test"), lambda s: (lists / f"shuffled_{s}_file_list.json").is_file(),
                       lambda s: ShapeNetPartTxt(p, s), lists)


def open_shapenetpart_h5(p: Path) -> dict:
    from strl.formats.shapenetpart import ShapeNetPartH5

    folder = h5_folder(p)
    return split_parts(("train", "val", "test"), lambda s: any(folder.glob(f"*{s}*.h5")),
                       lambda s: ShapeNetPartH5(folder, s), folder)


def open_s3dis(p: Path) -> dict:
    from strl.formats.s3dis import S3DISBlocks

    folder = h5_folder(p)
    rooms = read_lines(folder / "room_filelist.txt")
    areas = sorted({r.split("_")[1] for r in rooms if r.startswith("Area_") and r.count("_") >= 2})
    test_area = "5" if "5" in areas or not areas else areas[-1]
    splits = ("train", "test") if len(areas) != 1 else ("test",)
    return {f"{s} (Area {test_area} {'held out' if s == 'train' else 'only'})": S3DISBlocks(folder, s, test_area)
            for s in splits}


def open_scannet_pickle(p: Path) -> dict:
    from strl.formats.scannet_pickle import ScanNetScenes

    if p.is_file():
        return {p.stem: ScanNetScenes(p)}
    return split_parts(("train", "test"), lambda s: (p / f"scannet_{s}.pickle").is_file(),
                       lambda s: ScanNetScenes(p / f"scannet_{s}.pickle"), p)


def open_rgbd(p: Path) -> dict:
    from strl.sequences.rgbd import RGBDSequences

    return {"scenes": RGBDSequences(p)}


def open_kitti(p: Path) -> dict:
    from strl.sequences.kitti import KittiSequences

    if (p / "velodyne").is_dir():  # one sequence folder NN
        return {"sequences": KittiSequences(p.parent, sequences=[p.name])}
    return {"sequences": KittiSequences(p)}


def open_kitti_object(p: Path) -> dict:
    from strl.formats.kitti_object_check import object_parts

    return object_parts(p)


def open_kitti_raw(p: Path) -> dict:
    from strl.sequences.kitti_raw import KittiRawSequences

    return {"drives": KittiRawSequences(p)}


def open_npy(p: Path) -> dict:
    from strl.formats.io_utils import ArrayCloudSet

    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(p, f"not a readable .npy array ({e})") from None
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise DataError(p, f"has shape {arr.shape}, expected (M, N, 3) clouds or one (N, 3) cloud")
    return {"all": ArrayCloudSet(arr, None, None, p)}


def open_point_file(p: Path) -> dict:
    return {"all": SingleFile(p)}


def open_folder(p: Path) -> dict:
    from strl.formats.folder import load_folder

    return {"all": load_folder(p)}
