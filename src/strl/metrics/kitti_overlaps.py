"""Overlaps of the KITTI object evaluation: 2D image IoU, camera-frame BEV IoU and 3D IoU.

All boxes are KITTI label boxes in rectified camera coordinates (x right, y down, z forward):
``location`` ``(K, 3)`` is the bottom centre, ``dimensions`` ``(K, 3)`` is ``h, w, l``, and
``rotation_y`` ``(K,)`` turns the box about the camera y axis.

* **bbox**: IoU of the 2D image boxes ``(left, top, right, bottom)``.
* **bev**: IoU of the rotated rectangles ``(x, z, l, w, ry)`` in the camera x-z plane. The devkit
  (``toPolygon``) places a corner ``(u, v)`` of the box frame (u along l, v along w) at
  ``x = cos(ry) u + sin(ry) v``, ``z = -sin(ry) u + cos(ry) v``: a clockwise turn by ``ry`` in
  (x, z) coordinates. :mod:`strl.geometry`'s ``box5`` turns counter-clockwise by its heading, so a
  camera box maps onto ``box5 = (x, z, l, w, -ry)`` -- the same rectangle, for ground truth and
  detections alike.
* **3d**: BEV intersection times the overlap of the height ranges, over the union volume. A box
  spans ``[y - h, y]`` because y points down and the location is the bottom centre
  (``d3_box_overlap_kernel``). In the z-up frame ``(x, z, -y)`` -- a rotation of the camera frame,
  no reflection -- that is :mod:`strl.geometry`'s ``box7 = (x, z, h/2 - y, l, w, h, -ry)``.

The overlaps are computed for lists of matched pairs (all ground-truth x detection pairs of every
frame at once, see :func:`same_frame_pairs`). The devkit ports compute the rotated intersection in
float32 on the GPU (``rotate_iou_gpu_eval``); here everything is float64, as in the C++ devkit.
"""

from __future__ import annotations

import numpy as np
import torch

from strl.geometry.boxes import bev_of
from strl.geometry.iou import bev_iou_pairs, iou_3d_pairs


def same_frame_pairs(a_index: np.ndarray, a_frame: np.ndarray, b_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of an ``a`` object with a ``b`` object of its frame: ``(P,)`` indices into each side.

    a_index, a_frame: ``(N,)`` the ``a`` objects and their frames; b_starts ``(F + 1,)``: the ``b``
    objects of frame ``f`` are ``b_starts[f]:b_starts[f + 1]``. Pairs come in ``a`` order, then ``b``.
    """
    first, counts = b_starts[a_frame], b_starts[a_frame + 1] - b_starts[a_frame]
    ends = np.cumsum(counts)
    offset = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)
    return np.repeat(a_index, counts), np.repeat(first, counts) + offset


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap areas of matched 2D boxes ``(P, 4), (P, 4) -> (P,)``; 0 unless width and height are > 0."""
    iw = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    ih = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    return np.where((iw > 0) & (ih > 0), iw * ih, 0.0)


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _ratio(inter: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``inter / whole`` where ``inter > 0`` (then ``whole`` is positive), else 0."""
    ok = inter > 0
    return np.where(ok, inter / np.where(ok, whole, 1.0), 0.0)


def image_iou_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of matched 2D image boxes ``(P, 4), (P, 4) -> (P,)`` (``image_box_overlap``, criterion -1)."""
    inter = _intersection(a, b)
    return _ratio(inter, _area(a) + _area(b) - inter)


def image_cover_pairs(boxes: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Share of each box's own area inside its matched region: ``(P, 4), (P, 4) -> (P,)``.

    The devkit's DontCare rule: overlap over the detection's area (criterion 0).
    """
    return _ratio(_intersection(boxes, regions), _area(boxes))


def camera_boxes_3d(location: np.ndarray, dimensions: np.ndarray, rotation_y: np.ndarray) -> np.ndarray:
    """Camera-frame label boxes as z-up ``box7`` ``(K, 7)`` = ``(x, z, h/2 - y, l, w, h, -ry)``.

    Their bird's-eye view (``strl.geometry.boxes.bev_of``) is ``box5 = (x, z, l, w, -ry)``.
    """
    h = dimensions[:, 0]
    return np.stack([location[:, 0], location[:, 2], h / 2 - location[:, 1], dimensions[:, 2], dimensions[:, 1], h,
                     -rotation_y], axis=1)


def bev_and_3d_iou_pairs(location_a: np.ndarray, dimensions_a: np.ndarray, rotation_y_a: np.ndarray,
                         location_b: np.ndarray, dimensions_b: np.ndarray, rotation_y_b: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """BEV IoU and 3D IoU of matched camera-frame boxes (``(P, 3)``, ``(P, 3)``, ``(P,)`` per side): two ``(P,)``.

    Only pairs whose centres are closer than the sum of their half diagonals can meet, and only
    those that meet in BEV can meet in 3D; the others are 0 without being handed to the clipper.
    """
    a, b = camera_boxes_3d(location_a, dimensions_a, rotation_y_a), camera_boxes_3d(location_b, dimensions_b, rotation_y_b)
    reach = (np.hypot(a[:, 3], a[:, 4]) + np.hypot(b[:, 3], b[:, 4])) / 2
    near = np.flatnonzero(np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]) <= reach * (1 + 1e-9))
    bev, box3d = np.zeros(len(a)), np.zeros(len(a))
    near_a, near_b = torch.from_numpy(a[near]), torch.from_numpy(b[near])
    bev[near] = bev_iou_pairs(bev_of(near_a), bev_of(near_b)).numpy()
    meet = np.flatnonzero(bev[near] > 0)
    box3d[near[meet]] = iou_3d_pairs(near_a[meet], near_b[meet]).numpy()
    return bev, box3d
