"""Labelled indoor scenes: the one interface of ScanNet, SUN RGB-D and the built-in rooms.

A :class:`Scene` is one room (or one RGB-D view) in an upright frame (z up, metres) with
per-point semantic and instance labels, oriented boxes and, where the data gives them, VoteNet's
per-point vote targets. A :class:`SceneSet` is a split of them with its class lists and VoteNet's
size clusters. Readers build every scene with :func:`make_scene`, which validates it and raises
:class:`~strl.errors.DataError` naming the file.

Boxes are ``box7`` = ``(cx, cy, cz, dx, dy, dz, heading)``: centre, full sizes, heading in radians
about +z, counter-clockwise seen from above, ``dx`` along the heading direction (the convention
of :mod:`strl.geometry`).

Votes (VoteNet's ``point_votes``): ``votes (N, 9)`` holds three offsets ``centre - point`` per
point (the same offset three times for a point inside one object; SUN RGB-D gives up to three
different ones for points inside overlapping boxes) and ``vote_mask (N,)`` marks the points that
lie on an object. ScanNet takes them from the instance labels (:func:`instance_vote_targets`), the
built-in rooms from the instance labels and the boxes, SUN RGB-D from ``<id>_votes.npz``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from strl.errors import DataError
from strl.formats.base import check_cloud
from strl.formats.io_utils import point_labels_copy


@dataclass
class Scene:
    """One labelled scene.

    points: ``(N, 3)`` float32, upright frame (z up), metres.
    colors: ``(N, 3)`` float32 in 0..1, or None.
    semantic: ``(N,)`` int64 index into the set's ``semantic_class_names``, -1 unlabelled / ignored.
    instance: ``(N,)`` int64 instance id, -1 for none.
    boxes: ``(K, 7)`` float32 ``box7`` (see the module docstring).
    box_classes: ``(K,)`` int64 index into the set's ``box_class_names``.
    name: the scene's name (file stem or generated name).
    votes: ``(N, 9)`` float32 vote offsets (``centre - point``, three of them), or None.
    vote_mask: ``(N,)`` bool, the points that vote (lie on an object), or None.
    """

    points: np.ndarray
    colors: np.ndarray | None
    semantic: np.ndarray
    instance: np.ndarray
    boxes: np.ndarray
    box_classes: np.ndarray
    name: str
    votes: np.ndarray | None = None
    vote_mask: np.ndarray | None = None


@runtime_checkable
class SceneSet(Protocol):
    """A split of labelled scenes.

    semantic_class_names: names of the semantic labels (empty when the data has none, SUN RGB-D).
    box_class_names: names of the box classes.
    mean_sizes: ``(len(box_class_names), 3)`` float32 mean full size ``(dx, dy, dz)`` per box class
        (VoteNet's size clusters).
    """

    semantic_class_names: list[str]
    box_class_names: list[str]
    mean_sizes: np.ndarray

    def __len__(self) -> int: ...

    def scene(self, i: int) -> Scene: ...


def wrap_angle(angle):
    """Angles (a number or an array) wrapped to ``[-pi, pi)``."""
    return angle - np.floor(angle / (2 * np.pi) + 0.5) * (2 * np.pi)


def is_scene_set(data) -> bool:
    """Whether ``data`` is a :class:`SceneSet` (it has ``scene()`` and box classes)."""
    return hasattr(data, "scene") and hasattr(data, "box_class_names")


def read_array(path: os.PathLike, key: str | None = None, what: str = "array") -> np.ndarray:
    """The ``.npy`` at ``path``, or member ``key`` of the ``.npz`` at ``path``; DataError if it is
    missing, unreadable, not numeric or lacks ``key``."""
    try:
        if key is None:
            arr = np.load(path, allow_pickle=False)
        else:
            with np.load(path, allow_pickle=False) as npz:
                if key not in npz.files:
                    raise DataError(path, f"has no key {key!r} (keys: {', '.join(npz.files) or 'none'})")
                arr = npz[key]
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(path, f"{what} file is missing") from None
    except (OSError, ValueError, EOFError) as e:
        raise DataError(path, f"cannot read {what} ({type(e).__name__}: {e})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fiub":
        raise DataError(path, f"{what} is not a numeric array")
    return arr


def _check_boxes(boxes, classes, num_classes: int, path) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 7)
    if boxes.ndim != 2 or boxes.shape[1] != 7:
        raise DataError(path, f"boxes have shape {boxes.shape}, expected (K, 7)")
    classes = np.asarray(classes)
    if classes.shape != (len(boxes),):
        raise DataError(path, f"{len(boxes)} boxes but {classes.shape} box classes")
    if not np.isfinite(boxes).all():
        bad = np.flatnonzero(~np.isfinite(boxes).all(axis=1))
        raise DataError(path, f"box(es) {bad[:5].tolist()} hold NaN or inf")
    small = np.flatnonzero((boxes[:, 3:6] <= 0).any(axis=1))
    if small.size:
        raise DataError(path, f"box(es) {small[:5].tolist()} have non-positive sizes, "
                              f"e.g. {boxes[small[0], 3:6].tolist()}")
    if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
        raise DataError(path, f"box classes span {classes.min()}..{classes.max()}, expected 0..{num_classes - 1}")
    return boxes.astype(np.float32), classes.astype(np.int64)


def _check_labels(raw, n: int, num_classes: int | None, path, what: str) -> np.ndarray:
    labels = point_labels_copy(raw, path, n, what)
    hi = num_classes - 1 if num_classes is not None else None
    if labels.size and (labels.min() < -1 or (hi is not None and labels.max() > hi)):
        raise DataError(path, f"{what} span {labels.min()}..{labels.max()}, expected -1..{hi}")
    return labels


def make_scene(path, name: str, points, *, semantic=None, instance=None, boxes=None, box_classes=None,
               colors=None, votes=None, vote_mask=None, num_semantic: int = 0, num_box_classes: int = 0,
               box_path=None) -> Scene:
    """A validated :class:`Scene`; every problem raises DataError naming ``path``.

    ``points`` ``(N, 3+)`` (extra columns ignored); ``semantic`` / ``instance`` ``(N,)`` integers
    (None: all -1); ``semantic`` must lie in ``-1..num_semantic-1``; ``boxes`` ``(K, 7)`` finite
    with positive sizes and ``box_classes`` in ``0..num_box_classes-1``; ``colors`` ``(N, 3)``
    in 0..1; ``votes`` ``(N, 9)`` with ``vote_mask`` ``(N,)``. Problems of the boxes name
    ``box_path`` when it is given (the boxes' own file).
    """
    xyz = check_cloud(points, path, "points")
    n = len(xyz)
    none = np.full(n, -1, dtype=np.int64)
    sem = none if semantic is None else _check_labels(semantic, n, num_semantic, path, "semantic labels")
    ins = none.copy() if instance is None else _check_labels(instance, n, None, path, "instance labels")
    box, cls = _check_boxes(np.zeros((0, 7)) if boxes is None else boxes,
                            np.zeros(0, np.int64) if box_classes is None else box_classes, num_box_classes,
                            path if box_path is None else box_path)
    if colors is not None:
        colors = np.asarray(colors, dtype=np.float32)
        if colors.shape != (n, 3):
            raise DataError(path, f"colours have shape {colors.shape}, expected ({n}, 3)")
        if not np.isfinite(colors).all() or colors.min() < 0 or colors.max() > 1:
            raise DataError(path, "colours must be finite and in 0..1")
    if votes is not None:
        votes = np.asarray(votes, dtype=np.float32)
        vote_mask = np.asarray(vote_mask).astype(bool)
        if votes.shape != (n, 9) or vote_mask.shape != (n,):
            raise DataError(path, f"votes have shape {votes.shape} and mask {vote_mask.shape}, "
                                  f"expected ({n}, 9) and ({n},)")
        if not np.isfinite(votes).all():
            raise DataError(path, "votes hold NaN or inf")
    return Scene(xyz, colors, sem, ins, box, cls, name, votes, vote_mask)


def instance_vote_targets(points: np.ndarray, instance: np.ndarray,
                          voting: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """VoteNet's ScanNet vote targets: each point of a voting instance votes for the centre of the
    axis-aligned extent of that instance's points.

    points ``(N, 3)``; instance ``(N,)`` int ids (-1 none); voting ``(N,)`` bool, the points whose
    instance votes (VoteNet: instances of a detection class). Returns ``votes (N, 9)`` float32
    (the offset three times) and ``vote_mask (N,)`` bool.
    """
    mask = np.asarray(voting, bool) & (instance >= 0)
    votes = np.zeros((len(points), 9), dtype=np.float32)
    if mask.any():
        ids, inverse = np.unique(instance[mask], return_inverse=True)
        pts = points[mask].astype(np.float64)
        lo = np.full((len(ids), 3), np.inf)
        hi = np.full((len(ids), 3), -np.inf)
        np.minimum.at(lo, inverse, pts)
        np.maximum.at(hi, inverse, pts)
        offsets = (lo + hi)[inverse] / 2 - pts
        votes[mask] = np.tile(offsets, 3)
    return votes, mask


def box_vote_targets(points: np.ndarray, instance: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vote targets when instance ``k < K`` is the object of ``boxes[k]``: each of its points votes
    for that box's centre. points ``(N, 3)``, instance ``(N,)``, boxes ``(K, 7)``; returns
    ``votes (N, 9)`` float32 and ``vote_mask (N,)`` bool (points of instances ``0..K-1``)."""
    mask = (instance >= 0) & (instance < len(boxes))
    votes = np.zeros((len(points), 9), dtype=np.float32)
    votes[mask] = np.tile(boxes[instance[mask], :3] - points[mask], 3)
    return votes, mask


def rectangle_corners(boxes: np.ndarray) -> np.ndarray:
    """Corners ``(..., 4, 2)`` of rectangles ``(..., 5)`` = ``(cx, cy, dx, dy, heading)`` (a box seen
    from above), counter-clockwise from the front-left one (``+x`` side first)."""
    half = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]]) * boxes[..., None, 2:4]
    c, s = np.cos(boxes[..., 4])[..., None], np.sin(boxes[..., 4])[..., None]
    x = half[..., 0] * c - half[..., 1] * s
    y = half[..., 0] * s + half[..., 1] * c
    return np.stack([x, y], axis=-1) + boxes[..., None, :2]


def points_in_boxes(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``(N, K)`` bool: whether each point of ``(N, 3)`` lies in (or on) each ``box7`` of ``(K, 7)``
    (numpy, for readers and checks; training code has :mod:`strl.geometry`)."""
    rel = points[:, None, :] - boxes[None, :, :3]
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    local = np.stack([rel[..., 0] * c + rel[..., 1] * s, -rel[..., 0] * s + rel[..., 1] * c, rel[..., 2]], axis=-1)
    return (np.abs(local) <= boxes[None, :, 3:6] / 2).all(axis=-1)
