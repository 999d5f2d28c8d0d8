"""OpenPCDet's world augmentations of a LiDAR training frame, on points and boxes together.

OpenPCDet's KITTI PointPillar applies, after the optional ground-truth sampling
(:mod:`strl.detection.pointpillars.gt_sampling`), in this order:

- ``random_world_flip`` along x (p 0.5): y -> -y, heading -> -heading;
- ``random_world_rotation`` by U(-pi/4, pi/4) about +z: points and box centres turn, heading += angle;
- ``random_world_scaling`` by U(0.95, 1.05): points, centres and sizes scale.

That is the similarity transform ``x -> s R(angle) F x`` of
:class:`strl.detection.votenet.augment.SceneTransform` (``flip_y`` is OpenPCDet's flip along x);
headings come out wrapped into [-pi, pi) as OpenPCDet's ``limit_period`` leaves them. Then
``mask_points_and_boxes_outside_range`` drops the boxes whose centre leaves the point-cloud range
(:func:`boxes_in_range`; the points outside it never make a pillar).
"""

from __future__ import annotations

import math

import torch

from strl.detection.votenet.augment import SceneTransform

KITTI_ROTATION = math.pi / 4  # WORLD_ROT_ANGLE [-0.78539816, 0.78539816]
KITTI_SCALING = (0.95, 1.05)  # WORLD_SCALE_RANGE


def draw_world_transform(generator: torch.Generator, rotation: float = KITTI_ROTATION,
                         scaling: tuple[float, float] = KITTI_SCALING, flip: bool = True) -> SceneTransform:
    """Flip along x with p 0.5 (when ``flip``), turn by U(-rotation, rotation), scale by U(*scaling)."""
    u = torch.rand(3, generator=generator, dtype=torch.float64).tolist()
    return SceneTransform(flip_x=False, flip_y=flip and u[0] < 0.5, angle=(2 * u[1] - 1) * rotation,
                          scale=scaling[0] + (scaling[1] - scaling[0]) * u[2])


def boxes_in_range(boxes: torch.Tensor, point_cloud_range) -> torch.Tensor:
    """``(K,)`` bool: boxes ``(K, 7)`` whose centre lies in ``point_cloud_range`` (bounds included), as
    OpenPCDet's ``mask_boxes_outside_range_numpy`` with ``USE_CENTER_TO_FILTER``."""
    r = boxes.new_tensor(point_cloud_range)
    return ((boxes[:, :3] >= r[:3]) & (boxes[:, :3] <= r[3:])).all(dim=1)
