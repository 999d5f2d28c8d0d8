import numpy as np
import pytest

from strl.formats.builtin_rooms.classes import BOX_CLASSES, CLUTTER_SHAPES, SHAPES
from strl.formats.builtin_rooms.shapes import Placed, heading_with_back_to, rectangles_overlap, rot_z, sample_shape
from strl.formats.scenes import points_in_boxes


def test_every_class_has_a_shape_standing_on_the_floor_front_towards_minus_y():
    assert set(SHAPES) == set(BOX_CLASSES) | set(CLUTTER_SHAPES)
    rng = np.random.default_rng(0)
    for kind in SHAPES:
        shape = sample_shape(rng, kind, 400.0)
        assert shape.points.min(axis=0)[2] == 0 and np.array_equal(shape.lo, shape.points.min(axis=0))
        assert len(shape.points) >= 256 and shape.normals.shape == shape.points.shape
    bed = sample_shape(rng, "bed", 400.0)  # y-up beds are long along z: here along y, headboard at +y
    assert bed.size[1] > bed.size[0]
    head = bed.points[bed.points[:, 2] > bed.size[2] * 0.8]
    assert head[:, 1].mean() > bed.center[1]


def test_placed_box_holds_all_points_and_turns_with_the_heading():
    rng = np.random.default_rng(1)
    shape = sample_shape(rng, "desk", 500.0)
    obj = Placed(shape, 0.7, np.array([1.0, -2.0]), base=0.3)
    points, normals = obj.world()
    box = obj.box7
    assert np.allclose(box[:2], [1.0, -2.0]) and np.isclose(box[2], 0.3 + shape.size[2] / 2)
    assert np.allclose(box[3:6], shape.size) and np.isclose(box[6], 0.7)
    assert points_in_boxes(points, (box + [0, 0, 0, 1e-6, 1e-6, 1e-6, 0])[None]).all()
    assert np.allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-6)
    # the object's +x side (its box's dx) points along the heading
    local_x = (points[:, :2] - box[:2]) @ rot_z(0.7)[:, 0]
    assert np.isclose(np.ptp(local_x), shape.size[0], atol=1e-6)


def test_heading_with_back_to_turns_plus_y_onto_the_direction():
    for d in ([1.0, 0.0], [0.0, -1.0], [np.sqrt(0.5), np.sqrt(0.5)]):
        assert np.allclose(rot_z(heading_with_back_to(d)) @ [0.0, 1.0], d)


@pytest.mark.parametrize("other, margin, expected", [
    ([3.0, 0.0, 2.0, 2.0, 0.0], 0.0, False),  # 1 m gap
    ([1.9, 0.0, 2.0, 2.0, 0.0], 0.0, True),  # overlap of 0.1 m
    ([2.0, 0.0, 2.0, 2.0, 0.0], 0.0, True),  # touching edges count as overlapping
    ([2.05, 0.0, 2.0, 2.0, 0.0], 0.1, True),  # 5 cm apart, but 10 cm margin
    ([2.4, 0.0, 2.0, 2.0, np.pi / 4], 0.0, True),  # diamond corner reaches x = 2.4 - 1.414 < 1
    ([2.5, 0.0, 2.0, 2.0, np.pi / 4], 0.0, False),
    ([2.2, 2.2, 2.0, 2.0, np.pi / 4], 0.0, False),  # separated only along the diamond's own edge normal
])
def test_rectangles_overlap_by_hand(other, margin, expected):
    box = np.array([0.0, 0.0, 2.0, 2.0, 0.0])
    assert rectangles_overlap(box, np.array([other]), margin).tolist() == [expected]
    assert rectangles_overlap(np.array(other), box[None], margin).tolist() == [expected]
    assert rectangles_overlap(box, np.zeros((0, 5))).shape == (0,)
