import json

import numpy as np
import pytest

from strl.errors import DataError
from strl.metrics.prediction_files import (
    read_predictions,
    score_classification,
    score_file,
    score_partseg,
    score_semseg,
    validate_predictions,
    write_predictions,
)

CLASSIFY = {"pred": np.array([0, 0, 0, 1, 1, 0, 0]), "label": np.array([0, 0, 0, 0, 1, 1, 2])}
PARTSEG = {  # two airplanes (IoU 0.75, 1) and a bag (0.875: one point predicted as airplane part 0)
    "pred": np.array([[0, 1, 1, 2], [0, 0, 1, 2], [4, 4, 4, 0]]),
    "label": np.array([[0, 0, 1, 2], [0, 0, 1, 2], [4, 4, 4, 4]]),
    "category": np.array([0, 0, 1]),
}
SEMSEG = {
    "pred": np.array([0, 1, 1, 1, 0, 9]),
    "label": np.array([0, 0, 1, 1, 2, 255]),
    "num_classes": 4,
    "ignore_index": 255,
}


def test_round_trip_and_scores_from_the_file_equal_those_in_memory(tmp_path):
    for task, arrays, scorer in [("classify", CLASSIFY, score_classification), ("partseg", PARTSEG, score_partseg), ("semseg", SEMSEG, score_semseg)]:
        path = tmp_path / f"{task}.npz"
        write_predictions(path, task, **arrays)
        read_task, read = read_predictions(path)
        assert read_task == task
        for key, value in arrays.items():
            assert np.array_equal(read[key], value), key
        kwargs = {"restrict": False} if task == "partseg" else {}
        assert score_file(path, **kwargs) == scorer(arrays, **kwargs)
        json.dumps(score_file(path, **kwargs))  # what finetune and score write


def test_classification_scores():
    s = score_classification(CLASSIFY)
    assert s["overall_accuracy"] == pytest.approx(4 / 7)
    assert s["mean_class_accuracy"] == pytest.approx((0.75 + 0.5) / 3)
    assert s["per_class_accuracy"] == pytest.approx([0.75, 0.5, 0.0])
    assert s["confusion_matrix"] == [[3, 1, 0], [1, 1, 0], [1, 0, 0]]
    s = score_classification({**CLASSIFY, "num_classes": 5})
    assert s["num_classes"] == 5 and s["per_class_accuracy"][3:] == [None, None]


def test_partseg_scores_in_both_argmax_modes():
    s = score_partseg(PARTSEG, restrict=False)
    assert s["argmax"] == "all parts"
    assert s["instance_miou"] == pytest.approx((0.75 + 1 + 0.875) / 3)
    assert s["class_miou"] == pytest.approx((0.875 + 0.875) / 2)
    assert s["per_category"]["Bag"] == {"miou": 0.875, "shapes": 1}
    with pytest.raises(DataError, match="shape 2 holds parts outside its category"):
        score_partseg(PARTSEG)  # restricted scoring of an unrestricted prediction
    logits = np.zeros((3, 4, 50))
    np.put_along_axis(logits, PARTSEG["pred"][..., None], 1.0, axis=-1)
    logits[2, 3, 4] = 0.5  # the bag's stray point: second best is its own part 4
    from_logits = {"logits": logits, "label": PARTSEG["label"], "category": PARTSEG["category"]}
    assert score_partseg(from_logits, restrict=False)["instance_miou"] == pytest.approx((0.75 + 1 + 0.875) / 3)
    restricted = score_partseg(from_logits, restrict=True)
    assert restricted["argmax"] == "category parts" and restricted["instance_miou"] == pytest.approx((0.75 + 1 + 1) / 3)


def test_semseg_scores_with_ignore_index_and_folds():
    s = score_semseg(SEMSEG)  # the ignored point's pred (9) is not looked at
    assert s["num_points"] == 5 and s["confusion_matrix"] == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert s["iou_per_class"][:3] == pytest.approx([1 / 3, 2 / 3, 0.0]) and s["iou_per_class"][3] is None
    assert s["miou"] == pytest.approx(1 / 3) and s["miou_classes"] == 3
    assert s["overall_accuracy"] == pytest.approx(3 / 5)
    assert s["mean_class_accuracy"] == pytest.approx(0.5)
    folds = {"pred": np.array([0, 0, 1, 0, 0]), "label": np.array([0, 0, 1, 1, 0]), "fold": np.array([1, 1, 2, 2, 2]), "num_classes": 2}
    s = score_semseg(folds)
    assert s["folds"] == {1: {"miou": 1.0, "num_points": 2}, 2: {"miou": 0.5, "num_points": 3}}
    assert s["mean_fold_miou"] == pytest.approx(0.75)
    assert s["pooled_miou"] == pytest.approx(0.625) == s["miou"]


