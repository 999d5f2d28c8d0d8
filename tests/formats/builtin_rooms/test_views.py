import numpy as np

from strl.formats.builtin_rooms.furnish import furnish_room
from strl.formats.builtin_rooms.views import DepthCamera, camera_path, clear_path, inside_footprints, look_at


def test_intrinsics_are_scannets_scaled():
    fx, fy, cx, cy = DepthCamera(640, 480).intrinsics
    assert abs(fx - 577.6) < 1.0 and fx == fy and (cx, cy) == (319.5, 239.5)
    assert np.isclose(DepthCamera(96, 72).intrinsics[0], fx * 96 / 640)


def test_look_at_poses_point_the_camera_z_axis_at_the_target_with_a_level_x_axis():
    rng = np.random.default_rng(0)
    positions = rng.uniform(-2, 2, (6, 3))
    targets = positions + rng.normal(0, 1, (6, 3))
    poses = look_at(positions, targets)
    for pose, p, t in zip(poses, positions, targets):
        r = pose[:3, :3]
        assert np.allclose(r.T @ r, np.eye(3)) and np.isclose(np.linalg.det(r), 1)
        assert np.allclose(r[:, 2], (t - p) / np.linalg.norm(t - p)) and np.isclose(r[2, 0], 0)
        assert r[2, 1] <= 1e-12  # image y (down) never points up
        assert np.allclose(pose[:3, 3], p) and np.allclose(pose[3], [0, 0, 0, 1])
        cam = r.T @ (t - p)  # the target projects onto the principal point
        assert np.allclose(cam[:2] / cam[2], 0)


def test_camera_path_stays_in_the_room_looks_down_and_moves_smoothly():
    rng = np.random.default_rng(1)
    half = np.array([2.0, 3.0])
    positions, targets = camera_path(rng, half, 10)
    assert (np.abs(positions[:, :2]) <= half - 0.3 + 1e-9).all()
    assert (positions[:, 2] > 1.0).all() and (positions[:, 2] < 1.8).all()
    pitch = np.arcsin((targets - positions)[:, 2] / np.linalg.norm(targets - positions, axis=1))
    assert (np.rad2deg(pitch) < 8).all() and (np.rad2deg(pitch) > -55).all() and pitch.mean() < 0
    steps = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    assert steps.max() < np.linalg.norm(positions[0] - positions[-1])  # one step is less than the whole walk


def test_inside_footprints_and_clear_paths():
    room = furnish_room(np.random.default_rng(4), 300.0)
    obj = room.objects[0]
    box = obj.box7
    along = np.array([np.cos(box[6]), np.sin(box[6])])
    points = np.stack([box[:2], box[:2] + along * (box[3] / 2 + 0.1), box[:2] + along * (box[3] / 2 + 0.3)])
    assert inside_footprints(points, [obj], 0.2).tolist() == [True, True, False]
    assert not inside_footprints(points, [], 0.2).any()
    positions, _ = clear_path(np.random.default_rng(0), room.half, room.objects, 8)
    tall = [o for o in room.objects if o.top > positions[:, 2].min() - 0.3]
    assert not inside_footprints(positions[:, :2], tall, 0.3).any()
