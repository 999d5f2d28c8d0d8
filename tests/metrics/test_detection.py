import math

import numpy as np
import pytest

from strl.metrics.detection import best_ground_truth, evaluate_detections, threshold_key, voc_ap


def cube(x, y=0.0, z=0.0, size=(1.0, 1.0, 1.0), heading=0.0):
    return [x, y, z, *size, heading]


def evaluate(preds, gts, **kwargs):
    """preds: [(box, class, score, scene)], gts: [(box, class, scene)]."""
    pb = np.array([p[0] for p in preds], dtype=float).reshape(-1, 7)
    gb = np.array([g[0] for g in gts], dtype=float).reshape(-1, 7)
    return evaluate_detections(
        pb,
        np.array([p[1] for p in preds], dtype=np.int64),
        np.array([p[2] for p in preds], dtype=float),
        np.array([p[3] for p in preds], dtype=np.int64),
        gb,
        np.array([g[1] for g in gts], dtype=np.int64),
        np.array([g[2] for g in gts], dtype=np.int64),
        **kwargs,
    )


def test_voc_ap_all_point_hand_case():
    # envelope of (0.5, 1), (0.5, 0.5), (1, 2/3): 1 up to recall 0.5, then 2/3
    assert voc_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(0.5 + 0.5 * 2 / 3)
    # never reaching full recall: the missing part counts 0 (all-point, not 11-point)
    assert voc_ap(np.array([0.25, 0.5]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert voc_ap(np.array([]), np.array([])) == 0.0


def test_duplicates_are_false_positives():
    gts = [(cube(0), 0, 0), (cube(5), 0, 0)]
    preds = [(cube(0), 0, 0.9, 0), (cube(0.05), 0, 0.8, 0), (cube(5), 0, 0.7, 0)]
    r = evaluate(preds, gts)
    # tp 1, 0, 1: recall 1/2, 1/2, 1 and precision 1, 1/2, 2/3
    assert r["ap_25"] == {"0": pytest.approx(0.5 + 0.5 * 2 / 3)}
    assert r["map_25"] == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert r["recall_25"]["0"] == 1.0 and r["ar_50"] == 1.0
    assert r["votenet_map_25"] == pytest.approx(r["map_25"])


def test_threshold_is_strict():
    # along x [0, 3] against [1, 4]: IoU exactly 1/2
    gts = [(cube(1.5, size=(3, 1, 1)), 0, 0)]
    preds = [(cube(2.5, size=(3, 1, 1)), 0, 0.9, 0)]
    r = evaluate(preds, gts, iou_thresholds=(0.25, 0.5, 0.49))
    assert r["ap_25"]["0"] == 1.0 and r["ap_49"]["0"] == 1.0
    assert r["ap_50"]["0"] == 0.0
    assert threshold_key(0.125) == "12.5"


def test_the_best_box_decides_even_when_used():
    # the second detection's best box is already matched: it is a false positive although it
    # overlaps the free box by more than the threshold (IoU 0.6 / 1.4)
    gts = [(cube(0), 0, 0), (cube(0.6), 0, 0)]
    preds = [(cube(0), 0, 0.9, 0), (cube(0.2), 0, 0.8, 0)]
    r = evaluate(preds, gts)
    assert r["ap_25"]["0"] == pytest.approx(0.5)
    assert r["recall_25"]["0"] == pytest.approx(0.5)


def test_equal_ious_pick_the_first_ground_truth_box():
    gts = [(cube(0), 0, 0), (cube(0), 0, 0)]  # the same box twice
    preds = [(cube(0), 0, 0.9, 0), (cube(0), 0, 0.8, 0)]
    r = evaluate(preds, gts)
    assert r["ap_25"]["0"] == pytest.approx(0.5)  # both detections pick box 0: the second is an FP
    best_iou, best_gt = best_ground_truth(
        np.array([cube(0), cube(9)]), np.array([7, 7]), np.array([cube(0), cube(0), cube(1)]), np.array([7, 7, 8])
    )
    assert best_gt.tolist() == [0, 0] and best_iou.tolist() == [1.0, 0.0]


def test_scenes_and_classes_keep_apart():
    gts = [(cube(0), 0, 0)]
    preds = [(cube(0), 0, 0.9, 1), (cube(0), 1, 0.8, 0)]  # right box, wrong scene / wrong class
    r = evaluate(preds, gts, class_names=["chair", "table"])
    assert r["ap_25"] == {"chair": 0.0, "table": None}
    assert r["recall_25"] == {"chair": 0.0, "table": None}
    assert r["map_25"] == 0.0 and r["ar_25"] == 0.0
    assert r["classes_without_gt"] == ["table"]
    assert math.isnan(r["votenet_map_25"]) and math.isnan(r["votenet_ar_25"])


def test_class_without_predictions_counts_zero_and_mean_over_present_classes():
    gts = [(cube(0), 0, 0), (cube(4), 2, 0)]
    preds = [(cube(0), 0, 0.9, 0)]
    r = evaluate(preds, gts, num_classes=5)
    assert r["ap_25"] == {"0": 1.0, "2": 0.0}  # classes 1, 3 and 4 appear nowhere: not scored
    assert r["map_25"] == 0.5 and r["votenet_map_25"] == 0.5 and r["votenet_ar_25"] == 0.5


def test_ties_keep_input_order():
    gts = [(cube(0), 0, 0)]
    far, hit = (cube(9), 0, 0.5, 0), (cube(0), 0, 0.5, 0)
    assert evaluate([far, hit], gts)["ap_25"]["0"] == pytest.approx(0.5)  # FP ranked first
    assert evaluate([hit, far], gts)["ap_25"]["0"] == 1.0


def test_heading_is_used():
    gts = [(cube(0, size=(2, 0.5, 1)), 0, 0)]
    turned = (cube(0, size=(2, 0.5, 1), heading=math.pi / 2), 0, 0.9, 0)  # IoU 0.25 / 1.75
    same = (cube(0, size=(0.5, 2, 1), heading=math.pi / 2), 0, 0.9, 0)  # the same box
    assert evaluate([turned], gts)["ap_25"]["0"] == 0.0
    assert evaluate([same], gts)["ap_50"]["0"] == 1.0
    cube45 = (cube(0, heading=math.pi / 4), 0, 0.9, 0)  # IoU 0.7071
    r = evaluate([cube45], [(cube(0), 0, 0)], iou_thresholds=(0.7, 0.71))
    assert r["ap_70"]["0"] == 1.0 and r["ap_71"]["0"] == 0.0


def test_string_scenes_match_integer_scenes():
    rng = np.random.default_rng(0)
    gb = np.concatenate([rng.uniform(0, 3, (12, 3)), rng.uniform(0.5, 1.5, (12, 3)), rng.uniform(-3, 3, (12, 1))], 1)
    gc, gs = rng.integers(0, 3, 12), rng.integers(0, 3, 12)
    pb = gb[rng.integers(0, 12, 40)] + rng.normal(0, 0.1, (40, 7))
    pc, ps, psc = rng.integers(0, 3, 40), rng.random(40), rng.integers(0, 3, 40)
    by_int = evaluate_detections(pb, pc, ps, psc, gb, gc, gs)
    names = np.array(["scene_a", "scene_b", "scene_c"])
    by_name = evaluate_detections(pb, pc, ps, names[psc], gb, gc, names[gs])
    assert by_int == by_name
    with pytest.raises(ValueError, match="both"):
        evaluate_detections(pb, pc, ps, psc, gb, gc, names[gs])


def test_empty_inputs():
    r = evaluate([], [(cube(0), 3, 0)])
    assert r["ap_25"] == {"3": 0.0} and r["map_50"] == 0.0
    r = evaluate([], [])
    assert r["map_25"] is None and r["ap_25"] == {} and math.isnan(r["votenet_map_25"])
    r = evaluate([(cube(0), 0, 0.5, 0)], [])
    assert r["map_25"] is None and r["ap_25"] == {"0": None}


def test_class_ids_checked_against_names():
    with pytest.raises(ValueError, match="num_classes"):
        evaluate([(cube(0), 4, 0.5, 0)], [(cube(0), 0, 0)], num_classes=3)
    with pytest.raises(ValueError, match="class names"):
        evaluate([(cube(0), 0, 0.5, 0)], [(cube(0), 0, 0)], num_classes=3, class_names=["a", "b"])
