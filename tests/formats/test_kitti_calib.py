"""KITTI object calibration: the matrices by key, the transforms against hand formulas, the errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.kitti_calib import fov_mask, read_calibration

sys.path.insert(0, os.path.dirname(__file__))
from kitti_fixtures import CALIB_TEXT, IMAGE_SIZE, calib_matrix  # noqa: E402


@pytest.fixture
def calib(tmp_path):
    (tmp_path / "000000.txt").write_text(CALIB_TEXT)
    return read_calibration(tmp_path / "000000.txt")


def test_matrices_are_read_by_key(calib):
    np.testing.assert_array_equal(calib.P2, calib_matrix("P2").reshape(3, 4))
    np.testing.assert_array_equal(calib.P3, calib_matrix("P3").reshape(3, 4))
    np.testing.assert_array_equal(calib.R0_rect, calib_matrix("R0_rect").reshape(3, 3))
    np.testing.assert_array_equal(calib.Tr_velo_to_cam, calib_matrix("Tr_velo_to_cam").reshape(3, 4))
    np.testing.assert_array_equal(calib.Tr_imu_to_velo, calib_matrix("Tr_imu_to_velo").reshape(3, 4))


def test_keys_in_another_order_and_optional_keys_absent(tmp_path):
    lines = [ln for ln in CALIB_TEXT.splitlines() if ln.split(":")[0] in ("Tr_velo_to_cam", "R0_rect", "P2")]
    (tmp_path / "c.txt").write_text("\n".join(lines))
    calib = read_calibration(tmp_path / "c.txt")
    assert calib.P0 is None and calib.P3 is None and calib.Tr_imu_to_velo is None
    np.testing.assert_array_equal(calib.P2, calib_matrix("P2").reshape(3, 4))


def test_lidar_rect_image_transforms_against_the_devkit_formula(calib):
    rng = np.random.default_rng(0)
    lidar = rng.uniform([2, -20, -2], [60, 20, 1], size=(50, 3))
    tr, r0, p2 = (calib_matrix(k) for k in ("Tr_velo_to_cam", "R0_rect", "P2"))
    tr, r0, p2 = tr.reshape(3, 4), r0.reshape(3, 3), p2.reshape(3, 4)
    rect = (r0 @ (tr[:, :3] @ lidar.T + tr[:, 3:])).T  # x_rect = R0 (Tr x)
    np.testing.assert_allclose(calib.lidar_to_rect(lidar), rect, atol=1e-9)
    np.testing.assert_allclose(calib.rect_to_lidar(rect), lidar, atol=1e-9)
    hom = (p2 @ np.vstack([rect.T, np.ones(50)])).T
    np.testing.assert_allclose(calib.rect_to_image(rect), hom[:, :2] / hom[:, 2:], atol=1e-9)
    np.testing.assert_allclose(calib.lidar_to_image(lidar), hom[:, :2] / hom[:, 2:], atol=1e-9)
    # dividing by the rect depth instead (OpenPCDet) moves a point 10 m ahead by well under a pixel
    ahead = np.array([[0.0, 0.0, 10.0]])
    u_w = calib.rect_to_image(ahead)[0, 0]
    u_z = (p2[0, 2] * 10 + p2[0, 3]) / 10
    assert u_w == pytest.approx((p2[0, 2] * 10 + p2[0, 3]) / (10 + p2[2, 3])) and 0 < abs(u_w - u_z) < 0.5


def test_float32_in_float32_out(calib):
    pts = np.array([[10.0, 1.0, -1.0]], np.float32)
    assert calib.lidar_to_rect(pts).dtype == np.float32 and calib.lidar_to_image(pts).dtype == np.float32
    assert calib.lidar_to_rect(pts.astype(np.float64)).dtype == np.float64


def test_fov_keeps_points_in_the_image_ahead_of_the_camera(calib):
    points = np.array([
        [10.0, 0.0, -1.0],   # straight ahead: kept
        [-10.0, 0.0, -1.0],  # behind: projects near the image centre, but the depth is negative
        [5.0, 30.0, 0.0],    # far to the left: u < 0
        [40.0, -2.0, 0.5],   # ahead, a little right: kept
        [8.0, 0.0, 12.0],    # far above: v < 0
    ])
    uv = calib.lidar_to_image(points)
    assert 0 <= uv[1, 0] < IMAGE_SIZE[1] and 0 <= uv[1, 1] < IMAGE_SIZE[0]  # the behind point does land inside
    assert fov_mask(points, calib, IMAGE_SIZE).tolist() == [True, False, False, True, False]


@pytest.mark.parametrize("drop,message", [
    ("P2", r"c\.txt: no 'P2:' line"),
    ("R0_rect", r"c\.txt: no 'R0_rect:' line"),
    ("Tr_velo_to_cam", r"c\.txt: no 'Tr_velo_to_cam:' line"),
])
def test_missing_required_key_is_named(tmp_path, drop, message):
    text = "\n".join(ln for ln in CALIB_TEXT.splitlines() if not ln.startswith(drop + ":"))
    (tmp_path / "c.txt").write_text(text)
    with pytest.raises(DataError, match=message):
        read_calibration(tmp_path / "c.txt")


def test_bad_values_name_the_line(tmp_path):
    lines = CALIB_TEXT.splitlines()
    (tmp_path / "c.txt").write_text("\n".join(lines[:4] + [lines[4].rsplit(" ", 1)[0]] + lines[5:]))
    with pytest.raises(DataError, match=r"c\.txt: line 5: R0_rect has 8 numbers, expected 9 \(3x3\)"):
        read_calibration(tmp_path / "c.txt")
    (tmp_path / "c.txt").write_text(CALIB_TEXT.replace("P3: 7.215377000000e+02", "P3: abc"))
    with pytest.raises(DataError, match=r"c\.txt: line 4: cannot parse the P3 values as numbers"):
        read_calibration(tmp_path / "c.txt")
    with pytest.raises(DataError, match=r"none\.txt: calibration file is missing"):
        read_calibration(tmp_path / "none.txt")


def test_write_calibration_round_trips_in_the_released_files_order(tmp_path):
    from strl.formats.kitti_calib import write_calibration

    (tmp_path / "in.txt").write_text(CALIB_TEXT)
    calib = read_calibration(tmp_path / "in.txt")
    path = write_calibration(tmp_path / "out.txt", calib)
    assert [line.split(":")[0] for line in path.read_text().splitlines() if line] == [
        "P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"]
    again = read_calibration(path)
    for key in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
        assert np.array_equal(getattr(again, key), getattr(calib, key))
