import numpy as np
import pytest

from strl.formats.builtin_rooms.furnish import Room
from strl.formats.builtin_rooms.render import (ObjectSamples, camera_rays, render_depth, room_depth, sensor_depth,
                                               splat_depth)
from strl.formats.builtin_rooms.views import DepthCamera, look_at
from strl.sequences.depth_points import DepthBackProjection
from strl.sequences.frame_points import registered_frame

CAMERA = DepthCamera(64, 48)
ROOM = Room(np.array([2.0, 3.0]), 2.5, "office")


def pose(position, target):
    return look_at(np.array([position], float), np.array([target], float))[0]


def world_points(depth, camera_pose):
    """Back-projection with the reader of ScanNet frames."""
    stats = dict.fromkeys(("frames_read", "pixels_read", "pixels_no_depth", "pixels_beyond_max_depth"), 0)
    finite = np.where(np.isfinite(depth), depth, 0)
    cam = DepthBackProjection(1.0, None, 1, stats).points_from_depth(finite, CAMERA.intrinsics)
    return registered_frame(cam, camera_pose).points


def test_a_wall_square_to_the_camera_is_at_one_depth_everywhere():
    depth = room_depth(ROOM.half, ROOM.wall_height, pose([0, 0, 1.5], [1, 0, 1.5]), camera_rays(CAMERA))
    assert depth.shape == (48, 64) and np.allclose(depth, 2.0)


def test_back_projected_room_depth_lies_on_floor_and_walls():
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = pose([*rng.uniform(-1, 1, 2), 1.4], [*rng.uniform(-2, 2, 2), rng.uniform(0, 1)])
        depth = room_depth(ROOM.half, ROOM.wall_height, p, camera_rays(CAMERA))
        points = world_points(depth, p)
        on_floor = np.abs(points[:, 2]) < 1e-4
        on_wall = np.isclose(np.abs(points[:, :2]), ROOM.half, atol=1e-4).any(axis=1)
        assert (on_floor | on_wall).all() and (np.abs(points[:, :2]) <= ROOM.half + 1e-4).all()
        assert np.isfinite(depth).all()  # looking down from 1.4 m: nothing leaves over 2.5 m walls


def test_rays_over_the_walls_see_nothing():
    depth = room_depth(ROOM.half, ROOM.wall_height, pose([0, 0, 2.4], [1, 0, 2.4]), camera_rays(CAMERA))
    assert np.isinf(depth[0]).all() and np.isfinite(depth[-1]).all()  # top rows rise 0.05 m within 2 m


def plate(rng, z, normal_z, density=2500.0, half=0.5):
    n = int(density * (2 * half) ** 2)
    points = np.column_stack([rng.uniform(-half, half, (n, 2)), np.full(n, z)])
    normals = np.tile([0.0, 0.0, normal_z], (n, 1))
    return points, normals


def samples(*plates, density=2500.0):
    points = np.concatenate([p for p, _ in plates])
    owner = np.repeat(np.arange(len(plates)), [len(p) for p, _ in plates])
    return ObjectSamples(points, np.concatenate([n for _, n in plates]), np.zeros(len(points), bool), owner,
                         1 / np.sqrt(density))


@pytest.mark.parametrize("position", [(0.0, -0.3, 1.8), (0.0, -1.5, 1.4), (0.5, -0.5, 1.2)])
def test_splats_cover_a_plate_at_its_depth_and_hide_what_is_behind(position):
    rng = np.random.default_rng(1)
    top, below = plate(rng, 0.8, 1.0), plate(rng, 0.4, 1.0, half=0.7)
    p = pose(position, [0.0, 0.0, 0.8])
    depth = splat_depth(samples(top, below), p, CAMERA)
    points = world_points(depth, p)
    assert np.abs(points[:, :2]).max() < 0.7 + 0.05  # nothing drawn outside the plates
    # pixels whose ray meets the top plate inside its edges show it, at its depth even when seen at a slant
    rays = camera_rays(CAMERA) @ p[:3, :3].T
    t = (0.8 - p[2, 3]) / rays[..., 2]  # camera z of the hit point, since the camera ray has z = 1
    hit = p[:3, 3] + t[..., None] * rays
    inner = (np.abs(hit[..., :2]) < 0.45).all(axis=-1)
    error = np.abs(depth[inner] - t[inner])
    assert inner.sum() > 200 and np.median(error) < 0.002
    assert (error > 0.01).mean() < 0.005  # a rare pixel no disc covers shows the plate below


def test_back_faces_are_not_drawn():
    rng = np.random.default_rng(2)
    p = pose([0.0, -0.3, 1.8], [0.0, 0.0, 0.8])
    assert np.isinf(splat_depth(samples(plate(rng, 0.8, -1.0)), p, CAMERA)).all()


def test_objects_out_of_view_are_culled():
    rng = np.random.default_rng(3)
    ahead, behind = plate(rng, 0.8, 1.0), plate(rng, 0.8, 1.0)
    behind = (behind[0] + [0.0, -5.0, 0.0], behind[1])
    s = samples(ahead, behind)
    index = s.in_view(pose([0.0, -0.3, 1.8], [0.0, 0.0, 0.8]), CAMERA)
    assert set(s.owner[index].tolist()) == {0}


def test_render_is_the_nearer_of_room_and_objects():
    rng = np.random.default_rng(4)
    p = pose([0.0, -0.3, 1.8], [0.0, 0.0, 0.8])
    s = samples(plate(rng, 0.8, 1.0))
    both = render_depth(ROOM, s, p, CAMERA)
    walls = room_depth(ROOM.half, ROOM.wall_height, p, camera_rays(CAMERA))
    assert np.array_equal(both, np.minimum(walls, splat_depth(s, p, CAMERA))) and (both < walls).any()


def test_sensor_depth_is_millimetres_with_gaps_and_kinect_noise():
    rng = np.random.default_rng(5)
    depth = np.full((200, 200), 2.0)
    depth[0, :3] = [0.2, 9.0, np.inf]
    mm = sensor_depth(depth, rng)
    assert mm.dtype == np.uint16 and (mm[0, :3] == 0).all()
    valid = mm[1:] > 0
    assert 0.97 < valid.mean() < 0.995  # 1 % dropped
    sigma = 0.0012 + 0.0019 * 1.6**2
    assert abs(mm[1:][valid].std() / 1000 - sigma) < 0.1 * sigma and abs(mm[1:][valid].mean() - 2000) < 1
    exact = sensor_depth(np.array([[1.2344, 1.2346]]), rng, noise=0.0, dropout=0.0)
    assert exact.tolist() == [[1234, 1235]]


@pytest.mark.parametrize("size", [(64, 48), (96, 72)])
def test_camera_rays_have_unit_z_and_hit_the_principal_point(size):
    camera = DepthCamera(*size)
    rays = camera_rays(camera)
    fx, fy, cx, cy = camera.intrinsics
    assert rays.shape == (size[1], size[0], 3) and (rays[..., 2] == 1).all() and not rays.flags.writeable
    assert np.isclose(rays[0, 0, 0], -cx / fx) and np.isclose(rays[-1, -1, 1], (size[1] - 1 - cy) / fy)
