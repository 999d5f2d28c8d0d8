"""Indoor 3-D detection AP and AR as VoteNet scores them (``APCalculator`` / ``eval_det_cls``).

Conventions (VoteNet's, unless marked *strl*):

* Boxes are ``box7`` ``(cx, cy, cz, dx, dy, dz, heading)`` (see :mod:`strl.geometry.boxes`); the
  IoU is the oriented 3-D IoU (heading used), :func:`strl.geometry.iou_3d_pairs`.
* Per class, detections are ranked by descending score. *strl*: ties in score keep the order of
  the input arrays (lower index first); VoteNet's unstable ``argsort`` leaves that order undefined.
* A detection is compared with the ground-truth box of its class in the same scene that has the
  highest IoU (the first such box in input order when several tie). It is a true positive iff that
  IoU is strictly greater than the threshold and that box is not yet matched; otherwise it is a
  false positive, so duplicates are false positives. There are no "difficult" boxes: the number of
  positives counts every ground-truth box of the class.
* Recall ``cumsum(tp) / npos``, precision ``cumsum(tp) / max(cumsum(tp + fp), eps)``; AP is the
  VOC all-point (VOC2010+) area under the precision envelope, never the 11-point AP.
* The classes scored are those present in the ground truth or in the predictions. A class with
  ground truth but no predictions gets AP 0 and recall 0.
* A class with predictions but no ground truth: VoteNet divides by ``npos = 0`` and gets AP and
  recall NaN, which makes its mAP and AR NaN. *strl* reports ``None`` for such a class and leaves it
  out of ``map_*`` and ``ar_*`` (the means over the classes that have ground truth); the reference's
  means, NaN included, are kept under ``votenet_map_*`` and ``votenet_ar_*``.

The IoU of every detection with every ground-truth box of the same scene and class is computed
once, for all scenes at once (pairs are formed by a sort-and-search join, not a loop), and the
greedy matching needs no loop either: a detection whose best IoU clears the threshold is a true
positive iff it is the first such detection, in rank order, to claim that ground-truth box.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from strl.geometry import iou_3d_pairs


def threshold_key(threshold: float) -> str:
    """The key suffix of an IoU threshold: ``0.25 -> "25"``, ``0.5 -> "50"``, ``0.125 -> "12.5"``."""
    return f"{threshold * 100:g}"


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC all-point AP of one class: ``(D,), (D,) -> float``.

    Recall is padded with 0 and 1, precision with 0 and 0; precision is made non-increasing from
    the right, and ``delta recall * precision`` is summed where the recall changes.
    """
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _scene_ids(pred_scene, gt_scene) -> tuple[np.ndarray, np.ndarray]:
    """Scenes (ints or strings) as dense int64 ids shared by predictions and ground truth."""
    pred_scene, gt_scene = np.asarray(pred_scene).reshape(-1), np.asarray(gt_scene).reshape(-1)
    parts = [s for s in (pred_scene, gt_scene) if s.size]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len({s.dtype.kind in "USO" for s in parts}) > 1:
        raise ValueError("pred_scene and gt_scene must both be integers or both be strings")
    ids = np.unique(np.concatenate(parts), return_inverse=True)[1].reshape(-1).astype(np.int64)
    return ids[: pred_scene.size], ids[pred_scene.size :]


