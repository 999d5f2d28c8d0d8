import numpy as np
import pytest

import strl.formats.modelnet as modelnet
from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet
from strl.formats.modelnet import MODELNET40_CLASSES, load_modelnet

TRAIN_IDS = ["airplane_0001", "bathtub_0001", "night_stand_0001", "night_stand_0002", "chair_0003"]
TEST_IDS = ["chair_0900", "xbox_0100"]


def _write_normal(root, rng, rows=20, ids=(TRAIN_IDS, TEST_IDS)):
    """A tiny ``modelnet40_normal_resampled`` folder; returns {id: (rows, 6) array}."""
    folder = root / "modelnet40_normal_resampled"
    folder.mkdir(parents=True)
    (folder / "modelnet40_shape_names.txt").write_text("\n".join(MODELNET40_CLASSES) + "\n")
    arrays = {}
    for split, split_ids in zip(("train", "test"), ids):
        (folder / f"modelnet40_{split}.txt").write_text("\n".join(split_ids) + "\n")
        for sid in split_ids:
            cls = "_".join(sid.split("_")[:-1])
            (folder / cls).mkdir(exist_ok=True)
            arrays[sid] = rng.standard_normal((rows, 6)).round(6)
            np.savetxt(folder / cls / f"{sid}.txt", arrays[sid], fmt="%.6f", delimiter=",")
    return folder, arrays


def test_normal_resampled_reads_first_points_and_labels(tmp_path, rng):
    folder, arrays = _write_normal(tmp_path, rng)
    for root in (tmp_path, folder):  # the parent or the layout folder itself
        ds = load_modelnet(root, "train", num_points=8)
        assert isinstance(ds, CloudSet) and len(ds) == 5
        assert ds.class_names == MODELNET40_CLASSES
        assert ds.labels.tolist() == [0, 1, 23, 23, 8] and ds.labels.dtype == np.int64
        cloud = ds[2]
        assert cloud.shape == (8, 3) and cloud.dtype == np.float32
        np.testing.assert_allclose(cloud, arrays["night_stand_0001"][:8, :3], rtol=1e-6)
    assert load_modelnet(tmp_path, "test", num_points=None)[1].shape == (20, 3)


def test_modelnet10_view_keeps_ten_classes_remapped(tmp_path, rng):
    _, arrays = _write_normal(tmp_path, rng)
    ds = load_modelnet(tmp_path, "train", variant="modelnet10", num_points=4)
    assert ds.class_names == ["bathtub", "bed", "chair", "desk", "dresser", "monitor", "night_stand", "sofa",
                              "table", "toilet"]
    assert ds.labels.tolist() == [0, 6, 6, 2]  # airplane dropped
    np.testing.assert_allclose(ds[0], arrays["bathtub_0001"][:4, :3], rtol=1e-6)
    assert len(load_modelnet(tmp_path, "test", variant="modelnet10", num_points=4)) == 1  # xbox dropped


def test_cache_makes_the_second_load_skip_the_text_files(tmp_path, rng, monkeypatch):
    _write_normal(tmp_path / "data", rng)
    cache = tmp_path / "cache"
    first = load_modelnet(tmp_path / "data", "train", num_points=8, cache_dir=cache)
    assert len(list(cache.glob("*.npy"))) == 1

    def fail(*args):
        raise AssertionError("text file read although cached")

    monkeypatch.setattr(modelnet, "read_normal_txt", fail)
    second = load_modelnet(tmp_path / "data", "train", num_points=8, cache_dir=cache)
    np.testing.assert_array_equal(second[4], first[4])
    with pytest.raises(AssertionError, match="although cached"):  # another num_points is another cache entry
        load_modelnet(tmp_path / "data", "train", num_points=4, cache_dir=cache)


def test_cache_key_follows_the_file_list(tmp_path, rng):
    folder, _ = _write_normal(tmp_path / "data", rng)
    cache = tmp_path / "cache"
    load_modelnet(folder, "train", num_points=8, cache_dir=cache)
    (folder / "modelnet40_train.txt").write_text("\n".join(TRAIN_IDS[:3]) + "\n")
    assert len(load_modelnet(folder, "train", num_points=8, cache_dir=cache)) == 3
    assert len(list(cache.glob("*.npy"))) == 2


def test_cache_inside_the_dataset_is_refused(tmp_path, rng):
    folder, _ = _write_normal(tmp_path, rng)
    with pytest.raises(DataError, match="outside the dataset folder"):
        load_modelnet(tmp_path, "train", num_points=8, cache_dir=folder / "cache")


def _break(folder, what):
    night = folder / "night_stand" / "night_stand_0002.txt"
    if what == "short":
        night.write_text("1,2,3,0,0,1\n")
    elif what == "garbage":
        night.write_text("a,b,c\n" * 10)
    elif what == "nan":
        night.write_text("nan,2,3,0,0,1\n" * 10)
    elif what == "missing":
        night.unlink()
    elif what == "unknown_class":
        (folder / "modelnet40_train.txt").write_text("spaceship_0001\n")
    elif what == "empty_split":
        (folder / "modelnet40_train.txt").write_text("\n")
    return night


