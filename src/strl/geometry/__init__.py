"""Box geometry shared by the detection tasks: layouts, corners, exact IoU, NMS.

Box layouts are described in :mod:`strl.geometry.boxes`.
"""

from strl.geometry.boxes import (
    bev_of,
    boxes_to_aabb,
    corners_3d,
    corners_bev,
    limit_period,
    points_in_boxes,
)
from strl.geometry.iou import (
    aabb_iou,
    aabb_iou_2d,
    bev_intersection,
    bev_iou,
    bev_iou_pairs,
    iou_3d,
    iou_3d_pairs,
)
from strl.geometry.nms import nms

__all__ = [
    "aabb_iou",
    "aabb_iou_2d",
    "bev_intersection",
    "bev_iou",
    "bev_iou_pairs",
    "bev_of",
    "boxes_to_aabb",
    "corners_3d",
    "corners_bev",
    "iou_3d",
    "iou_3d_pairs",
    "limit_period",
    "nms",
    "points_in_boxes",
]
