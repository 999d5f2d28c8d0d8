import numpy as np
import pytest
from scipy.spatial import cKDTree

from strl.formats.builtin_rooms.classes import BOX_CLASSES, CLUTTER, FLOOR, SEMANTIC_CLASSES, WALL
from strl.formats.builtin_rooms.furnish import furnish_room
from strl.formats.builtin_rooms.scan import (MIN_BOX_POINTS, object_samples, plane_samples, room_frames, scan_room,
                                             seen_by)
from strl.formats.builtin_rooms.render import RADIUS
from strl.formats.builtin_rooms.views import DepthCamera, look_at
from strl.formats.scenes import points_in_boxes
from strl.sequences.depth_points import DepthBackProjection
from strl.sequences.frame_points import registered_frame

DENSITY, SPACING, NOISE = 600.0, 1 / np.sqrt(600.0), 0.005
SCAN_CAMERA = DepthCamera(48, 36)


@pytest.fixture(scope="module")
def bedroom():
    room = furnish_room(np.random.default_rng(11), DENSITY)
    assert room.kind == "bedroom"
    return room


@pytest.fixture(scope="module")
def scan(bedroom):
    return scan_room(np.random.default_rng(0), bedroom, 8, SCAN_CAMERA, NOISE)


def test_plane_samples_cover_floor_and_walls_evenly(bedroom):
    points, normals, semantic = plane_samples(np.random.default_rng(0), bedroom, 100.0)
    (hx, hy), h = bedroom.half, bedroom.wall_height
    floor = semantic == FLOOR
    assert np.allclose(points[floor, 2], 0) and (normals[floor] == [0, 0, 1]).all()
    assert abs(floor.sum() - 100 * 4 * hx * hy) < 5 * np.sqrt(100 * 4 * hx * hy)
    walls = points[semantic == WALL]
    assert np.isclose(np.abs(walls[:, :2]) , [hx, hy]).any(axis=1).all() and (walls[:, 2] <= h).all()
    inward = (normals[semantic == WALL] * walls).sum(axis=1)
    assert (inward < 0).all()  # wall normals point into the room


def test_seen_by_by_hand():
    camera = DepthCamera(32, 24)
    pose = look_at(np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 1.0]]))[0]  # looking along +x
    depth = np.full((24, 32), 2.0)  # a wall 2 m ahead
    points = np.array([[1.5, 0, 1], [2.0, 0, 1], [2.5, 0, 1], [1.5, 0, 1], [-1.0, 0, 1], [1.5, 5.0, 1]], np.float32)
    normals = np.array([[-1, 0, 0], [-1, 0, 0], [-1, 0, 0], [1, 0, 0], [-1, 0, 0], [-1, 0, 0]], np.float32)
    seen = seen_by(points, normals, np.zeros(6, bool), depth, pose, camera)
    # in front: seen; on the wall: seen; behind it: hidden; facing away; behind the camera; outside the image
    assert seen.tolist() == [True, True, False, False, False, False]
    assert seen_by(points, normals, np.ones(6, bool), depth, pose, camera)[3]  # two-sided faces both ways


def test_labelled_points_lie_on_their_surfaces(bedroom, scan):
    points, semantic, instance = scan["points"], scan["semantic"], scan["instance"]
    assert points.dtype == np.float32 and len(points) > 2000
    assert set(np.unique(semantic)) <= set(range(len(SEMANTIC_CLASSES)))
    floor, wall = semantic == FLOOR, semantic == WALL
    assert np.abs(points[floor, 2]).max() < 5 * NOISE
    assert (np.abs(np.abs(points[wall, :2]) - bedroom.half).min(axis=1) < 5 * NOISE).all()
    assert (instance[floor | wall] == -1).all() and (instance[~(floor | wall)] >= 0).all()
    boxes, classes = scan["boxes"], scan["box_classes"]
    assert boxes.dtype == np.float32 and len(boxes) == len(classes) > 0
    grown = boxes + np.array([0, 0, 0, 1, 1, 1, 0], np.float32) * 10 * NOISE  # 5 sigma of noise on each side
    for k, (box, cls) in enumerate(zip(grown, classes)):
        mine = instance == k
        assert mine.sum() >= MIN_BOX_POINTS and (semantic[mine] == SEMANTIC_CLASSES.index(BOX_CLASSES[cls])).all()
        assert points_in_boxes(points[mine], box[None]).all()
    extra = (instance >= len(boxes)) & (semantic == CLUTTER)  # clutter has no box
    assert not (semantic[instance >= len(boxes)] == FLOOR).any() and extra.sum() == (semantic == CLUTTER).sum()


def test_hidden_surfaces_are_missing(bedroom, scan):
    bed = next(o for o in bedroom.objects if o.kind == "bed")
    box = bed.box7.copy()
    box[3:5] -= 0.3  # well inside the bed's footprint
    box[5] = 0.1
    box[2] = 0.0
    floor = scan["points"][scan["semantic"] == FLOOR]
    inside = points_in_boxes(floor, box[None].astype(np.float32))[:, 0].mean()
    area = box[3] * box[4] / (4 * np.prod(bedroom.half))
    assert inside < 0.1 * area  # the floor under the bed is not seen
    # nor are the object samples inside the bed (its hidden faces): points lie near the bed's outer shell
    mine = scan["points"][scan["instance"] == 0]
    assert np.median(mine[:, 2]) > 0.15


def test_frames_back_project_onto_the_room(bedroom):
    camera = DepthCamera(40, 30)
    depth, poses = room_frames(np.random.default_rng(1), bedroom, 4, camera)
    assert depth.shape == (4, 30, 40) and depth.dtype == np.uint16 and poses.shape == (4, 4, 4)
    assert ((depth > 0).mean(axis=(1, 2)) >= 0.5).all()
    samples = object_samples(bedroom)
    tree = cKDTree(samples.points)
    stats = dict.fromkeys(("frames_read", "pixels_read", "pixels_no_depth", "pixels_beyond_max_depth"), 0)
    for d, pose in zip(depth, poses):
        back_projection = DepthBackProjection(1000.0, None, 1, stats)
        frame = registered_frame(back_projection.points_from_depth(d, camera.intrinsics), pose)
        p = frame.points
        to_plane = np.minimum(np.abs(p[:, 2]), np.abs(np.abs(p[:, :2]) - bedroom.half).min(axis=1))
        to_object = tree.query(p)[0]
        distance = np.minimum(to_plane, to_object)
        # splats reach at most their radius past an object's outline (like a sensor's mixed pixels)
        assert (distance < RADIUS * SPACING + 0.01).mean() > 0.98 and np.median(distance) < SPACING / 2
        assert np.allclose(frame.origin, pose[:3, 3])
