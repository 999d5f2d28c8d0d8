"""KITTI evaluation statistics: difficulty flags and score thresholds, on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from strl.metrics.kitti_matching import dt_flags, gt_flags, recall_thresholds


def test_gt_flags_by_class_level_and_neighbour():
    name = np.array(["car", "car", "car", "car", "van", "truck", "dontcare", "pedestrian", "person_sitting"])
    truncated = np.array([0.0, 0.0, 0.3, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0])
    occluded = np.array([0, 0, 0, 2, 0, 0, -1, 0, 0])
    heights = np.array([41.0, 40.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0])
    bbox = np.stack([np.zeros(9), np.full(9, 100.0), np.full(9, 50.0), 100.0 + heights], axis=1)
    car = gt_flags(name, truncated, occluded, bbox, "car")
    np.testing.assert_array_equal(car, [[0, 1, 1, 1, 1, -1, -1, -1, -1],
                                        [0, 0, 0, 1, 1, -1, -1, -1, -1],
                                        [0, 0, 0, 0, 1, -1, -1, -1, -1]])
    pedestrian = gt_flags(name, truncated, occluded, bbox, "pedestrian")
    np.testing.assert_array_equal(pedestrian[:, 7:], [[0, 1]] * 3)
    assert (pedestrian[:, :7] == -1).all()
    assert (gt_flags(name, truncated, occluded, bbox, "cyclist") == -1).all()


def test_dt_flags_height_before_class():
    name = np.array(["car", "car", "car", "pedestrian", "pedestrian"])
    heights = np.array([40.0, 39.0, 25.0, 24.9, 60.0])
    bbox = np.stack([np.zeros(5), 100.0 + heights, np.full(5, 50.0), np.full(5, 100.0)], axis=1)  # bottom < top
    np.testing.assert_array_equal(dt_flags(name, bbox, "car"), [[0, 1, 1, 1, -1],
                                                                [0, 0, 0, 1, -1],
                                                                [0, 0, 0, 1, -1]])


@pytest.mark.parametrize("scores, num_gt, expected", [
    ([0.6, 0.9, 0.8], 4, [0.9, 0.8, 0.6]),  # every TP while the recall steps are wider than 1/40
    (np.linspace(1.0, 0.1, 10), 200, [1.0, 0.6, 0.1]),  # ranks 0, 4 (recall 0.025), 9 (the last)
    ([], 5, []),
])
def test_recall_thresholds_by_hand(scores, num_gt, expected):
    np.testing.assert_allclose(recall_thresholds(np.array(scores), num_gt), expected)


def test_recall_thresholds_take_41_positions_from_many_scores():
    scores = 1.0 - np.arange(80) / 100
    taken = recall_thresholds(scores, 80)
    ranks = [0] + [2 * k - 1 for k in range(1, 41)]  # (2i + 3) / 160 >= k / 40
    np.testing.assert_allclose(taken, scores[ranks])
    assert len(recall_thresholds(np.linspace(1, 0, 3769), 3769)) == 41
