"""The KITTI object detection layout: one reader for sweeps, labels, calibration, images and splits.

::

    <root>/training/velodyne/NNNNNN.bin   float32 records (x, y, z, reflectance), LiDAR frame
    <root>/training/label_2/NNNNNN.txt    objects (:mod:`strl.formats.kitti_labels`)
    <root>/training/calib/NNNNNN.txt      P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo (:mod:`~.kitti_calib`)
    <root>/training/image_2/NNNNNN.png    only the image size is read (from the PNG header)
    <root>/training/planes/NNNNNN.txt     optional road plane in the rectified camera frame
    <root>/testing/...                    the same, without label_2 and planes
    <root>/ImageSets/{train,val,test}.txt frame ids, one a line (the released files end without a newline)

Splits ``train`` and ``val`` read ``training/``, ``test`` reads ``testing/``; ``training`` and
``testing`` are every frame of that folder. Box conversions are in :mod:`strl.formats.kitti_boxes`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import check_index, read_lines
from strl.formats.kitti_boxes import labels_to_lidar_boxes, predictions_to_labels
from strl.formats.kitti_calib import Calibration, fov_mask, read_calibration
from strl.formats.kitti_labels import KittiLabels, read_label_file, write_label_file
from strl.sequences.frame_files import listing
from strl.sequences.kitti_files import read_sweep

__all__ = [
    "DEFAULT_CLASSES", "SPLIT_FOLDERS", "Calibration", "KittiFrame", "KittiLabels", "KittiObjectDataset",
    "read_calibration", "read_image_shape", "read_label_file", "read_road_plane", "read_split_ids",
    "write_label_file", "write_predictions", "write_road_plane",
]

DEFAULT_CLASSES = ("Car", "Pedestrian", "Cyclist")
SPLIT_FOLDERS = {"train": "training", "val": "training", "test": "testing", "training": "training",
                 "testing": "testing"}
FRAME_FILES = {"velodyne": ".bin", "calib": ".txt", "image_2": ".png", "label_2": ".txt"}


def read_image_shape(path: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of an image, read from its header (Pillow opens lazily: no pixel is decoded)."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        with Image.open(p) as image:
            width, height = image.size
    except FileNotFoundError:
        raise DataError(p, "image not found") from None
    except (UnidentifiedImageError, OSError) as e:
        raise DataError(p, f"not a readable image ({e})") from None
    return height, width


def read_road_plane(path: str | os.PathLike) -> np.ndarray:
    """The road plane ``(a, b, c, d)`` of a ``planes/NNNNNN.txt`` (4th line), float64 ``(4,)``.

    As OpenPCDet (``get_road_plane``): the normal is flipped to point up (``b <= 0``: camera y
    points down) and scaled to unit length.
    """
    p = Path(path)
    try:
        lines = p.read_text().splitlines()
    except OSError as e:
        raise DataError(p, f"cannot read road plane ({e})") from None
    try:
        plane = np.array(lines[3].split(), dtype=np.float64)
    except (IndexError, ValueError):
        plane = np.zeros(0)
    if plane.shape != (4,) or not np.isfinite(plane).all() or not np.linalg.norm(plane[:3]) > 0:
        raise DataError(p, "line 4: expected the 4 numbers a b c d of a plane")
    plane = -plane if plane[1] > 0 else plane
    return plane / np.linalg.norm(plane[:3])


def write_road_plane(path: str | os.PathLike, plane) -> Path:
    """Write a road plane ``(a, b, c, d)`` (rectified camera frame) as a ``planes/NNNNNN.txt``:
    the released files' three header lines, then the four numbers (read by :func:`read_road_plane`)."""
    p = Path(path)
    p.write_text("# Plane\nWidth 4\nHeight 1\n" + " ".join(f"{float(v):.6e}" for v in np.ravel(plane)) + "\n")
    return p


