"""KITTI overlaps: frame pairs, 2D IoU, DontCare cover, camera-frame BEV and 3D IoU, on hand-computed boxes."""

from __future__ import annotations

import math

import numpy as np
import torch

from strl.geometry.boxes import bev_of, corners_bev
from strl.metrics.kitti_overlaps import (bev_and_3d_iou_pairs, camera_boxes_3d, image_cover_pairs, image_iou_pairs,
                                         same_frame_pairs)


def test_same_frame_pairs_list_every_pair_of_a_frame():
    # b objects: frame 0 has 2 (0, 1), frame 1 none, frame 2 has 3 (2, 3, 4)
    a, b = same_frame_pairs(np.array([5, 7, 8]), np.array([0, 1, 2]), np.array([0, 2, 2, 5]))
    assert a.tolist() == [5, 5, 8, 8, 8] and b.tolist() == [0, 1, 2, 3, 4]
    a, b = same_frame_pairs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.array([0, 2]))
    assert a.shape == b.shape == (0,)


def test_image_iou_and_cover():
    a = np.array([[0.0, 0.0, 10.0, 10.0]] * 4)
    b = np.array([[5.0, 0.0, 15.0, 10.0], [10.0, 0.0, 20.0, 10.0], [0.0, 0.0, 10.0, 10.0], [2.0, 2.0, 4.0, 4.0]])
    np.testing.assert_allclose(image_iou_pairs(a, b), [1 / 3, 0.0, 1.0, 0.04])
    np.testing.assert_allclose(image_cover_pairs(a, b), [0.5, 0.0, 1.0, 0.04])
    np.testing.assert_allclose(image_cover_pairs(b[3:], a[3:]), [1.0])


def test_camera_boxes_map_onto_box7_with_the_devkit_corners():
    """The devkit's toPolygon: corner (u, v) at x = cos(ry) u + sin(ry) v, z = -sin(ry) u + cos(ry) v."""
    rng = np.random.default_rng(0)
    loc, dims, ry = rng.normal(0, 10, (6, 3)), rng.uniform(0.5, 5, (6, 3)), rng.uniform(-math.pi, math.pi, 6)
    boxes = camera_boxes_3d(loc, dims, ry)
    ours = corners_bev(bev_of(torch.from_numpy(boxes))).numpy()
    for k in range(6):
        l, w = dims[k, 2], dims[k, 1]
        c, s = math.cos(ry[k]), math.sin(ry[k])
        devkit = [(c * u + s * v + loc[k, 0], -s * u + c * v + loc[k, 2])
                  for u, v in ((l / 2, w / 2), (l / 2, -w / 2), (-l / 2, -w / 2), (-l / 2, w / 2))]
        for corner in devkit:
            assert np.abs(ours[k] - corner).sum(axis=1).min() < 1e-9
    # height: y down, bottom at y, so z-up spans [-y, h - y]
    np.testing.assert_allclose(boxes[:, 2] - boxes[:, 5] / 2, -loc[:, 1])
    np.testing.assert_allclose(boxes[:, 2] + boxes[:, 5] / 2, dims[:, 0] - loc[:, 1])


def test_3d_boxes_span_from_the_bottom_up():
    """Same BEV rectangle; y ranges [0.2, 1.7] and [0.2, 1.2]: 3D IoU 1 / 1.5 (a centred y would give 0.75 / 1.75)."""
    loc_g, dims_g = np.array([[1.0, 1.7, 20.0]] * 2), np.array([[1.5, 1.6, 3.9]] * 2)
    loc_d, dims_d = np.array([[1.0, 1.2, 20.0], [1.0, 3.3, 20.0]]), np.array([[1.0, 1.6, 3.9], [1.5, 1.6, 3.9]])
    bev, box3d = bev_and_3d_iou_pairs(loc_g, dims_g, np.array([0.3, 0.3]), loc_d, dims_d, np.array([0.3, 0.3]))
    np.testing.assert_allclose(bev, [1.0, 1.0])
    np.testing.assert_allclose(box3d, [2 / 3, 0.0])  # the second one only touches (y range [1.8, 3.3])


def test_rotated_bev_overlap_by_hand():
    """A 4 x 2 box turned by 90 degrees (along z, x in [-1, 1], z in [18, 22]) and a 2 x 2 box at z in [20.5, 22.5]."""
    bev, box3d = bev_and_3d_iou_pairs(np.array([[0.0, 1.7, 20.0]] * 2), np.array([[1.5, 2.0, 4.0]] * 2),
                                      np.array([math.pi / 2] * 2), np.array([[0.0, 1.7, 21.5], [9.0, 1.7, 20.0]]),
                                      np.array([[1.5, 2.0, 2.0]] * 2), np.array([0.0, 0.0]))
    np.testing.assert_allclose(bev, [1 / 3, 0.0], atol=1e-12)
    np.testing.assert_allclose(box3d, [1 / 3, 0.0], atol=1e-12)
    empty_bev, empty_3d = bev_and_3d_iou_pairs(*(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)) * 2)
    assert empty_bev.shape == empty_3d.shape == (0,)