def best_ground_truth(
    pred_boxes: np.ndarray, pred_key: np.ndarray, gt_boxes: np.ndarray, gt_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each detection, the ground-truth box with the same key (scene and class) of highest IoU.

    pred_boxes ``(K, 7)``, pred_key ``(K,)`` int, gt_boxes ``(G, 7)``, gt_key ``(G,)`` int.
    Returns ``best_iou (K,)`` float64 (``-inf`` where no box shares the key) and ``best_gt (K,)``
    int64 (the ground-truth index; the lowest index among equal IoUs; ``-1`` where none).
    """
    k = pred_key.size
    best_iou, best_gt = np.full(k, -np.inf), np.full(k, -1, np.int64)
    order = np.argsort(gt_key, kind="stable")
    sorted_key = gt_key[order]
    start = np.searchsorted(sorted_key, pred_key, side="left")
    counts = np.searchsorted(sorted_key, pred_key, side="right") - start
    total = int(counts.sum())
    if total == 0:
        return best_iou, best_gt
    pair_pred = np.repeat(np.arange(k), counts)  # pairs grouped by detection, ground truth ascending
    first_pair = np.cumsum(counts) - counts
    pair_gt = order[np.repeat(start, counts) + np.arange(total) - np.repeat(first_pair, counts)]
    iou = iou_3d_pairs(
        torch.from_numpy(pred_boxes[pair_pred]).double(), torch.from_numpy(gt_boxes[pair_gt]).double()
    ).numpy()
    has_pairs = counts > 0
    best_iou[has_pairs] = np.maximum.reduceat(iou, first_pair[has_pairs])
    is_best = np.flatnonzero(iou == best_iou[pair_pred])
    _, first_best = np.unique(pair_pred[is_best], return_index=True)
    winners = is_best[first_best]
    best_gt[pair_pred[winners]] = pair_gt[winners]
    return best_iou, best_gt


def true_positives(ranked_best_iou: np.ndarray, ranked_best_gt: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy matching of detections in rank order: ``(D,), (D,) -> (D,)`` bool.

    A detection is a true positive iff its best IoU is ``> threshold`` and it is the first
    detection (in rank order) whose best box is that ground-truth box, which is exactly the
    one-at-a-time rule "TP iff the best box is still unmatched, and then mark it matched".
    """
    tp = np.zeros(ranked_best_iou.size, dtype=bool)
    clears = np.flatnonzero(ranked_best_iou > threshold)
    _, first = np.unique(ranked_best_gt[clears], return_index=True)
    tp[clears[first]] = True
    return tp


def _class_names(classes: np.ndarray, num_classes: int | None, class_names: Sequence[str] | None) -> list[str]:
    if class_names is not None:
        class_names = [str(n) for n in class_names]
        if num_classes is not None and num_classes != len(class_names):
            raise ValueError(f"num_classes={num_classes} but {len(class_names)} class names")
        num_classes = len(class_names)
    if classes.size and classes.min() < 0:
        raise ValueError(f"class ids must be non-negative, got {classes.min()}")
    if num_classes is not None and classes.size and classes.max() >= num_classes:
        raise ValueError(f"class id {classes.max()} is not below num_classes={num_classes}")
    return [class_names[c] if class_names is not None else str(c) for c in classes.tolist()]


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def evaluate_detections(
    pred_boxes,
    pred_class,
    pred_score,
    pred_scene,
    gt_boxes,
    gt_class,
    gt_scene,
    iou_thresholds: Sequence[float] = (0.25, 0.5),
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
) -> dict:
    """AP / AR of 3-D detections by VoteNet's protocol (see the module docstring).

    pred_boxes ``(K, 7)``, pred_class ``(K,)`` int, pred_score ``(K,)``, pred_scene ``(K,)`` int or
    str; gt_boxes ``(G, 7)``, gt_class ``(G,)``, gt_scene ``(G,)``. ``class_names[c]`` names class
    ``c`` (default ``str(c)``); ``num_classes``, if given, bounds the class ids.

    Returns, for each threshold ``t`` with key ``k = threshold_key(t)`` (``"25"``, ``"50"``):

    * ``map_k``: mean AP over the classes with ground truth (``None`` if there are none);
    * ``ap_k``: ``{class name: AP}`` for every class in ground truth or predictions, ascending id,
      ``None`` for a class without ground truth;
    * ``ar_k`` and ``recall_k``: the same for the final recall of each class;
    * ``votenet_map_k`` and ``votenet_ar_k``: the means VoteNet's ``APCalculator`` reports, NaN
      when some predicted class has no ground truth;
    and ``classes_without_gt`` (names), ``num_predictions``, ``num_gt``, ``iou_thresholds``.
    All APs and recalls are fractions in [0, 1].
    """
    pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 7)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 7)
    pred_class = np.asarray(pred_class).astype(np.int64).reshape(-1)
    gt_class = np.asarray(gt_class).astype(np.int64).reshape(-1)
    pred_score = np.asarray(pred_score, dtype=np.float64).reshape(-1)
    k, g = pred_boxes.shape[0], gt_boxes.shape[0]
    if not (pred_class.size == pred_score.size == np.asarray(pred_scene).size == k):
        raise ValueError("pred_boxes, pred_class, pred_score and pred_scene must have the same length")
    if not (gt_class.size == np.asarray(gt_scene).size == g):
        raise ValueError("gt_boxes, gt_class and gt_scene must have the same length")

    classes = np.union1d(pred_class, gt_class)
    names = _class_names(classes, num_classes, class_names)
    pred_sid, gt_sid = _scene_ids(pred_scene, gt_scene)
    span = int(classes.max()) + 1 if classes.size else 1
    best_iou, best_gt = best_ground_truth(pred_boxes, pred_sid * span + pred_class, gt_boxes, gt_sid * span + gt_class)

    rank = np.lexsort((np.arange(k), -pred_score, pred_class))  # by class, score down, index up
    ranked_class = pred_class[rank]
    seg_start = np.searchsorted(ranked_class, classes, side="left")
    seg_stop = np.searchsorted(ranked_class, classes, side="right")
    npos = np.bincount(np.searchsorted(classes, gt_class), minlength=classes.size)

    out: dict = {}
    for t in iou_thresholds:
        key = threshold_key(t)
        tp = true_positives(best_iou[rank], best_gt[rank], t).astype(np.float64)
        ap, recall, ref_ap, ref_recall = {}, {}, [], []
        for c, name, lo, hi, n in zip(classes.tolist(), names, seg_start, seg_stop, npos):
            if n == 0:  # predictions without ground truth
                ap[name] = recall[name] = None
                ref_ap.append(float("nan"))
                ref_recall.append(float("nan"))
                continue
            tp_cum = np.cumsum(tp[lo:hi])
            fp_cum = np.cumsum(1.0 - tp[lo:hi])
            rec = tp_cum / float(n)
            prec = tp_cum / np.maximum(tp_cum + fp_cum, np.finfo(np.float64).eps)
            ap[name] = voc_ap(rec, prec) if hi > lo else 0.0
            recall[name] = float(rec[-1]) if hi > lo else 0.0
            ref_ap.append(ap[name])
            ref_recall.append(recall[name])
        scored = [v for v in ap.values() if v is not None]
        out[f"map_{key}"] = _mean(scored)
        out[f"ap_{key}"] = ap
        out[f"ar_{key}"] = _mean([v for v in recall.values() if v is not None])
        out[f"recall_{key}"] = recall
        out[f"votenet_map_{key}"] = float(np.mean(ref_ap)) if ref_ap else float("nan")
        out[f"votenet_ar_{key}"] = float(np.mean(ref_recall)) if ref_recall else float("nan")
    out["classes_without_gt"] = [name for name, n in zip(names, npos) if n == 0]
    out["num_predictions"] = k
    out["num_gt"] = g
    out["iou_thresholds"] = [float(t) for t in iou_thresholds]
    return out
