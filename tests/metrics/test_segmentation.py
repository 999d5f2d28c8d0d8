import numpy as np
import pytest

from strl.metrics.segmentation import (
    CATEGORY_PARTS,
    PART_CATEGORY,
    PART_START,
    PARTS_PER_CATEGORY,
    class_ious_from_confusion,
    k_fold_mious,
    mean_iou_from_confusion,
    part_segmentation_mious,
    restrict_to_category,
    shape_ious,
)

BAG = 1  # parts 4 and 5


def test_part_table_is_the_sheets():
    assert PART_START == (0, 4, 6, 8, 12, 16, 19, 22, 24, 28, 30, 36, 38, 41, 44, 47)
    assert PARTS_PER_CATEGORY[10] == 6 and sum(PARTS_PER_CATEGORY) == 50
    assert PART_CATEGORY[4] == PART_CATEGORY[5] == BAG and PART_CATEGORY[49] == 15
    assert CATEGORY_PARTS.shape == (16, 50) and CATEGORY_PARTS.sum() == 50 and (CATEGORY_PARTS.sum(0) == 1).all()


def test_bag_example_out_of_category_error_costs_less_than_in_category_one():
    """Bag shape, ground truth all part 4: one point predicted as airplane part 0 gives 0.875
    (part 5 is absent from both, IoU 1); as bag part 5, 0.375."""
    label = np.full((2, 4), 4)
    pred = np.array([[4, 4, 4, 0], [4, 4, 4, 5]])
    np.testing.assert_allclose(shape_ious(pred, label, np.array([BAG, BAG])), [0.875, 0.375])


def test_restricted_argmax_only_picks_the_categorys_parts():
    logits = np.zeros((2, 4, 50))
    logits[:, :, 4] = 1.0  # every point: bag part 4 ...
    logits[0, 3, 0] = 5.0  # ... except one whose best part overall is airplane part 0
    logits[1, 3, 5] = 5.0  # ... and one whose best is bag part 5
    category = np.array([BAG, BAG])
    unrestricted, restricted = logits.argmax(-1), restrict_to_category(logits, category)
    assert unrestricted[0].tolist() == [4, 4, 4, 0] and restricted[0].tolist() == [4, 4, 4, 4]
    assert unrestricted[1].tolist() == restricted[1].tolist() == [4, 4, 4, 5]
    label = np.full((2, 4), 4)
    np.testing.assert_allclose(shape_ious(unrestricted, label, category), [0.875, 0.375])
    np.testing.assert_allclose(shape_ious(restricted, label, category), [1.0, 0.375])
    with pytest.raises(IndexError):  # categories index the table
        restrict_to_category(logits, np.array([16, 0]))


def test_hand_computed_airplane_and_the_two_means():
    """Airplane (parts 0..3), GT [0, 0, 1, 2], pred [0, 1, 1, 2]: IoUs 1/2, 1/2, 1, and 1 for the
    absent part 3 -> 0.75."""
    pred = np.array([[0, 1, 1, 2], [0, 0, 1, 2], [5, 5, 5, 5]])
    label = np.array([[0, 0, 1, 2], [0, 0, 1, 2], [4, 4, 4, 4]])
    category = np.array([0, 0, BAG])
    ious = shape_ious(pred, label, category)
    np.testing.assert_allclose(ious, [0.75, 1.0, 0.0])
    scores = part_segmentation_mious(ious, category)
    assert scores["instance_miou"] == pytest.approx(1.75 / 3)
    assert scores["class_miou"] == pytest.approx((0.875 + 0.0) / 2)  # mean over the categories present
    assert scores["categories_in_class_miou"] == 2
    assert scores["per_category"]["Airplane"] == {"miou": 0.875, "shapes": 2}
    assert scores["per_category"]["Table"] == {"miou": None, "shapes": 0}


SEM_LABEL = np.array([0, 0, 1, 1, 2])
SEM_PRED = np.array([0, 1, 1, 1, 0])


def test_pooled_class_ious_and_the_miou_of_present_classes():
    from strl.metrics.classification import confusion_matrix

    cm = confusion_matrix(SEM_PRED, SEM_LABEL, 4)  # class 3 is nowhere: U = 0
    np.testing.assert_allclose(class_ious_from_confusion(cm), [1 / 3, 2 / 3, 0.0, np.nan])
    assert np.isnan(np.mean(class_ious_from_confusion(cm)))  # the reference's np.mean
    assert mean_iou_from_confusion(cm) == pytest.approx(1 / 3)
    # the sheet's example: [0.5, 0.667, 1.0, nan] -> 0.722 over the present classes
    cm = np.array([[1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])  # IoUs 1/2, 2/3, 1, nan
    assert mean_iou_from_confusion(cm) == pytest.approx((0.5 + 2 / 3 + 1) / 3)


def test_k_fold_pooled_and_mean_of_folds_differ_and_are_named():
    """Fold 1: one class, all right (mIoU 1); fold 2: IoUs 1/2, 1/2. Pooled: rows [3, 0], [1, 1]
    -> IoUs 3/4, 1/2."""
    fold1 = np.array([[2, 0], [0, 0]])
    fold2 = np.array([[1, 0], [1, 1]])
    scores = k_fold_mious([fold1, fold2])
    assert scores["fold_mious"] == pytest.approx([1.0, 0.5])
    assert scores["mean_fold_miou"] == pytest.approx(0.75)
    assert scores["pooled_miou"] == pytest.approx(0.625)
