"""The frames of outdoor detection runs: KITTI object splits read once, the run's labelled share
and validation frames, and the training samples (augmented, optionally with sampled objects).

Metadata of every frame (labels, calibration, image size, road plane, ground-truth boxes) is read
when a split is opened, so a malformed file stops the run before training; the sweeps are read
when a frame is used (and kept in memory for splits that fit in :data:`POINT_CACHE_BYTES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strl.formats.kitti_calib import Calibration
from strl.formats.kitti_labels import KittiLabels
from strl.formats.kitti_object import KittiObjectDataset

POINT_CACHE_BYTES = 256 << 20  # sweeps of evaluation splits kept in memory, at most this much


@dataclass
class FrameMeta:
    """What a frame holds besides its sweep: every labelled object (``labels``, DontCare included,
    for the evaluation), the LiDAR boxes ``(G, 7)`` float32 and class indices ``(G,)`` of the
    detected classes, the calibration, image_2's ``(height, width)`` and the road plane or None."""

    labels: KittiLabels
    boxes: np.ndarray
    classes: np.ndarray
    calib: Calibration
    image_shape: tuple[int, int]
    road_plane: np.ndarray | None


class FrameSet:
    """Every frame of one KITTI object split, its metadata read (see the module docstring)."""

    def __init__(self, dataset: KittiObjectDataset, classes: list[str]):
        self.dataset, self.classes = dataset, list(classes)
        self.ids = list(dataset.ids)
        self.meta = [self._read(i) for i in range(len(dataset))]

    def _read(self, i: int) -> FrameMeta:
        ds = self.dataset
        calib, labels = ds.calibration(i), ds.labels(i)
        if labels is None:
            labels = KittiLabels.empty()
        boxes, names = ds.gt(labels, calib)
        classes = (names[:, None] == np.array(self.classes)[None, :]).argmax(axis=1).astype(np.int64)
        return FrameMeta(labels, boxes.astype(np.float32), classes, calib, ds.image_shape(i), ds.road_plane(i))

    def __len__(self) -> int:
        return len(self.ids)

    def points(self, i: int) -> np.ndarray:
        """``(N, 4)`` float32 sweep of frame ``i`` (field of view only when the dataset crops to it)."""
        meta = self.meta[i]
        return self.dataset.points(i, meta.calib, meta.image_shape)


class FrameSplit:
    """Frames ``frames[indices]``: the training, validation or test frames of one run."""

    def __init__(self, frames: FrameSet, indices: np.ndarray, cache_points: bool = False):
        self.frames, self.indices = frames, np.asarray(indices, dtype=np.int64)
        self._cache: dict[int, np.ndarray] | None = {} if cache_points else None
        self._cached_bytes = 0

    def __len__(self) -> int:
        return len(self.indices)

    def meta(self, i: int) -> FrameMeta:
        return self.frames.meta[int(self.indices[i])]

    def frame_id(self, i: int) -> str:
        return self.frames.ids[int(self.indices[i])]

    def points(self, i: int) -> np.ndarray:
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        points = self.frames.points(int(self.indices[i]))
        if self._cache is not None and self._cached_bytes + points.nbytes <= POINT_CACHE_BYTES:
            self._cache[i] = points
            self._cached_bytes += points.nbytes
        return points


def road_height(plane: np.ndarray, calib: Calibration):
    """``centres (S, 3) -> (S,)``: the LiDAR z of the road plane ``(a, b, c, d)`` (rectified camera
    frame) below LiDAR points, as OpenPCDet's ``put_boxes_on_road_planes``: the points go to the
    camera frame, take the plane's y at their x and z, and come back."""
    a, b, c, d = (float(v) for v in plane)

    def height(centres: np.ndarray) -> np.ndarray:
        cam = calib.lidar_to_rect(np.asarray(centres, np.float64))
        cam[:, 1] = (-d - a * cam[:, 0] - c * cam[:, 2]) / b
        return calib.rect_to_lidar(cam)[:, 2]

    return height


def labelled_frames(n: int, fraction: float, seed: int) -> np.ndarray:
    """The run's labelled share of ``n`` training frames: ``round(fraction * n)`` of them (at least 2,
    at most all), drawn with ``seed``; sorted."""
    if fraction >= 1.0:
        return np.arange(n)
    count = min(n, max(2, int(round(fraction * n))))
    return np.sort(np.random.default_rng([seed, 13]).permutation(n)[:count])


@dataclass(frozen=True)
class Augmentation:
    """The training-frame augmentations (:mod:`strl.detection.pointpillars.augment`): world flip,
    rotation U(-rotation, rotation) and scaling U(*scaling) when ``world``; ground-truth sampling of
    ``sample_groups[c]`` objects per class from ``database`` when it is set."""

    world: bool = True
    rotation: float = np.pi / 4
    scaling: tuple[float, float] = (0.95, 1.05)
    database: object = None  # a strl.detection.pointpillars.gt_sampling.ObjectDatabase
    sample_groups: tuple[int, ...] = ()


class TrainFrames:
    """Training samples keyed by ``(index, epoch)``: ``{"points": (N, 4), "gt_boxes": (G, 7),
    "gt_classes": (G,)}`` tensors (LiDAR frame), augmented with draws keyed by ``(seed, epoch,
    index)``, points shuffled (OpenPCDet's ``shuffle_points``: a pillar keeps its first points)."""

    def __init__(self, split: FrameSplit, seed: int, augmentation: Augmentation):
        self.split, self.seed, self.aug = split, seed, augmentation

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, key):
        import torch

        from strl.detection.pointpillars.augment import draw_world_transform
        from strl.detection.pointpillars.gt_sampling import sample_into_frame

        i, epoch = key
        rng = np.random.default_rng([self.seed, epoch, i])
        meta = self.split.meta(i)
        points, boxes, classes = self.split.points(i), meta.boxes, meta.classes
        if self.aug.database is not None:
            ground = road_height(meta.road_plane, meta.calib) if meta.road_plane is not None else None
            points, boxes, classes = sample_into_frame(points, boxes, classes, self.aug.database, self.aug.sample_groups,
                                                       rng, ground)
        points, boxes = torch.from_numpy(np.ascontiguousarray(points)), torch.from_numpy(np.ascontiguousarray(boxes))
        if self.aug.world:
            gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
            transform = draw_world_transform(gen, self.aug.rotation, self.aug.scaling)
            points, boxes = transform.apply_points(points), transform.apply_boxes(boxes)
        order = torch.from_numpy(rng.permutation(len(points)))
        return {"points": points[order], "gt_boxes": boxes, "gt_classes": torch.from_numpy(np.asarray(classes, np.int64))}


def collate_frames(samples: list[dict]) -> dict:
    """A batch: ``points`` a list of ``(N_i, 4)`` tensors, ``gt_boxes (B, G, 7)`` and ``gt_classes (B, G)``
    padded with class -1."""
    from strl.detection.pointpillars import pad_boxes

    boxes, classes = pad_boxes([s["gt_boxes"] for s in samples], [s["gt_classes"] for s in samples])
    return {"points": [s["points"] for s in samples], "gt_boxes": boxes, "gt_classes": classes}
