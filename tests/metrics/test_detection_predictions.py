import numpy as np
import pytest

from strl.errors import DataError
from strl.metrics.detection import evaluate_detections
from strl.metrics.detection_predictions import read_detection_predictions


def valid_arrays():
    return {
        "pred_boxes": np.array([[0, 0, 0, 1, 1, 1, 0], [3, 0, 0, 1, 1, 1, 0.2]], dtype=np.float32),
        "pred_class": np.array([0, 1]),
        "pred_score": np.array([0.9, 0.4], dtype=np.float32),
        "pred_scene": np.array(["scene0000_00", "scene0001_00"]),
        "gt_boxes": np.array([[0, 0, 0.1, 1, 1, 1, 0]]),
        "gt_class": np.array([0], dtype=np.int32),
        "gt_scene": np.array(["scene0000_00"]),
        "class_names": np.array(["chair", "table"]),
    }


def write(tmp_path, arrays, name="pred.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_round_trip_and_score(tmp_path):
    path = write(tmp_path, {**valid_arrays(), "task": np.array("detect")})
    data = read_detection_predictions(path)
    assert data["pred_boxes"].dtype == np.float64 and data["pred_boxes"].shape == (2, 7)
    assert data["gt_class"].dtype == np.int64 and data["class_names"] == ["chair", "table"]
    result = evaluate_detections(**data)
    assert result["ap_25"] == {"chair": 1.0, "table": None}


def test_integer_scenes_no_names_and_empty_predictions(tmp_path):
    arrays = valid_arrays()
    del arrays["class_names"]
    arrays.update(
        pred_boxes=np.zeros((0, 7)), pred_class=np.zeros(0, int), pred_score=np.zeros(0), pred_scene=np.zeros(0, int),
        gt_scene=np.array([7]),
    )
    data = read_detection_predictions(write(tmp_path, arrays))
    assert data["class_names"] is None
    assert evaluate_detections(**data)["ap_50"] == {"0": 0.0}


def broken(**changes):
    arrays = valid_arrays()
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return arrays


@pytest.mark.parametrize(
    "arrays,message",
    [
        (broken(gt_boxes=None), "missing 'gt_boxes'"),
        (broken(extra=np.zeros(2)), "unknown key 'extra'"),
        (broken(task=np.array("classify")), "holds classify predictions, not detect"),
        (broken(pred_boxes=np.zeros((2, 6))), "'pred_boxes' must be numbers of shape (N, 7)"),
        (broken(pred_boxes=np.array([["a"] * 7] * 2)), "'pred_boxes' must be numbers"),
        (broken(pred_score=np.array([0.9, 0.4, 0.1])), "the pred_* arrays differ in length (pred_boxes 2, pred_class 2, pred_score 3, pred_scene 2)"),
        (broken(gt_class=np.array([0, 1])), "the gt_* arrays differ in length"),
        (broken(pred_boxes=np.array([[0, 0, 0, 1, 1, 1, 0], [0, np.nan, 0, 1, 1, 1, 0]])), "'pred_boxes' row 1 holds a non-finite"),
        (broken(pred_score=np.array([0.9, np.inf])), "'pred_score' entry 1 is not finite"),
        (broken(gt_boxes=np.array([[0, 0, 0, 1, 0, 1, 0]])), "'gt_boxes' row 0 has a non-positive size"),
        (broken(pred_class=np.array([0, 2])), "'pred_class' entry 1 is 2, not in 0..1 (class_names has 2 names)"),
        (broken(gt_class=np.array([-1])), "'gt_class' entry 0 is -1"),
        (broken(pred_class=np.array([0.0, 1.0])), "'pred_class' must be a 1-D array of integer class ids"),
        (broken(pred_scene=np.array([0, 1])), "both hold integers or both hold strings"),
        (broken(gt_scene=np.array([[0]])), "'gt_scene' must be a 1-D array of scene ids"),
    ],
)
def test_bad_files_name_the_key(tmp_path, arrays, message):
    path = write(tmp_path, arrays)
    with pytest.raises(DataError) as err:
        read_detection_predictions(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_detection_predictions(tmp_path / "absent.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="not a readable .npz"):
        read_detection_predictions(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**valid_arrays(), "pred_scene": np.array(["a", 1], dtype=object)})
    with pytest.raises(DataError, match="not a readable .npz"):
        read_detection_predictions(pickled)
