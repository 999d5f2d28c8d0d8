import json

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet
from strl.formats.shapenetpart import SHAPENETPART_CLASSES, load_shapenetpart

SYNSETS = {"Airplane": "02691156", "Bag": "02773838"}
SPLIT_TOKENS = {"train": [("Airplane", "a1"), ("Bag", "b1")], "val": [("Bag", "b2")], "test": [("Airplane", "a2")]}


def _write_txt(root, rng):
    """A tiny text release; returns {token: (n, 7) rows}."""
    folder = root / "shapenetcore_partanno_segmentation_benchmark_v0_normal"
    (folder / "train_test_split").mkdir(parents=True)
    (folder / "synsetoffset2category.txt").write_text("".join(f"{c}\t{s}\n" for c, s in SYNSETS.items()))
    rows = {}
    for split, items in SPLIT_TOKENS.items():
        entries = [f"shape_data/{SYNSETS[c]}/{t}" for c, t in items]
        (folder / "train_test_split" / f"shuffled_{split}_file_list.json").write_text(json.dumps(entries))
        for c, t in items:
            n = 10 + len(t)
            r = np.concatenate([rng.standard_normal((n, 6)).round(5), rng.integers(0, 50, (n, 1))], axis=1)
            (folder / SYNSETS[c]).mkdir(exist_ok=True)
            np.savetxt(folder / SYNSETS[c] / f"{t}.txt", r, fmt="%.6f")
            rows[t] = r
    return folder, rows


@pytest.mark.parametrize("split, tokens, labels", [
    ("train", ["a1", "b1"], [0, 1]), ("val", ["b2"], [1]), ("test", ["a2"], [0]),
    ("trainval", ["a1", "b1", "b2"], [0, 1, 1]),
])
def test_text_release_splits(tmp_path, rng, split, tokens, labels):
    _, rows = _write_txt(tmp_path, rng)
    ds = load_shapenetpart(tmp_path, split)
    assert isinstance(ds, CloudSet) and len(ds) == len(tokens)
    assert ds.labels.tolist() == labels and ds.class_names == ["Airplane", "Bag"]
    for i, t in enumerate(tokens):
        np.testing.assert_allclose(ds[i], rows[t][:, :3], rtol=1e-6)
        assert ds[i].dtype == np.float32
        assert ds.part_labels(i).tolist() == rows[t][:, 6].astype(int).tolist()


def test_repeated_access_returns_the_same_data(tmp_path, rng):
    # the original loader crashed on its second access (cache hit assigned a misspelt variable)
    folder, _ = _write_txt(tmp_path, rng)
    ds = load_shapenetpart(folder, "train")
    first, parts = ds[1], ds.part_labels(1)
    expected, expected_parts = first.copy(), parts.copy()
    first += 100.0  # callers may modify what they get
    parts[:] = -1
    for _ in range(3):
        np.testing.assert_array_equal(ds[1], expected)
        np.testing.assert_array_equal(ds.part_labels(1), expected_parts)


def _break(folder, what):
    split = folder / "train_test_split" / "shuffled_train_file_list.json"
    airplane = folder / SYNSETS["Airplane"] / "a1.txt"
    if what == "bad_entry":
        split.write_text(json.dumps(["shape_data/99999999/x"]))
    elif what == "bad_json":
        split.write_text("[not json")
    elif what == "missing_split":
        split.unlink()
    elif what == "missing_file":
        airplane.unlink()
    elif what == "six_columns":
        np.savetxt(airplane, np.ones((5, 6)))
    elif what == "fractional_part":
        np.savetxt(airplane, np.full((5, 7), 0.5))
    elif what == "nan":
        np.savetxt(airplane, np.full((5, 7), np.nan))
    elif what == "garbage":
        airplane.write_text("x y z\n")
    elif what == "bad_categories":
        (folder / "synsetoffset2category.txt").write_text("Airplane\n")


