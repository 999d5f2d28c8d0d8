"""VoteNet's detection evaluation re-implemented as the reference runs it, for comparison only.

What it reproduces (``utils/box_util.py``, ``utils/eval_det.py``, ``models/ap_helper.py``):

* boxes as 8 corners in upright-camera coordinates (``(x, y, z) -> (x, -z, y)``, y pointing
  down), built like ``get_3d_box`` (rotation about the camera y axis, so the heading turns
  clockwise seen from above: an strl ``box7`` with heading ``h`` is built with ``-h``);
* ``box3d_iou`` one pair at a time: the two x-z rectangles (corners 3, 2, 1, 0) clipped by
  Sutherland-Hodgman with a strict inside test (``None`` as soon as a clip leaves nothing), the
  overlap area from ``scipy.spatial.ConvexHull(...).volume``, times the overlap along y, over the
  union of the volumes (edge lengths 0-1, 1-2, 0-4);
* ``eval_det_cls``: detections sorted by ``np.argsort(-score)`` (unstable), each compared in a
  Python loop with every ground-truth box of its class in its scene (first maximum wins), TP iff
  IoU > threshold and that box is unused; recall, precision and the looped all-point ``voc_ap``;
* ``eval_det_multiprocessing`` (run here in one process): classes from predictions and ground
  truth, a class with ground truth but no predictions gets AP 0 and recall 0, a predicted class
  without ground truth gets NaN (``npos = 0``);
* ``APCalculator.compute_metrics``: per-class AP and final recall, mAP and AR as plain means.

Do not use it to score anything: :func:`strl.metrics.detection.evaluate_detections` is the
vectorised replacement (and stays finite and within [0, 1] where this one can fail or exceed 1 on
identical or edge-sharing rotated boxes).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull


def corners_upright_camera(box: np.ndarray) -> np.ndarray:
    """One strl ``box7`` as VoteNet's ``(8, 3)`` corners in upright-camera coordinates."""
    cx, cy, cz, dx, dy, dz, heading = (float(v) for v in box)
    c, s = np.cos(-heading), np.sin(-heading)
    rot_y = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    local = np.array(
        [
            [dx / 2, dx / 2, -dx / 2, -dx / 2, dx / 2, dx / 2, -dx / 2, -dx / 2],
            [dz / 2, dz / 2, dz / 2, dz / 2, -dz / 2, -dz / 2, -dz / 2, -dz / 2],
            [dy / 2, -dy / 2, -dy / 2, dy / 2, dy / 2, -dy / 2, -dy / 2, dy / 2],
        ]
    )
    return (rot_y @ local).T + np.array([cx, -cz, cy])


def _clip(subject: list, clip: list) -> list | None:
    """Sutherland-Hodgman: ``subject`` clipped by the convex, counter-clockwise ``clip``."""

    def inside(p, a, b):
        return (b[0] - a[0]) * (p[1] - a[1]) > (b[1] - a[1]) * (p[0] - a[0])

    def crossing(a, b, s, e):
        dc = (a[0] - b[0], a[1] - b[1])
        dp = (s[0] - e[0], s[1] - e[1])
        n1 = a[0] * b[1] - a[1] * b[0]
        n2 = s[0] * e[1] - s[1] * e[0]
        n3 = 1.0 / (dc[0] * dp[1] - dc[1] * dp[0])
        return [(n1 * dp[0] - n2 * dc[0]) * n3, (n1 * dp[1] - n2 * dc[1]) * n3]

    output = subject
    a = clip[-1]
    for b in clip:
        points, output = output, []
        s = points[-1]
        for e in points:
            if inside(e, a, b):
                if not inside(s, a, b):
                    output.append(crossing(a, b, s, e))
                output.append(e)
            elif inside(s, a, b):
                output.append(crossing(a, b, s, e))
            s = e
        a = b
        if not output:
            return None
    return output


