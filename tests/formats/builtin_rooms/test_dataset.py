import os

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from strl.errors import ConfigError
from strl.formats.base import Frame, SequenceSet
from strl.formats.builtin import default_cache_dir
from strl.formats.builtin_rooms import (BOX_CLASSES, SEMANTIC_CLASSES, RoomFrames, RoomsConfig, RoomsData,
                                        build_arrays, load_rooms, sized_config)
from strl.formats.builtin_rooms import dataset as dataset_module
from strl.formats.builtin_rooms.dataset import build_split, class_mean_sizes
from strl.formats.scenes import Scene, SceneSet
from strl.sequences.rgbd import RGBDSequences

SMALL = sized_config("small", seed=5)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return RoomsData(SMALL, cache_dir=tmp_path_factory.mktemp("cache"))


def test_frames_are_a_sequence_set_of_depth_frames(small):
    frames = small.frames()
    assert isinstance(frames, RoomFrames) and isinstance(frames, SequenceSet)
    assert len(frames) == 3 and frames.num_frames(0) == 4 and frames.names[2] == "room0002"
    frame = frames.frame(1, 3)
    assert isinstance(frame, Frame) and frame.points.dtype == np.float32 and frame.points.shape[1] == 3
    assert 0.5 * 64 * 48 <= len(frame.points) <= 64 * 48
    assert np.allclose(frame.origin, small._arrays["frame_poses"][1, 3, :3, 3])
    assert frames.stats["frames_read"] >= 1
    few = small.frames(max_points=500, seed=2).frame(1, 3).points
    assert len(few) == 500 and np.isin(few.view("V12"), frame.points.view("V12")).all()


