"""A plain re-implementation of the KITTI object evaluation, to test strl.metrics.kitti against.

Written straight from the devkit's rules, one frame, one ground-truth object and one detection at a
time, with shapely polygons for the rotated boxes (corners placed as the devkit's ``toPolygon``
does). Slow, and meant to be: it shares no code with the evaluator under test.
"""

from __future__ import annotations

import math

from shapely.geometry import Polygon

MIN_HEIGHT = [40, 25, 25]
MAX_OCCLUSION = [0, 1, 2]
MAX_TRUNCATION = [0.15, 0.3, 0.5]


def objects(labels) -> list[dict]:
    """One dict per object of a frame (KittiLabels-like arrays -> plain Python values)."""
    out = []
    for k in range(len(labels.name)):
        h, w, l = (float(v) for v in labels.dimensions[k])
        x, y, z = (float(v) for v in labels.location[k])
        out.append({"type": str(labels.name[k]), "trunc": float(labels.truncated[k]),
                    "occ": int(labels.occluded[k]), "alpha": float(labels.alpha[k]),
                    "box": [float(v) for v in labels.bbox[k]], "h": h, "w": w, "l": l, "x": x, "y": y,
                    "z": z, "ry": float(labels.rotation_y[k]),
                    "score": None if labels.score is None else float(labels.score[k])})
    return out


def polygon(o: dict) -> Polygon:
    c, s = math.cos(o["ry"]), math.sin(o["ry"])
    corners = [(o["l"] / 2, o["w"] / 2), (o["l"] / 2, -o["w"] / 2), (-o["l"] / 2, -o["w"] / 2), (-o["l"] / 2, o["w"] / 2)]
    return Polygon([(c * u + s * v + o["x"], -s * u + c * v + o["z"]) for u, v in corners])


