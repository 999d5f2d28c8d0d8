"""KITTI odometry reader: a sensor driving through a synthetic static scene, written as .bin sweeps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.sequences.frame_files import DataWarning
from strl.sequences.kitti import KittiSequences

sys.path.insert(0, os.path.dirname(__file__))
from bad_input import assert_data_error, assert_frames_fail, each_breakage, empty_folder  # noqa: E402

# velodyne (x fwd, y left, z up) -> camera 0 (x right, y down, z fwd), with an offset
TR = np.array([[0.0, -1, 0, 0.02], [0, 0, -1, -0.08], [1, 0, 0, -0.27], [0, 0, 0, 1]])
SENSOR_HEIGHT = 1.73


def camera_pose(i: int) -> np.ndarray:
    """Camera-0 pose of frame i: forward 0.8 m a frame while turning (yaw about camera y)."""
    yaw = 0.05 * i
    c, s = np.cos(yaw), np.sin(yaw)
    pose = np.eye(4)
    pose[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    pose[:3, 3] = [0.3 * i, 0.02 * i, 0.8 * i]
    return pose


def static_scene() -> np.ndarray:
    """World points (camera-0 frame of sweep 0): a ground grid and a few poles, as (N, 3)."""
    gx, gy = np.meshgrid(np.linspace(-5, 25, 16), np.linspace(-8, 8, 9))
    ground = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, -SENSOR_HEIGHT)], 1)
    poles = [np.stack([np.full(8, x), np.full(8, y), np.linspace(-1.2, 2.0, 8)], 1) for x, y in ((6, 3), (12, -4), (18, 1))]
    sensor0 = np.vstack([ground, *poles])
    to_world = camera_pose(0) @ TR
    return sensor0 @ to_world[:3, :3].T + to_world[:3, 3]


def write_sequence(root: Path, name: str = "00", sweeps: int = 4, poses_in_sequence: bool = False) -> np.ndarray:
    """Write sweeps of the static scene; returns the world points (identical in every sweep, in order)."""
    world = static_scene()
    folder = root / "sequences" / name
    (folder / "velodyne").mkdir(parents=True)
    poses = []
    for i in range(sweeps):
        pose = camera_pose(i)
        to_sensor = np.linalg.inv(pose @ TR)
        xyz = world @ to_sensor[:3, :3].T + to_sensor[:3, 3]
        record = np.hstack([xyz, np.full((len(xyz), 1), 0.5)]).astype(np.float32)
        record.tofile(folder / "velodyne" / f"{i:06d}.bin")
        poses.append(pose[:3].ravel())
    p0 = " ".join(["7.0"] + ["0"] * 11)
    (folder / "calib.txt").write_text(f"P0: {p0}\nP1: {p0}\nTr: {' '.join(f'{v:.12e}' for v in TR[:3].ravel())}\n")
    pose_file = folder / "poses.txt" if poses_in_sequence else root / "poses" / f"{name}.txt"
    pose_file.parent.mkdir(exist_ok=True)
    np.savetxt(pose_file, np.array(poses), fmt="%.12e")
    return world


@pytest.mark.parametrize("poses_in_sequence", [False, True])
def test_registered_sweeps_of_a_static_scene_coincide(tmp_path, poses_in_sequence):
    world = write_sequence(tmp_path, poses_in_sequence=poses_in_sequence)
    seqs = KittiSequences(tmp_path)
    assert len(seqs) == 1 and seqs.names == ["00"] and seqs.num_frames(0) == 4
    frames = [seqs.frame(0, t) for t in range(4)]
    for t, fr in enumerate(frames):
        assert fr.points.dtype == np.float32 and fr.points.shape == world.shape
        np.testing.assert_allclose(fr.points, world, atol=1e-4)
        np.testing.assert_allclose(fr.points, frames[0].points, atol=2e-4)
        expected_origin = camera_pose(t) @ TR @ [0, 0, 0, 1]
        assert fr.origin.dtype == np.float32
        np.testing.assert_allclose(fr.origin, expected_origin[:3], atol=1e-5)
    assert np.linalg.norm(frames[3].origin - frames[0].origin) > 2.0  # it really moved


def test_root_may_be_the_sequences_folder_and_sequences_are_selectable(tmp_path):
    write_sequence(tmp_path, "00")
    write_sequence(tmp_path, "03", sweeps=2)
    assert KittiSequences(tmp_path / "sequences").names == ["00", "03"]
    assert KittiSequences(tmp_path, sequences=[3]).names == ["03"]
    assert KittiSequences(tmp_path, sequences=["3", "00"]).names == ["03", "00"]
    with pytest.raises(DataError, match=r"sequences: no sequence '07'.*found: 00, 03"):
        KittiSequences(tmp_path, sequences=["07"])


def test_sequences_without_poses_are_skipped_by_default_with_a_warning(tmp_path):
    write_sequence(tmp_path, "00")
    write_sequence(tmp_path, "11", sweeps=2)
    (tmp_path / "poses" / "11.txt").unlink()
    with pytest.warns(DataWarning, match=r"skipped 1 sequence\(s\) without poses: 11"):
        assert KittiSequences(tmp_path).names == ["00"]
    with pytest.raises(DataError, match=r"11: no poses"):
        KittiSequences(tmp_path, sequences=["11"])


def sensor_coordinates(t: int) -> np.ndarray:
    to_sensor = np.linalg.inv(camera_pose(t) @ TR)
    return static_scene() @ to_sensor[:3, :3].T + to_sensor[:3, 3]


def test_range_and_ground_filters_work_in_the_sensor_frame(tmp_path):
    world = write_sequence(tmp_path)
    t = 2
    sensor = sensor_coordinates(t)
    r = np.linalg.norm(sensor, axis=1)
    ranged = KittiSequences(tmp_path, min_range=4.0, max_range=12.0).frame(0, t)
    keep = (r >= 4.0) & (r <= 12.0)
    assert 0 < keep.sum() < len(world)
    np.testing.assert_allclose(ranged.points, world[keep], atol=1e-4)

    seqs = KittiSequences(tmp_path, ground="remove", ground_height=-1.5)
    no_ground = seqs.frame(0, t)
    above = sensor[:, 2] >= -1.5
    assert above.sum() == 24  # the pole points only
    np.testing.assert_allclose(no_ground.points, world[above], atol=1e-4)
    assert seqs.stats["points_ground"] == int((~above).sum())

    with pytest.raises(DataError, match=r"000002.bin: no point left"):
        KittiSequences(tmp_path, max_range=0.5).frame(0, t)
    with pytest.raises(ConfigError, match="ground"):
        KittiSequences(tmp_path, ground="flatten")
    with pytest.raises(ConfigError, match="min_range"):
        KittiSequences(tmp_path, min_range=5.0, max_range=2.0)


def test_max_points_is_a_seeded_subset(tmp_path):
    world = write_sequence(tmp_path)
    a = KittiSequences(tmp_path, max_points=50, seed=1).frame(0, 1)
    b = KittiSequences(tmp_path, max_points=50, seed=1).frame(0, 1)
    c = KittiSequences(tmp_path, max_points=50, seed=2).frame(0, 1)
    assert a.points.shape == (50, 3)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    gap = np.linalg.norm(a.points[:, None] - world[None], axis=2).min(axis=1)
    assert gap.max() < 1e-4


# -- bad input ---------------------------------------------------------------------------------


def test_bin_size_not_a_multiple_of_16_and_non_finite_points(tmp_path):
    write_sequence(tmp_path)
    velodyne = tmp_path / "sequences" / "00" / "velodyne"
    with open(velodyne / "000001.bin", "ab") as f:
        f.write(b"\0" * 6)
    bad = np.fromfile(velodyne / "000002.bin", dtype=np.float32).reshape(-1, 4)
    bad[5, 1] = np.nan
    bad.tofile(velodyne / "000002.bin")
    (velodyne / "000003.bin").write_bytes(b"")
    assert_frames_fail(KittiSequences(tmp_path), {
        1: r"000001.bin: size \d+ bytes is not a multiple of 16",
        2: r"000002.bin: 1 point\(s\) with NaN or inf",
        3: r"000003.bin: sweep is empty",
    })


def _break(kind: str, root: Path) -> None:
    folder = root / "sequences" / "00"
    pose_file = root / "poses" / "00.txt"
    if kind == "pose count":
        pose_file.write_text("\n".join(pose_file.read_text().splitlines()[:3]) + "\n")
    elif kind == "no calib":
        (folder / "calib.txt").unlink()
    elif kind == "no Tr":
        (folder / "calib.txt").write_text("P0: " + " ".join(["1"] * 12) + "\n")
    elif kind == "short Tr":
        (folder / "calib.txt").write_text("Tr: " + " ".join(["1"] * 11) + "\n")
    elif kind == "nan Tr":
        (folder / "calib.txt").write_text("Tr: nan" + " 0" * 11 + "\n")
    elif kind == "nan pose":
        lines = pose_file.read_text().splitlines()
        lines[2] = "inf" + lines[2][lines[2].index(" "):]
        pose_file.write_text("\n".join(lines) + "\n")
    elif kind == "pose width":
        pose_file.write_text("1 0 0 0 0 1 0 0 0 0 1\n" * 4)
    elif kind == "corrupt pose":
        pose_file.write_text("1 0 0 0 0 1 0 0 0 0 1 x\n" * 4)
    elif kind == "no sweeps":
        empty_folder(folder / "velodyne")


INIT_ERRORS = [
    ("pose count", r"00.txt: 3 pose line\(s\) but 4 sweep\(s\)"),
    ("no calib", r"calib.txt: calibration file is missing"),
    ("no Tr", r"calib.txt: no 'Tr:' line"),
    ("short Tr", r"calib.txt: line 1: Tr has 11 numbers"),
    ("nan Tr", r"calib.txt: line 1: Tr holds NaN or inf"),
    ("nan pose", r"00.txt: NaN or inf in pose line\(s\) 3"),
    ("pose width", r"00.txt: pose lines have 11 numbers"),
    ("corrupt pose", r"00.txt: cannot parse poses"),
    ("no sweeps", r"velodyne: no .bin sweeps"),
]


@each_breakage(INIT_ERRORS)
def test_bad_sequence_raises_data_error_naming_the_file(tmp_path, kind, message):
    write_sequence(tmp_path)
    _break(kind, tmp_path)
    assert_data_error(lambda: KittiSequences(tmp_path), message)


def test_not_a_kitti_folder(tmp_path):
    (tmp_path / "random").mkdir()
    with pytest.raises(DataError, match="not a KITTI odometry folder"):
        KittiSequences(tmp_path)
    (tmp_path / "sequences" / "05" / "velodyne").mkdir(parents=True)
    assert_data_error(lambda: KittiSequences(tmp_path), "no sequence with velodyne sweeps and poses")
