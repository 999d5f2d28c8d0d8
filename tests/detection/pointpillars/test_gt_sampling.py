"""Ground-truth sampling: the object database, the draws, the collision test and the pasting."""

import numpy as np
import pytest

from strl.detection.pointpillars.gt_sampling import (
    ObjectDatabase,
    build_database,
    collision_free,
    draw_objects,
    kitti_difficulty,
    sample_into_frame,
)


def box(x, y, dx=2.0, dy=1.0, z=-1.0, dz=1.5, heading=0.0):
    return [x, y, z, dx, dy, dz, heading]


def cloud_in(b, n, rng, value=0.5):
    """``n`` points uniform inside axis-aligned box ``b`` with reflectance ``value``."""
    b = np.asarray(b)
    xyz = b[:3] + (rng.random((n, 3)) - 0.5) * b[3:6] * 0.9
    return np.column_stack([xyz, np.full(n, value)]).astype(np.float32)


def test_the_database_keeps_objects_with_enough_points_and_their_points_in_order():
    rng = np.random.default_rng(0)
    boxes = np.array([box(5, 0), box(10, 3), box(15, -3)], np.float32)
    points = np.concatenate([cloud_in(boxes[0], 7, rng, 0.1), cloud_in(boxes[1], 2, rng, 0.2),
                             cloud_in(boxes[2], 5, rng, 0.3), cloud_in(box(30, 0, 5, 5), 20, rng, 0.9)])
    rng.shuffle(points)
    second = (np.array([box(8, 8)], np.float32), np.array([1]))
    db = build_database([(points, boxes, np.array([0, 0, 2])),
                         (cloud_in(second[0][0], 4, rng, 0.4), *second)], min_points=[5, 3, 5])
    assert len(db) == 3  # the 2-point car is left out
    np.testing.assert_array_equal(db.classes, [0, 2, 1])
    np.testing.assert_array_equal(np.diff(db.offsets), [7, 5, 4])
    np.testing.assert_allclose(db.boxes, np.concatenate([boxes[[0, 2]], second[0]]))
    picked = db.object_points(np.array([2, 0]))
    np.testing.assert_allclose(picked[:, 3], [0.4] * 4 + [0.1] * 7)


def test_draws_fill_each_class_up_to_its_group_without_repeats():
    db = ObjectDatabase(np.zeros((9, 7), np.float32), np.array([0, 0, 0, 0, 0, 1, 1, 2, 2]),
                        np.zeros((0, 4), np.float32), np.zeros(10, np.int64))
    rng = np.random.default_rng(1)
    chosen = draw_objects(db, np.array([0, 0, 1]), np.array([4, 5, 0]), rng)
    counts = np.bincount(db.classes[chosen], minlength=3)
    assert counts.tolist() == [2, 2, 0]  # Car: 4 - 2 present; Pedestrian: 5 - 1, but only 2 in the database
    assert len(set(chosen.tolist())) == len(chosen)


def test_collisions_with_the_frame_and_among_drawn_boxes_drop_the_candidate():
    existing = np.array([box(0, 0)], np.float32)
    candidates = np.array([box(1.5, 0.2),  # overlaps the frame's box
                           box(10, 0), box(11, 0.5),  # overlap each other: both go
                           box(20, 0, heading=0.5),  # free
                           box(-2, 0)],  # touches the frame's box along an edge: no overlap area, kept
                          np.float32)
    assert collision_free(candidates, existing).tolist() == [False, False, False, True, True]
    assert collision_free(candidates[3:4], np.zeros((0, 7), np.float32)).tolist() == [True]


def test_pasting_removes_covered_points_adds_the_objects_and_lifts_them_to_the_road():
    rng = np.random.default_rng(2)
    frame_boxes = np.array([box(5, 0)], np.float32)
    covered = cloud_in(box(20, 0, z=-1.25), 30, rng, 0.7)  # where the sampled object will stand
    points = np.concatenate([cloud_in(frame_boxes[0], 10, rng, 0.1), covered, cloud_in(box(40, 10, 4, 4), 10, rng, 0.8)])
    db_box = np.array([box(20, 0, z=-0.5)], np.float32)
    db = build_database([(cloud_in(db_box[0], 12, rng, 0.3), db_box, np.array([0]))], min_points=[5])
    new_points, new_boxes, new_classes = sample_into_frame(points, frame_boxes, np.array([0]), db, [2], rng,
                                                           ground_height=lambda centres: np.full(len(centres), -2.0))
    assert new_classes.tolist() == [0, 0]
    assert new_boxes[1, 2] == pytest.approx(-2.0 + 0.75)  # bottom on the road at z = -2
    assert len(new_points) == 10 + 10 + 12 and not np.isin(0.7, new_points[:, 3])
    pasted = new_points[:12]  # pasted objects come first
    np.testing.assert_allclose(pasted[:, 3], 0.3)
    np.testing.assert_allclose(pasted[:, 2], db.points[:, 2] - 0.75, atol=1e-6)  # bottom from -1.25 to -2
    same, _, _ = sample_into_frame(points, frame_boxes, np.array([0]), db, [1], rng)
    assert same is points  # the frame already holds its one car


def test_difficulty_levels_of_openpcdet():
    height = np.array([45.0, 45.0, 30.0, 30.0, 24.0, 39.0])
    truncated = np.array([0.0, 0.2, 0.0, 0.4, 0.0, 0.0])
    occluded = np.array([0, 0, 1, 2, 0, 3])
    assert kitti_difficulty(height, truncated, occluded).tolist() == [0, 1, 1, 2, -1, -1]
