import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.scenes import (Scene, box_vote_targets, instance_vote_targets, make_scene, points_in_boxes,
                                 read_array, rectangle_corners, wrap_angle)


def test_make_scene_types_and_defaults():
    scene = make_scene("f", "s", np.zeros((4, 6)), boxes=np.ones((1, 7)), box_classes=[2], num_box_classes=3)
    assert isinstance(scene, Scene) and scene.name == "s"
    assert scene.points.shape == (4, 3) and scene.points.dtype == np.float32
    assert scene.semantic.tolist() == [-1] * 4 and scene.instance.tolist() == [-1] * 4
    assert scene.semantic.dtype == scene.instance.dtype == scene.box_classes.dtype == np.int64
    assert scene.boxes.dtype == np.float32 and scene.boxes.shape == (1, 7)
    assert scene.colors is None and scene.votes is None and scene.vote_mask is None
    empty = make_scene("f", "s", np.zeros((2, 3)))
    assert empty.boxes.shape == (0, 7) and empty.box_classes.shape == (0,)


@pytest.mark.parametrize("change, message", [
    (dict(semantic=[0, 1, 5]), "semantic labels span 0..5, expected -1..2"),
    (dict(semantic=[0, 1]), r"semantic labels has shape \(2,\)"),
    (dict(instance=[0, -2, 1]), "instance labels span -2..1"),
    (dict(boxes=[[0, 0, 0, 1, 0, 1, 0]], box_classes=[0]), "non-positive sizes"),
    (dict(boxes=[[0, 0, np.nan, 1, 1, 1, 0]], box_classes=[0]), "NaN or inf"),
    (dict(boxes=[[0, 0, 0, 1, 1, 1, 0]], box_classes=[4]), "box classes span 4..4, expected 0..3"),
    (dict(boxes=[[0, 0, 0, 1, 1, 1, 0]], box_classes=[0, 1]), "1 boxes but"),
    (dict(boxes=np.zeros((1, 6)), box_classes=[0]), r"expected \(K, 7\)"),
    (dict(colors=np.full((3, 3), 2.0)), "colours must be finite and in 0..1"),
    (dict(votes=np.zeros((3, 9)), vote_mask=np.zeros(2)), "votes have shape"),
])
def test_make_scene_refuses_bad_input(change, message):
    with pytest.raises(DataError, match=message) as info:
        make_scene("scene.npy", "s", np.zeros((3, 3)), num_semantic=3, num_box_classes=4, **change)
    assert str(info.value).startswith("scene.npy: ")


def test_make_scene_refuses_non_finite_points():
    with pytest.raises(DataError, match="NaN or inf"):
        make_scene("p", "s", np.array([[0, 0, np.inf]]))


def test_instance_votes_point_to_the_middle_of_each_instance():
    points = np.array([[0, 0, 0], [2, 0, 0], [1, 4, 0], [5, 5, 5], [9, 9, 9], [7, 7, 7.0]])
    instance = np.array([3, 3, 3, 8, 8, -1])
    voting = np.array([True, True, True, False, False, True])  # instance 8 is not a detection class
    votes, mask = instance_vote_targets(points, instance, voting)
    assert mask.tolist() == [True, True, True, False, False, False]
    centre = np.array([1.0, 2.0, 0.0])  # mid of the extent, not the mean
    assert np.allclose(votes[:3], np.tile(centre - points[:3], 3))
    assert not votes[3:].any() and votes.shape == (6, 9) and votes.dtype == np.float32


def test_box_votes_use_the_box_of_each_instance():
    points = np.array([[0, 0, 0], [1, 1, 1], [3, 3, 3.0]])
    boxes = np.array([[0.5, 0.5, 0.5, 1, 1, 1, 0], [9, 9, 9, 1, 1, 1, 0.0]])
    votes, mask = box_vote_targets(points, np.array([0, 0, 2]), boxes)  # instance 2 has no box
    assert mask.tolist() == [True, True, False]
    assert np.allclose(votes[0], [0.5] * 9) and np.allclose(votes[1], [-0.5] * 9) and not votes[2].any()


def test_wrap_angle():
    assert np.allclose(wrap_angle(np.array([0.0, np.pi, -np.pi, 3 * np.pi / 2, -4.0])),
                       [0.0, -np.pi, -np.pi, -np.pi / 2, 2 * np.pi - 4.0])


def test_rectangle_corners_and_points_in_boxes_by_hand():
    corners = rectangle_corners(np.array([1.0, 2.0, 4.0, 2.0, np.pi / 2]))
    assert np.allclose(corners, [[0, 4], [0, 0], [2, 0], [2, 4]])  # +x side first, counter-clockwise
    box = np.array([[1.0, 2.0, 0.5, 4.0, 2.0, 1.0, np.pi / 2]])  # 4 m along y after the turn
    points = np.array([[1, 3.9, 0.5], [1.9, 2, 0.9], [2.1, 2, 0.5], [1, 2, 1.1], [1, 4, 0]])
    assert points_in_boxes(points, box)[:, 0].tolist() == [True, True, False, False, True]


def test_read_array_errors(tmp_path):
    with pytest.raises(DataError, match="file is missing"):
        read_array(tmp_path / "none.npy")
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read"):
        read_array(tmp_path / "bad.npy")
    np.savez(tmp_path / "a.npz", pc=np.zeros((2, 3)))
    with pytest.raises(DataError, match="has no key 'points'"):
        read_array(tmp_path / "a.npz", "points")
    assert read_array(tmp_path / "a.npz", "pc").shape == (2, 3)
