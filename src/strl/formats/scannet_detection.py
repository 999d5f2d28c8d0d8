"""ScanNet as VoteNet prepares it (``scannet/batch_load_scannet_data.py``), as a :class:`SceneSet`.

Layout (VoteNet's ``scannet/`` folder)::

    scannet/
      meta_data/scannetv2_{train,val,test}.txt     scene names, one a line
      meta_data/scannet_means.npz                  optional: ``arr_0`` (18, 3) mean box sizes
      scannet_train_detection_data/
        <scene>_vert.npy        (N, 6) xyz + rgb 0..255, axis-aligned, z up
        <scene>_sem_label.npy   (N,) NYU40 ids (0 = unannotated)
        <scene>_ins_label.npy   (N,) instance ids (0 = none)
        <scene>_bbox.npy        (K, 7) centre, full size, NYU40 id (the 18 detection ids only)

``root`` may be the ``scannet/`` folder or the data folder itself; the split lists are looked for
in ``meta_data/`` beside the data folder (VoteNet's place), in ``meta_data/`` inside it, and in the
two folders themselves. Scenes listed but absent from the data folder are skipped with a
:class:`DataWarning` (VoteNet keeps the listed scans that exist, too).

Labels: ``semantic`` is the 20-class ScanNet benchmark label (NYU40 ids outside the 20 and 0
become -1); boxes are axis-aligned (heading 0) with the 18 VoteNet detection classes; the votes
are VoteNet's: every point of an instance whose NYU40 id is a detection class votes for the centre
of that instance's points (:func:`~strl.formats.scenes.instance_vote_targets`); points of no
instance (id 0) never vote.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import check_index, read_lines, require_dir
from strl.formats.scenes import Scene, instance_vote_targets, make_scene, read_array
from strl.sequences.frame_files import DataWarning, listing

DATA_FOLDER = "scannet_train_detection_data"
SPLITS = ("train", "val", "test", "all")

#: VoteNet's 18 detection classes (``model_util_scannet.py``) with their NYU40 ids.
DETECTION_CLASSES = ("cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture", "counter",
                     "desk", "curtain", "refrigerator", "showercurtrain", "toilet", "sink", "bathtub", "garbagebin")
DETECTION_NYU40 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 24, 28, 33, 34, 36, 39)
#: Mean full sizes of the 18 classes: ``scannet_means.npz`` (``arr_0``) as VoteNet ships it, used
#: when the file is not beside the data (the fact sheet lists them rounded to millimetres).
DETECTION_MEAN_SIZES = np.array([
    [0.76966727, 0.8116021, 0.92573744], [1.876858, 1.8425595, 1.1931566], [0.61328, 0.6148609, 0.7182701],
    [1.3955007, 1.5121545, 0.83443564], [0.97949594, 1.0675149, 0.6329687], [0.531663, 0.5955577, 1.7500148],
    [0.9624706, 0.72462326, 1.1481868], [0.83221924, 1.0490936, 1.6875663], [0.21132214, 0.4206159, 0.5372846],
    [1.4440073, 1.8970833, 0.26985747], [1.0294262, 1.4040797, 0.87554324], [1.3766412, 0.65521795, 1.6813129],
    [0.6650819, 0.71111923, 1.298853], [0.41999173, 0.37906948, 1.7513971], [0.59359556, 0.5912492, 0.73919016],
    [0.50867593, 0.50656086, 0.30136237], [1.1511526, 1.0546296, 0.49706793], [0.47535285, 0.49249494, 0.5802117],
], dtype=np.float32)

#: The 20 classes of the ScanNet semantic-segmentation benchmark and their NYU40 ids.
SEGMENTATION_CLASSES = ("wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf",
                        "picture", "counter", "desk", "curtain", "refrigerator", "shower curtain", "toilet", "sink",
                        "bathtub", "otherfurniture")
SEGMENTATION_NYU40 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 24, 28, 33, 34, 36, 39)


def nyu40_lookup(ids) -> np.ndarray:
    """``(41,)`` int64 table from NYU40 id (0..40) to the index of ``ids``, -1 elsewhere."""
    table = np.full(41, -1, dtype=np.int64)
    table[list(ids)] = np.arange(len(ids))
    return table


SEGMENTATION_FROM_NYU40 = nyu40_lookup(SEGMENTATION_NYU40)
DETECTION_FROM_NYU40 = nyu40_lookup(DETECTION_NYU40)


def data_folder(root: Path) -> Path:
    """The folder holding ``*_vert.npy``: ``root`` itself or ``root/scannet_train_detection_data``."""
    if (root / DATA_FOLDER).is_dir():
        return root / DATA_FOLDER
    if any(root.glob("*_vert.npy")):
        return root
    raise DataError(root, f"no {DATA_FOLDER}/ folder and no *_vert.npy files")


def meta_folders(data: Path) -> list[Path]:
    """Where split lists and ``scannet_means.npz`` may be, in the order they are looked for."""
    return [data.parent / "meta_data", data / "meta_data", data.parent, data]


def has_split_file(data: Path, split: str) -> bool:
    return any((folder / f"scannetv2_{split}.txt").is_file() for folder in meta_folders(data))


def split_file(data: Path, split: str) -> Path:
    """``scannetv2_<split>.txt`` from :func:`meta_folders`; DataError naming every place looked at."""
    name = f"scannetv2_{split}.txt"
    for folder in meta_folders(data):
        if (folder / name).is_file():
            return folder / name
    raise DataError(data.parent / "meta_data" / name,
                    "split file not found (also looked in " + ", ".join(str(f) for f in meta_folders(data)[1:]) + ")")


def mean_sizes(data: Path) -> np.ndarray:
    """``arr_0`` of ``scannet_means.npz`` if it is in :func:`meta_folders`, else :data:`DETECTION_MEAN_SIZES`."""
    for folder in meta_folders(data):
        path = folder / "scannet_means.npz"
        if path.is_file():
            means = read_array(path, "arr_0", "mean sizes")
            if means.shape != (len(DETECTION_CLASSES), 3) or not np.isfinite(means).all() or (means <= 0).any():
                raise DataError(path, f"arr_0 has shape {means.shape}; expected (18, 3) positive finite sizes")
            return means.astype(np.float32)
    return DETECTION_MEAN_SIZES.copy()


class ScanNetDetection:
    """One split of VoteNet's prepared ScanNet (see the module docstring), a :class:`SceneSet`.

    Args:
        root: the ``scannet/`` folder or the ``scannet_train_detection_data`` folder.
        split: ``"train"``, ``"val"``, ``"test"`` (VoteNet's lists in ``meta_data``) or ``"all"``
            (every scene in the data folder, no list needed).

    ``scene(i)`` reads scene ``i`` (files are read on demand).
    """

    semantic_class_names = list(SEGMENTATION_CLASSES)
    box_class_names = list(DETECTION_CLASSES)

    def __init__(self, root: str | os.PathLike, split: str = "train"):
        if split not in SPLITS:
            raise ConfigError(f"ScanNet split must be one of {', '.join(SPLITS)}, got {split!r}")
        self.root = require_dir(root, "ScanNet folder")
        self.data = data_folder(self.root)
        self.split = split
        present = sorted(p.name[: -len("_vert.npy")] for p in self.data.glob("*_vert.npy"))
        if split == "all":
            names = present
        else:
            listed = read_lines(split_file(self.data, split))
            have = set(present)
            names = [n for n in listed if n in have]
            missing = [n for n in listed if n not in have]
            if missing:
                warnings.warn(f"{self.data}: {len(missing)} of {len(listed)} scene(s) of the {split} list have no "
                              f"_vert.npy here and are skipped: {listing(missing)}", DataWarning, stacklevel=2)
        if not names:
            raise DataError(self.data, f"no scenes of the {split} split here")
        self.names = names
        self.mean_sizes = mean_sizes(self.data)

    def __len__(self) -> int:
        return len(self.names)

    def path(self, i: int, suffix: str) -> Path:
        return self.data / f"{self.names[i]}_{suffix}.npy"

    def scene(self, i: int) -> Scene:
        """Scene ``i``: points, colours, 20-class semantic labels, instances, axis-aligned boxes, votes."""
        i = check_index(i, len(self))
        vert_path = self.path(i, "vert")
        vert = read_array(vert_path, what="vertices")
        if vert.ndim != 2 or vert.shape[1] < 3:
            raise DataError(vert_path, f"vertices have shape {vert.shape}, expected (N, 6)")
        colors = None
        if vert.shape[1] >= 6:
            rgb = vert[:, 3:6].astype(np.float32)
            if rgb.size and (not np.isfinite(rgb).all() or rgb.min() < 0 or rgb.max() > 255):
                raise DataError(vert_path, "colour columns 3..5 must be finite and in 0..255")
            colors = rgb / 255.0
        sem_path = self.path(i, "sem_label")
        nyu40 = read_array(sem_path, what="semantic labels")
        if nyu40.shape != (len(vert),):
            raise DataError(sem_path, f"has shape {nyu40.shape}, expected ({len(vert)},): one label per vertex")
        if nyu40.size and (nyu40.min() < 0 or nyu40.max() > 40):
            raise DataError(sem_path, f"NYU40 ids span {nyu40.min()}..{nyu40.max()}, expected 0..40")
        nyu40 = nyu40.astype(np.int64)
        ins_path = self.path(i, "ins_label")
        ins = read_array(ins_path, what="instance labels")
        if ins.shape != (len(vert),):
            raise DataError(ins_path, f"has shape {ins.shape}, expected ({len(vert)},): one label per vertex")
        ins = ins.astype(np.int64)
        bbox_path = self.path(i, "bbox")
        bbox = read_array(bbox_path, what="boxes").astype(np.float64)
        bbox = bbox.reshape(0, 7) if bbox.size == 0 else bbox
        if bbox.ndim != 2 or bbox.shape[1] != 7:
            raise DataError(bbox_path, f"has shape {bbox.shape}, expected (K, 7): centre, size, NYU40 id")
        ids = bbox[:, 6]
        known = np.isin(ids, DETECTION_NYU40)
        if not known.all():
            raise DataError(bbox_path, f"box NYU40 id(s) {sorted(set(ids[~known].tolist()))[:5]} are not among the "
                            f"18 detection ids {list(DETECTION_NYU40)}")
        boxes = np.concatenate([bbox[:, :6], np.zeros((len(bbox), 1))], axis=1)
        xyz = vert[:, :3]
        votes, mask = instance_vote_targets(xyz, np.where(ins > 0, ins, -1), DETECTION_FROM_NYU40[nyu40] >= 0)
        return make_scene(vert_path, self.names[i], xyz, semantic=SEGMENTATION_FROM_NYU40[nyu40],
                          instance=np.where(ins > 0, ins, -1), boxes=boxes,
                          box_classes=DETECTION_FROM_NYU40[ids.astype(np.int64)], colors=colors, votes=votes,
                          vote_mask=mask, num_semantic=len(SEGMENTATION_CLASSES),
                          num_box_classes=len(DETECTION_CLASSES), box_path=bbox_path)
