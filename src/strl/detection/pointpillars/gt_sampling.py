"""Ground-truth sampling (OpenPCDet's ``gt_sampling`` / ``DataBaseSampler``), vectorised.

A database holds every labelled object of the labelled training frames with the points inside its
box (OpenPCDet's ``kitti_dbinfos_train.pkl``), without the objects of unknown difficulty
(``filter_by_difficulty: [-1]``) and those with fewer points than their class's minimum
(``filter_by_min_points``: 5 for Car, Pedestrian and Cyclist). Each training frame then receives
up to ``sample_groups[c]`` objects of class ``c`` in all (15 each for KITTI): objects are drawn
without replacement, kept where they stand in their own frame (moved in z onto the frame's road
plane when it has one, ``USE_ROAD_PLANE``), dropped when their BEV box overlaps a box of the frame
or another drawn box, and pasted: the frame's points inside the pasted boxes are removed and the
objects' points added.

Two simplifications, both of the bookkeeping only: the draws come from the frame's own generator
(seeded by run, epoch and frame) instead of OpenPCDet's shuffled pointer through the database, and
the classes are drawn together, so a box that overlaps a drawn box of another class is dropped
too (OpenPCDet checks the classes in turn, the later against the kept earlier ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import torch

from strl.geometry import bev_iou, bev_of, points_in_boxes

KITTI_SAMPLE_GROUPS = {"Car": 15, "Pedestrian": 15, "Cyclist": 15}
KITTI_MIN_POINTS = {"Car": 5, "Pedestrian": 5, "Cyclist": 5}


@dataclass
class ObjectDatabase:
    """``M`` objects: ``boxes (M, 7)`` float32, ``classes (M,)`` int64, and the points inside each box,
    ``points[offsets[m]:offsets[m + 1]]`` of ``points (P, C)`` float32 (``offsets (M + 1,)``)."""

    boxes: np.ndarray
    classes: np.ndarray
    points: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    def object_points(self, chosen: np.ndarray) -> np.ndarray:
        """The points of objects ``chosen (S,)`` concatenated, in that order: ``(sum n, C)``."""
        counts = self.offsets[chosen + 1] - self.offsets[chosen]
        starts = np.repeat(self.offsets[chosen] - np.cumsum(counts) + counts, counts)
        return self.points[starts + np.arange(int(counts.sum()))]


def frame_objects(points: np.ndarray, boxes: np.ndarray, classes: np.ndarray, min_points: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One frame's objects with at least ``min_points[class]`` points inside their box: boxes ``(k, 7)``,
    classes ``(k,)``, their points concatenated object by object ``(n, C)`` and the count of each ``(k,)``.
    ``points (N, C)``, ``boxes (G, 7)``, ``classes (G,)``."""
    inside = points_in_boxes(torch.from_numpy(points[:, :3]), torch.from_numpy(boxes)).numpy()  # (N, G)
    count = inside.sum(axis=0)
    keep = count >= min_points[classes]
    point_idx, box_idx = np.nonzero(inside[:, keep])
    order = np.argsort(box_idx, kind="stable")
    return boxes[keep], classes[keep], points[point_idx[order]], count[keep]


