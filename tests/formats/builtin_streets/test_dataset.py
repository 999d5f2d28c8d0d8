"""The built-in streets on disk: the exact KITTI layouts, read back by strl's KITTI readers, cached,
deterministic per seed, and usable as pre-training pairs."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest
import torch

import strl.formats.builtin_streets.dataset as streets
from strl.errors import ConfigError
from strl.formats.builtin_streets import (StreetsConfig, builtin_streets_object_root, builtin_streets_root,
                                          builtin_streets_sequences, sized_config, summary)
from strl.formats.builtin_streets.calibration import road_plane, street_calibration
from strl.formats.builtin_streets.lidar import sensor_to_world
from strl.formats.builtin_streets.street import random_street
from strl.formats.kitti_boxes import alpha_from_lidar, camera_box_corners, image_boxes, lidar_boxes_to_camera
from strl.formats.kitti_calib import read_calibration
from strl.formats.kitti_object import KittiObjectDataset, read_road_plane
from strl.geometry.boxes import points_in_boxes
from strl.sequences.pairs import PairDataset

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from kitti_fixtures import CALIB_TEXT  # noqa: E402

TINY = StreetsConfig(sequences=1, sweeps=2, train_frames=2, val_frames=1, beams=8, azimuth_steps=128, max_range=30.0)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The ``small`` size, generated once for this module."""
    return builtin_streets_root(0, "small", tmp_path_factory.mktemp("cache"))


def test_the_kitti_object_layout_with_its_splits(small):
    cfg = sized_config("small")
    training = small / "object" / "training"
    ids = [f"{i:06d}" for i in range(cfg.train_frames + cfg.val_frames)]
    for sub, suffix in (("velodyne", ".bin"), ("label_2", ".txt"), ("calib", ".txt"), ("image_2", ".png"),
                        ("planes", ".txt")):
        assert sorted(p.name for p in (training / sub).iterdir()) == [i + suffix for i in ids]
    train = (small / "object" / "ImageSets" / "train.txt").read_text()
    assert train == "\n".join(ids[:cfg.train_frames])  # no final newline, as the released files
    assert (small / "object" / "ImageSets" / "val.txt").read_text().split() == ids[cfg.train_frames:]


def test_frames_read_back_with_the_kitti_reader(small):
    calib = street_calibration()
    for split, count in (("train", 4), ("val", 2)):
        ds = KittiObjectDataset(small / "object", split, class_names=None)
        assert len(ds) == count
        for i in range(len(ds)):
            frame = ds[i]
            assert frame.image_shape == (375, 1242) and frame.points.dtype == np.float32
            assert np.allclose(frame.calib.P2, calib.P2) and np.allclose(frame.road_plane[3], 1.65, atol=0.02)
            labels = frame.labels.select(frame.labels.name != "DontCare")
            assert len(labels) == len(frame.gt_boxes) > 0
            # the camera fields are those of the LiDAR boxes (to the 4 decimals of the file)
            location, dimensions, rotation_y = lidar_boxes_to_camera(frame.gt_boxes, frame.calib)
            assert np.allclose(location, labels.location, atol=2e-3) and np.allclose(dimensions, labels.dimensions)
            wrapped = (alpha_from_lidar(frame.gt_boxes, labels.rotation_y) + np.pi) % (2 * np.pi) - np.pi
            assert np.allclose(np.cos(wrapped - labels.alpha), 1, atol=1e-5)
            whole = (camera_box_corners(labels.location, labels.dimensions, labels.rotation_y)[..., 2] > 0.1).all(1)
            projected = image_boxes(labels.location, labels.dimensions, labels.rotation_y, frame.calib, (375, 1242))
            assert np.allclose(projected[whole], labels.bbox[whole], atol=0.5)
            # every labelled box holds LiDAR points (its object was hit)
            held = points_in_boxes(torch.from_numpy(frame.points[:, :3]).double(),
                                   torch.from_numpy(frame.gt_boxes).double()).sum(0)
            assert (held > 0).double().mean() >= 0.9


