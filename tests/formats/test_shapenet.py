import io
import zipfile

import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.base import CloudSet
from strl.formats.shapenet import ShapeNetNPZ


def _save(path, compressed=False, **arrays):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def test_stored_npz_is_memory_mapped_and_read_per_shape(tmp_path, rng):
    data = rng.standard_normal((5, 16, 3)).astype(np.float32)
    ds = ShapeNetNPZ(_save(tmp_path / "shapenet57448xyzonly.npz", data=data, other=np.zeros(2)))
    assert isinstance(ds, CloudSet) and ds.labels is None and ds.class_names is None
    assert ds.memory_mapped and isinstance(ds.data, np.memmap) and not ds.data.flags.writeable
    assert len(ds) == 5
    shape = ds[3]
    assert shape.dtype == np.float32 and shape.shape == (16, 3) and shape.flags.writeable
    np.testing.assert_array_equal(shape, data[3])
    shape[:] = 0  # a copy: the next read is unchanged
    np.testing.assert_array_equal(ds[3], data[3])
    np.testing.assert_array_equal(ds[-1], data[4])


def test_memmap_handles_fortran_order_and_float64(tmp_path, rng):
    data = np.asfortranarray(rng.standard_normal((3, 8, 3)))
    ds = ShapeNetNPZ(_save(tmp_path / "f.npz", data=data))
    assert ds.memory_mapped
    np.testing.assert_allclose(ds[2], data[2].astype(np.float32))
    assert ds[2].dtype == np.float32


def test_compressed_npz_falls_back_to_loading_with_a_warning(tmp_path, rng):
    data = rng.standard_normal((2, 8, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="compressed"):
        ds = ShapeNetNPZ(_save(tmp_path / "c.npz", compressed=True, data=data))
    assert not ds.memory_mapped
    np.testing.assert_array_equal(ds[1], data[1])


def test_non_finite_values_are_reported_on_access_with_file_and_index(tmp_path, rng):
    data = rng.standard_normal((3, 8, 3)).astype(np.float32)
    data[1, 2, 1] = np.inf
    ds = ShapeNetNPZ(_save(tmp_path / "s.npz", data=data))
    ds[0], ds[2]  # other shapes are fine
    with pytest.raises(DataError, match=r"s.npz: data\[1\] has 1 point\(s\) with NaN or inf"):
        ds[1]


@pytest.mark.parametrize(
    "arrays, match",
    [
        ({"points": np.zeros((2, 4, 3))}, r"no key 'data'; keys present: \['points'\]"),
        ({"data": np.zeros((8, 3))}, "expected \\(shapes, points, 3\\)"),
        ({"data": np.zeros((2, 4, 2))}, "expected \\(shapes, points, 3\\)"),
        ({"data": np.zeros((0, 4, 3))}, "no shapes or no points"),
        ({"data": np.zeros((2, 0, 3))}, "no shapes or no points"),
        ({"data": np.array([[["a", "b", "c"]]])}, "dtype"),
    ],
)
def test_bad_contents_raise_data_error(tmp_path, arrays, match):
    with pytest.raises(DataError, match=match):
        ShapeNetNPZ(_save(tmp_path / "bad.npz", **arrays))


def test_missing_file_and_non_zip_raise_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ShapeNetNPZ(tmp_path / "missing.npz")
    np.save(tmp_path / "plain.npy", np.zeros((2, 4, 3)))
    with pytest.raises(DataError, match="not an .npz"):
        ShapeNetNPZ(tmp_path / "plain.npy")


def test_truncated_member_raises_data_error(tmp_path, rng):
    path = _save(tmp_path / "t.npz", data=rng.standard_normal((4, 64, 3)).astype(np.float32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # also cuts the zip directory
    with pytest.raises(DataError, match="t.npz"):
        ShapeNetNPZ(path)


def test_member_header_claiming_more_data_than_stored_raises(tmp_path):
    # a stored member whose .npy header promises 1000 shapes but holds only the header
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1000, 4, 3), dtype=np.float32))

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(tmp_path / "h.npz", "w", zipfile.ZIP_STORED) as z:
        z.writestr("data.npy", buf.getvalue())
    with pytest.raises(DataError, match="truncated or corrupt"):
        ShapeNetNPZ(tmp_path / "h.npz")