def bad(task, arrays, match):
    with pytest.raises(DataError, match=match) as err:
        validate_predictions(task, arrays, "preds.npz")
    assert str(err.value).startswith("preds.npz: ") and "\n" not in str(err.value)


def test_bad_arrays_are_refused_with_one_line_naming_the_key():
    bad("classify", {"pred": CLASSIFY["pred"]}, "missing key 'label'")
    bad("classify", {**CLASSIFY, "lable": CLASSIFY["label"]}, "unknown key 'lable'")
    bad("classify", {**CLASSIFY, "pred": CLASSIFY["pred"][:-1]}, "shapes differ: 'pred' \\(6,\\), 'label' \\(7,\\)")
    bad("classify", {**CLASSIFY, "pred": CLASSIFY["pred"] + 0.5}, "'pred' must hold integer ids, got float64")
    bad("classify", {**CLASSIFY, "num_classes": 2}, "'label' holds 2 at index \\(6,\\); ids must be in 0..1")
    bad("classify", {**CLASSIFY, "pred": -CLASSIFY["pred"]}, "'pred' holds -1 at index \\(3,\\)")
    bad("classify", {**CLASSIFY, "num_classes": np.array([3])}, "'num_classes' must be one integer")
    bad("partseg", {**PARTSEG, "pred": PARTSEG["pred"][0]}, "'pred' must have 2 dimensions")
    bad("partseg", {**PARTSEG, "category": np.array([0, 0])}, "'label' has 3 shapes but 'category' 2")
    bad("partseg", {**PARTSEG, "label": PARTSEG["label"] + 46}, "'label' holds 50 at index \\(2, 0\\); ids must be in 0..49")
    bad("partseg", {**PARTSEG, "category": np.array([0, 0, 16])}, "'category' holds 16")
    bad("partseg", {**PARTSEG, "category": np.array([0, 1, 1])}, "'label' of shape 1 holds part 0 at point 0, outside its category 1 \\(Bag: parts 4..5\\)")
    bad("partseg", {"label": PARTSEG["label"], "category": PARTSEG["category"]}, "missing key 'pred'")
    bad("partseg", {**PARTSEG, "logits": np.zeros((3, 4, 49))}, "'logits' must have shape \\(3, 4, 50\\)")
    bad("partseg", {**PARTSEG, "logits": np.full((3, 4, 50), np.nan)}, "finite")
    bad("semseg", {k: v for k, v in SEMSEG.items() if k != "num_classes"}, "missing key 'num_classes'")
    bad("semseg", {k: v for k, v in SEMSEG.items() if k != "ignore_index"}, "'label' holds 255 at index \\(5,\\)")
    bad("semseg", {**SEMSEG, "pred": np.array([0, 1, 1, 4, 0, 0])}, "'pred' holds 4 at index \\(3,\\); ids must be in 0..3")
    bad("semseg", {**SEMSEG, "label": np.full(6, 255)}, "no points to score")
    bad("semseg", {**SEMSEG, "fold": np.array([0, 0, 1, 1, -1, 1])}, "'fold' holds -1 at index \\(4,\\); ids must be non-negative")
    bad("track", {}, "unknown task 'track'")


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_predictions(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .npz"):
        read_predictions(junk)
    path = tmp_path / "p.npz"
    write_predictions(path, "classify", **CLASSIFY)
    with pytest.raises(DataError, match="holds classify predictions, not semseg"):
        read_predictions(path, "semseg")
    np.savez(tmp_path / "untagged.npz", **CLASSIFY)
    with pytest.raises(DataError, match="no 'task' entry"):
        read_predictions(tmp_path / "untagged.npz")
    assert read_predictions(tmp_path / "untagged.npz", "classify")[0] == "classify"
    with pytest.raises(DataError, match="missing key 'category'"):
        write_predictions(tmp_path / "q.npz", "partseg", pred=PARTSEG["pred"], label=PARTSEG["label"])
    assert not (tmp_path / "q.npz").exists()


def detection_arrays():
    """Scene 'a': a chair (class 1) found twice (IoU 1, then a duplicate) and a table (class 0) missed;
    scene 'b': a chair found with IoU 1/3 (the unit cube shifted by half its side along x)."""
    unit = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.0]
    shifted = [0.5, 0.0, 0.5, 1.0, 1.0, 1.0, 0.0]
    return {
        "pred_boxes": np.array([unit, unit, shifted]), "pred_class": np.array([1, 1, 1]),
        "pred_score": np.array([0.9, 0.8, 0.7]), "pred_scene": np.array(["a", "a", "b"]),
        "gt_boxes": np.array([unit, [3.0, 3.0, 0.4, 1.2, 0.8, 0.8, 0.3], unit]), "gt_class": np.array([1, 0, 1]),
        "gt_scene": np.array(["a", "a", "b"]), "class_names": np.array(["table", "chair"]),
    }


