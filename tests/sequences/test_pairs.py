import numpy as np
import pytest
import torch

from strl.errors import ConfigError
from strl.formats.base import Frame
from strl.sequences.pairs import EpochSampler, PairDataset, partner_frame


class Toy:
    """Two sequences; frame t of sequence s is 10 points at x = 100 s + t, sensor at (t, 0, 0)."""

    def __init__(self, lengths=(5, 3)):
        self.lengths = lengths

    def __len__(self):
        return len(self.lengths)

    def num_frames(self, s):
        return self.lengths[s]

    def frame(self, s, t):
        pts = np.zeros((10, 3), np.float32)
        pts[:, 0] = 100 * s + t
        return Frame(pts, origin=np.array([t, 0, 0], np.float32))


def test_partner_frame_modes_and_window():
    rng = np.random.default_rng(0)
    temporal = {partner_frame(2, 5, 1, "temporal", rng) for _ in range(200)}
    assert temporal == {1, 3}
    both = {partner_frame(2, 5, 2, "both", rng) for _ in range(400)}
    assert both == {0, 1, 2, 3, 4}
    assert {partner_frame(0, 5, 1, "temporal", rng) for _ in range(50)} == {1}
    assert partner_frame(3, 5, 2, "spatial", rng) == 3
    assert partner_frame(3, 5, 0, "temporal", rng) == 3  # window 0: spatial-only ablation
    assert partner_frame(0, 1, 3, "temporal", rng) == 0
    with pytest.raises(ConfigError):
        partner_frame(0, 5, 1, "sideways", rng)


def test_pair_dataset_subtracts_anchor_origin_and_is_deterministic():
    ds = PairDataset(Toy(), frame_points=16, window=1, mode="temporal", seed=3)
    assert len(ds) == 8
    item = ds[(2, 0)]
    assert item["a"].shape == (16, 3) and item["a"].dtype == torch.float32
    # anchor is sequence 0 frame 2 (x = 2) shifted by its origin (2): x = 0; partner x = 1 or 3 shifted by 2
    assert torch.all(item["a"][:, 0] == 0)
    assert set(item["b"][:, 0].tolist()) <= {-1.0, 1.0}
    again = ds[(2, 0)]
    assert torch.equal(item["b"], again["b"])
    partners = {float(ds[(2, e)]["b"][0, 0]) for e in range(20)}
    assert partners == {-1.0, 1.0}  # different epochs draw different partners


def test_epoch_sampler_splits_across_ranks_and_reshuffles():
    s0 = EpochSampler(10, seed=1, rank=0, world=2)
    s1 = EpochSampler(10, seed=1, rank=1, world=2)
    a, b = [i for i, _ in s0], [i for i, _ in s1]
    assert len(a) == len(b) == 5 and sorted(a + b) == list(range(10))
    s0.set_epoch(1)
    assert [i for i, _ in s0] != a
    assert all(e == 1 for _, e in s0)
    odd = EpochSampler(5, rank=1, world=2, shuffle=False)
    assert len(list(odd)) == 3


def _rows(cloud) -> np.ndarray:
    """``(N, 3)`` rows in lexicographic order, to compare point sets drawn in different orders."""
    c = np.asarray(cloud, np.float64)
    return c[np.lexsort(c.T[::-1])]


class StaticStreet:
    """One LiDAR sequence: a static scene seen from two poses, read the way the sweep readers read them."""

    def __init__(self):
        gx, gy = np.meshgrid(np.arange(2.0, 30.0, 2.0), np.arange(-8.0, 9.0, 2.0))
        ground = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, -1.7)], 1)
        pole = np.stack([np.full(5, 12.0), np.full(5, 3.0), np.linspace(-1.5, 1.0, 5)], 1)
        self.world = np.vstack([ground, pole])
        self.poses = [_pose(0.0, (0.0, 0.0, 0.0)), _pose(0.15, (1.5, 0.4, 0.05))]  # LiDAR -> world

    def __len__(self):
        return 1

    def num_frames(self, s):
        return 2

    def sensor_points(self, t):
        to_sensor = np.linalg.inv(self.poses[t])
        return self.world @ to_sensor[:3, :3].T + to_sensor[:3, 3]

    def frame(self, s, t):
        from strl.sequences.frame_points import registered_frame

        return registered_frame(self.sensor_points(t), self.poses[t], lidar=True)


def _pose(yaw, shift):
    pose = np.eye(4)
    pose[:2, :2] = [[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]]
    pose[:3, 3] = shift
    return pose


def test_pairs_of_sweeps_arrive_in_the_anchor_lidar_frame():
    street = StaticStreet()
    n = len(street.world)
    ds = PairDataset(street, frame_points=n, window=1, mode="temporal", seed=0)
    for t in (0, 1):
        item = ds[t]
        anchor_sweep = _rows(street.sensor_points(t))  # what the sensor saw at the anchor sweep
        np.testing.assert_allclose(_rows(item["a"]), anchor_sweep, atol=1e-4)
        np.testing.assert_allclose(_rows(item["b"]), anchor_sweep, atol=1e-4)  # the partner, registered into it
    assert not np.allclose(_rows(street.sensor_points(0)), _rows(street.sensor_points(1)), atol=0.1)


def test_pairs_of_kitti_odometry_sweeps_arrive_in_the_anchor_velodyne_frame(tmp_path):
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from test_kitti import write_sequence

    from strl.sequences.kitti import KittiSequences
    from strl.sequences.kitti_files import read_velodyne

    write_sequence(tmp_path, sweeps=3)  # one static scene, camera-0 poses, velodyne -> camera Tr
    seqs = KittiSequences(tmp_path)
    ds = PairDataset(seqs, frame_points=len(read_velodyne(seqs.sweep_path(0, 1))), window=1, mode="temporal", seed=0)
    item = ds[1]
    velodyne = _rows(read_velodyne(seqs.sweep_path(0, 1))[:, :3])  # sweep 1 as stored: x forward, y left, z up
    np.testing.assert_allclose(_rows(item["a"]), velodyne, atol=2e-4)
    np.testing.assert_allclose(_rows(item["b"]), velodyne, atol=2e-4)
