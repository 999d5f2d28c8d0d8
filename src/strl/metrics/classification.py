"""Classification metrics from integer class ids (also the per-point metrics of segmentation).

Each metric has one implementation, on a confusion matrix ``(C, C)`` (rows: true class, columns:
predicted class); the functions of ``pred``/``label`` arrays build the matrix and call it.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(pred: np.ndarray, label: np.ndarray, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """``(C, C)`` int64 counts, entry ``[t, p]`` = points of true class ``t`` predicted as ``p``.

    ``pred``, ``label``: integer arrays of one shape, ids in ``0..num_classes-1`` (where ``label``
    is ``ignore_index``, the pair is left out, whatever ``pred`` holds).
    """
    pred = np.asarray(pred).reshape(-1)
    label = np.asarray(label).reshape(-1)
    if pred.shape != label.shape:
        raise ValueError(f"pred and label differ in size: {pred.size} vs {label.size}")
    if ignore_index is not None:
        keep = label != ignore_index
        pred, label = pred[keep], label[keep]
    for name, ids in (("pred", pred), ("label", label)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ValueError(f"{name} holds ids outside 0..{num_classes - 1}: {ids.min()}..{ids.max()}")
    flat = label.astype(np.int64) * num_classes + pred.astype(np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def accuracy_from_confusion(confusion: np.ndarray) -> float:
    """Overall accuracy: correct / all (``nan`` for an empty matrix)."""
    total = confusion.sum()
    return float(np.trace(confusion) / total) if total else float("nan")


def class_accuracies_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """``(C,)`` recall of each class; ``nan`` for classes absent from the labels."""
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(confusion) / np.maximum(support, 1), np.nan)


def mean_class_accuracy_from_confusion(confusion: np.ndarray) -> float:
    """Mean per-class recall over the classes present in the labels (sklearn's
    ``balanced_accuracy_score``, which the reference code reports as mAcc)."""
    recall = class_accuracies_from_confusion(confusion)
    present = ~np.isnan(recall)
    return float(recall[present].mean()) if present.any() else float("nan")


def _confusion(pred, label, num_classes: int | None) -> np.ndarray:
    pred, label = np.asarray(pred), np.asarray(label)
    if num_classes is None:
        num_classes = int(max(pred.max(initial=-1), label.max(initial=-1))) + 1
    return confusion_matrix(pred, label, num_classes)


def overall_accuracy(pred: np.ndarray, label: np.ndarray) -> float:
    """Fraction of ``pred`` equal to ``label`` (``(M,)`` each)."""
    return accuracy_from_confusion(_confusion(pred, label, None))


def per_class_accuracy(pred: np.ndarray, label: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """``(C,)`` recall of each class (``nan`` where the class is absent from ``label``);
    ``C`` = ``num_classes``, or one more than the largest id seen."""
    return class_accuracies_from_confusion(_confusion(pred, label, num_classes))


def mean_class_accuracy(pred: np.ndarray, label: np.ndarray, num_classes: int | None = None) -> float:
    """Balanced accuracy: the mean recall over the classes present in ``label``."""
    return mean_class_accuracy_from_confusion(_confusion(pred, label, num_classes))
