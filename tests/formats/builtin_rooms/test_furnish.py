import numpy as np
import pytest

from strl.formats.builtin_rooms.furnish import MARGIN, ROOM_TYPES, TopHeights, furnish_room
from strl.formats.builtin_rooms.shapes import rectangles_overlap
from strl.formats.scenes import rectangle_corners

DENSITY = 300.0


@pytest.fixture(scope="module")
def rooms():
    return [furnish_room(np.random.default_rng(seed), DENSITY) for seed in (0, 1, 4, 11, 14, 6)]  # every room type


def on_floor(room):
    return [o for o in room.objects if o.base == 0.0]


def test_room_sizes_and_types(rooms):
    assert {r.kind for r in rooms} == set(ROOM_TYPES)
    for room in rooms:
        (low, high), _ = ROOM_TYPES[room.kind]
        assert ((2 * room.half >= low) & (2 * room.half <= high)).all() and 2.4 <= room.wall_height <= 3.0
        assert 3 <= sum(o.has_box for o in room.objects) <= 20
        kinds = [o.has_box for o in room.objects]
        assert kinds == sorted(kinds, reverse=True)  # box classes first


def test_floor_footprints_stay_inside_and_apart(rooms):
    for room in rooms:
        floor = on_floor(room)
        boxes = np.stack([o.footprint for o in floor])
        assert (np.abs(rectangle_corners(boxes)) <= room.half).all()
        for i, box in enumerate(boxes):
            others = np.delete(boxes, i, axis=0)
            assert not rectangles_overlap(box, others, MARGIN * 0.99).any()
        for obj in floor:  # upright on the floor, below the wall tops
            points = obj.world()[0]
            assert np.isclose(points[:, 2].min(), 0, atol=1e-9) and points[:, 2].max() < room.wall_height


def test_wall_furniture_has_its_back_to_the_nearest_wall(rooms):
    for room in rooms:
        for obj in on_floor(room):
            if obj.kind not in ("bed", "bookshelf", "sofa"):
                continue
            back = np.array([-np.sin(obj.heading), np.cos(obj.heading)])  # the object's +y side
            side = np.argmax(np.abs(back))
            assert np.isclose(abs(back[side]), 1.0, atol=1e-9)
            back_face = obj.center[side] + back[side] * obj.shape.size[1] / 2
            assert room.half[side] - abs(back_face) < 0.07 and np.sign(back_face) == np.sign(back[side])


def test_things_on_top_stand_on_their_support(rooms):
    found = 0
    for room in rooms:
        floor = on_floor(room)
        for obj in room.objects:
            if obj.base == 0.0:
                continue
            found += 1
            below = [s for s in floor if rectangles_overlap(obj.footprint, s.footprint[None])[0]]
            assert any(np.isclose(obj.base, s.top, atol=0.06) or obj.base < s.top for s in below)
            assert obj.kind in ("lamp", "mug", "cup", "vase", "bottle")
    assert found > 0


def test_same_seed_same_room():
    a, b = (furnish_room(np.random.default_rng(3), DENSITY) for _ in range(2))
    assert [o.kind for o in a.objects] == [o.kind for o in b.objects]
    assert np.array_equal(np.stack([o.box7 for o in a.objects]), np.stack([o.box7 for o in b.objects]))


def test_top_heights_by_hand():
    points = np.array([[0.01, 0.01, 0.5], [0.02, 0.02, 0.7], [0.1, 0.01, 0.2], [0.2, 0.01, 0.3]])
    top = TopHeights(points, cell=0.05)  # cells start at the lowest x and y: 0.01
    query = np.array([[0.02, 0.02], [0.08, 0.05], [0.12, 0.02], [0.0, 0.0], [0.02, 0.08], [0.19, 0.03]])
    assert top(query).tolist() == [0.7, 0.2, -np.inf, -np.inf, -np.inf, 0.3]