@pytest.mark.parametrize("what, match", [
    ("bad_entry", "shuffled_train_file_list.json: entry 'shape_data/99999999/x'"),
    ("bad_json", "shuffled_train_file_list.json: not valid JSON"),
    ("missing_split", "shuffled_train_file_list.json: split list not found"),
    ("missing_file", "a1.txt: not found"),
    ("six_columns", "a1.txt: rows have 6 columns"),
    ("fractional_part", "a1.txt: part column"),
    ("nan", "a1.txt: points has 5 point"),
    ("garbage", "a1.txt: cannot parse"),
    ("bad_categories", "synsetoffset2category.txt: expected lines"),
])
def test_bad_text_release_raises_data_error(tmp_path, rng, what, match):
    folder, _ = _write_txt(tmp_path, rng)
    _break(folder, what)
    with pytest.raises(DataError, match=match):
        ds = load_shapenetpart(tmp_path, "train")
        ds[0], ds.part_labels(0)


def _write_h5_release(root, rng, write_h5):
    folder = root / "shapenet_part_seg_hdf5_data"
    made = {}
    for name, b in (("ply_data_train0.h5", 2), ("ply_data_train1.h5", 1), ("ply_data_val0.h5", 1),
                    ("ply_data_test0.h5", 2)):
        made[name] = (rng.standard_normal((b, 32, 3)).astype(np.float32), rng.integers(0, 16, (b, 1)),
                      rng.integers(0, 50, (b, 32)))
        write_h5(folder / name, data=made[name][0], label=made[name][1], pid=made[name][2])
    return folder, made


def test_h5_release_splits_and_part_labels(tmp_path, rng, write_h5):
    folder, made = _write_h5_release(tmp_path, rng, write_h5)
    ds = load_shapenetpart(tmp_path, "trainval")
    assert len(ds) == 4 and ds.class_names == SHAPENETPART_CLASSES
    order = ["ply_data_train0.h5", "ply_data_train1.h5", "ply_data_val0.h5"]
    assert ds.labels.tolist() == np.concatenate([made[n][1][:, 0] for n in order]).tolist()
    np.testing.assert_array_equal(ds[2], made["ply_data_train1.h5"][0][0])
    assert ds.part_labels(3).tolist() == made["ply_data_val0.h5"][2][0].tolist()
    assert len(load_shapenetpart(folder, "test")) == 2
    assert len(load_shapenetpart(folder, "val")) == 1


@pytest.mark.parametrize("datasets, match", [
    ({"data": np.zeros((1, 8, 3)), "label": [[0]]}, r"no dataset 'pid'"),
    ({"data": np.zeros((1, 8, 3)), "label": [[0]], "pid": np.zeros((1, 7), int)}, "'pid' rows have shape"),
    ({"data": np.zeros((1, 8, 3)), "label": [[16]], "pid": np.zeros((1, 8), int)}, "span"),
    ({"data": np.zeros((1, 8, 3)), "label": [[0]], "pid": np.full((1, 8), 50)}, r"pid\[0\] holds values outside"),
])
def test_bad_h5_release_raises_data_error(tmp_path, write_h5, datasets, match):
    write_h5(tmp_path / "ply_data_test0.h5", **datasets)
    with pytest.raises(DataError, match=match):
        load_shapenetpart(tmp_path, "test").part_labels(0)


def test_missing_folder_split_files_and_bad_split(tmp_path, write_h5):
    with pytest.raises(DataError, match="not found"):
        load_shapenetpart(tmp_path / "none")
    with pytest.raises(DataError, match="no ShapeNetPart here"):
        load_shapenetpart(tmp_path)
    write_h5(tmp_path / "ply_data_test0.h5", data=np.zeros((1, 8, 3)), label=[[0]], pid=np.zeros((1, 8), int))
    with pytest.raises(DataError, match="for split 'train'"):
        load_shapenetpart(tmp_path, "train")
    with pytest.raises(ConfigError, match="split"):
        load_shapenetpart(tmp_path, "all")