@pytest.mark.parametrize(
    "what, match",
    [
        ("short", "night_stand_0002.txt: has 1 points, 8 requested"),
        ("garbage", "night_stand_0002.txt: cannot parse"),
        ("nan", "night_stand_0002.txt: cloud has 8 point"),
        ("missing", "night_stand_0002.txt: not found"),
        ("unknown_class", r"modelnet40_train.txt: ids of classes missing .*spaceship"),
        ("empty_split", "modelnet40_train.txt: lists no shapes"),
    ],
)
def test_bad_normal_resampled_files_raise_data_error(tmp_path, rng, what, match):
    folder, _ = _write_normal(tmp_path, rng)
    _break(folder, what)
    with pytest.raises(DataError, match=match):
        load_modelnet(tmp_path, "train", num_points=8)


def _write_h5_layout(root, rng, write_h5, sizes=(2, 3, 1)):
    folder = root / "modelnet40_ply_hdf5_2048"
    parts = []
    for k, b in zip((0, 2, 10), sizes):  # natural order 0, 2, 10 (not 0, 10, 2)
        data = rng.standard_normal((b, 16, 3)).astype(np.float32)
        label = rng.integers(0, 40, (b, 1)).astype(np.uint8)
        write_h5(folder / f"ply_data_train{k}.h5", data=data, label=label)
        parts.append((data, label))
    write_h5(folder / "ply_data_test0.h5", data=parts[0][0], label=parts[0][1])
    return folder, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])[:, 0]


def test_h5_layout_reads_files_in_natural_order(tmp_path, rng, write_h5):
    folder, data, labels = _write_h5_layout(tmp_path, rng, write_h5)
    ds = load_modelnet(tmp_path, "train", num_points=10)
    assert len(ds) == 6 and ds.labels.tolist() == labels.tolist()
    assert ds.class_names == MODELNET40_CLASSES
    for i in range(6):
        np.testing.assert_array_equal(ds[i], data[i, :10])
    assert len(load_modelnet(folder, "test", num_points=None)) == 2
    (folder / "shape_names.txt").write_text("\n".join(n.upper() for n in MODELNET40_CLASSES) + "\n")
    assert load_modelnet(folder, "test", num_points=16).class_names[0] == "AIRPLANE"


def test_h5_modelnet10_view(tmp_path, write_h5):
    folder = tmp_path / "modelnet40_ply_hdf5_2048"
    write_h5(folder / "ply_data_train0.h5", data=np.ones((4, 8, 3), np.float32), label=[[35], [0], [2], [39]])
    ds = load_modelnet(folder, "train", variant="modelnet10", num_points=8)
    assert ds.labels.tolist() == [9, 1] and len(ds) == 2 and ds[1].shape == (8, 3)


@pytest.mark.parametrize(
    "datasets, match",
    [
        ({"data": np.zeros((2, 8, 3))}, r"no dataset 'label'; keys present: \['data'\]"),
        ({"data": np.zeros((2, 8, 3)), "label": [[0], [40]]}, "span"),
        ({"data": np.zeros((2, 8, 2)), "label": [[0], [1]]}, r"expected \(N, 3\)"),
        ({"data": np.full((2, 8, 3), np.nan), "label": [[0], [1]]}, r"ply_data_train0.h5: data\[0\] has 8 point"),
    ],
)
def test_bad_h5_files_raise_data_error(tmp_path, write_h5, datasets, match):
    write_h5(tmp_path / "ply_data_train0.h5", **datasets)
    with pytest.raises(DataError, match=match):
        ds = load_modelnet(tmp_path, "train", num_points=8)
        ds[0]


def test_h5_more_points_than_stored_is_refused(tmp_path, write_h5):
    write_h5(tmp_path / "ply_data_train0.h5", data=np.zeros((2, 8, 3)), label=[[0], [1]])
    with pytest.raises(DataError, match="holds 8 points per cloud, 2048 requested"):
        load_modelnet(tmp_path, "train")


def test_missing_or_unrecognised_folders_and_bad_arguments(tmp_path, write_h5):
    with pytest.raises(DataError, match="not found"):
        load_modelnet(tmp_path / "nothing", "train")
    with pytest.raises(DataError, match="no ModelNet40 here"):
        load_modelnet(tmp_path, "train")
    write_h5(tmp_path / "ply_data_train0.h5", data=np.zeros((2, 8, 3)), label=[[0], [1]])
    with pytest.raises(DataError, match=r"no ply_data_test\*.h5"):
        load_modelnet(tmp_path, "test")
    with pytest.raises(ConfigError, match="split"):
        load_modelnet(tmp_path, "val")
    with pytest.raises(ConfigError, match="variant"):
        load_modelnet(tmp_path, "train", variant="modelnet20")
