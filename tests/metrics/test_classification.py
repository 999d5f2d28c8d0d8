import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from strl.metrics.classification import (
    confusion_matrix,
    mean_class_accuracy,
    overall_accuracy,
    per_class_accuracy,
)

LABEL = np.array([0, 0, 0, 0, 1, 1, 2])
PRED = np.array([0, 0, 0, 1, 1, 0, 0])


def test_hand_computed_case():
    assert confusion_matrix(PRED, LABEL, 3).tolist() == [[3, 1, 0], [1, 1, 0], [1, 0, 0]]
    assert overall_accuracy(PRED, LABEL) == pytest.approx(4 / 7)
    np.testing.assert_allclose(per_class_accuracy(PRED, LABEL), [3 / 4, 1 / 2, 0])
    assert mean_class_accuracy(PRED, LABEL) == pytest.approx((0.75 + 0.5 + 0) / 3)


def test_mean_class_accuracy_is_balanced_accuracy_over_classes_in_the_labels():
    """A class only predicted (3) or absent altogether (2) is left out, as in sklearn."""
    label, pred = np.array([0, 0, 1, 4, 4, 4]), np.array([0, 3, 1, 4, 4, 0])
    per_class = per_class_accuracy(pred, label, num_classes=6)
    np.testing.assert_allclose(per_class, [0.5, 1.0, np.nan, np.nan, 2 / 3, np.nan])
    assert mean_class_accuracy(pred, label, num_classes=6) == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    with pytest.warns(UserWarning):  # sklearn warns about the class found only in pred
        assert mean_class_accuracy(pred, label) == pytest.approx(balanced_accuracy_score(label, pred))


def test_ignore_index_drops_the_pair_and_bad_ids_are_refused():
    cm = confusion_matrix(np.array([1, 7, 0]), np.array([1, 255, 0]), 2, ignore_index=255)
    assert cm.tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match="outside 0..1"):
        confusion_matrix(np.array([2]), np.array([0]), 2)
    with pytest.raises(ValueError, match="differ in size"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
