"""The official KITTI object evaluation (2D box, BEV, 3D and orientation AP), R11 and R40.

:func:`evaluate_kitti` follows the C++ devkit (``evaluate_object.cpp``) and OpenPCDet's Python
port (``kitti_object_eval_python/eval.py``): the overlaps of every ground-truth x detection pair of
each frame, all frames at once (:mod:`.kitti_overlaps`); difficulty flags, greedy matching and 41
score thresholds (:mod:`.kitti_matching`); then

* **R11** = mean of the interpolated precision at recall 0, 0.1, ..., 1 (positions 0, 4, ..., 40);
* **R40** = mean at recall 1/40, ..., 1 (positions 1 ... 40; Simonelli et al., ICCV'19).

Both in percent, as the devkit prints them. Note the devkit's sampling: position ``i`` holds the
precision at the ``i``-th score threshold, and there are at most as many thresholds as true
positives, so with fewer than 41 counted objects even a perfect detector scores below 100.

Where the two implementations differ, this module takes:

* DontCare regions excuse false positives for the 2D box metric only (``eval.py``; in the C++
  devkit the DontCare boxes' invalid 3D fields make the BEV/3D overlaps 0 anyway);
* the detection height ``|bottom - top|`` as a float (``eval.py``; the C++ devkit truncates it
  to an integer);
* orientation similarity only when no detection has ``alpha == -10`` (C++; ``eval.py`` looks at
  the first detection only);
* the 2D box and orientation metrics only when some detection has a valid 2D box
  (``left >= 0``, positive width and height; per class in C++, over all detections here so that
  every class reports the same metrics);
* classes without detections score 0 (``eval.py``; the C++ devkit leaves them out);
* names compared without case, ``DontCare`` included (C++).

Detections need their 2D image box even for BEV/3D: a detection lower than the level's minimum
height (40 / 25 / 25 px) is ignored, so one without a 2D box (``-1 -1 -1 -1``) never counts.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.kitti_labels import KittiLabels, read_label_file
from strl.formats.kitti_object import read_split_ids
from strl.metrics.kitti_matching import NEIGHBOUR_CLASS, MatchInputs, dt_flags, gt_flags, precision_curves
from strl.metrics.kitti_overlaps import bev_and_3d_iou_pairs, image_cover_pairs, image_iou_pairs, same_frame_pairs
from strl.sequences.frame_files import listing

__all__ = ["KITTI_CLASSES", "KITTI_METRICS", "evaluate_kitti", "format_kitti_table", "min_overlaps",
           "score_kitti_folders"]

# columns of the devkit's overlap tables (get_official_eval_result)
KITTI_CLASSES = ("Car", "Pedestrian", "Cyclist", "Van", "Person_sitting", "Truck")
KITTI_METRICS = ("bbox", "bev", "3d", "aos")
_STRICT = {m: (0.7, 0.5, 0.5, 0.7, 0.5, 0.7) for m in ("bbox", "bev", "3d")}  # overlap_0_7, the headline
_LOOSE = {"bbox": (0.7, 0.5, 0.5, 0.7, 0.5, 0.5),  # overlap_0_5
          "bev": (0.5, 0.25, 0.25, 0.5, 0.25, 0.5),
          "3d": (0.5, 0.25, 0.25, 0.5, 0.25, 0.5)}
LOOSE_KEY = "loose"  # where the loose thresholds' results go in each class's dict
INVALID_ALPHA = -10.0


def min_overlaps(cls: str, loose: bool = False) -> dict[str, float]:
    """IoU thresholds ``{"bbox", "bev", "3d"}`` of a class (strict: the headline; loose: overlap_0_5)."""
    column = _class_column(cls)
    table = _LOOSE if loose else _STRICT
    return {metric: table[metric][column] for metric in ("bbox", "bev", "3d")}


def _class_column(cls: str) -> int:
    lower = [c.lower() for c in KITTI_CLASSES]
    if cls.lower() not in lower:
        raise ConfigError(f"unknown KITTI class {cls!r}; known: {', '.join(KITTI_CLASSES)}")
    return lower.index(cls.lower())


@dataclass
class _Objects:
    """The objects of all frames, concatenated: arrays over ``N``; frame ``f`` is ``starts[f]:starts[f+1]``."""

    name: np.ndarray  # (N,) lower-case
    truncated: np.ndarray
    occluded: np.ndarray
    alpha: np.ndarray
    bbox: np.ndarray  # (N, 4)
    dimensions: np.ndarray  # (N, 3) h, w, l
    location: np.ndarray  # (N, 3)
    rotation_y: np.ndarray
    score: np.ndarray  # (N,), zeros for ground truth
    frame: np.ndarray  # (N,)
    starts: np.ndarray  # (F + 1,)


def _stack(frames: Sequence[KittiLabels], need_score: bool) -> _Objects:
    counts = np.array([len(f.name) for f in frames], dtype=np.int64)
    if need_score and any(f.score is None for f, k in zip(frames, counts) if k):
        raise ValueError("every detection needs a score")

    def cat(field: str, shape: tuple[int, ...]) -> np.ndarray:
        parts = [np.asarray(getattr(f, field), dtype=np.float64).reshape(-1, *shape) for f in frames]
        return np.concatenate(parts) if parts else np.zeros((0, *shape))

    scores = [np.zeros(k) if f.score is None else np.asarray(f.score, dtype=np.float64) for f, k in zip(frames, counts)]
    names = [np.char.lower(np.asarray(f.name, dtype=str)) for f in frames]
    return _Objects(
        name=np.concatenate(names) if names else np.zeros(0, dtype=str),
        truncated=cat("truncated", ()), occluded=cat("occluded", ()), alpha=cat("alpha", ()),
        bbox=cat("bbox", (4,)), dimensions=cat("dimensions", (3,)), location=cat("location", (3,)),
        rotation_y=cat("rotation_y", ()), score=np.concatenate(scores) if scores else np.zeros(0),
        frame=np.repeat(np.arange(len(frames)), counts), starts=np.concatenate([[0], np.cumsum(counts)]),
    )


@dataclass
class _Overlaps:
    """Overlaps of the GT / detection pairs of each frame that overlap in some metric.

    gt, dt ``(P,)`` global indices; by_metric: ``{"bbox", "bev", "3d"}`` -> ``(P,)``;
    dontcare ``(D,)``: each detection's largest DontCare cover (intersection / own 2D area).
    """

    gt: np.ndarray
    dt: np.ndarray
    by_metric: dict[str, np.ndarray]
    dontcare: np.ndarray


def _overlaps(gt: _Objects, dt: _Objects, gt_used: np.ndarray) -> _Overlaps:
    """All overlaps of the ``gt_used`` objects with the detections of their frame, every frame at once."""
    used = np.flatnonzero(gt_used)
    pair_gt, pair_dt = same_frame_pairs(used, gt.frame[used], dt.starts)
    bbox = image_iou_pairs(gt.bbox[pair_gt], dt.bbox[pair_dt])
    bev, box3d = bev_and_3d_iou_pairs(gt.location[pair_gt], gt.dimensions[pair_gt], gt.rotation_y[pair_gt],
                                      dt.location[pair_dt], dt.dimensions[pair_dt], dt.rotation_y[pair_dt])
    keep = (bbox > 0) | (bev > 0)
    dontcare_gt = np.flatnonzero(gt.name == "dontcare")
    dc_gt, dc_dt = same_frame_pairs(dontcare_gt, gt.frame[dontcare_gt], dt.starts)
    dontcare = np.zeros(len(dt.name))
    np.maximum.at(dontcare, dc_dt, image_cover_pairs(dt.bbox[dc_dt], gt.bbox[dc_gt]))
    return _Overlaps(pair_gt[keep], pair_dt[keep], {"bbox": bbox[keep], "bev": bev[keep], "3d": box3d[keep]}, dontcare)


def _has_valid_2d_boxes(bbox: np.ndarray) -> bool:
    """Whether some box ``(N, 4)`` is a real image box: left >= 0, positive width and height."""
    return bool(np.any((bbox[:, 0] >= 0) & (bbox[:, 2] > bbox[:, 0]) & (bbox[:, 3] > bbox[:, 1])))


def _ap(precision: np.ndarray) -> tuple[list[float], list[float]]:
    """R11 and R40 in percent of interpolated precision ``(3, 41)``: two ``[easy, moderate, hard]`` lists."""
    r11 = precision[:, 0::4].sum(axis=1) / 11 * 100
    r40 = precision[:, 1:].sum(axis=1) / 40 * 100
    return [float(v) for v in r11], [float(v) for v in r40]


def _class_scores(cls: str, gt: _Objects, dt: _Objects, overlaps: _Overlaps, metrics: Sequence[str],
                  thresholds: dict[str, float]) -> dict[str, list[float]]:
    """``{"<metric>_R40": [e, m, h], "<metric>_R11": ...}`` of one class at the given IoU thresholds."""
    lower = cls.lower()
    gt_flag = gt_flags(gt.name, gt.truncated, gt.occluded, gt.bbox, lower)
    dt_flag = dt_flags(dt.name, dt.bbox, lower)
    out: dict[str, list[float]] = {}
    for metric in ("3d", "bev", "bbox"):
        with_aos = metric == "bbox" and "aos" in metrics
        if metric not in metrics and not with_aos:
            continue
        inputs = MatchInputs(
            pair_gt=overlaps.gt, pair_dt=overlaps.dt, pair_overlap=overlaps.by_metric[metric],
            gt_frame=gt.frame, gt_flag=gt_flag, gt_alpha=gt.alpha, dt_flag=dt_flag, dt_score=dt.score,
            dt_alpha=dt.alpha, dt_dontcare=(overlaps.dontcare > thresholds[metric]) if metric == "bbox"
            else np.zeros(len(dt.name), dtype=bool), n_frames=len(gt.starts) - 1)
        precision, aos = precision_curves(inputs, thresholds[metric], with_aos)
        if metric in metrics:
            out[f"{metric}_R11"], out[f"{metric}_R40"] = _ap(precision)
        if with_aos:
            out["aos_R11"], out["aos_R40"] = _ap(aos)
    order = [f"{m}_{r}" for m in ("3d", "bev", "bbox", "aos") for r in ("R40", "R11")]
    return {key: out[key] for key in order if key in out}


def evaluate_kitti(gt: Sequence[KittiLabels], dt: Sequence[KittiLabels],
                   classes: Sequence[str] = ("Car", "Pedestrian", "Cyclist"),
                   metrics: Sequence[str] = KITTI_METRICS, loose: bool = False) -> dict[str, dict]:
    """KITTI AP of detections ``dt`` against ground truth ``gt`` (one entry per frame, same order).

    Returns ``{class: {"3d_R40": [easy, moderate, hard], "3d_R11": ..., "bev_R40", "bev_R11",
    "bbox_R40", "bbox_R11", "aos_R40", "aos_R11"}}`` in percent at the headline (strict) IoU
    thresholds: Car 0.7, Pedestrian 0.5, Cyclist 0.5 (Van 0.7, Person_sitting 0.5, Truck 0.7).
    With ``loose=True`` each class's dict also holds ``"loose"``: the same keys at the loose
    thresholds (bbox as strict but Truck 0.5; BEV and 3D Car 0.5, Pedestrian and Cyclist 0.25).

    bbox and aos are left out when no detection has a valid 2D box; aos also when a detection's
    alpha is -10. Each detection needs a score; ground-truth scores are not used.
    """
    if len(gt) != len(dt):
        raise ValueError(f"{len(gt)} ground-truth frames but {len(dt)} detection frames")
    unknown = [m for m in metrics if m not in KITTI_METRICS]
    if unknown:
        raise ConfigError(f"unknown KITTI metric(s) {unknown}; known: {', '.join(KITTI_METRICS)}")
    names = [KITTI_CLASSES[_class_column(c)] for c in classes]
    gts, dts = _stack(gt, need_score=False), _stack(dt, need_score=True)
    metrics = [m for m in metrics if m in ("bev", "3d")] + (
        [m for m in metrics if m in ("bbox", "aos")] if _has_valid_2d_boxes(dts.bbox) else [])
    if np.any(dts.alpha == INVALID_ALPHA):
        metrics = [m for m in metrics if m != "aos"]
    evaluated = {c.lower() for c in names} | {NEIGHBOUR_CLASS.get(c.lower(), "") for c in names}
    overlaps = _overlaps(gts, dts, np.isin(gts.name, list(evaluated)))
    results = {}
    for cls in names:
        results[cls] = _class_scores(cls, gts, dts, overlaps, metrics, min_overlaps(cls))
        if loose:
            results[cls][LOOSE_KEY] = _class_scores(cls, gts, dts, overlaps, metrics, min_overlaps(cls, loose=True))
    return results


def format_kitti_table(results: dict[str, dict]) -> str:
    """A compact text table of :func:`evaluate_kitti`'s results, one line per class, metric and IoU set.

    Columns: class (marked ``(loose)`` for the loose thresholds), metric, IoU threshold, then
    easy / moderate / hard for R11 and for R40.
    """
    header = (f"{'class':<15}{'metric':<7}{'IoU':>5}  |{'R11 easy':>10}{'moderate':>10}{'hard':>8}  |"
              f"{'R40 easy':>10}{'moderate':>10}{'hard':>8}")
    lines = [header, "-" * len(header)]
    for cls, scores in results.items():
        for loose, table in ((False, scores), (True, scores.get(LOOSE_KEY))):
            if table is None:
                continue
            thresholds = min_overlaps(cls, loose)
            label = f"{cls} (loose)" if loose else cls
            for metric in KITTI_METRICS:
                if f"{metric}_R40" not in table:
                    continue
                iou = thresholds["bbox" if metric == "aos" else metric]
                r11 = "".join(f"{v:>{w}.2f}" for v, w in zip(table[f"{metric}_R11"], (10, 10, 8)))
                r40 = "".join(f"{v:>{w}.2f}" for v, w in zip(table[f"{metric}_R40"], (10, 10, 8)))
                lines.append(f"{label:<15}{metric:<7}{iou:>5.2f}  |{r11}  |{r40}")
    return "\n".join(lines)


def _frame_files(folder: Path, what: str) -> dict[str, Path]:
    """``NNNNNN.txt`` files of a folder by frame id (other files are not frames)."""
    if not folder.is_dir():
        raise DataError(folder, f"{what} folder not found")
    files = {p.stem: p for p in folder.glob("*.txt") if p.stem.isdigit()}
    if not files:
        raise DataError(folder, f"no {what} files (NNNNNN.txt) in this folder")
    return files


def _missing(ids: Sequence[str], files: dict[str, Path]) -> list[str]:
    return [i for i in ids if i not in files]


def _read_results(path: Path) -> KittiLabels:
    labels = read_label_file(path)
    if len(labels) and labels.score is None:
        raise DataError(path, "results lines need 16 values: the 16th is the detection score")
    return labels


def score_kitti_folders(pred_dir: str | os.PathLike, gt_dir: str | os.PathLike,
                        split_file: str | os.PathLike | None = None, **options) -> dict[str, dict]:
    """:func:`evaluate_kitti` of a results folder against a label folder (``NNNNNN.txt`` files in both).

    The frames are those of ``split_file`` (one id a line, e.g. OpenPCDet's ``ImageSets/val.txt``;
    other files in the folders are not read), else every label file, and then the results folder
    must hold exactly the same ids. As in the devkit, every frame needs a results file: a frame
    without detections has an empty one (a missing file is more likely an unfinished or misplaced
    run than a frame without detections, so it is an error, not a silent zero). ``options`` go to
    :func:`evaluate_kitti` (``classes``, ``metrics``, ``loose``).

    Raises DataError naming the folder or file: a missing folder, no frame files, ids on one side
    only, a malformed file (the line and field), results without scores, or detections none of
    which has a 2D box (the evaluation ignores detections lower than the level's minimum height in
    the image, so all would be ignored).
    """
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    gt_files, pred_files = _frame_files(gt_dir, "label"), _frame_files(pred_dir, "results")
    if split_file is not None:
        ids = read_split_ids(split_file)
        if not ids:
            raise DataError(split_file, "no frame ids in the split file")
        repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
        if repeated:
            raise DataError(split_file, f"frame ids listed more than once: {listing(repeated)}")
        missing = _missing(ids, gt_files)
        if missing:
            raise DataError(gt_dir, f"no label file for {len(missing)} frame(s) of {Path(split_file).name}: "
                                    f"{listing(missing)}")
    else:
        ids = sorted(gt_files)
        extra = sorted(set(pred_files) - set(gt_files))
        if extra:
            raise DataError(pred_dir, f"results for {len(extra)} frame(s) without a label file in {gt_dir}: "
                                      f"{listing(extra)}")
    missing = _missing(ids, pred_files)
    if missing:
        raise DataError(pred_dir, f"no results file for {len(missing)} frame(s): {listing(missing)} (every frame "
                                  "needs one; a frame without detections has an empty file)")
    gt = [read_label_file(gt_files[i]) for i in ids]
    dt = [_read_results(pred_files[i]) for i in ids]
    if any(len(d) for d in dt) and not _has_valid_2d_boxes(np.concatenate([d.bbox for d in dt])):
        raise DataError(pred_dir, "no detection has a 2D image box (fields 5-8): the evaluation ignores detections "
                                  "lower than 25 px in the image, so every one would be ignored; project the 3D "
                                  "boxes into image_2 as OpenPCDet does")
    return evaluate_kitti(gt, dt, **options)
