"""Segmentation metrics: ShapeNetPart shape IoUs and pooled semantic-segmentation IoUs.

Part segmentation (dgcnn.pytorch ``calculate_shape_IoU``): a shape's IoU is the mean, over the
parts of its category, of ``|pred = p and gt = p| / |pred = p or gt = p|``, where a part absent
from both prediction and ground truth counts as IoU 1. Instance mIoU is the mean over shapes,
class mIoU the mean over categories of each category's mean. How ``pred`` is obtained matters:
dgcnn.pytorch takes the argmax over all 50 part logits (a point predicted as another category's
part then costs less than a wrong part of the right category); the PointNet++ line of code takes
it over the shape category's parts only (:func:`restrict_to_category`).

Semantic segmentation (dgcnn.pytorch ``calculate_sem_IoU``): intersection and union of each class
are summed over the whole split (a confusion matrix accumulated over all points, see
:func:`strl.metrics.classification.confusion_matrix`), then ``IoU_c = I_c / U_c``.
"""

from __future__ import annotations

import numpy as np

from strl.formats.shapenetpart import NUM_PARTS, SHAPENETPART_CLASSES

# ----------------------------------------------------------------------------- ShapeNetPart parts

#: parts of each ShapeNetPart category (category ids 0..15, in ``SHAPENETPART_CLASSES`` order)
PARTS_PER_CATEGORY = (4, 2, 2, 4, 4, 3, 3, 2, 4, 2, 6, 2, 3, 3, 3, 3)
#: first global part id of each category: category ``c`` owns ``PART_START[c] .. PART_START[c] + PARTS_PER_CATEGORY[c] - 1``
PART_START = tuple(int(s) for s in np.cumsum((0,) + PARTS_PER_CATEGORY[:-1]))
NUM_CATEGORIES = len(PARTS_PER_CATEGORY)
#: ``(50,)`` the category owning each global part id
PART_CATEGORY = np.repeat(np.arange(NUM_CATEGORIES), PARTS_PER_CATEGORY)
#: ``(16, 50)`` bool, ``CATEGORY_PARTS[c, p]``: part ``p`` belongs to category ``c``
CATEGORY_PARTS = PART_CATEGORY[None, :] == np.arange(NUM_CATEGORIES)[:, None]
for _table in (PART_CATEGORY, CATEGORY_PARTS):
    _table.flags.writeable = False
assert sum(PARTS_PER_CATEGORY) == NUM_PARTS and len(SHAPENETPART_CLASSES) == NUM_CATEGORIES


def restrict_to_category(logits: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Argmax over the parts of each shape's category only: ``(M, N, 50)``, ``(M,)`` -> ``(M, N)`` int64.

    The unrestricted prediction of dgcnn.pytorch is ``logits.argmax(-1)``.
    """
    logits = np.asarray(logits)
    allowed = CATEGORY_PARTS[np.asarray(category)]  # (M, 50)
    return np.where(allowed[:, None, :], logits, -np.inf).argmax(axis=-1)


def shape_ious(pred: np.ndarray, label: np.ndarray, category: np.ndarray) -> np.ndarray:
    """IoU of each shape over its category's parts: ``(M, N)`` part ids 0..49 each, ``(M,)`` -> ``(M,)``.

    A part of the category absent from both ``pred`` and ``label`` of a shape has IoU 1.
    """
    pred, label, category = np.asarray(pred), np.asarray(label), np.asarray(category)
    m = label.shape[0]
    rows = (np.arange(m, dtype=np.int64) * NUM_PARTS)[:, None]  # each shape's own block of 50 counters

    def counts(ids: np.ndarray) -> np.ndarray:
        return np.bincount(ids.reshape(-1), minlength=m * NUM_PARTS).reshape(m, NUM_PARTS)

    pred_ids, label_ids = rows + pred, rows + label
    inter = counts(label_ids[pred == label])
    union = counts(pred_ids) + counts(label_ids) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    parts = CATEGORY_PARTS[category]
    return (iou * parts).sum(axis=1) / parts.sum(axis=1)


def part_segmentation_mious(ious: np.ndarray, category: np.ndarray) -> dict:
    """Instance and class mIoU of per-shape IoUs ``(M,)`` with categories ``(M,)``.

    ``class_miou`` is the mean over the categories that have shapes (all 16 on the ShapeNetPart
    test split); ``per_category`` maps each category name to its mean IoU (``None`` without
    shapes) and its number of shapes.
    """
    ious, category = np.asarray(ious, dtype=np.float64), np.asarray(category)
    shapes = np.bincount(category, minlength=NUM_CATEGORIES)
    sums = np.bincount(category, weights=ious, minlength=NUM_CATEGORIES)
    present = shapes > 0
    means = np.where(present, sums / np.maximum(shapes, 1), np.nan)
    return {
        "instance_miou": float(ious.mean()) if ious.size else float("nan"),
        "class_miou": float(means[present].mean()) if present.any() else float("nan"),
        "categories_in_class_miou": int(present.sum()),
        "per_category": {
            name: {"miou": float(means[c]) if present[c] else None, "shapes": int(shapes[c])}
            for c, name in enumerate(SHAPENETPART_CLASSES)
        },
    }


# ----------------------------------------------------------------------------- semantic segmentation


def class_ious_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """``(C,)`` pooled ``I_c / U_c`` from a ``(C, C)`` confusion matrix; ``nan`` where ``U_c = 0``
    (the class is neither in the labels nor in the predictions)."""
    inter = np.diag(confusion).astype(np.float64)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - inter
    return np.where(union > 0, inter / np.maximum(union, 1), np.nan)


def mean_iou_from_confusion(confusion: np.ndarray) -> float:
    """mIoU over the classes with ``U > 0`` ("present classes").

    dgcnn.pytorch takes ``np.mean`` of the per-class IoUs, which is ``nan`` as soon as one class
    has ``U = 0`` (a split without that class, predicted nowhere); here such classes are left out
    of the mean. When every class has ``U > 0`` the two agree.
    """
    ious = class_ious_from_confusion(confusion)
    present = ~np.isnan(ious)
    return float(ious[present].mean()) if present.any() else float("nan")


def k_fold_mious(confusions: list[np.ndarray]) -> dict:
    """The two k-fold (e.g. S3DIS 6-fold) mIoUs from one ``(C, C)`` confusion matrix per held-out fold.

    ``pooled_miou``: the mIoU of the summed matrices, i.e. of all folds' points pooled, which is what
    dgcnn.pytorch's ``--test_area all`` reports as its 6-fold mIoU. ``mean_fold_miou``: the mean of
    the per-fold mIoUs (``fold_mious``), the "average" its maintainer described.
    """
    if not confusions:
        raise ValueError("k_fold_mious needs at least one confusion matrix")
    fold = [mean_iou_from_confusion(c) for c in confusions]
    return {"pooled_miou": mean_iou_from_confusion(np.sum(confusions, axis=0)), "mean_fold_miou": float(np.mean(fold)), "fold_mious": fold}
