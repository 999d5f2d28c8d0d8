"""The detection predictions file that ``strl score detect`` reads (``.npz``), validated.

Arrays (``K`` detections, ``G`` ground-truth boxes, boxes as ``box7``):

* ``pred_boxes`` ``(K, 7)``, ``pred_class`` ``(K,)`` int, ``pred_score`` ``(K,)``,
  ``pred_scene`` ``(K,)`` int or str;
* ``gt_boxes`` ``(G, 7)``, ``gt_class`` ``(G,)`` int, ``gt_scene`` ``(G,)`` int or str;
* optional ``class_names`` ``(C,)`` str (then class ids must be in ``0..C-1``) and ``task``
  (``"detect"``).

Missing or unknown keys, wrong shapes or types, mismatched lengths, non-finite values,
non-positive box sizes and class ids outside the list raise :class:`~strl.errors.DataError` with
one line naming the key (and the row).
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from strl.errors import DataError

PRED_KEYS = ("pred_boxes", "pred_class", "pred_score", "pred_scene")
GT_KEYS = ("gt_boxes", "gt_class", "gt_scene")
OPTIONAL_KEYS = ("class_names", "task")


def _load(path) -> dict:
    if not os.path.isfile(path):
        raise DataError(path, "predictions file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(path, f"not a readable .npz predictions file ({err})") from None


def _check_keys(arrays: dict, path) -> None:
    missing = [k for k in PRED_KEYS + GT_KEYS if k not in arrays]
    if missing:
        raise DataError(path, f"missing {', '.join(repr(k) for k in missing)} (the file has: {', '.join(sorted(arrays)) or 'nothing'})")
    unknown = sorted(set(arrays) - set(PRED_KEYS + GT_KEYS + OPTIONAL_KEYS))
    if unknown:
        raise DataError(path, f"unknown key {unknown[0]!r} (expected: {', '.join(PRED_KEYS + GT_KEYS + OPTIONAL_KEYS)})")
    if "task" in arrays and str(arrays["task"]) != "detect":
        raise DataError(path, f"holds {str(arrays['task'])} predictions, not detect")


def _boxes(a: np.ndarray, key: str, path) -> np.ndarray:
    if a.size == 0 and a.ndim == 1:  # an empty list saved as it is
        a = a.reshape(0, 7)
    if a.ndim != 2 or a.shape[1] != 7 or a.dtype.kind not in "fiu":
        raise DataError(path, f"{key!r} must be numbers of shape (N, 7), got {a.dtype} of shape {a.shape}")
    a = a.astype(np.float64)
    bad = ~np.isfinite(a).all(axis=1)
    if bad.any():
        raise DataError(path, f"{key!r} row {int(np.argmax(bad))} holds a non-finite value")
    bad = (a[:, 3:6] <= 0).any(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(path, f"{key!r} row {row} has a non-positive size (dx, dy, dz) = {tuple(a[row, 3:6].tolist())}")
    return a


def _vector(a: np.ndarray, key: str, kinds: str, what: str, path) -> np.ndarray:
    if a.ndim != 1 or (a.size and a.dtype.kind not in kinds):
        raise DataError(path, f"{key!r} must be a 1-D array of {what}, got {a.dtype} of shape {a.shape}")
    return a


def _class_ids(a: np.ndarray, key: str, names: list[str] | None, path) -> np.ndarray:
    a = _vector(a, key, "iu", "integer class ids", path).astype(np.int64)
    bad = (a < 0) if names is None else (a < 0) | (a >= len(names))
    if bad.any():
        row = int(np.argmax(bad))
        allowed = "non-negative" if names is None else f"in 0..{len(names) - 1} (class_names has {len(names)} names)"
        raise DataError(path, f"{key!r} entry {row} is {int(a[row])}, not {allowed}")
    return a


def _scenes(a: np.ndarray, key: str, path) -> np.ndarray:
    a = _vector(a, key, "iuUS", "scene ids (integers or strings)", path)
    return a.astype(str) if a.dtype.kind == "S" else a


def read_detection_predictions(path: str | os.PathLike) -> dict:
    """Read and validate a detection predictions file (:func:`validate_detection_arrays`)."""
    return validate_detection_arrays(_load(path), path)


def validate_detection_arrays(arrays: dict, path: str | os.PathLike | None = None) -> dict:
    """Checked detection predictions: ``pred_boxes (K, 7)`` float64, ``pred_class (K,)`` int64,
    ``pred_score (K,)`` float64, ``pred_scene (K,)``, ``gt_boxes (G, 7)``, ``gt_class (G,)``,
    ``gt_scene (G,)`` and ``class_names`` (list of str or None): the arguments of
    :func:`strl.metrics.detection.evaluate_detections`. A DataError names ``path`` and the key.
    """
    arrays = {key: np.asarray(value) for key, value in arrays.items()}
    _check_keys(arrays, path)
    names = None
    if "class_names" in arrays:
        names = [str(n) for n in _vector(arrays["class_names"], "class_names", "US", "class names", path)]
    out = {
        "pred_boxes": _boxes(arrays["pred_boxes"], "pred_boxes", path),
        "pred_class": _class_ids(arrays["pred_class"], "pred_class", names, path),
        "pred_score": _vector(arrays["pred_score"], "pred_score", "fiu", "scores", path).astype(np.float64),
        "pred_scene": _scenes(arrays["pred_scene"], "pred_scene", path),
        "gt_boxes": _boxes(arrays["gt_boxes"], "gt_boxes", path),
        "gt_class": _class_ids(arrays["gt_class"], "gt_class", names, path),
        "gt_scene": _scenes(arrays["gt_scene"], "gt_scene", path),
        "class_names": names,
    }
    if not np.isfinite(out["pred_score"]).all():
        raise DataError(path, f"'pred_score' entry {int(np.argmax(~np.isfinite(out['pred_score'])))} is not finite")
    for prefix, keys in (("pred_", PRED_KEYS), ("gt_", GT_KEYS)):
        lengths = {k: len(out[k]) for k in keys}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k} {n}" for k, n in lengths.items())
            raise DataError(path, f"the {prefix}* arrays differ in length ({detail})")
    scene_kinds = {out[k].dtype.kind in "U" for k in ("pred_scene", "gt_scene") if len(out[k])}
    if len(scene_kinds) > 1:
        raise DataError(path, "'pred_scene' and 'gt_scene' must both hold integers or both hold strings")
    return out