def _shoelace(x: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def _volume(corners: np.ndarray) -> float:
    a = np.sqrt(np.sum((corners[0] - corners[1]) ** 2))
    b = np.sqrt(np.sum((corners[1] - corners[2]) ** 2))
    c = np.sqrt(np.sum((corners[0] - corners[4]) ** 2))
    return a * b * c


def box3d_iou(corners1: np.ndarray, corners2: np.ndarray) -> tuple[float, float]:
    """Oriented 3-D IoU and BEV IoU of two ``(8, 3)`` upright-camera corner sets, one pair at a time."""
    rect1 = [(corners1[i, 0], corners1[i, 2]) for i in (3, 2, 1, 0)]
    rect2 = [(corners2[i, 0], corners2[i, 2]) for i in (3, 2, 1, 0)]
    area1 = _shoelace(np.array(rect1)[:, 0], np.array(rect1)[:, 1])
    area2 = _shoelace(np.array(rect2)[:, 0], np.array(rect2)[:, 1])
    polygon = _clip(rect1, rect2)
    inter_area = ConvexHull(polygon).volume if polygon is not None else 0.0
    iou_2d = inter_area / (area1 + area2 - inter_area)
    y_max = min(corners1[0, 1], corners2[0, 1])
    y_min = max(corners1[4, 1], corners2[4, 1])
    inter = inter_area * max(0.0, y_max - y_min)
    return inter / (_volume(corners1) + _volume(corners2) - inter), iou_2d


def voc_ap(rec: np.ndarray, prec: np.ndarray) -> float:
    """All-point VOC AP with the reference's backwards loop for the precision envelope."""
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def eval_det_cls(pred: dict, gt: dict, threshold: float) -> tuple[np.ndarray, np.ndarray, float]:
    """One class: ``pred`` ``{scene: [(corners, score)]}``, ``gt`` ``{scene: [corners]}``."""
    records, npos = {}, 0
    for scene, boxes in gt.items():
        records[scene] = {"boxes": boxes, "used": [False] * len(boxes)}
        npos += len(boxes)
    for scene in pred:
        records.setdefault(scene, {"boxes": [], "used": []})
    scenes, scores, boxes = [], [], []
    for scene, items in pred.items():
        for box, score in items:
            scenes.append(scene)
            scores.append(score)
            boxes.append(box)
    order = np.argsort(-np.array(scores))
    tp, fp = np.zeros(len(order)), np.zeros(len(order))
    for d, idx in enumerate(order):
        record = records[scenes[idx]]
        best, best_j = -np.inf, -1
        for j, gt_box in enumerate(record["boxes"]):
            iou = box3d_iou(boxes[idx], gt_box)[0]
            if iou > best:
                best, best_j = iou, j
        if best > threshold and not record["used"][best_j]:
            tp[d] = 1.0
            record["used"][best_j] = True
        else:
            fp[d] = 1.0
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    with np.errstate(divide="ignore", invalid="ignore"):
        rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return rec, prec, voc_ap(rec, prec)


def eval_det(pred_all: dict, gt_all: dict, threshold: float) -> tuple[dict, dict, dict]:
    """All classes: ``pred_all`` ``{scene: [(cls, corners, score)]}``, ``gt_all`` ``{scene: [(cls, corners)]}``."""
    pred, gt = {}, {}
    for scene, items in pred_all.items():
        for cls, box, score in items:
            pred.setdefault(cls, {}).setdefault(scene, []).append((box, score))
            gt.setdefault(cls, {}).setdefault(scene, [])
    for scene, items in gt_all.items():
        for cls, box in items:
            gt.setdefault(cls, {}).setdefault(scene, []).append(box)
    rec, prec, ap = {}, {}, {}
    for cls in gt:
        if cls in pred:
            with np.errstate(invalid="ignore"):
                rec[cls], prec[cls], ap[cls] = eval_det_cls(pred[cls], gt[cls], threshold)
        else:
            rec[cls], prec[cls], ap[cls] = 0, 0, 0
    return rec, prec, ap


def compute_metrics(pred_all: dict, gt_all: dict, threshold: float, class2type: dict | None = None) -> dict:
    """``APCalculator.compute_metrics``: ``"<name> Average Precision"``, ``"mAP"``, ``"<name> Recall"``, ``"AR"``."""
    rec, _, ap = eval_det(pred_all, gt_all, threshold)
    out, recalls = {}, []
    for cls in sorted(ap):
        out[f"{class2type[cls] if class2type else cls} Average Precision"] = ap[cls]
    out["mAP"] = float(np.mean(list(ap.values())))
    for cls in sorted(ap):
        name = class2type[cls] if class2type else str(cls)
        try:
            out[f"{name} Recall"] = rec[cls][-1]
        except (TypeError, IndexError):
            out[f"{name} Recall"] = 0
        recalls.append(out[f"{name} Recall"])
    out["AR"] = float(np.mean(recalls))
    return out


def evaluate_like_votenet(
    pred_boxes, pred_class, pred_score, pred_scene, gt_boxes, gt_class, gt_scene, iou_thresholds=(0.25, 0.5)
) -> dict:
    """The arrays of :func:`strl.metrics.detection.evaluate_detections`, scored by the loops above.

    Returns ``{threshold: compute_metrics(...)}``, class keys being the integer class ids.
    """
    pred_all, gt_all = {}, {}
    for scene in list(pred_scene) + list(gt_scene):
        pred_all.setdefault(scene, [])
        gt_all.setdefault(scene, [])
    for box, cls, score, scene in zip(pred_boxes, pred_class, pred_score, pred_scene):
        pred_all[scene].append((int(cls), corners_upright_camera(box), float(score)))
    for box, cls, scene in zip(gt_boxes, gt_class, gt_scene):
        gt_all[scene].append((int(cls), corners_upright_camera(box)))
    return {t: compute_metrics(pred_all, gt_all, t) for t in iou_thresholds}