def test_frames_read_back_the_same_as_scannet_files(small, tmp_path):
    """Written as a ScanNet scene folder (16-bit PNG millimetres, 4x4 poses, intrinsics), the frames
    read back through the RGB-D reader are the frames of the built-in set."""
    a = small._arrays
    scene = tmp_path / "scene0000_00"
    (scene / "depth").mkdir(parents=True)
    (scene / "pose").mkdir()
    for t in range(4):
        Image.fromarray(a["frame_depth"][0, t]).save(scene / "depth" / f"{t * 100:06d}.png")
        np.savetxt(scene / "pose" / f"{t * 100:06d}.txt", a["frame_poses"][0, t])
    fx, fy, cx, cy = a["intrinsics"]
    np.savetxt(scene / "intrinsics_depth.txt", [[fx, 0, cx, 0], [0, fy, cy, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    read = RGBDSequences(tmp_path, pixel_stride=1)
    for t in range(4):
        mine, theirs = small.frames().frame(0, t), read.frame(0, t)
        assert np.allclose(mine.points, theirs.points, atol=1e-5) and np.allclose(mine.origin, theirs.origin)


def test_cameras_stand_in_their_room_and_neighbouring_frames_overlap(small):
    frames, rooms = small.frames(), small._arrays["frame_rooms"]
    near, far = [], []
    for s in range(len(frames)):
        clouds = [frames.frame(s, t) for t in range(4)]
        origins = np.stack([c.origin for c in clouds])
        assert (np.abs(origins[:, :2]) < rooms[s, :2]).all() and (origins[:, 2] < rooms[s, 2]).all()
        for c in clouds:  # inside the walls and above the floor, up to the sensor noise (2.6 cm at 4 m)
            outside = (np.abs(c.points[:, :2]) > rooms[s, :2] + 0.1).any(axis=1) | (c.points[:, 2] < -0.1)
            assert outside.mean() < 0.01
        overlap = [(cKDTree(clouds[t].points).query(clouds[u].points)[0] < 0.05).mean() for t, u in ((0, 1), (0, 3))]
        near.append(overlap[0])
        far.append(overlap[1])
    assert np.mean(near) > np.mean(far)


def test_scenes_are_scene_sets_with_labels_boxes_and_votes(small):
    for split, n in (("train", 3), ("val", 1), ("test", 2)):
        scenes = small.scenes(split)
        assert isinstance(scenes, SceneSet) and len(scenes) == n and scenes.names[0] == f"{split}0000"
        assert scenes.semantic_class_names == list(SEMANTIC_CLASSES) and scenes.box_class_names == list(BOX_CLASSES)
        assert scenes.mean_sizes.shape == (10, 3) and scenes.rooms.shape == (n, 3) and len(scenes.kinds) == n
        for i in range(n):
            scene = scenes.scene(i)
            assert isinstance(scene, Scene) and scene.colors is None and scene.name == scenes.names[i]
            assert scene.points.dtype == np.float32 and scene.semantic.dtype == np.int64
            assert len(scene.boxes) > 0 and scene.boxes.shape[1] == 7 and (scene.box_classes < 10).all()
            assert set(np.unique(scene.instance[scene.vote_mask])) == set(range(len(scene.boxes)))
            k = scene.instance[scene.vote_mask]
            assert np.allclose(scene.points[scene.vote_mask] + scene.votes[scene.vote_mask, :3], scene.boxes[k, :3],
                               atol=1e-5)
    with pytest.raises(ConfigError, match="train, val, test"):
        small.scenes("all")


def test_mean_sizes_are_the_training_boxes_means(small):
    a = small._arrays
    means = class_mean_sizes(a["train_boxes"], a["train_box_classes"])
    assert np.array_equal(small.mean_sizes, means)
    for c in np.unique(a["train_box_classes"]):
        assert np.allclose(means[c], a["train_boxes"][a["train_box_classes"] == c, 3:6].mean(axis=0), atol=1e-6)


def test_pre_training_and_labelled_rooms_are_different_rooms(small):
    a = small._arrays
    rooms = np.concatenate([a["frame_rooms"], a["train_rooms"], a["val_rooms"], a["test_rooms"]])
    assert len(np.unique(rooms, axis=0)) == len(rooms)


def test_growing_a_split_keeps_its_rooms():
    grown = RoomsConfig(**{**SMALL.__dict__, "val_rooms": 2})
    one, two = build_split(SMALL, "val"), build_split(grown, "val")
    n = one["val_point_offsets"][1]
    assert np.array_equal(one["val_points"], two["val_points"][:n])
    assert np.array_equal(one["val_boxes"], two["val_boxes"][: len(one["val_boxes"])])


def test_cache_round_trip_and_reuse(small, tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_module, "build_arrays", lambda cfg: dict(small._arrays))  # generated already
    first = RoomsData(SMALL, cache_dir=tmp_path)
    assert not first.from_cache and first.cache_path.name == SMALL.cache_name()
    assert first.cache_path.name.startswith("builtin-rooms-1-5-") and os.listdir(tmp_path) == [first.cache_path.name]
    monkeypatch.setattr(dataset_module, "build_arrays", lambda cfg: pytest.fail("the cache should be reused"))
    second = RoomsData(SMALL, cache_dir=tmp_path)
    assert second.from_cache
    for key, value in first._arrays.items():
        assert np.array_equal(value, second._arrays[key]), key
    with pytest.raises(ValueError):
        second.frames().depth[0, 0, 0, 0] = 1  # read-only


def test_same_seed_same_rooms_other_seed_other_rooms(small):
    again = build_arrays(SMALL)
    for key, value in small._arrays.items():
        assert np.array_equal(value, again[key]), key
    other = build_split(RoomsConfig(**{**SMALL.__dict__, "seed": 6}), "val")
    a, b = other["val_points"], again["val_points"]
    assert a.shape != b.shape or not np.allclose(a, b)


def test_sizes_and_the_default_cache_folder(small, monkeypatch, tmp_path):
    assert sized_config("default") == RoomsConfig()
    with pytest.raises(ConfigError, match="unknown built-in rooms size 'huge'; known: default, small"):
        sized_config("huge")
    monkeypatch.setenv("STRL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(dataset_module, "build_arrays", lambda cfg: dict(small._arrays))
    assert load_rooms("small", seed=5).cache_path.parent == default_cache_dir() == tmp_path


@pytest.mark.parametrize("bad", [
    {"pretrain_rooms": 0}, {"frames": 2.5}, {"val_rooms": True}, {"image_width": 4}, {"scene_density": 0.0},
    {"scan_hfov_deg": 170.0},
    {"object_density": 0.0}, {"point_noise": float("nan")}, {"seed": -1},
])
def test_bad_config_values_are_refused(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        RoomsConfig(**bad)
