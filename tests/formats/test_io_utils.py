import pickle

import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.io_utils import (ArrayCloudSet, H5CloudSet, H5Stack, check_index, label_array, natural_key,
                                   point_labels_copy)


def test_natural_key_orders_numbers_by_value():
    names = ["f10.h5", "f2.h5", "f1.h5"]
    assert sorted(names, key=natural_key) == ["f1.h5", "f2.h5", "f10.h5"]


def test_check_index_normalises_negative_and_rejects_out_of_range():
    assert check_index(-1, 5) == 4
    with pytest.raises(IndexError):
        check_index(5, 5)


def test_label_array_flattens_and_validates():
    out = label_array(np.array([[1], [0], [2]], dtype=np.uint8), "f", 3)
    assert out.dtype == np.int64 and out.tolist() == [1, 0, 2] and not out.flags.writeable
    assert label_array(np.array([1.0, 2.0]), "f", 3).tolist() == [1, 2]
    with pytest.raises(DataError, match="span"):
        label_array(np.array([0, 3]), "f", 3)
    with pytest.raises(DataError, match="dtype"):
        label_array(np.array([0.5]), "f", 3)
    with pytest.raises(DataError, match="shape"):
        label_array(np.zeros((2, 2), dtype=int), "f", 3)


def test_point_labels_copy_checks_length():
    assert point_labels_copy(np.array([1.0, 2.0]), "f", 2, "x").tolist() == [1, 2]
    with pytest.raises(DataError, match="f: x has shape"):
        point_labels_copy(np.array([1, 2, 3]), "f", 2, "x")


def test_h5_stack_concatenates_files_lazily(tmp_path, rng, write_h5):
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 4, 3))
    files = [write_h5(tmp_path / "a.h5", data=a, label=[0, 1]), write_h5(tmp_path / "b.h5", data=b, label=[2, 3, 4])]
    stack = H5Stack(files, {"data": 3, "label": 1})
    assert len(stack) == 5
    np.testing.assert_array_equal(stack.read("data", 3), b[1])
    np.testing.assert_array_equal(stack.read("data", -1), b[2])
    assert stack.read_all("label").tolist() == [0, 1, 2, 3, 4]
    assert stack.where(2) == (files[1], 0)
    clone = pickle.loads(pickle.dumps(stack))  # handles are dropped, reopened on use
    np.testing.assert_array_equal(clone.read("data", 0), a[0])


def test_h5_stack_reopens_files_in_a_new_process(tmp_path, rng, write_h5):
    stack = H5Stack([write_h5(tmp_path / "a.h5", data=rng.standard_normal((2, 4, 3)))], {"data": 3})
    stack.read("data", 0)
    parent_handle = stack._files[0]
    stack._pid = -1  # as seen from a forked worker
    stack.read("data", 1)
    assert stack._files[0] is not parent_handle


@pytest.mark.parametrize(
    "files, ndims, match",
    [
        ({"a.h5": {"data": np.zeros((2, 4, 3))}}, {"data": 3, "label": 1},
         r"no dataset 'label'; keys present: \['data'\]"),
        ({"a.h5": {"data": np.zeros((2, 4))}}, {"data": 3}, "expected 3 dimensions"),
        ({"a.h5": {"data": np.zeros((2, 4, 3)), "label": [1]}}, {"data": 3, "label": 1}, "disagree"),
        ({"a.h5": {"data": np.zeros((2, 4, 3))}, "b.h5": {"data": np.zeros((2, 5, 3))}}, {"data": 3}, "other files"),
    ],
)
def test_h5_stack_rejects_bad_layouts(tmp_path, files, ndims, match, write_h5):
    paths = [write_h5(tmp_path / name, **content) for name, content in files.items()]
    with pytest.raises(DataError, match=match):
        H5Stack(paths, ndims)


def test_h5_stack_rejects_missing_and_corrupt_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        H5Stack([tmp_path / "none.h5"], {"data": 3})
    (tmp_path / "bad.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match="bad.h5: not a readable HDF5 file"):
        H5Stack([tmp_path / "bad.h5"], {"data": 3})


def test_h5_cloud_set_returns_float32_copies_and_names_bad_rows(tmp_path, rng, write_h5):
    data = rng.standard_normal((3, 5, 6))
    data[2, 1, 0] = np.nan
    path = write_h5(tmp_path / "a.h5", data=data)
    clouds = H5CloudSet(H5Stack([path], {"data": 3}), None, None, num_points=4)
    cloud = clouds[0]
    assert cloud.shape == (4, 3) and cloud.dtype == np.float32 and cloud.flags.writeable
    np.testing.assert_allclose(cloud, data[0, :4, :3], rtol=1e-6)
    with pytest.raises(DataError, match=r"a.h5: data\[2\] has 1 point"):
        clouds[2]
    with pytest.raises(DataError, match="holds 5 points per cloud, 6 requested"):
        H5CloudSet(H5Stack([path], {"data": 3}), None, None, num_points=6)


def test_array_cloud_set_copies_and_checks(rng):
    arr = rng.standard_normal((2, 4, 3)).astype(np.float32)
    arr.flags.writeable = False
    clouds = ArrayCloudSet(arr, None, None, "mem")
    out = clouds[1]
    out[:] = 0
    np.testing.assert_array_equal(clouds[1], arr[1])
    with pytest.raises(DataError, match="holds no clouds"):
        ArrayCloudSet(np.zeros((0, 4, 3)), None, None, "mem")
