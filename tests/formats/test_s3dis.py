import numpy as np
import pytest
import torch

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet
from strl.formats.s3dis import S3DIS_CLASSES, load_s3dis

ROOMS = ["Area_1_office_1", "Area_1_office_1", "Area_2_hallway_3", "Area_5_office_10", "Area_5_WC_1",
         "Area_6_lobby_1"]


def _write_release(root, rng, write_h5, listing=True, rooms=ROOMS):
    """Two block files (4 + 2 blocks) of 16 points x 9 channels; returns (folder, data, labels)."""
    folder = root / "indoor3d_sem_seg_hdf5_data"
    data = rng.standard_normal((6, 16, 9)).astype(np.float32)
    labels = rng.integers(0, 13, (6, 16)).astype(np.uint8)
    write_h5(folder / "ply_data_all_0.h5", data=data[:4], label=labels[:4])
    write_h5(folder / "ply_data_all_1.h5", data=data[4:], label=labels[4:])
    if listing:
        (folder / "all_files.txt").write_text(
            "indoor3d_sem_seg_hdf5_data/ply_data_all_0.h5\nindoor3d_sem_seg_hdf5_data/ply_data_all_1.h5\n")
    (folder / "room_filelist.txt").write_text("\n".join(rooms) + "\n")
    return folder, data, labels


@pytest.mark.parametrize("listing", [True, False])
def test_area5_split(tmp_path, rng, write_h5, listing):
    _, data, labels = _write_release(tmp_path, rng, write_h5, listing)
    test = load_s3dis(tmp_path, "test", test_area=5)
    assert isinstance(test, CloudSet) and test.labels is None and test.point_class_names == S3DIS_CLASSES
    assert len(test) == 2 and test.rooms == ["Area_5_office_10", "Area_5_WC_1"]
    np.testing.assert_array_equal(test[0], data[3, :, :3])
    np.testing.assert_array_equal(test.features(1), data[4])
    assert test.point_labels(1).tolist() == labels[4].tolist() and test.point_labels(1).dtype == np.int64
    train = load_s3dis(tmp_path, "train", test_area=5)
    assert len(train) == 4
    np.testing.assert_array_equal(train[3], data[5, :, :3])


def test_six_fold_splits_cover_every_block_once(tmp_path, rng, write_h5):
    folder, _, _ = _write_release(tmp_path, rng, write_h5)
    sizes = [len(load_s3dis(folder, "test", test_area=a)) if a in (1, 2, 5, 6) else 0 for a in range(1, 7)]
    assert sum(sizes) == len(ROOMS)
    assert len(load_s3dis(folder, "train", test_area=1)) == 4
    assert load_s3dis(folder, "test", test_area="2").rooms == ["Area_2_hallway_3"]  # e.g. from a command line


def test_dataloader_workers_read_the_same_blocks(tmp_path, rng, write_h5):
    _write_release(tmp_path, rng, write_h5)
    blocks = load_s3dis(tmp_path, "train", test_area=5)
    expected = np.stack([blocks[i] for i in range(len(blocks))])  # parent has files open before forking
    loader = torch.utils.data.DataLoader(blocks, batch_size=1, num_workers=2)
    got = torch.cat(list(loader)).numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(blocks[0], expected[0])  # parent still reads after the fork


def test_room_count_mismatch_and_bad_room_names(tmp_path, rng, write_h5):
    folder, _, _ = _write_release(tmp_path / "a", rng, write_h5, rooms=ROOMS[:-1])
    with pytest.raises(DataError, match="room_filelist.txt: names 5 rooms but the h5 files hold 6 blocks"):
        load_s3dis(folder, "test")
    folder, _, _ = _write_release(tmp_path / "b", rng, write_h5, rooms=ROOMS[:-1] + ["lobby"])
    with pytest.raises(DataError, match="line 6 is not 'Area_<n>_<room>'"):
        load_s3dis(folder, "test")


@pytest.mark.parametrize("datasets, match", [
    ({"data": np.zeros((6, 16, 9), np.float32)}, r"no dataset 'label'"),
    ({"data": np.zeros((6, 16, 9), np.float32), "label": np.zeros((6, 15), np.uint8)}, "do not fit"),
    ({"data": np.zeros((6, 16, 9), np.float32), "label": np.full((6, 16), 13, np.uint8)}, r"label\[3\] holds values"),
])
def test_bad_block_files_raise_data_error(tmp_path, write_h5, datasets, match):
    write_h5(tmp_path / "ply_data_all_0.h5", **datasets)
    (tmp_path / "room_filelist.txt").write_text("\n".join(ROOMS) + "\n")
    with pytest.raises(DataError, match=match):
        load_s3dis(tmp_path, "test").point_labels(0)


def test_non_finite_features_and_missing_files(tmp_path, write_h5):
    data = np.zeros((6, 16, 9), np.float32)
    data[3, 0, 5] = np.nan  # a colour channel
    write_h5(tmp_path / "ply_data_all_0.h5", data=data, label=np.zeros((6, 16), np.uint8))
    (tmp_path / "room_filelist.txt").write_text("\n".join(ROOMS) + "\n")
    blocks = load_s3dis(tmp_path, "test")
    blocks[0]  # xyz are fine
    with pytest.raises(DataError, match=r"ply_data_all_0.h5: data\[3\] has NaN or inf features"):
        blocks.features(0)
    (tmp_path / "all_files.txt").write_text("indoor3d_sem_seg_hdf5_data/ply_data_all_7.h5\n")
    with pytest.raises(DataError, match="ply_data_all_7.h5: HDF5 file not found"):
        load_s3dis(tmp_path, "test")
    with pytest.raises(DataError, match="room_filelist.txt: file not found"):
        load_s3dis(tmp_path / "..", "test")


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="test_area"):
        load_s3dis(tmp_path, "test", test_area=7)
    with pytest.raises(ConfigError, match="split"):
        load_s3dis(tmp_path, "val")
