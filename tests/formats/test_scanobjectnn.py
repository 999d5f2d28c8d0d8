import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet
from strl.formats.scanobjectnn import SCANOBJECTNN_CLASSES, VARIANTS, load_scanobjectnn

FILES = {
    ("OBJ_BG", "train"): "main_split/training_objectdataset.h5",
    ("OBJ_ONLY", "test"): "main_split_nobg/test_objectdataset.h5",
    ("PB_T50_RS", "train"): "main_split/training_objectdataset_augmentedrot_scale75.h5",
    ("PB_T50_RS", "test"): "main_split/test_objectdataset_augmentedrot_scale75.h5",
}


@pytest.mark.parametrize("variant, split", sorted(FILES))
def test_each_variant_reads_its_file(tmp_path, rng, write_h5, variant, split):
    data = rng.standard_normal((3, 32, 3)).astype(np.float32)
    write_h5(tmp_path / "h5_files" / FILES[variant, split], data=data, label=np.array([0, 14, 7], np.int8))
    for root in (tmp_path, tmp_path / "h5_files"):
        ds = load_scanobjectnn(root, split, variant)
        assert isinstance(ds, CloudSet) and len(ds) == 3
        assert ds.labels.tolist() == [0, 14, 7] and ds.class_names == SCANOBJECTNN_CLASSES
        np.testing.assert_array_equal(ds[2], data[2])
        assert ds.point_mask(0) is None


def test_label_column_and_mask(tmp_path, rng, write_h5):
    mask = rng.integers(-1, 3, (2, 16))
    write_h5(tmp_path / FILES["OBJ_BG", "train"], data=rng.standard_normal((2, 16, 3)), label=[[3], [4]], mask=mask)
    ds = load_scanobjectnn(tmp_path, "train", "OBJ_BG")
    assert ds.labels.tolist() == [3, 4]
    assert ds.point_mask(1).tolist() == mask[1].tolist() and ds.point_mask(1).dtype == np.int64


@pytest.mark.parametrize(
    "datasets, match",
    [
        ({"points": np.zeros((2, 16, 3)), "label": [0, 1]}, r"no dataset 'data'; keys present: \['label', 'points'\]"),
        ({"data": np.zeros((2, 16, 3)), "label": [0, 15]}, r"span \[0, 15\], expected 0..14"),
        ({"data": np.zeros((2, 16, 3)), "label": [0, 1], "mask": np.zeros((2, 8))}, "'mask' rows have shape"),
        ({"data": np.zeros((2, 0, 3)), "label": [0, 1]}, "empty"),
    ],
)
def test_bad_files_raise_data_error(tmp_path, write_h5, datasets, match):
    write_h5(tmp_path / FILES["PB_T50_RS", "test"], **datasets)
    with pytest.raises(DataError, match=match):
        load_scanobjectnn(tmp_path, "test")[0]


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="training_objectdataset_augmentedrot_scale75.h5: not found"):
        load_scanobjectnn(tmp_path, "train")
    with pytest.raises(ConfigError, match=str(sorted(VARIANTS)).replace("[", r"\[").replace("]", r"\]")):
        load_scanobjectnn(tmp_path, "train", "PB_T25")
    with pytest.raises(ConfigError, match="split"):
        load_scanobjectnn(tmp_path, "val")
