import math

import numpy as np
import pytest
import torch

from strl.bench.original_det_eval import box3d_iou, corners_upright_camera, evaluate_like_votenet, voc_ap
from strl.geometry import iou_3d_pairs
from strl.metrics.detection import evaluate_detections, threshold_key
from strl.metrics.detection import voc_ap as strl_voc_ap


def random_boxes(rng, n, spread=3.0):
    return np.concatenate(
        [rng.uniform(0, spread, (n, 3)), rng.uniform(0.3, 1.8, (n, 3)), rng.uniform(-math.pi, math.pi, (n, 1))], 1
    )


def test_reference_iou_hand_cases_and_corner_layout():
    unit = corners_upright_camera([0, 0, 0, 1, 1, 1, 0])
    assert box3d_iou(unit, corners_upright_camera([0.5, 0, 0, 1, 1, 1, 0]))[0] == pytest.approx(1 / 3)
    assert box3d_iou(unit, corners_upright_camera([0, 0, 0, 1, 1, 1, math.pi / 4]))[0] == pytest.approx(1 / math.sqrt(2))
    assert box3d_iou(unit, corners_upright_camera([3, 0, 0, 1, 1, 1, 0]))[0] == 0.0
    # upright (x, y, z) -> camera (x, -z, y); corners 0-3 at the bottom (camera y = +dz/2)
    c = corners_upright_camera([1, 2, 3, 4, 2, 6, 0])
    assert c[:, 0].min() == -1 and c[:, 0].max() == 3
    assert np.allclose(c[:4, 1], -3 + 3) and np.allclose(c[4:, 1], -3 - 3)
    assert c[:, 2].min() == 1 and c[:, 2].max() == 3


def test_reference_iou_agrees_with_strl_on_random_boxes():
    rng = np.random.default_rng(0)
    a, b = random_boxes(rng, 150), random_boxes(rng, 150)
    ref = np.array([box3d_iou(corners_upright_camera(x), corners_upright_camera(y))[0] for x, y in zip(a, b)])
    assert (ref > 0).mean() > 0.2
    np.testing.assert_allclose(iou_3d_pairs(torch.from_numpy(a), torch.from_numpy(b)).numpy(), ref, rtol=0, atol=1e-12)


def test_reference_voc_ap_agrees():
    rng = np.random.default_rng(1)
    rec = np.sort(rng.random(30))
    prec = rng.random(30)
    assert voc_ap(rec, prec) == pytest.approx(strl_voc_ap(rec, prec), abs=1e-15)


def test_strl_evaluator_matches_the_reference_on_random_scenes():
    rng = np.random.default_rng(2)
    g, k, classes, scenes = 40, 300, 4, 5
    gt_boxes = random_boxes(rng, g)
    gt_class, gt_scene = rng.integers(0, classes, g), rng.integers(0, scenes, g)
    source = rng.integers(0, g, k)
    pred_boxes = gt_boxes[source] + np.concatenate([rng.normal(0, 0.15, (k, 3)), np.zeros((k, 3)), rng.normal(0, 0.3, (k, 1))], 1)
    pred_boxes[:, 3:6] *= rng.uniform(0.8, 1.25, (k, 3))
    pred_class = np.where(rng.random(k) < 0.8, gt_class[source], rng.integers(0, classes + 1, k))  # class 4: no GT
    pred_scene = np.where(rng.random(k) < 0.9, gt_scene[source], rng.integers(0, scenes, k))
    pred_score = rng.random(k)
    assert np.unique(pred_score).size == k
    ours = evaluate_detections(pred_boxes, pred_class, pred_score, pred_scene, gt_boxes, gt_class, gt_scene)
    ref = evaluate_like_votenet(pred_boxes, pred_class, pred_score, pred_scene, gt_boxes, gt_class, gt_scene)
    for t, metrics in ref.items():
        key = threshold_key(t)
        assert set(ours[f"ap_{key}"]) == {str(c) for c in range(classes + 1)}
        for c in range(classes):
            assert ours[f"ap_{key}"][str(c)] == pytest.approx(metrics[f"{c} Average Precision"], abs=1e-6)
            assert ours[f"recall_{key}"][str(c)] == pytest.approx(metrics[f"{c} Recall"], abs=1e-6)
        assert ours[f"ap_{key}"][str(classes)] is None and math.isnan(metrics[f"{classes} Average Precision"])
        assert math.isnan(ours[f"votenet_map_{key}"]) and math.isnan(metrics["mAP"])
        assert 0 < ours[f"map_{key}"] < 1
    assert ours["ap_25"]["0"] > ours["ap_50"]["0"]
    # without the class that has no ground truth both means are numbers, and equal
    keep = pred_class < classes
    ours = evaluate_detections(pred_boxes[keep], pred_class[keep], pred_score[keep], pred_scene[keep], gt_boxes, gt_class, gt_scene)
    ref = evaluate_like_votenet(pred_boxes[keep], pred_class[keep], pred_score[keep], pred_scene[keep], gt_boxes, gt_class, gt_scene)
    for t, metrics in ref.items():
        assert ours[f"map_{threshold_key(t)}"] == pytest.approx(metrics["mAP"], abs=1e-6)
        assert ours[f"votenet_map_{threshold_key(t)}"] == pytest.approx(metrics["mAP"], abs=1e-6)
        assert ours[f"ar_{threshold_key(t)}"] == pytest.approx(metrics["AR"], abs=1e-6)