def box_overlap(a: list[float], b: list[float], own_area_of_a: bool = False) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    if own_area_of_a:
        return inter / area_a
    return inter / (area_a + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def overlap(metric: str, d: dict, g: dict) -> float:
    if metric == "bbox":
        return box_overlap(d["box"], g["box"])
    inter = polygon(d).intersection(polygon(g)).area
    if metric == "bev":
        return inter / (d["l"] * d["w"] + g["l"] * g["w"] - inter) if inter > 0 else 0.0
    height = min(d["y"], g["y"]) - max(d["y"] - d["h"], g["y"] - g["h"])
    if inter <= 0 or height <= 0:
        return 0.0
    vol = inter * height
    return vol / (d["h"] * d["w"] * d["l"] + g["h"] * g["w"] * g["l"] - vol)


def clean(gts: list[dict], dets: list[dict], cls: str, level: int):
    """(ignored_gt, ignored_det, dontcare boxes, number of counted GT) of one frame."""
    ignored_gt, ignored_det, dontcare, n_gt = [], [], [], 0
    for g in gts:
        t = g["type"].lower()
        if t == cls.lower():
            valid = 1
        elif (cls.lower() == "pedestrian" and t == "person_sitting") or (cls.lower() == "car" and t == "van"):
            valid = 0
        else:
            valid = -1
        height = g["box"][3] - g["box"][1]
        ignore = g["occ"] > MAX_OCCLUSION[level] or g["trunc"] > MAX_TRUNCATION[level] or height <= MIN_HEIGHT[level]
        if valid == 1 and not ignore:
            ignored_gt.append(0)
            n_gt += 1
        elif valid == 0 or (valid == 1 and ignore):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
        if t == "dontcare":
            dontcare.append(g["box"])
    for d in dets:
        height = abs(d["box"][3] - d["box"][1])
        if height < MIN_HEIGHT[level]:
            ignored_det.append(1)
        elif d["type"].lower() == cls.lower():
            ignored_det.append(0)
        else:
            ignored_det.append(-1)
    return ignored_gt, ignored_det, dontcare, n_gt


def statistics(gts, dets, overlaps, ignored_gt, ignored_det, dontcare, metric, min_overlap,
               compute_fp, thresh=0.0):
    """(tp, fp, similarity sum, TP scores) of one frame."""
    assigned = [False] * len(dets)
    below = [compute_fp and d["score"] < thresh for d in dets]
    tp = fp = 0
    similarity, tp_scores = 0.0, []
    for i, g in enumerate(gts):
        if ignored_gt[i] == -1:
            continue
        best, best_score, best_overlap, best_is_ignored = None, -10000000.0, 0.0, False
        for j, d in enumerate(dets):
            if ignored_det[j] == -1 or assigned[j] or below[j]:
                continue
            o = overlaps[i][j]
            if o <= min_overlap:
                continue
            if not compute_fp:
                if d["score"] > best_score:
                    best, best_score = j, d["score"]
            elif ignored_det[j] == 0 and (best is None or best_is_ignored or o > best_overlap):
                best, best_overlap, best_is_ignored = j, o, False
            elif ignored_det[j] == 1 and best is None:
                best, best_is_ignored = j, True
        if best is None:
            continue
        assigned[best] = True
        if ignored_gt[i] == 0 and ignored_det[best] == 0:
            tp += 1
            tp_scores.append(dets[best]["score"])
            similarity += (1 + math.cos(g["alpha"] - dets[best]["alpha"])) / 2
    if compute_fp:
        for j, d in enumerate(dets):
            if assigned[j] or ignored_det[j] != 0 or below[j]:
                continue
            covered = metric == "bbox" and any(box_overlap(d["box"], b, own_area_of_a=True) > min_overlap
                                               for b in dontcare)
            if not covered:
                fp += 1
    return tp, fp, similarity, tp_scores


def thresholds(scores: list[float], n_gt: int) -> list[float]:
    scores = sorted(scores, reverse=True)
    out, current = [], 0.0
    for i, s in enumerate(scores):
        left = (i + 1) / n_gt
        right = (i + 2) / n_gt if i < len(scores) - 1 else left
        if (right - current) < (current - left) and i < len(scores) - 1:
            continue
        out.append(s)
        current += 1 / 40.0
    return out


def evaluate(gt_frames, dt_frames, cls: str, metric: str, min_overlap: float):
    """{"R11": [3], "R40": [3], "aos_R11": [3], "aos_R40": [3]} in percent for one class and metric."""
    frames = [(objects(g), objects(d)) for g, d in zip(gt_frames, dt_frames)]
    overlaps = [[[overlap(metric, d, g) for d in dets] for g in gts] for gts, dets in frames]
    out = {"R11": [], "R40": [], "aos_R11": [], "aos_R40": []}
    for level in range(3):
        cleaned = [clean(gts, dets, cls, level) for gts, dets in frames]
        scores = []
        for (gts, dets), ov, (ig, idt, dc, _) in zip(frames, overlaps, cleaned):
            scores += statistics(gts, dets, ov, ig, idt, dc, metric, min_overlap, compute_fp=False)[3]
        n_gt = sum(c[3] for c in cleaned)
        precision, aos = [0.0] * 41, [0.0] * 41
        for t, thresh in enumerate(thresholds(scores, n_gt)):
            tp = fp = 0
            similarity = 0.0
            for (gts, dets), ov, (ig, idt, dc, _) in zip(frames, overlaps, cleaned):
                a, b, s, _ = statistics(gts, dets, ov, ig, idt, dc, metric, min_overlap, True, thresh)
                tp, fp, similarity = tp + a, fp + b, similarity + s
            precision[t] = tp / (tp + fp) if tp + fp else 0.0
            aos[t] = similarity / (tp + fp) if tp + fp else 0.0
        for curve, key in ((precision, ""), (aos, "aos_")):
            smoothed = [max(curve[i:]) for i in range(41)]
            out[key + "R11"].append(sum(smoothed[i] for i in range(0, 41, 4)) / 11 * 100)
            out[key + "R40"].append(sum(smoothed[1:]) / 40 * 100)
    return out
