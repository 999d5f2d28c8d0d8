"""Predictions files (``.npz``) that ``strl score`` reads, and the score dicts of each task.

A file holds a ``task`` entry and the task's arrays (integer ids; ``M`` samples, ``N`` points):

* ``classify``: ``pred`` ``(M,)``, ``label`` ``(M,)``; optional ``num_classes`` (scalar).
* ``partseg``: ``label`` ``(M, N)`` part ids 0..49, each within its shape's category,
  ``category`` ``(M,)`` 0..15, and ``pred`` ``(M, N)`` part ids 0..49 and/or ``logits``
  ``(M, N, 50)`` float.
* ``semseg``: ``pred`` ``(P,)``, ``label`` ``(P,)``, ``num_classes`` (scalar); optional
  ``ignore_index`` (scalar; label entries equal to it are left out) and ``fold`` ``(P,)`` (the
  held-out area of each point, for k-fold scores).
* ``detect``: ``pred_boxes`` ``(K, 7)``, ``pred_class`` ``(K,)``, ``pred_score`` ``(K,)``,
  ``pred_scene`` ``(K,)``, ``gt_boxes`` ``(G, 7)``, ``gt_class`` ``(G,)``, ``gt_scene`` ``(G,)``;
  optional ``class_names`` ``(C,)`` (checked by :mod:`strl.metrics.detection_predictions`).

:func:`validate_predictions` checks arrays against this (missing or unknown keys, shapes, integer
types, id ranges, part labels outside the shape's category) and raises
:class:`~strl.errors.DataError` with one line naming the key. The ``score_*`` functions validate
and return the dict of metrics (fractions in [0, 1], ``None`` for undefined values) that
``strl finetune`` and ``strl score`` both print and write.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

from strl.errors import DataError
from strl.metrics.classification import (
    accuracy_from_confusion,
    class_accuracies_from_confusion,
    confusion_matrix,
    mean_class_accuracy_from_confusion,
)
from strl.metrics.detection_predictions import GT_KEYS, PRED_KEYS, validate_detection_arrays
from strl.metrics.segmentation import (
    NUM_CATEGORIES,
    NUM_PARTS,
    PART_CATEGORY,
    PART_START,
    PARTS_PER_CATEGORY,
    SHAPENETPART_CLASSES,
    class_ious_from_confusion,
    k_fold_mious,
    mean_iou_from_confusion,
    part_segmentation_mious,
    restrict_to_category,
    shape_ious,
)

#: task -> (required keys, optional keys); partseg needs ``pred`` or ``logits``
KEYS = {
    "classify": (("pred", "label"), ("num_classes",)),
    "partseg": (("label", "category"), ("pred", "logits")),
    "semseg": (("pred", "label", "num_classes"), ("ignore_index", "fold")),
    "detect": (PRED_KEYS + GT_KEYS, ("class_names",)),
}
SCALARS = ("num_classes", "ignore_index")


def _fail(path, problem: str):
    raise DataError(path, problem)


def _ids(arrays: dict, key: str, ndim: int, path) -> np.ndarray:
    """``arrays[key]`` as int64 after checking its rank and integer type."""
    a = np.asarray(arrays[key])
    if a.ndim != ndim:
        _fail(path, f"'{key}' must have {ndim} dimension{'s' if ndim > 1 else ''}, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        _fail(path, f"'{key}' must hold integer ids, got {a.dtype} values")
    return a.astype(np.int64, copy=False)


def _in_range(a: np.ndarray, key: str, stop: int | None, path, exempt: np.ndarray | None = None) -> None:
    """Ids of ``a`` in ``0..stop-1`` (``stop=None``: no upper bound), except where ``exempt`` is True."""
    bad = a < 0 if stop is None else (a < 0) | (a >= stop)
    if exempt is not None:
        bad &= ~exempt
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        allowed = "non-negative" if stop is None else f"in 0..{stop - 1}"
        _fail(path, f"'{key}' holds {a[where]} at index {where}; ids must be {allowed}")


def _scalar(arrays: dict, key: str, path) -> int:
    a = np.asarray(arrays[key])
    if a.shape != () or not np.issubdtype(a.dtype, np.integer):
        _fail(path, f"'{key}' must be one integer, got {a.dtype} of shape {a.shape}")
    return int(a)


def _same_shape(arrays: dict, keys: tuple[str, ...], path) -> None:
    shapes = {k: arrays[k].shape for k in keys}
    if len(set(shapes.values())) > 1:
        _fail(path, "shapes differ: " + ", ".join(f"'{k}' {s}" for k, s in shapes.items()))


def validate_predictions(task: str, arrays: dict, path: str | os.PathLike | None = None) -> dict:
    """Checked copies of the arrays of a ``task`` predictions set: ids as int64, scalars as ``int``,
    ``logits`` as float. Raises :class:`DataError` (naming ``path`` when given) on any problem."""
    if task not in KEYS:
        _fail(path, f"unknown task {task!r}; known: {', '.join(KEYS)}")
    required, optional = KEYS[task]
    for key in required:
        if key not in arrays:
            _fail(path, f"missing key '{key}' (a {task} predictions file holds {', '.join(required)}; optional: {', '.join(optional)})")
    unknown = sorted(set(arrays) - set(required) - set(optional) - {"task"})
    if unknown:
        _fail(path, f"unknown key '{unknown[0]}' for a {task} predictions file (keys: {', '.join(required + optional)})")
    out = {key: _scalar(arrays, key, path) for key in SCALARS if key in arrays}
    return {**out, **_VALIDATORS[task](arrays, out, path)}


def _validate_classify(arrays: dict, scalars: dict, path) -> dict:
    out = {key: _ids(arrays, key, 1, path) for key in ("pred", "label")}
    _same_shape(out, ("pred", "label"), path)
    if out["label"].size == 0:
        _fail(path, "no samples ('label' is empty)")
    stop = scalars.get("num_classes", int(max(out["pred"].max(), out["label"].max())) + 1)
    for key in ("pred", "label"):
        _in_range(out[key], key, stop, path)
    return out


def _validate_partseg(arrays: dict, scalars: dict, path) -> dict:
    if "pred" not in arrays and "logits" not in arrays:
        _fail(path, "missing key 'pred' (part ids) or 'logits' (M, N, 50)")
    out = {key: _ids(arrays, key, 2, path) for key in ("pred", "label") if key in arrays}
    out["category"] = _ids(arrays, "category", 1, path)
    label, category = out["label"], out["category"]
    if label.shape[0] != category.shape[0]:
        _fail(path, f"'label' has {label.shape[0]} shapes but 'category' {category.shape[0]}")
    if label.size == 0:
        _fail(path, "no points ('label' is empty)")
    if "pred" in out:
        _same_shape(out, ("pred", "label"), path)
        _in_range(out["pred"], "pred", NUM_PARTS, path)
    _in_range(label, "label", NUM_PARTS, path)
    _in_range(category, "category", NUM_CATEGORIES, path)
    outside = PART_CATEGORY[label] != category[:, None]
    if outside.any():
        m, n = (int(i) for i in np.argwhere(outside)[0])
        c = int(category[m])
        _fail(path, f"'label' of shape {m} holds part {label[m, n]} at point {n}, outside its category {c} "
                    f"({SHAPENETPART_CLASSES[c]}: parts {PART_START[c]}..{PART_START[c] + PARTS_PER_CATEGORY[c] - 1})")
    if "logits" in arrays:
        logits = np.asarray(arrays["logits"])
        if logits.shape != label.shape + (NUM_PARTS,):
            _fail(path, f"'logits' must have shape {label.shape + (NUM_PARTS,)}, got {logits.shape}")
        if not np.issubdtype(logits.dtype, np.floating) or not np.isfinite(logits).all():
            _fail(path, f"'logits' must hold finite floating-point values ({logits.dtype})")
        out["logits"] = logits
    return out


def _validate_semseg(arrays: dict, scalars: dict, path) -> dict:
    keys = ("pred", "label", "fold") if "fold" in arrays else ("pred", "label")
    out = {key: _ids(arrays, key, 1, path) for key in keys}
    _same_shape(out, keys, path)
    c = scalars["num_classes"]
    if c < 1:
        _fail(path, f"'num_classes' must be at least 1, got {c}")
    ignore = scalars.get("ignore_index")
    ignored = out["label"] == ignore if ignore is not None else np.zeros(out["label"].shape, bool)  # left out, whatever 'pred' holds
    _in_range(out["label"], "label", c, path, exempt=ignored)
    _in_range(out["pred"], "pred", c, path, exempt=ignored)
    if "fold" in out:
        _in_range(out["fold"], "fold", None, path)
    if ignored.all():
        _fail(path, "no points to score ('label' is empty or all ignore_index)")
    return out


def _validate_detect(arrays: dict, scalars: dict, path) -> dict:
    out = validate_detection_arrays(arrays, path)
    names = out.pop("class_names")
    return out if names is None else {**out, "class_names": np.array(names, dtype=str)}


_VALIDATORS = {"classify": _validate_classify, "partseg": _validate_partseg, "semseg": _validate_semseg,
               "detect": _validate_detect}


# ----------------------------------------------------------------------------- files


def write_predictions(path: str | os.PathLike, task: str, **arrays) -> None:
    """Validate and write a ``task`` predictions file (``.npz``, written atomically)."""
    checked = validate_predictions(task, arrays, path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, task=np.array(task), **checked)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_predictions(path: str | os.PathLike, task: str | None = None) -> tuple[str, dict]:
    """``(task, arrays)`` of a predictions file, validated. ``task``: what the caller expects
    (required when the file has no ``task`` entry)."""
    if not os.path.isfile(path):
        _fail(path, "predictions file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        _fail(path, f"not a readable .npz predictions file ({err})")
    stored = str(arrays.pop("task")) if "task" in arrays else None
    if stored is not None and task is not None and stored != task:
        _fail(path, f"holds {stored} predictions, not {task}")
    task = task or stored
    if task is None:
        _fail(path, f"no 'task' entry; say which task it holds ({', '.join(KEYS)})")
    return task, validate_predictions(task, arrays, path)


# ----------------------------------------------------------------------------- scores


def _number(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def score_classification(arrays: dict, path: str | os.PathLike | None = None) -> dict:
    """Overall accuracy, mean class accuracy (balanced accuracy), per-class accuracy and the
    confusion matrix (rows: true class) of ``classify`` arrays."""
    a = validate_predictions("classify", arrays, path)
    c = a.get("num_classes", int(max(a["pred"].max(), a["label"].max())) + 1)
    cm = confusion_matrix(a["pred"], a["label"], c)
    return {
        "task": "classify",
        "num_samples": int(a["label"].size),
        "num_classes": c,
        "overall_accuracy": accuracy_from_confusion(cm),
        "mean_class_accuracy": mean_class_accuracy_from_confusion(cm),
        "per_class_accuracy": [_number(x) for x in class_accuracies_from_confusion(cm)],
        "confusion_matrix": cm.tolist(),
    }


def score_partseg(arrays: dict, restrict: bool = True, path: str | os.PathLike | None = None) -> dict:
    """Instance and class mIoU (and per category) of ``partseg`` arrays.

    ``restrict``: the prediction is the argmax over the shape category's parts (True) or over
    all 50 parts (False, dgcnn.pytorch), named in ``"argmax"``. With ``logits`` the prediction is
    taken from them in that mode (``pred`` is then not used). Without, ``pred`` is scored as
    written; with ``restrict=True`` it must lie within each shape's category (a restricted argmax
    cannot leave it; where an unrestricted argmax stays inside, the two agree).
    """
    a = validate_predictions("partseg", arrays, path)
    if "logits" in a:
        pred = restrict_to_category(a["logits"], a["category"]) if restrict else a["logits"].argmax(axis=-1)
    else:
        pred = a["pred"]
        if restrict:
            outside = PART_CATEGORY[pred] != a["category"][:, None]
            if outside.any():
                m = int(np.argwhere(outside)[0][0])
                _fail(path, f"'pred' of shape {m} holds parts outside its category, so it is not a category-restricted "
                            "argmax: score it with restrict off (argmax over all parts), or provide 'logits'")
    scores = part_segmentation_mious(shape_ious(pred, a["label"], a["category"]), a["category"])
    return {
        "task": "partseg",
        "argmax": "category parts" if restrict else "all parts",
        "num_shapes": int(a["label"].shape[0]),
        **scores,
    }


def semseg_scores(confusion: np.ndarray) -> dict:
    """The semantic-segmentation metrics of a pooled ``(C, C)`` confusion matrix (see
    :func:`strl.metrics.segmentation.mean_iou_from_confusion` for ``miou``)."""
    ious = class_ious_from_confusion(confusion)
    return {
        "num_points": int(confusion.sum()),
        "miou": mean_iou_from_confusion(confusion),
        "miou_classes": int((~np.isnan(ious)).sum()),
        "iou_per_class": [_number(x) for x in ious],
        "overall_accuracy": accuracy_from_confusion(confusion),
        "mean_class_accuracy": mean_class_accuracy_from_confusion(confusion),
        "confusion_matrix": confusion.tolist(),
    }


def score_semseg(arrays: dict, path: str | os.PathLike | None = None) -> dict:
    """Pooled per-class IoU, mIoU over the classes with ``U > 0`` (``miou_classes`` of them),
    overall and mean class accuracy of ``semseg`` arrays, over every non-ignored point.

    With ``fold``: also ``folds`` (each fold's mIoU and points), ``pooled_miou`` (= ``miou``, all
    folds' points pooled: dgcnn.pytorch's 6-fold number) and ``mean_fold_miou`` (the mean of the
    folds' mIoUs).
    """
    a = validate_predictions("semseg", arrays, path)
    c, ignore = a["num_classes"], a.get("ignore_index")
    out = {"task": "semseg", "num_classes": c, "ignore_index": ignore, **semseg_scores(confusion_matrix(a["pred"], a["label"], c, ignore))}
    if "fold" in a:
        ids = np.unique(a["fold"])
        per_fold = [confusion_matrix(a["pred"][a["fold"] == f], a["label"][a["fold"] == f], c, ignore) for f in ids]
        k_fold = k_fold_mious(per_fold)
        out["folds"] = {int(f): {"miou": _number(m), "num_points": int(cm.sum())} for f, m, cm in zip(ids, k_fold["fold_mious"], per_fold)}
        out["pooled_miou"] = k_fold["pooled_miou"]
        out["mean_fold_miou"] = k_fold["mean_fold_miou"]
    return out


def score_detect(arrays: dict, path: str | os.PathLike | None = None) -> dict:
    """VoteNet-protocol AP and AR per class at IoU 0.25 and 0.5, and their means, of ``detect`` arrays
    (:func:`strl.metrics.detection.evaluate_detections`)."""
    from strl.metrics.detection import evaluate_detections

    a = validate_predictions("detect", arrays, path)
    names = a.pop("class_names", None)
    return {"task": "detect", **evaluate_detections(**a, class_names=None if names is None else names.tolist())}


SCORERS = {"classify": score_classification, "partseg": score_partseg, "semseg": score_semseg, "detect": score_detect}


def score_semseg_folds(paths: list) -> dict:
    """:func:`score_semseg` of several ``semseg`` predictions files taken as the folds of a k-fold
    protocol (S3DIS 6-fold: one file per test area). Each file's points get its position (1, 2, ...)
    as ``fold``; the files must agree on ``num_classes`` and ``ignore_index``. Adds ``fold_files``."""
    parts = [read_predictions(path, "semseg")[1] for path in paths]
    first = parts[0]
    for path, part in zip(paths, parts):
        if "fold" in part:
            _fail(path, "already holds 'fold': give one file per fold, or score this file alone")
        for key in ("num_classes", "ignore_index"):
            if part.get(key) != first.get(key):
                _fail(path, f"'{key}' is {part.get(key)}, but {paths[0]} has {first.get(key)}: the folds must agree")
    merged = {key: np.concatenate([part[key] for part in parts]) for key in ("pred", "label")}
    merged["fold"] = np.concatenate([np.full(len(part["label"]), i + 1) for i, part in enumerate(parts)])
    merged.update({key: first[key] for key in ("num_classes", "ignore_index") if first.get(key) is not None})
    out = score_semseg(merged, path=paths[0])
    out["fold_files"] = {i + 1: str(path) for i, path in enumerate(paths)}
    return out


def score_file(path: str | os.PathLike, task: str | None = None, restrict: bool = True) -> dict:
    """Read a predictions file and score it (``restrict``: for part segmentation only)."""
    task, arrays = read_predictions(path, task)
    if task == "partseg":
        return score_partseg(arrays, restrict=restrict, path=path)
    return SCORERS[task](arrays, path=path)
