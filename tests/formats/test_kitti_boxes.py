"""KITTI boxes: label <-> LiDAR box7, alpha, corners and projected 2D boxes, against hand-made cases."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from strl.formats.kitti_boxes import (
    alpha_from_lidar, camera_box_corners, camera_boxes_to_lidar, image_boxes, labels_to_lidar_boxes,
    lidar_boxes_to_camera, predictions_to_labels,
)
from strl.formats.kitti_calib import Calibration, read_calibration
from strl.formats.kitti_labels import read_label_file, write_label_file

sys.path.insert(0, os.path.dirname(__file__))
from kitti_fixtures import CALIB_TEXT, IMAGE_SIZE, LABEL_LINES  # noqa: E402

# LiDAR (x fwd, y left, z up) -> camera (x right, y down, z fwd), shifted; no rectification
AXES = np.array([[0.0, -1, 0], [0, 0, -1], [1, 0, 0]])
IDEAL = Calibration(P2=np.array([[100.0, 0, 50, 0], [0, 100, 40, 0], [0, 0, 1, 0]]), R0_rect=np.eye(3),
                    Tr_velo_to_cam=np.hstack([AXES, [[0.1], [-0.2], [0.3]]]))


def lidar_corners(box):
    """The 8 corners of one LiDAR box7, written out independently."""
    x, y, z, dx, dy, dz, h = box
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) / 2
    local = signs * [dx, dy, dz]
    rot = np.array([[np.cos(h), -np.sin(h), 0], [np.sin(h), np.cos(h), 0], [0, 0, 1]])
    return local @ rot.T + [x, y, z]


def test_label_to_lidar_by_hand():
    # a car 10 m ahead of the camera, bottom at camera y = 1.5, facing the camera x axis (ry = 0)
    box = camera_boxes_to_lidar([[2.0, 1.5, 10.0]], [[1.6, 1.8, 4.0]], [0.0], IDEAL)
    lidar_bottom = np.linalg.solve(AXES, np.array([2.0, 1.5, 10.0]) - [0.1, -0.2, 0.3])
    np.testing.assert_allclose(box[0, :3], lidar_bottom + [0, 0, 0.8])  # z += h / 2
    np.testing.assert_allclose(box[0, 3:6], [4.0, 1.8, 1.6])  # (dx, dy, dz) = (l, w, h)
    assert box[0, 6] == pytest.approx(-np.pi / 2)  # heading = -(ry + pi/2): dx along -y_lidar = +x_cam
    loc, dims, ry = lidar_boxes_to_camera(box, IDEAL)
    np.testing.assert_allclose(loc, [[2.0, 1.5, 10.0]], atol=1e-12)
    np.testing.assert_allclose(dims, [[1.6, 1.8, 4.0]])
    np.testing.assert_allclose(ry, [0.0], atol=1e-12)


@pytest.mark.parametrize("ry", [0.0, 0.4, -1.2, 2.9])
def test_camera_corners_are_the_lidar_box_corners(ry):
    loc, dims = np.array([[1.0, 1.7, 15.0]]), np.array([[1.5, 1.6, 3.9]])
    box = camera_boxes_to_lidar(loc, dims, [ry], IDEAL)[0]
    cam = camera_box_corners(loc, dims, [ry])[0]
    lid = IDEAL.lidar_to_rect(lidar_corners(box))
    # the same 8 points, in any order
    np.testing.assert_allclose(np.sort(cam.round(9), axis=0), np.sort(lid.round(9), axis=0), atol=1e-9)
    assert np.abs(cam[:, None] - lid[None]).sum(-1).min(1).max() < 1e-9


def test_image_box_by_hand_and_clipped():
    # box ahead: x in [-2, 2], y in [-1, 1] (bottom at y = 1, h = 2), z in [9, 11]
    box = image_boxes([[0.0, 1.0, 10.0]], [[2.0, 2.0, 4.0]], [0.0], IDEAL, (80, 100))
    np.testing.assert_allclose(box[0], [50 - 200 / 9, 40 - 100 / 9, 50 + 200 / 9, 40 + 100 / 9])
    clipped = image_boxes([[6.0, 1.0, 10.0]], [[2.0, 2.0, 4.0]], [0.0], IDEAL, (80, 100))
    assert clipped[0, 2] == 99 and clipped[0, 0] == pytest.approx(50 + 400 / 11)
    assert image_boxes(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), IDEAL, (80, 100)).shape == (0, 4)


def test_alpha_by_hand():
    boxes = np.array([[10.0, 0, 0, 4, 2, 1.5, 0.3], [0.0, 10, 0, 4, 2, 1.5, 0.3], [10.0, -10, 0, 4, 2, 1.5, 0.3]])
    ry = -boxes[:, 6] - np.pi / 2
    np.testing.assert_allclose(alpha_from_lidar(boxes, ry), ry + [0, np.pi / 2, -np.pi / 4])


def real_objects(tmp_path):
    """The calibration and the non-DontCare objects of the fixture files."""
    (tmp_path / "c.txt").write_text(CALIB_TEXT)
    (tmp_path / "l.txt").write_text("\n".join(LABEL_LINES))
    labels = read_label_file(tmp_path / "l.txt")
    return read_calibration(tmp_path / "c.txt"), labels.select(labels.name != "DontCare")


def test_real_labels_alpha_and_heading_agree_with_the_file(tmp_path):
    calib, objects = real_objects(tmp_path)
    boxes = labels_to_lidar_boxes(objects, calib)
    np.testing.assert_allclose(alpha_from_lidar(boxes, objects.rotation_y), objects.alpha, atol=0.02)
    # the box's length axis in LiDAR is the camera box's length axis (cos ry, 0, -sin ry), up to the small
    # rotation of the real calibration
    length_axis = np.column_stack([np.cos(objects.rotation_y), np.zeros(len(objects)), -np.sin(objects.rotation_y)])
    in_lidar = calib.rect_to_lidar(length_axis) - calib.rect_to_lidar(np.zeros((len(objects), 3)))
    np.testing.assert_allclose(in_lidar[:, :2], np.column_stack([np.cos(boxes[:, 6]), np.sin(boxes[:, 6])]), atol=0.03)


def test_gt_to_lidar_to_prediction_file_round_trip(tmp_path):
    calib, gt = real_objects(tmp_path)
    boxes = labels_to_lidar_boxes(gt, calib)
    pred = predictions_to_labels(boxes, np.linspace(0.9, 0.3, len(gt)), gt.name, calib, IMAGE_SIZE)
    write_label_file(tmp_path / "p.txt", pred)
    back = read_label_file(tmp_path / "p.txt")
    assert back.name.tolist() == gt.name.tolist()
    for field in ("dimensions", "location", "rotation_y"):
        np.testing.assert_allclose(getattr(back, field), getattr(gt, field), atol=1e-4)
    np.testing.assert_allclose(back.alpha, gt.alpha, atol=0.02)
    np.testing.assert_allclose(back.score, np.linspace(0.9, 0.3, len(gt)), atol=1e-4)
    assert (back.truncated == -1).all() and (back.occluded == -1).all()
    assert (back.bbox[:, [0, 2]] >= 0).all() and (back.bbox[:, [0, 2]] <= IMAGE_SIZE[1] - 1).all()
    # projected boxes sit near the annotated ones (the Van is cut by the image's left edge: 0)
    np.testing.assert_allclose(back.bbox[:3], gt.bbox[:3], atol=25)
    assert back.bbox[3, 0] == 0