def read_split_ids(path: str | os.PathLike) -> list[str]:
    """The frame ids of an ``ImageSets/*.txt`` (``"000123"``), in order; DataError naming a bad line."""
    ids = read_lines(path)
    for line_no, frame_id in enumerate(ids, start=1):
        if not frame_id.isdigit():
            raise DataError(path, f"line {line_no}: {frame_id!r} is not a frame id (digits, e.g. 000123)")
    return ids


@dataclass
class KittiFrame:
    """What a detector's data pipeline needs of one frame.

    points: ``(N, 4)`` float32 x, y, z, reflectance in the LiDAR frame (only the field of view of
        image_2 when the dataset crops to it).
    gt_boxes: ``(M, 7)`` float32 LiDAR boxes ``(x, y, z, dx, dy, dz, heading)`` of the objects of the
        dataset's classes; gt_names: ``(M,)`` their class names.
    labels: every object of the label file (DontCare included, with truncation, occlusion and 2D
        boxes, as the evaluator reads them), or ``None`` for unlabelled frames.
    calib: the frame's calibration; image_shape: ``(height, width)`` of image_2.
    road_plane: ``(4,)`` from ``planes/`` when present, else ``None``.
    """

    frame_id: str
    points: np.ndarray
    gt_boxes: np.ndarray
    gt_names: np.ndarray
    labels: KittiLabels | None
    calib: Calibration
    image_shape: tuple[int, int]
    road_plane: np.ndarray | None = None


