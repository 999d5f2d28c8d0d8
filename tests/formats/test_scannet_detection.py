import os
import shutil
import sys

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.scannet_detection import (DETECTION_CLASSES, DETECTION_MEAN_SIZES, SEGMENTATION_CLASSES,
                                            ScanNetDetection)
from strl.formats.scenes import SceneSet
from strl.sequences.frame_files import DataWarning

sys.path.insert(0, os.path.dirname(__file__))
from scene_files import write_scannet, write_scannet_scene  # noqa: E402

SHEET_MEANS = [  # downstream.md §4.1, rounded to mm
    (.770, .812, .926), (1.877, 1.843, 1.193), (.613, .615, .718), (1.396, 1.512, .834), (.979, 1.068, .633),
    (.532, .596, 1.750), (.962, .725, 1.148), (.832, 1.049, 1.688), (.211, .421, .537), (1.444, 1.897, .270),
    (1.029, 1.404, .876), (1.377, .655, 1.681), (.665, .711, 1.299), (.420, .379, 1.751), (.594, .591, .739),
    (.509, .507, .301), (1.151, 1.055, .497), (.475, .492, .580)]


@pytest.fixture
def scannet(tmp_path, rng):
    return write_scannet(tmp_path / "scannet", rng)


def test_splits_classes_and_protocol(scannet):
    train, val = ScanNetDetection(scannet, "train"), ScanNetDetection(scannet, "val")
    assert isinstance(train, SceneSet)
    assert train.names == ["scene0000_00", "scene0001_00"] and val.names == ["scene0002_00"]
    assert len(train.box_class_names) == 18 and train.box_class_names[2] == "chair"
    assert len(train.semantic_class_names) == 20 and train.semantic_class_names[:2] == ["wall", "floor"]
    assert train.mean_sizes.shape == (18, 3)
    assert len(ScanNetDetection(scannet, "all")) == 3


def test_mean_sizes_are_the_sheets_and_the_file_wins(scannet):
    assert np.allclose(DETECTION_MEAN_SIZES, SHEET_MEANS, atol=5e-4)
    means = np.arange(54, dtype=np.float32).reshape(18, 3) + 1
    np.savez(scannet / "meta_data" / "scannet_means.npz", means)  # stored as arr_0, as VoteNet's
    assert np.array_equal(ScanNetDetection(scannet).mean_sizes, means)


def test_scene_contents(scannet, rng):
    written = write_scannet_scene(scannet / "scannet_train_detection_data", "scene0000_00", rng)
    scene = ScanNetDetection(scannet, "train").scene(0)
    assert scene.name == "scene0000_00"
    assert np.allclose(scene.points, written["vert"][:, :3], atol=1e-6)
    assert np.allclose(scene.colors, written["vert"][:, 3:] / 255) and scene.colors.dtype == np.float32
    # NYU40 2 (floor) -> benchmark class 1, 5 (chair) -> 4, 35 (lamp) is not among the 20 -> -1
    assert sorted(set(scene.semantic.tolist())) == [-1, 1, 4]
    assert (scene.semantic[written["sem_label"] == 35] == -1).all()
    assert (scene.instance[written["ins_label"] == 0] == -1).all()
    assert (scene.instance[written["ins_label"] == 1] == 1).all()
    assert scene.box_classes.tolist() == [DETECTION_CLASSES.index("chair")]
    assert np.allclose(scene.boxes[0, :6], written["bbox"][0, :6]) and scene.boxes[0, 6] == 0
    # the chair's points vote for the middle of their extent, which is its box's centre; the lamp does not vote
    chair = written["sem_label"] == 5
    assert scene.vote_mask.tolist() == chair.tolist()
    assert np.allclose(scene.points[chair] + scene.votes[chair, 3:6], scene.boxes[0, :3], atol=1e-5)
    assert SEGMENTATION_CLASSES[4] == "chair"


@pytest.mark.parametrize("placement", ["beside", "inside", "flat"])
def test_split_lists_are_found_in_the_common_places(scannet, placement):
    data = scannet / "scannet_train_detection_data"
    if placement == "inside":
        shutil.move(scannet / "meta_data", data / "meta_data")
    elif placement == "flat":
        for f in (scannet / "meta_data").iterdir():
            shutil.move(f, data / f.name)
    for root in (scannet, data):
        assert len(ScanNetDetection(root, "train")) == 2


def test_missing_split_file_names_where_it_looked(scannet):
    (scannet / "meta_data" / "scannetv2_val.txt").unlink()
    with pytest.raises(DataError, match=r"scannetv2_val.txt: split file not found \(also looked in"):
        ScanNetDetection(scannet, "val")
    with pytest.raises(ConfigError, match="split must be one of"):
        ScanNetDetection(scannet, "dev")
    with pytest.raises(DataError, match="no scannet_train_detection_data/ folder"):
        ScanNetDetection(scannet / "meta_data", "train")


def test_listed_scenes_that_are_absent_are_skipped_with_a_warning(scannet):
    (scannet / "meta_data" / "scannetv2_train.txt").write_text("scene0000_00\nscene0999_00\n")
    with pytest.warns(DataWarning, match="1 of 2 scene.*scene0999_00"):
        data = ScanNetDetection(scannet, "train")
    assert data.names == ["scene0000_00"]
    (scannet / "meta_data" / "scannetv2_train.txt").write_text("scene0999_00\n")
    with pytest.warns(DataWarning), pytest.raises(DataError, match="no scenes of the train split"):
        ScanNetDetection(scannet, "train")


def _break(scannet, suffix, value):
    np.save(scannet / "scannet_train_detection_data" / f"scene0000_00_{suffix}.npy", value)
    return ScanNetDetection(scannet, "train")


@pytest.mark.parametrize("suffix, make, message", [
    ("sem_label", lambda a: a["sem_label"][:-1], "sem_label.npy: has shape .* one label per vertex"),
    ("ins_label", lambda a: a["ins_label"][:5], "ins_label.npy: has shape"),
    ("sem_label", lambda a: a["sem_label"] + 40, "NYU40 ids span"),
    ("bbox", lambda a: np.array([[0, 0, 0, 1, -1, 1, 5.0]]), "non-positive sizes"),
    ("bbox", lambda a: np.array([[0, 0, np.inf, 1, 1, 1, 5.0]]), "NaN or inf"),
    ("bbox", lambda a: np.array([[0, 0, 0, 1, 1, 1, 13.0]]), r"NYU40 id\(s\) \[13.0\] are not among"),
    ("bbox", lambda a: np.zeros((1, 6)), r"expected \(K, 7\)"),
    ("vert", lambda a: a["vert"] * [1, 1, 1, 2, 2, 2], "colour columns 3..5 must be finite and in 0..255"),
])
def test_bad_files_name_the_file_and_the_problem(scannet, rng, suffix, make, message):
    arrays = write_scannet_scene(scannet / "scannet_train_detection_data", "scene0000_00", rng)
    data = _break(scannet, suffix, make(arrays))
    with pytest.raises(DataError, match=message):
        data.scene(0)
    assert len(data.scene(1).points) > 0  # the other scenes still read


def test_a_scene_without_boxes(scannet):
    data = _break(scannet, "bbox", np.zeros((0, 7)))
    assert data.scene(0).boxes.shape == (0, 7)