def test_calibration_is_kittis_and_the_plane_is_the_road(small, tmp_path):
    (tmp_path / "kitti.txt").write_text(CALIB_TEXT)
    kitti = read_calibration(tmp_path / "kitti.txt")
    ours = read_calibration(small / "object" / "training" / "calib" / "000000.txt")
    for key in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
        assert np.allclose(getattr(ours, key), getattr(kitti, key), rtol=1e-9, atol=1e-12)
    plane = read_road_plane(small / "object" / "training" / "planes" / "000000.txt")
    assert np.allclose(plane, road_plane(ours, 1.73), atol=1e-6)
    road_point = ours.lidar_to_rect(np.array([[12.0, -3.0, -1.73]]))[0]
    assert plane[:3] @ road_point + plane[3] == pytest.approx(0, abs=1e-5)


def test_sequences_are_kitti_odometry_with_the_ego_poses(small):
    cfg = sized_config("small")
    seqs = builtin_streets_sequences(0, "small", small.parent)
    assert len(seqs) == cfg.sequences and [seqs.num_frames(s) for s in range(len(seqs))] == [cfg.sweeps] * 2
    street = random_street(streets.street_rng(0, "sequences", 1), (cfg.sweeps - 1) * 0.1, cfg.max_range + 10.0)
    tr = street_calibration().lidar_to_rect_matrix
    first = np.linalg.inv(sensor_to_world(street.ego.pose(0.0), 1.73))
    for t in range(cfg.sweeps):
        frame = seqs.frame(1, t)
        expected = (tr @ first @ sensor_to_world(street.ego.pose(0.1 * t), 1.73))[:3, 3]
        assert np.allclose(frame.origin, expected, atol=1e-4)
        assert frame.points.shape[1] == 3 and len(frame.points) > 1000
    # the road lies 1.65 m under camera 0 in every registered sweep (y points down)
    for t in range(cfg.sweeps):
        y = seqs.frame(0, t).points[:, 1]
        assert np.median(y[y > 1.0]) == pytest.approx(1.65, abs=0.05)


def test_a_small_sequence_runs_through_the_pair_dataset(small):
    pairs = PairDataset(builtin_streets_sequences(0, "small", small.parent), frame_points=2048, window=1)
    item = pairs[(3, 0)]
    assert item["a"].shape == (2048, 3) and item["b"].shape == (2048, 3)
    assert float(item["a"].norm(dim=1).median()) < 40  # shifted by the anchor's sensor origin


def test_summary_counts_objects_per_class(small):
    record = json.loads((small / "config.json").read_text())
    assert record["config"] == {**record["config"], "seed": 0, "beams": 16}
    s = summary(small)
    assert s["sequences"]["sweeps"] == 8 and s["train"]["frames"] == 4
    assert s["train"]["objects"]["Car"] > 0 and s["train"]["objects"]["Pedestrian"] > 0


def test_generated_once_then_read_from_the_cache(small, monkeypatch):
    monkeypatch.setattr(streets, "build_streets", lambda *a: pytest.fail("regenerated"))
    assert builtin_streets_root(0, "small", small.parent) == small
    assert builtin_streets_object_root(0, "small", small.parent) == small / "object"


def test_the_same_seed_gives_the_same_files_and_another_seed_others(tmp_path):
    def files(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and p.name != "config.json"}

    a = files(builtin_streets_root(config=TINY, cache_dir=tmp_path / "a"))
    b = files(builtin_streets_root(config=TINY, cache_dir=tmp_path / "b"))
    c = files(builtin_streets_root(config=StreetsConfig(**{**TINY.__dict__, "seed": 1}), cache_dir=tmp_path / "c"))
    assert a == b
    assert a.keys() == c.keys() and a["object/training/velodyne/000000.bin"] != c["object/training/velodyne/000000.bin"]


def test_unknown_sizes_and_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="unknown built-in streets size 'huge'"):
        sized_config("huge")
    with pytest.raises(ConfigError, match="builtin_streets.beams"):
        StreetsConfig(beams=0)
    with pytest.raises(ConfigError, match="builtin_streets.max_range"):
        StreetsConfig(max_range=float("nan"))