def test_detection_predictions_round_trip_and_hand_computed_scores(tmp_path):
    path = tmp_path / "detect.npz"
    write_predictions(path, "detect", **detection_arrays())
    task, read = read_predictions(path)
    assert task == "detect" and read["class_names"].tolist() == ["table", "chair"]
    scores = score_file(path)
    assert scores["task"] == "detect" and scores["num_predictions"] == 3 and scores["num_gt"] == 3
    # chair at 0.25: TP (0.9), duplicate FP (0.8), TP (0.7, IoU 1/3 > 0.25): precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    assert scores["ap_25"] == {"table": 0.0, "chair": pytest.approx(0.5 * 1 + 0.5 * 2 / 3)}
    assert scores["ap_50"]["chair"] == pytest.approx(0.5) and scores["map_50"] == pytest.approx(0.25)
    assert scores["map_25"] == pytest.approx((0.0 + 0.5 + 1 / 3) / 2)


def test_detection_predictions_with_mismatched_lengths_name_the_file(tmp_path):
    arrays = detection_arrays()
    arrays["pred_score"] = arrays["pred_score"][:2]
    with pytest.raises(DataError, match=r"detect.npz: the pred_\* arrays differ in length"):
        write_predictions(tmp_path / "detect.npz", "detect", **arrays)
    arrays = detection_arrays()
    arrays["gt_boxes"][1, 4] = 0.0
    with pytest.raises(DataError, match=r"'gt_boxes' row 1 has a non-positive size"):
        validate_predictions("detect", arrays, tmp_path / "detect.npz")


def test_semseg_files_scored_as_folds_pooled_and_per_fold(tmp_path, capsys):
    from strl.cli.main import main
    from strl.metrics.prediction_files import score_semseg_folds, write_predictions

    # fold 1: 2 points, both right (mIoU 1); fold 2: one class-1 point called 0 (IoU 1/2 and 1/2)
    write_predictions(tmp_path / "a1.npz", "semseg", pred=np.array([0, 1]), label=np.array([0, 1]), num_classes=2)
    write_predictions(tmp_path / "a2.npz", "semseg", pred=np.array([0, 0, 1]), label=np.array([0, 1, 1]), num_classes=2)
    s = score_semseg_folds([tmp_path / "a1.npz", tmp_path / "a2.npz"])
    assert s["folds"][1]["miou"] == pytest.approx(1.0) and s["folds"][2]["miou"] == pytest.approx(0.5)
    assert s["mean_fold_miou"] == pytest.approx(0.75)
    assert s["pooled_miou"] == pytest.approx((2 / 3 + 2 / 3) / 2) == s["miou"]  # pooled: class 0 2/3, class 1 2/3
    assert main(["score", "semseg", str(tmp_path / "a1.npz"), str(tmp_path / "a2.npz")]) == 0
    assert "fold 2" in capsys.readouterr().out
    write_predictions(tmp_path / "b.npz", "semseg", pred=np.array([0, 2]), label=np.array([0, 2]), num_classes=3)
    with pytest.raises(DataError, match="'num_classes' is 3, but .*a1.npz has 2"):
        score_semseg_folds([tmp_path / "a1.npz", tmp_path / "b.npz"])
