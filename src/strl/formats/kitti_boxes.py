"""KITTI boxes between the camera (label) convention and LiDAR ``box7``, and their image boxes.

* Label (camera) box: ``location`` = the **bottom centre** in rectified camera coordinates,
  ``dimensions`` = ``(h, w, l)``, ``rotation_y`` about the camera y axis (y points down).
* LiDAR ``box7``: ``(x, y, z, dx, dy, dz, heading)``, the box **centre** in the LiDAR frame,
  ``(dx, dy, dz) = (l, w, h)``, heading about +z (OpenPCDet's convention, see ``strl.geometry``).

Conversions (OpenPCDet ``box_utils.boxes3d_kitti_camera_to_lidar`` and back)::

    xyz = rect_to_lidar(location); z += h / 2; heading = -(ry + pi / 2)
    z -= dz / 2; location = lidar_to_rect(xyz); ry = -heading - pi / 2

Angles are not wrapped, as in OpenPCDet; the KITTI evaluator only takes their cosines and sines.
"""

from __future__ import annotations

import numpy as np

from strl.formats.kitti_calib import Calibration
from strl.formats.kitti_labels import KittiLabels

__all__ = [
    "alpha_from_lidar", "camera_box_corners", "camera_boxes_to_lidar", "image_boxes", "labels_to_lidar_boxes",
    "lidar_boxes_to_camera", "predictions_to_labels",
]


def camera_boxes_to_lidar(location: np.ndarray, dimensions: np.ndarray, rotation_y: np.ndarray,
                          calib: Calibration) -> np.ndarray:
    """Label boxes -> ``(K, 7)`` float64 LiDAR boxes.

    location ``(K, 3)`` bottom centres (rect), dimensions ``(K, 3)`` h, w, l, rotation_y ``(K,)``.
    """
    location = np.asarray(location, np.float64).reshape(-1, 3)
    h, w, l = np.asarray(dimensions, np.float64).reshape(-1, 3).T
    xyz = calib.rect_to_lidar(location)
    xyz[:, 2] += h / 2
    heading = -(np.asarray(rotation_y, np.float64).reshape(-1) + np.pi / 2)
    return np.column_stack([xyz, l, w, h, heading])


def lidar_boxes_to_camera(boxes: np.ndarray, calib: Calibration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(K, 7)`` LiDAR boxes -> (location ``(K, 3)`` bottom centres, dimensions ``(K, 3)`` h w l,
    rotation_y ``(K,)``), float64."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 7)
    bottom = boxes[:, :3].copy()
    bottom[:, 2] -= boxes[:, 5] / 2
    location = calib.lidar_to_rect(bottom)
    dimensions = boxes[:, [5, 4, 3]]
    return location, dimensions, -boxes[:, 6] - np.pi / 2


def labels_to_lidar_boxes(labels: KittiLabels, calib: Calibration) -> np.ndarray:
    """All objects of ``labels`` as ``(K, 7)`` float64 LiDAR boxes (DontCare rows are meaningless)."""
    return camera_boxes_to_lidar(labels.location, labels.dimensions, labels.rotation_y, calib)


def alpha_from_lidar(boxes: np.ndarray, rotation_y: np.ndarray) -> np.ndarray:
    """Observation angle of LiDAR boxes ``(K, 7)``: ``-atan2(-y, x) + ry`` (OpenPCDet), ``(K,)``."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 7)
    return -np.arctan2(-boxes[:, 1], boxes[:, 0]) + np.asarray(rotation_y, np.float64)


def camera_box_corners(location: np.ndarray, dimensions: np.ndarray, rotation_y: np.ndarray) -> np.ndarray:
    """The 8 corners ``(K, 8, 3)`` of label boxes in rectified camera coordinates.

    Corners 0-3 are the bottom face (y = location y), 4-7 the top (y - h); ``l`` runs along the
    box's x axis and ``w`` along its z axis before the rotation ``ry`` about y.
    """
    location = np.asarray(location, np.float64).reshape(-1, 3)
    h, w, l = (d[:, None] for d in np.asarray(dimensions, np.float64).reshape(-1, 3).T)
    sx = np.array([1, 1, -1, -1, 1, 1, -1, -1]) / 2
    sz = np.array([1, -1, -1, 1, 1, -1, -1, 1]) / 2
    x, z = l * sx, w * sz
    y = -h * np.array([0, 0, 0, 0, 1, 1, 1, 1])
    ry = np.asarray(rotation_y, np.float64).reshape(-1, 1)
    c, s = np.cos(ry), np.sin(ry)
    corners = np.stack([c * x + s * z, y, -s * x + c * z], axis=-1)  # rotation about y by ry
    return corners + location[:, None, :]


def image_boxes(location: np.ndarray, dimensions: np.ndarray, rotation_y: np.ndarray, calib: Calibration,
                image_shape) -> np.ndarray:
    """2D boxes ``(K, 4)`` (left, top, right, bottom): the min/max of the 8 projected corners, clipped
    to ``[0, width - 1] x [0, height - 1]`` of ``image_shape = (height, width)``
    (OpenPCDet ``boxes3d_kitti_camera_to_imageboxes``). Corners behind the camera are projected
    as they are, as there."""
    corners = camera_box_corners(location, dimensions, rotation_y)
    uv = calib.rect_to_image(corners.reshape(-1, 3)).reshape(-1, 8, 2)
    height, width = image_shape
    lo, hi = uv.min(axis=1), uv.max(axis=1)
    box = np.concatenate([lo, hi], axis=1)
    box[:, [0, 2]] = np.clip(box[:, [0, 2]], 0, width - 1)
    box[:, [1, 3]] = np.clip(box[:, [1, 3]], 0, height - 1)
    return box


def predictions_to_labels(boxes: np.ndarray, scores: np.ndarray, names, calib: Calibration,
                          image_shape) -> KittiLabels:
    """Detections as a results :class:`KittiLabels` (what OpenPCDet writes for KITTI).

    boxes ``(k, 7)`` LiDAR boxes, scores ``(k,)``, names ``(k,)`` class names; ``image_shape`` is
    image_2's ``(height, width)``. Location = bottom centre (rect), dimensions h w l, rotation_y,
    alpha from the LiDAR box, the projected and clipped 2D box; truncated and occluded are -1.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 7)
    k = len(boxes)
    location, dimensions, rotation_y = lidar_boxes_to_camera(boxes, calib)
    return KittiLabels(
        name=np.asarray(names, dtype=str).reshape(k),
        truncated=np.full(k, -1.0),
        occluded=np.full(k, -1, dtype=np.int64),
        alpha=alpha_from_lidar(boxes, rotation_y),
        bbox=image_boxes(location, dimensions, rotation_y, calib, image_shape),
        dimensions=dimensions,
        location=location,
        rotation_y=rotation_y,
        score=np.asarray(scores, np.float64).reshape(k),
    )
