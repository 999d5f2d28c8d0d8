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
  (``d3_box_overlap_kernel``); the volume is ``h w l``.

The devkit ports compute the rotated intersection in float32 on the GPU (``rotate_iou_gpu_eval``);
here everything is float64, as in the C++ devkit.
"""

from __future__ import annotations

import numpy as np
import torch

from strl.geometry.iou import bev_intersection


def camera_bev_boxes(location: np.ndarray, dimensions: np.ndarray, rotation_y: np.ndarray) -> np.ndarray:
    """Camera-frame label boxes as ``box5`` ``(K, 5)`` = ``(x, z, l, w, -ry)`` (see the module docstring)."""
    return np.stack([location[:, 0], location[:, 2], dimensions[:, 2], dimensions[:, 1], -rotation_y], axis=1)


def image_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap areas of 2D boxes ``(N, 4), (M, 4) -> (N, M)``; 0 unless both widths and heights are > 0."""
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.where((iw > 0) & (ih > 0), iw * ih, 0.0)


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _ratio(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    """``inter / union`` where ``inter > 0`` (and the union is then positive), else 0."""
    ok = inter > 0
    return np.where(ok, inter / np.where(ok, union, 1.0), 0.0)


def image_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of 2D image boxes ``(N, 4), (M, 4) -> (N, M)`` (``image_box_overlap``, criterion -1)."""
    inter = image_intersection(a, b)
    return _ratio(inter, _area(a)[:, None] + _area(b)[None, :] - inter)


def dontcare_cover(boxes: np.ndarray, dontcare: np.ndarray) -> np.ndarray:
    """Largest share of each box's own area covered by one DontCare box: ``(D, 4), (C, 4) -> (D,)``.

    The devkit's DontCare rule divides the overlap by the detection's area (criterion 0).
    """
    if len(boxes) == 0 or len(dontcare) == 0:
        return np.zeros(len(boxes))
    return _ratio(image_intersection(boxes, dontcare), _area(boxes)[:, None]).max(axis=1)


def bev_and_3d_iou(gt_location: np.ndarray, gt_dimensions: np.ndarray, gt_rotation_y: np.ndarray,
                   dt_location: np.ndarray, dt_dimensions: np.ndarray, dt_rotation_y: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """BEV and 3D IoU of all ground-truth / detection pairs of one frame: two ``(G, D)`` arrays.

    The rotated intersection is computed once, for all ``G x D`` pairs at once, and serves both.
    """
    gt5 = camera_bev_boxes(gt_location, gt_dimensions, gt_rotation_y)
    dt5 = camera_bev_boxes(dt_location, dt_dimensions, dt_rotation_y)
    inter = bev_intersection(torch.from_numpy(gt5), torch.from_numpy(dt5)).numpy()
    bev = _ratio(inter, (gt5[:, 2] * gt5[:, 3])[:, None] + (dt5[:, 2] * dt5[:, 3])[None, :] - inter)
    gt_y, gt_h = gt_location[:, 1, None], gt_dimensions[:, 0, None]
    dt_y, dt_h = dt_location[None, :, 1], dt_dimensions[None, :, 0]
    height = np.minimum(gt_y, dt_y) - np.maximum(gt_y - gt_h, dt_y - dt_h)
    inter_3d = np.where(height > 0, inter * height, 0.0)
    volume_gt = np.prod(gt_dimensions, axis=1)[:, None]
    volume_dt = np.prod(dt_dimensions, axis=1)[None, :]
    return bev, _ratio(inter_3d, volume_gt + volume_dt - inter_3d)
