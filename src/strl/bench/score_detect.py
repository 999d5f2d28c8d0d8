"""Time ``strl score detect``'s evaluator against the re-implemented VoteNet evaluator.

:func:`synthesise_detections` builds ScanNet-val-sized inputs: rooms with 5-30 ground-truth boxes,
and 256 proposals per room emitted once per class (score ``sem_prob[c] * obj_prob``), as VoteNet's
``parse_predictions`` does with ``per_class_proposal``. Most proposals are noisy copies of a
ground-truth box, the others lie anywhere in the room; headings are random, so the boxes are
oriented and (almost surely) non-degenerate, which the reference needs.
"""

from __future__ import annotations

import math
import time

import numpy as np

from strl.bench.original_det_eval import evaluate_like_votenet
from strl.metrics.detection import evaluate_detections, threshold_key


def _random_boxes(rng: np.random.Generator, n: int, room: float = 8.0) -> np.ndarray:
    size = rng.uniform(0.3, 2.0, (n, 3))
    centre = np.concatenate([rng.uniform(0, room, (n, 2)), size[:, 2:] / 2 + rng.uniform(0, 0.5, (n, 1))], 1)
    return np.concatenate([centre, size, rng.uniform(-math.pi, math.pi, (n, 1))], 1)


def synthesise_detections(
    scenes: int = 312, proposals: int = 256, classes: int = 18, gt_per_scene=(5, 30), seed: int = 0
) -> dict:
    """Arrays for :func:`~strl.metrics.detection.evaluate_detections`; scenes named ``sceneNNNN_00``.

    ``K = scenes * proposals * classes`` detections; ``gt_per_scene`` is an inclusive range.
    """
    rng = np.random.default_rng(seed)
    out = {k: [] for k in ("pred_boxes", "pred_class", "pred_score", "pred_scene", "gt_boxes", "gt_class", "gt_scene")}
    for s in range(scenes):
        name = f"scene{s:04d}_00"
        n_gt = int(rng.integers(gt_per_scene[0], gt_per_scene[1] + 1))
        gt, gt_cls = _random_boxes(rng, n_gt), rng.integers(0, classes, n_gt)
        source = rng.integers(0, n_gt, proposals)
        near = rng.random(proposals) < 0.7
        boxes = _random_boxes(rng, proposals)
        noisy = gt[source] + np.concatenate(
            [rng.normal(0, 0.15, (proposals, 3)), np.zeros((proposals, 3)), rng.normal(0, 0.2, (proposals, 1))], 1
        )
        noisy[:, 3:6] *= rng.uniform(0.8, 1.2, (proposals, 3))
        boxes[near] = noisy[near]
        logits = rng.normal(0, 1, (proposals, classes))
        logits[np.arange(proposals), gt_cls[source]] += 2.0 * near
        sem_prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        obj_prob = rng.uniform(0.05, 1.0, proposals)
        out["pred_boxes"].append(np.tile(boxes, (classes, 1)))  # class-major: each proposal once per class
        out["pred_class"].append(np.repeat(np.arange(classes), proposals))
        out["pred_score"].append((sem_prob * obj_prob[:, None]).T.reshape(-1))
        out["pred_scene"].append(np.full(proposals * classes, name))
        out["gt_boxes"].append(gt)
        out["gt_class"].append(gt_cls)
        out["gt_scene"].append(np.full(n_gt, name))
    return {k: np.concatenate(v) for k, v in out.items()}


def max_ap_difference(strl_result: dict, reference: dict) -> float:
    """Largest ``|AP_strl - AP_reference|`` over thresholds and classes (NaN/None pairs agree)."""
    worst = 0.0
    for t, ref in reference.items():
        for name, ap in strl_result[f"ap_{threshold_key(t)}"].items():
            ref_ap = ref[f"{name} Average Precision"]
            if ap is None:
                worst = worst if np.isnan(ref_ap) else math.inf
            else:
                worst = max(worst, abs(ap - ref_ap))
    return worst


def time_score_detect(
    scenes: int = 312,
    proposals: int = 256,
    classes: int = 18,
    gt_per_scene=(5, 30),
    seed: int = 0,
    repeats: int = 1,
) -> dict:
    """Seconds of strl's evaluator and of the reference (best of ``repeats``), ratio and AP agreement."""
    data = synthesise_detections(scenes, proposals, classes, gt_per_scene, seed)
    timings = {"strl": math.inf, "reference": math.inf}
    for _ in range(repeats):
        start = time.perf_counter()
        result = evaluate_detections(**data)
        timings["strl"] = min(timings["strl"], time.perf_counter() - start)
        start = time.perf_counter()
        reference = evaluate_like_votenet(**data)
        timings["reference"] = min(timings["reference"], time.perf_counter() - start)
    return {
        "strl_s": timings["strl"],
        "reference_s": timings["reference"],
        "speedup": timings["reference"] / timings["strl"],
        "max_ap_diff": max_ap_difference(result, reference),
        "num_predictions": int(data["pred_boxes"].shape[0]),
        "num_gt": int(data["gt_boxes"].shape[0]),
        "map_25": result["map_25"],
        "map_50": result["map_50"],
    }