def build_database(frames: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], min_points) -> ObjectDatabase:
    """The database of ``frames``: ``(points (N, C), boxes (G, 7), classes (G,))`` each (objects of
    unknown difficulty already left out); ``min_points[c]`` per class index."""
    min_points = np.asarray(min_points, dtype=np.int64)
    parts = [frame_objects(p, b.astype(np.float32), c.astype(np.int64), min_points) for p, b, c in frames]
    if not parts:
        return ObjectDatabase(np.zeros((0, 7), np.float32), np.zeros(0, np.int64), np.zeros((0, 4), np.float32),
                              np.zeros(1, np.int64))
    boxes, classes, points, counts = (np.concatenate(column) for column in zip(*parts))
    return ObjectDatabase(boxes.astype(np.float32), classes.astype(np.int64), points.astype(np.float32),
                          np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def draw_objects(db: ObjectDatabase, frame_classes: np.ndarray, sample_groups: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Indices into ``db`` of the candidates for one frame: for each class ``c``, ``sample_groups[c]``
    minus the frame's objects of that class, at most the database's objects of it, without replacement."""
    have = np.bincount(frame_classes.astype(np.int64), minlength=len(sample_groups))[: len(sample_groups)]
    chosen = []
    for c, want in enumerate(np.maximum(np.asarray(sample_groups) - have, 0)):
        pool = np.flatnonzero(db.classes == c)
        if want and len(pool):
            chosen.append(rng.choice(pool, size=min(int(want), len(pool)), replace=False))
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)


def collision_free(candidates: np.ndarray, existing: np.ndarray) -> np.ndarray:
    """``(S,)`` bool: candidate boxes ``(S, 7)`` whose BEV box overlaps no ``existing (G, 7)`` box and no
    other candidate."""
    cand = bev_of(torch.from_numpy(candidates).double())
    with_frame = bev_iou(cand, bev_of(torch.from_numpy(existing).double())).amax(dim=1) if len(existing) else torch.zeros(len(cand))
    among = bev_iou(cand, cand).fill_diagonal_(0).amax(dim=1) if len(cand) else torch.zeros(0)
    return ((with_frame <= 0) & (among <= 0)).numpy()


def sample_into_frame(points: np.ndarray, boxes: np.ndarray, classes: np.ndarray, db: ObjectDatabase,
                      sample_groups, rng: np.random.Generator,
                      ground_height: Callable[[np.ndarray], np.ndarray] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame with sampled objects pasted: ``(points (N', C), boxes (G', 7), classes (G',))``, the
    pasted objects' points first (as OpenPCDet).

    ``ground_height(centres (S, 3)) -> (S,)``: the road's z under each pasted box's centre (the
    frame's road plane); each pasted object is moved in z so that its box stands on it, points alike.
    """
    chosen = draw_objects(db, classes, np.asarray(sample_groups), rng)
    if len(chosen) == 0:
        return points, boxes, classes
    chosen = chosen[collision_free(db.boxes[chosen], boxes)]
    if len(chosen) == 0:
        return points, boxes, classes
    new_boxes = db.boxes[chosen].copy()
    new_points = db.object_points(chosen).copy()
    if ground_height is not None:
        lift = ground_height(new_boxes[:, :3]) - (new_boxes[:, 2] - new_boxes[:, 5] / 2)
        new_boxes[:, 2] += lift
        counts = db.offsets[chosen + 1] - db.offsets[chosen]
        new_points[:, 2] += np.repeat(lift, counts)
    covered = points_in_boxes(torch.from_numpy(points[:, :3]), torch.from_numpy(new_boxes)).any(dim=1).numpy()
    return (np.concatenate([new_points, points[~covered]]).astype(points.dtype),
            np.concatenate([boxes, new_boxes]).astype(boxes.dtype),
            np.concatenate([classes, db.classes[chosen]]).astype(classes.dtype))


def kitti_difficulty(height: np.ndarray, truncated: np.ndarray, occluded: np.ndarray) -> np.ndarray:
    """OpenPCDet's object level (``object3d_kitti.get_kitti_obj_level``): 0 easy, 1 moderate, 2 hard,
    -1 unknown, from the 2D box height ``bottom - top + 1`` (px), truncation and occlusion ``(K,)``."""
    level = np.full(len(height), -1, dtype=np.int64)
    levels = ((40, 0.15, 0), (25, 0.3, 1), (25, 0.5, 2))  # easy, moderate, hard: min height, max truncation, max occlusion
    for value in (2, 1, 0):  # the easiest level an object meets wins
        min_height, max_truncation, max_occlusion = levels[value]
        level[(height >= min_height) & (truncated <= max_truncation) & (occluded <= max_occlusion)] = value
    return level
