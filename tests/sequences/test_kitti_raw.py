"""KITTI raw drives: OXTS poses by hand and against the devkit's composition, registration, exclusion, errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from strl.errors import DataError
from strl.sequences.kitti_raw import KittiRawSequences, find_drives, oxts_poses, read_oxts, read_rigid_calib

sys.path.insert(0, os.path.dirname(__file__))
from kitti_raw_fixtures import IMU_TO_VELO, VELO_TO_CAM, imu_pose, rigid, scene, write_drive  # noqa: E402

ER = 6378137.0


def test_moving_north_while_facing_north_is_moving_forward():
    d = 25.0  # metres north: at the first frame's latitude one radian of latitude is ER metres of Mercator y
    lat0 = 48.0
    dlat = np.rad2deg(d / ER)
    rows = np.array([[lat0, 8.0, 100.0, 0, 0, np.pi / 2], [lat0 + dlat, 8.0, 101.0, 0, 0, np.pi / 2]])
    poses = oxts_poses(rows)
    np.testing.assert_allclose(poses[0], np.eye(4), atol=1e-12)
    np.testing.assert_allclose(poses[1][:3, 3], [d, 0, 1.0], atol=2e-3)  # forward (x) by d, up by 1
    np.testing.assert_allclose(poses[1][:3, :3], np.eye(3), atol=1e-12)
    # moving east by dlon while facing east: forward too, scaled by cos(lat0)
    dlon = np.rad2deg(10.0 / (ER * np.cos(np.deg2rad(lat0))))
    east = oxts_poses(np.array([[lat0, 8.0, 0, 0, 0, 0], [lat0, 8.0 + dlon, 0, 0, 0, 0]]))
    np.testing.assert_allclose(east[1][:3, 3], [10.0, 0, 0], atol=1e-6)


def test_rotation_is_rz_ry_rx():
    roll, pitch, yaw = 0.1, -0.2, 0.7
    poses = oxts_poses(np.array([[48.0, 8.0, 0, 0, 0, 0], [48.0, 8.0, 0, roll, pitch, yaw]]))
    expected = Rotation.from_euler("ZYX", [yaw, pitch, roll]).as_matrix()  # intrinsic z-y-x = Rz Ry Rx
    np.testing.assert_allclose(poses[1][:3, :3], expected, atol=1e-12)
    relative = oxts_poses(np.array([[48.0, 8.0, 0, 0, 0, 0.5], [48.0, 8.0, 0, 0, 0, 0.8]]))
    np.testing.assert_allclose(relative[1][:3, :3], Rotation.from_euler("z", 0.3).as_matrix(), atol=1e-12)


def test_registered_sweeps_of_a_static_scene_coincide(tmp_path):
    write_drive(tmp_path, frames=range(4))
    seqs = KittiRawSequences(tmp_path)
    assert seqs.names == ["2011_09_26_drive_0005"] and seqs.num_frames(0) == 4
    world = scene()
    for t in range(4):
        frame = seqs.frame(0, t)
        assert frame.points.dtype == np.float32
        np.testing.assert_allclose(frame.points, world, atol=1e-4)
        sensor = imu_pose(t) @ np.linalg.inv(rigid(IMU_TO_VELO))
        np.testing.assert_allclose(frame.origin, sensor[:3, 3], atol=1e-4)
    np.testing.assert_allclose(seqs.velo_to_cam(0), rigid(VELO_TO_CAM))


def test_root_can_be_a_date_or_a_drive_folder_and_drives_can_be_chosen(tmp_path):
    write_drive(tmp_path, drive="0005", frames=range(3))
    folder = write_drive(tmp_path, drive="0011", frames=range(2))
    write_drive(tmp_path, date="2011_09_28", drive="0002", frames=range(2))
    assert [d.name for d in find_drives(tmp_path)] == [
        "2011_09_26_drive_0005_sync", "2011_09_26_drive_0011_sync", "2011_09_28_drive_0002_sync"]
    assert len(KittiRawSequences(tmp_path / "2011_09_26")) == 2
    assert KittiRawSequences(folder).names == ["2011_09_26_drive_0011"]
    chosen = KittiRawSequences(tmp_path, drives=["2011_09_28_drive_0002_sync", "2011_09_26_drive_0005"])
    assert chosen.names == ["2011_09_28_drive_0002", "2011_09_26_drive_0005"]
    with pytest.raises(DataError, match=r"no drive 2011_09_26_drive_0099; found: 2011_09_26_drive_0005"):
        KittiRawSequences(tmp_path, drives=["2011_09_26_drive_0099"])


def test_excluded_frames_split_a_drive_into_runs(tmp_path):
    write_drive(tmp_path, frames=range(8))
    seqs = KittiRawSequences(tmp_path, exclude={"2011_09_26_drive_0005": np.array([3, 4, 40])})
    assert seqs.names == ["2011_09_26_drive_0005@0-2", "2011_09_26_drive_0005@5-7"] and seqs.excluded == 2
    assert seqs.frame_numbers[1].tolist() == [5, 6, 7] and seqs.sweep_path(1, 0).name == "0000000005.bin"
    # the world frame stays the drive's first OXTS frame
    np.testing.assert_allclose(seqs.frame(1, 0).points, scene(), atol=1e-4)
    with pytest.raises(DataError, match="no sweep left"):
        KittiRawSequences(tmp_path, exclude={"2011_09_26_drive_0005": np.arange(8)})


def test_bad_files_are_named(tmp_path):
    folder = write_drive(tmp_path, frames=range(3))
    with pytest.raises(DataError, match="no KITTI raw drive here"):
        KittiRawSequences(folder / "oxts")
    (folder / "oxts" / "data" / "0000000002.txt").unlink()
    with pytest.raises(DataError, match=r"oxts/data: no OXTS file for 1 sweep\(s\): 0000000002\.txt"):
        KittiRawSequences(tmp_path)
    (folder / "oxts" / "data" / "0000000002.txt").write_text("49.0 8.4 100\n")
    seqs = KittiRawSequences(tmp_path)
    with pytest.raises(DataError, match=r"0000000002\.txt: 3 values, expected 30"):
        seqs.frame(0, 2)
    with open(folder / "velodyne_points" / "data" / "0000000001.bin", "ab") as f:
        f.write(b"\0" * 4)
    with pytest.raises(DataError, match=r"0000000001\.bin: size \d+ bytes is not a multiple of 16"):
        seqs.frame(0, 1)
    (tmp_path / "2011_09_26" / "calib_imu_to_velo.txt").write_text("calib_time: 25-May-2012 16:47:16\nR: 1 0 0\n")
    with pytest.raises(DataError, match=r"calib_imu_to_velo\.txt: no 'T:' line"):
        KittiRawSequences(tmp_path)
    (tmp_path / "2011_09_26" / "calib_imu_to_velo.txt").unlink()
    with pytest.raises(DataError, match=r"calib_imu_to_velo\.txt: calibration file is missing"):
        KittiRawSequences(tmp_path)


def test_oxts_and_calib_readers(tmp_path):
    folder = write_drive(tmp_path, frames=range(1))
    assert read_oxts(folder / "oxts" / "data" / "0000000000.txt").shape == (30,)
    (tmp_path / "o.txt").write_text(" ".join(["1"] * 29 + ["x"]))
    with pytest.raises(DataError, match=r"o\.txt: OXTS values are not all numbers"):
        read_oxts(tmp_path / "o.txt")
    (tmp_path / "c.txt").write_text("R: 1 0 0 0 1 0 0 0 1\nT: 1 2\n")
    with pytest.raises(DataError, match=r"c\.txt: line 2: T has 2 numbers, expected 3"):
        read_rigid_calib(tmp_path / "c.txt")


def test_pairs_of_raw_sweeps_are_aligned_in_the_anchor_lidar_frame(tmp_path):
    from strl.sequences.pairs import PairDataset

    write_drive(tmp_path, frames=range(3))
    seqs = KittiRawSequences(tmp_path)
    item = PairDataset(seqs, frame_points=40, window=1, mode="temporal", seed=0)[1]
    to_anchor_lidar = rigid(IMU_TO_VELO) @ np.linalg.inv(imu_pose(1))  # world -> sweep 1's velodyne frame
    anchor_sweep = scene() @ to_anchor_lidar[:3, :3].T + to_anchor_lidar[:3, 3]
    for cloud in (item["a"].numpy(), item["b"].numpy()):
        gaps = np.abs(cloud[:, None, :] - anchor_sweep[None]).sum(-1).min(1)
        assert gaps.max() < 1e-3


def test_frames_near_object_val_frames_are_left_out(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
    from kitti_fixtures import write_mapping

    from strl.formats.kitti_mapping import pretraining_overlap, split_frames, split_neighbourhood

    write_mapping(tmp_path / "object")  # val holds raw frame 10 of 2011_09_26_drive_0001
    write_drive(tmp_path / "raw", drive="0001", frames=range(13))
    exclude = split_neighbourhood(tmp_path / "object", "val", window=1)
    seqs = KittiRawSequences(tmp_path / "raw", exclude=exclude)
    assert seqs.names == ["2011_09_26_drive_0001@0-8", "2011_09_26_drive_0001@12-12"] and seqs.excluded == 3
    used = seqs.frames_used()
    assert used["2011_09_26_drive_0001"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 12]
    splits = {s: split_frames(tmp_path / "object", s) for s in ("train", "val")}
    assert pretraining_overlap(splits, used, window=1)["val"]["frames_near"] == 0  # raw frame 10: left out
    assert pretraining_overlap(splits, used, window=2)["val"]["frames_near"] == 1  # frames 8 and 12 are 2 away
    assert pretraining_overlap(splits, used)["train"]["frames_near"] == 2  # raw frames 0 and 4 are pre-trained on


def test_kitti_raw_is_a_pretraining_source(tmp_path):
    from strl.train.config import make_config
    from strl.train.data import pretrain_sequences

    write_drive(tmp_path, frames=range(3))
    seqs = pretrain_sequences(make_config(dataset="kitti-raw", root=str(tmp_path), max_range=10.0, seed=3))
    assert isinstance(seqs, KittiRawSequences) and seqs.max_range == 10.0 and seqs.num_frames(0) == 3
    with pytest.raises(DataError, match="kitti-raw data not found"):
        pretrain_sequences(make_config(dataset="kitti-raw", root=str(tmp_path / "nope")))
