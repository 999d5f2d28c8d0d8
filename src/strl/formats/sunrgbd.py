"""SUN RGB-D as VoteNet prepares it (``sunrgbd/sunrgbd_data.py``), as a :class:`SceneSet`.

Layout (one folder per version and split, in VoteNet's ``sunrgbd/`` folder)::

    sunrgbd_pc_bbox_votes_50k_v1_{train,val}/     (``_v2_`` with ``--use_sunrgbd_v2``)
      <id>_pc.npz      key ``pc`` (N, 6): xyz + rgb 0..1, upright depth frame (z up)
      <id>_bbox.npy    (K, 8): centre, HALF sizes (l, w, h), heading, class 0..9
      <id>_votes.npz   key ``point_votes`` (N, 10): in-object flag, then three (dx, dy, dz) votes

Boxes are converted to ``box7``: full sizes ``(2l, 2w, 2h)`` and heading ``-heading``. VoteNet's
heading turns from +x towards -y (clockwise seen from above, its corners are
``rotz(-heading) @ local``; its rotation augmentation subtracts the angle it turns the points by
and its flip maps heading to ``pi - heading``), while ``box7`` turns counter-clockwise with ``l``
along the heading direction: the same box is ``(centre, 2l, 2w, 2h, -heading)``, wrapped to
``[-pi, pi)``. Votes are ``point_votes[:, 1:]`` (offsets ``centre - point``, independent of the
heading convention) and ``vote_mask`` is ``point_votes[:, 0] > 0``. The data has no per-point
semantic labels: ``semantic`` and ``instance`` are all -1 and ``semantic_class_names`` is empty.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import check_index, require_dir
from strl.formats.scenes import Scene, make_scene, read_array, wrap_angle

CLASSES = ("bed", "table", "sofa", "chair", "toilet", "desk", "dresser", "night_stand", "bookshelf", "bathtub")
#: Mean full sizes ``(l, w, h)`` per class, VoteNet's ``model_util_sunrgbd.type_mean_size``.
MEAN_SIZES = np.array([
    [2.114256, 1.620300, 0.927272], [0.791118, 1.279516, 0.718182], [0.923508, 1.867419, 0.845495],
    [0.591958, 0.552978, 0.827272], [0.699104, 0.454178, 0.756250], [0.695190, 1.346299, 0.736364],
    [0.528526, 1.002642, 1.172878], [0.500618, 0.632163, 0.683424], [0.404671, 1.071108, 1.688889],
    [0.765840, 1.398258, 0.472728],
], dtype=np.float32)
SPLITS = ("train", "val")
VERSIONS = ("v1", "v2")


def split_folder_name(split: str, version: str = "v1") -> str:
    return f"sunrgbd_pc_bbox_votes_50k_{version}_{split}"


def votenet_to_box7(bbox: np.ndarray) -> np.ndarray:
    """VoteNet SUN RGB-D boxes ``(K, 8+)`` (centre, half sizes, clockwise heading, ...) -> ``(K, 7)`` box7."""
    bbox = np.asarray(bbox, dtype=np.float64)
    return np.concatenate([bbox[:, :3], 2 * bbox[:, 3:6], wrap_angle(-bbox[:, 6:7])], axis=1)


def box7_to_votenet(boxes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The inverse of :func:`votenet_to_box7`: ``(K, 7)`` box7 and ``(K,)`` classes -> ``(K, 8)``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([boxes[:, :3], boxes[:, 3:6] / 2, wrap_angle(-boxes[:, 6:7]),
                           np.asarray(classes, np.float64)[:, None]], axis=1)


def find_split_folder(root: Path, split: str, version: str) -> Path:
    """``root`` if it is the folder of ``split``/``version`` (or any folder of ``*_pc.npz`` files
    named otherwise), else ``root/sunrgbd_pc_bbox_votes_50k_<version>_<split>``."""
    name = split_folder_name(split, version)
    if root.name == name:
        return root
    if (root / name).is_dir():
        return root / name
    if any(root.glob("*_pc.npz")) and not root.name.startswith("sunrgbd_pc_bbox_votes_50k_"):
        return root
    raise DataError(root / name, "SUN RGB-D split folder not found")


class SunRGBDVotes:
    """One split of VoteNet's prepared SUN RGB-D (see the module docstring), a :class:`SceneSet`.

    Args:
        root: the folder of one split (``sunrgbd_pc_bbox_votes_50k_v1_train``) or the folder that holds
            the split folders.
        split: ``"train"`` or ``"val"``; version: ``"v1"`` (VoteNet's default) or ``"v2"``.
    """

    semantic_class_names: list[str] = []
    box_class_names = list(CLASSES)

    def __init__(self, root: str | os.PathLike, split: str = "train", version: str = "v1"):
        if split not in SPLITS or version not in VERSIONS:
            raise ConfigError(f"SUN RGB-D split must be one of {', '.join(SPLITS)} and version one of "
                              f"{', '.join(VERSIONS)}, got {split!r}, {version!r}")
        self.folder = find_split_folder(require_dir(root, "SUN RGB-D folder"), split, version)
        self.names = sorted(p.name[: -len("_pc.npz")] for p in self.folder.glob("*_pc.npz"))
        if not self.names:
            raise DataError(self.folder, "no <id>_pc.npz files")
        self.mean_sizes = MEAN_SIZES.copy()

    def __len__(self) -> int:
        return len(self.names)

    def scene(self, i: int) -> Scene:
        """View ``i``: points, colours, oriented boxes (box7) and VoteNet's votes; no semantic labels."""
        i = check_index(i, len(self))
        stem = self.folder / self.names[i]
        pc_path = Path(f"{stem}_pc.npz")
        pc = read_array(pc_path, "pc", "points")
        if pc.ndim != 2 or pc.shape[1] < 3:
            raise DataError(pc_path, f"pc has shape {pc.shape}, expected (N, 6)")
        colors = pc[:, 3:6] if pc.shape[1] >= 6 else None
        bbox_path = Path(f"{stem}_bbox.npy")
        bbox = read_array(bbox_path, what="boxes").astype(np.float64)
        bbox = bbox.reshape(0, 8) if bbox.size == 0 else bbox
        if bbox.ndim != 2 or bbox.shape[1] < 8:
            raise DataError(bbox_path, f"has shape {bbox.shape}, expected (K, 8): centre, half sizes, heading, class")
        classes = bbox[:, 7]
        if not (np.isfinite(classes) & (classes == np.round(classes))).all():
            raise DataError(bbox_path, "box classes (column 7) must be whole numbers")
        votes_path = Path(f"{stem}_votes.npz")
        point_votes = read_array(votes_path, "point_votes", "votes")
        if point_votes.shape != (len(pc), 10):
            raise DataError(votes_path, f"point_votes has shape {point_votes.shape}, expected ({len(pc)}, 10)")
        return make_scene(pc_path, self.names[i], pc[:, :3], boxes=votenet_to_box7(bbox),
                          box_classes=classes.astype(np.int64), colors=colors, votes=point_votes[:, 1:],
                          vote_mask=point_votes[:, 0] > 0, num_box_classes=len(CLASSES), box_path=bbox_path)
