import os
import warnings

import numpy as np
import pytest
from scipy.spatial import cKDTree

from strl.errors import ConfigError
from strl.formats.base import CloudSet, Frame, SequenceSet
from strl.formats.builtin import BuiltinConfig, BuiltinData, build_arrays, default_cache_dir
from strl.formats.builtin import dataset as dataset_module
from strl.formats.builtin.objects import object_rng, random_object

SMALL = BuiltinConfig(seed=3, num_classes=4, sequences_per_class=2, frames=6, points_per_frame=256,
                      eval_train_per_class=2, eval_test_per_class=2, eval_points=300, surface_points=3000)


@pytest.fixture(scope="module")
def small_arrays():
    return build_arrays(SMALL)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory, small_arrays):
    return BuiltinData(SMALL, cache_dir=tmp_path_factory.mktemp("cache"))


def chamfer(a, b):
    return cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean()


def test_shapes_dtypes_and_protocols(small_data):
    seqs = small_data.sequences()
    assert isinstance(seqs, SequenceSet)
    assert len(seqs) == 4 * 2 and seqs.num_frames(0) == 6
    frame = seqs.frame(7, 5)
    assert isinstance(frame, Frame) and frame.origin is None
    assert frame.points.shape == (256, 3) and frame.points.dtype == np.float32
    assert seqs.points.shape == (8, 6, 256, 3) and seqs.camera_positions.shape == (8, 6, 3)
    for split, n in (("train", 8), ("test", 8)):
        clouds = small_data.clouds(split)
        assert isinstance(clouds, CloudSet) and len(clouds) == n
        assert clouds[0].shape == (300, 3) and clouds[0].dtype == np.float32
        assert clouds.labels.dtype == np.int64 and clouds.labels.shape == (n,)
        assert clouds.class_names == ["chair", "armchair", "stool", "sofa"]
    assert small_data.class_names == ["chair", "armchair", "stool", "sofa"]


def test_every_class_in_both_evaluation_splits(small_data):
    for split in ("train", "test"):
        assert set(small_data.clouds(split).labels.tolist()) == {0, 1, 2, 3}


def test_clouds_are_normalised_complete_objects(small_data):
    for cloud in small_data.clouds("test").points:
        assert np.allclose(cloud.mean(axis=0), 0, atol=1e-5)
        assert np.isclose(np.linalg.norm(cloud, axis=1).max(), 1, atol=1e-5)


def test_arrays_are_read_only(small_data):
    with pytest.raises(ValueError):
        small_data.sequences().frame(0, 0).points[0, 0] = 1.0
    with pytest.raises(ValueError):
        small_data.clouds("train")[0][0, 0] = 1.0


def test_unknown_split_is_refused(small_data):
    with pytest.raises(ConfigError, match="train, test"):
        small_data.clouds("val")


def test_same_seed_same_data_other_seed_other_data(small_arrays):
    again = build_arrays(SMALL)
    for key, value in small_arrays.items():
        assert np.array_equal(value, again[key]), key
    other = build_arrays(BuiltinConfig(**{**SMALL.__dict__, "seed": 4}))
    for key in ("sequence_points", "train_points", "test_points"):
        assert not np.allclose(small_arrays[key], other[key])


def test_evaluation_objects_are_not_the_pre_training_objects(small_arrays):
    seq_first = small_arrays["sequence_points"][0, 0]
    for cloud in small_arrays["train_points"]:
        assert chamfer(seq_first, cloud) > 0.05


def test_frames_are_partial_views_of_their_object(small_arrays):
    for s in range(len(small_arrays["sequence_points"])):
        c, i = divmod(s, SMALL.sequences_per_class)
        surface = random_object(object_rng(SMALL.seed, "sequences", c, i), c, SMALL.surface_points,
                                SMALL.stretch)[0]
        frames = small_arrays["sequence_points"][s]
        covered = [cKDTree(f).query(surface)[0] < 0.06 for f in frames]
        fractions = np.array([c.mean() for c in covered])
        assert (fractions < 0.8).all(), fractions  # one view misses a good part of the object
        assert np.logical_or.reduce(covered).mean() > fractions.max() + 0.05  # the path reveals more
        # every frame point lies on (or, by depth noise, near) the object's surface
        assert np.median(cKDTree(surface).query(frames.reshape(-1, 3))[0]) < 0.03


def test_consecutive_frames_are_closer_than_distant_ones(small_arrays):
    near, far = [], []
    for frames in small_arrays["sequence_points"]:
        near.append(np.mean([chamfer(frames[t], frames[t + 1]) for t in range(len(frames) - 1)]))
        far.append(chamfer(frames[0], frames[-1]))
    assert np.mean(near) < 0.8 * np.mean(far)


def test_cache_round_trip_and_reuse(tmp_path, monkeypatch):
    first = BuiltinData(SMALL, cache_dir=tmp_path)
    assert not first.from_cache
    path = first.cache_path
    assert path.parent == tmp_path and path.name == SMALL.cache_name()
    assert path.name.startswith("builtin-1-3-") and path.suffix == ".npz"
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind

    def fail(cfg):
        raise AssertionError("the cached file should have been reused")

    monkeypatch.setattr(dataset_module, "build_arrays", fail)
    mtime = path.stat().st_mtime_ns
    second = BuiltinData(SMALL, cache_dir=tmp_path)
    assert second.from_cache and path.stat().st_mtime_ns == mtime
    assert np.array_equal(second.sequences().points, first.sequences().points)
    assert np.array_equal(second.clouds("test").labels, first.clouds("test").labels)
    assert second.class_names == first.class_names


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    path = tmp_path / SMALL.cache_name()
    path.write_bytes(b"not a zip file")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = BuiltinData(SMALL, cache_dir=tmp_path)
    assert not data.from_cache
    assert BuiltinData(SMALL, cache_dir=tmp_path).from_cache


def test_another_config_gets_another_file(tmp_path):
    other = BuiltinConfig(**{**SMALL.__dict__, "frames": 5})
    assert other.cache_name() != SMALL.cache_name()
    assert BuiltinConfig(**SMALL.__dict__).cache_name() == SMALL.cache_name()


def test_unwritable_cache_warns_and_still_works(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(UserWarning, match="cannot cache"):
        data = BuiltinData(SMALL, cache_dir=blocker / "cache")
    assert len(data.sequences()) == 8


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("STRL_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("STRL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "strl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert str(default_cache_dir()).endswith(os.path.join(".cache", "strl"))


@pytest.mark.parametrize("bad", [
    {"num_classes": 0}, {"num_classes": 99}, {"frames": 2.5}, {"frames": True}, {"depth_noise": -0.1},
    {"point_noise": float("nan")}, {"surface_points": 100}, {"seed": -1}, {"stretch": "big"},
])
def test_bad_config_values_are_refused(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        BuiltinConfig(**bad)