class KittiObjectDataset:
    """The frames of one KITTI object split.

    Args:
        root: the folder holding ``training/`` (and ``testing/``, ``ImageSets/``).
        split: ``train``, ``val`` or ``test`` (ids from ``ImageSets/<split>.txt``), or ``training`` /
            ``testing`` (every sweep of that folder).
        class_names: the classes whose boxes become ``gt_boxes`` (``None``: every class but DontCare).
        fov_only: keep only the points inside image_2's field of view (OpenPCDet ``FOV_POINTS_ONLY``).
        strict: raise a DataError naming the split file and the first ids whose files are missing;
            with ``strict=False`` those ids are left out and listed in :attr:`missing`.

    ``ds[i]`` is a :class:`KittiFrame`; :attr:`ids` the frame ids read.
    """

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 class_names: Sequence[str] | None = DEFAULT_CLASSES, fov_only: bool = True, strict: bool = True):
        if split not in SPLIT_FOLDERS:
            raise ConfigError(f"unknown KITTI object split {split!r}; known: {', '.join(SPLIT_FOLDERS)}")
        self.root = Path(root)
        self.split = split
        self.folder = self.root / SPLIT_FOLDERS[split]
        self.class_names = None if class_names is None else list(class_names)
        self.fov_only = fov_only
        self.has_labels = (self.folder / "label_2").is_dir()
        if split in ("training", "testing"):
            self.split_file = None
            if not (self.folder / "velodyne").is_dir():
                raise DataError(self.folder / "velodyne", "folder not found (KITTI object layout: "
                                                          f"{self.folder.name}/velodyne/NNNNNN.bin)")
            ids = sorted(p.stem for p in (self.folder / "velodyne").glob("*.bin"))
        else:
            self.split_file = self.root / "ImageSets" / f"{split}.txt"
            ids = read_split_ids(self.split_file)
        self.missing = self._missing_files(ids)
        if self.missing and strict:
            raise DataError(self.split_file or self.folder, self.missing_message())
        gone = {i for i, _ in self.missing}
        self.ids = [i for i in ids if i not in gone]

    def _missing_files(self, ids: list[str]) -> list[tuple[str, str]]:
        """``(id, "velodyne/000123.bin")`` for the first missing file of each id."""
        wanted = [d for d in FRAME_FILES if d != "label_2" or self.has_labels or self.split in ("train", "val")]
        present = {d: {p.name for p in (self.folder / d).glob("*" + FRAME_FILES[d])} if (self.folder / d).is_dir()
                   else set() for d in wanted}
        out = []
        for frame_id in ids:
            lost = next((d for d in wanted if frame_id + FRAME_FILES[d] not in present[d]), None)
            if lost is not None:
                out.append((frame_id, f"{lost}/{frame_id}{FRAME_FILES[lost]}"))
        return out

    def missing_message(self) -> str:
        """What :attr:`missing` says, as the problem of a DataError about the split file."""
        return (f"{len(self.missing)} frame id(s) without their files in {self.folder}: "
                + listing([f"{i} (no {f})" for i, f in self.missing]))

    def __len__(self) -> int:
        return len(self.ids)

    def path(self, i: int, kind: str) -> Path:
        """The file of frame ``i``: ``kind`` is velodyne, calib, image_2, label_2 or planes."""
        frame_id = self.ids[check_index(i, len(self))]
        return self.folder / kind / (frame_id + FRAME_FILES.get(kind, ".txt"))

    def points(self, i: int, calib: Calibration | None = None, image_shape=None) -> np.ndarray:
        """``(N, 4)`` float32 sweep of frame ``i``, cropped to the field of view when ``fov_only``
        (with ``calib`` and ``image_shape`` when given, else read)."""
        records = read_sweep(self.path(i, "velodyne"))
        if not self.fov_only:
            return records
        calib = calib if calib is not None else self.calibration(i)
        image_shape = image_shape if image_shape is not None else self.image_shape(i)
        return records[fov_mask(records[:, :3], calib, image_shape)]

    def labels(self, i: int) -> KittiLabels | None:
        """Every object of frame ``i`` (``None`` without ``label_2/``)."""
        return read_label_file(self.path(i, "label_2")) if self.has_labels else None

    def calibration(self, i: int) -> Calibration:
        return read_calibration(self.path(i, "calib"))

    def image_shape(self, i: int) -> tuple[int, int]:
        """``(height, width)`` of frame ``i``'s image_2."""
        return read_image_shape(self.path(i, "image_2"))

    def road_plane(self, i: int) -> np.ndarray | None:
        path = self.path(i, "planes")
        return read_road_plane(path) if path.is_file() else None

    def gt(self, labels: KittiLabels | None, calib: Calibration) -> tuple[np.ndarray, np.ndarray]:
        """``(M, 7)`` float32 LiDAR boxes and ``(M,)`` names of the objects of the dataset's classes."""
        if labels is None:
            return np.zeros((0, 7), np.float32), np.zeros(0, dtype=str)
        keep = labels.name != "DontCare"
        if self.class_names is not None:
            keep &= np.isin(labels.name, self.class_names)
        chosen = labels.select(keep)
        return labels_to_lidar_boxes(chosen, calib).astype(np.float32), chosen.name

    def __getitem__(self, i: int) -> KittiFrame:
        calib, image_shape, labels = self.calibration(i), self.image_shape(i), self.labels(i)
        boxes, names = self.gt(labels, calib)
        return KittiFrame(self.ids[check_index(i, len(self))], self.points(i, calib, image_shape), boxes, names,
                          labels, calib, image_shape, self.road_plane(i))


def write_predictions(folder: str | os.PathLike, frame_id: str, boxes: np.ndarray, scores: np.ndarray, names,
                      calib: Calibration, image_shape) -> Path:
    """Write one frame's detections as ``<folder>/<frame_id>.txt`` in the KITTI results format.

    boxes ``(k, 7)`` LiDAR boxes, scores ``(k,)``, names ``(k,)``; ``image_shape`` = ``(height,
    width)`` of image_2 (the 2D boxes are clipped to it). See
    :func:`strl.formats.kitti_boxes.predictions_to_labels`. A frame without detections gets an
    empty file.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return write_label_file(out / f"{frame_id}.txt", predictions_to_labels(boxes, scores, names, calib, image_shape))
