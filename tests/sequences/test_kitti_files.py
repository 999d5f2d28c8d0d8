"""The writers of the KITTI odometry files against their readers: sweeps, poses, calib.txt."""

from __future__ import annotations

import numpy as np

from strl.sequences.kitti_files import (
    read_calib_entries, read_calib_tr, read_poses, read_sweep, write_odometry_calib, write_poses, write_sweep,
)


def test_sweep_round_trip_as_float32_records(tmp_path):
    records = np.random.default_rng(0).normal(size=(50, 4))
    path = write_sweep(tmp_path / "000000.bin", records)
    assert path.stat().st_size == 50 * 16
    assert np.array_equal(read_sweep(path), records.astype(np.float32))


def test_poses_round_trip_twelve_numbers_a_line(tmp_path):
    rng = np.random.default_rng(1)
    poses = np.tile(np.eye(4), (3, 1, 1))
    poses[:, :3, :] = rng.normal(size=(3, 3, 4))
    path = write_poses(tmp_path / "00.txt", poses)
    assert [len(line.split()) for line in path.read_text().splitlines()] == [12, 12, 12]
    assert np.allclose(read_poses(path), poses, rtol=1e-9, atol=1e-12)


def test_odometry_calib_has_projections_then_tr(tmp_path):
    tr = np.eye(4)
    tr[:3, 3] = [0.1, -0.2, 0.3]
    p = np.arange(12.0).reshape(3, 4)
    path = write_odometry_calib(tmp_path / "calib.txt", tr, {"P0": p, "P2": p + 1})
    assert list(read_calib_entries(path)) == ["P0", "P2", "Tr"]
    assert np.allclose(read_calib_tr(path), tr)
