"""The simulated LiDAR: beam angles, ray order, returns from the road and from a wall, the sensor pose."""

from __future__ import annotations

import numpy as np
import pytest

from strl.formats.builtin_streets.lidar import LidarSpec, beam_elevations, ray_directions, scan, sensor_to_world
from strl.formats.builtin_streets.solids import Solids, block

EXACT = dict(range_noise=0.0, reflectance_noise=0.0)


def test_beam_elevations_span_kittis_field_of_view_evenly():
    el = np.rad2deg(beam_elevations(LidarSpec()))
    assert len(el) == 64
    assert el[0] == pytest.approx(2.0) and el[-1] == pytest.approx(-24.8)
    assert np.allclose(np.diff(el), -26.8 / 63)


def test_ray_directions_are_unit_vectors_azimuth_major():
    spec = LidarSpec(beams=4, azimuth_steps=8)
    dirs = ray_directions(spec)
    assert dirs.shape == (32, 3)
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1)
    assert np.allclose(np.arcsin(dirs[:, 2]), np.tile(beam_elevations(spec), 8))
    azimuth = np.arctan2(dirs[::4, 1], dirs[::4, 0]) % (2 * np.pi)
    assert np.allclose(azimuth, 2 * np.pi * np.arange(8) / 8)


def test_road_returns_lie_on_the_road_at_each_beams_range():
    spec = LidarSpec(beams=8, azimuth_steps=90, max_range=60.0, min_range=0.0, **EXACT)
    sweep = scan(Solids.empty(), (3.0, -2.0, 0.4), spec, np.random.default_rng(0), ground_reflectance=0.2)
    pts = sweep.points
    assert pts.dtype == np.float32 and pts.shape[1] == 4
    assert np.allclose(pts[:, 2], -1.73, atol=1e-4)  # the road, 1.73 m under the sensor
    el = beam_elevations(spec)
    reach = 1.73 / np.sin(-el[el < 0])
    assert len(pts) == 90 * int((reach <= 60).sum())  # every azimuth of every beam that reaches the road
    assert np.allclose(np.sort(np.unique(np.round(np.hypot(pts[:, 0], pts[:, 1]), 3))),
                       np.sort(np.round(reach[reach <= 60] * np.cos(el[el < 0][reach <= 60]), 3)), atol=2e-3)
    assert (pts[:, 3] >= 0).all() and (pts[:, 3] <= 0.99).all()
    assert (sweep.owner == -1).all()


def test_a_wall_ahead_of_a_moved_and_turned_sensor():
    wall = block(-1.0, 1.0, 14.0, 15.0, 0.0, 5.0, reflectance=0.5).with_owner(7)  # 14 m to the north of (0, 0)
    spec = LidarSpec(beams=16, azimuth_steps=360, max_range=50.0, **EXACT)
    pose = (0.0, 4.0, np.pi / 2)  # at y = 4, facing north: the wall is 10 m ahead (sensor +x)
    sweep = scan(wall, pose, spec, np.random.default_rng(0))
    on = sweep.points[sweep.owner == 7]
    assert len(on) > 20
    assert np.allclose(on[:, 0], 10.0, atol=1e-4) and (np.abs(on[:, 1]) <= 1.0 + 1e-4).all()
    world = on[:, :3] @ sensor_to_world(pose, spec.height)[:3, :3].T + sensor_to_world(pose, spec.height)[:3, 3]
    assert np.allclose(world[:, 1], 14.0, atol=1e-4)


def test_range_noise_moves_points_along_their_rays():
    wall = block(10.0, 11.0, -5.0, 5.0, 0.0, 5.0, reflectance=0.5)
    spec = LidarSpec(beams=16, azimuth_steps=360, range_noise=0.05)
    pts = scan(wall, (0.0, 0.0, 0.0), spec, np.random.default_rng(1)).points.astype(np.float64)
    front = pts[(np.abs(pts[:, 0] - 10) < 0.5) & (np.abs(pts[:, 1]) < 4)]  # the face x = 10, not the sides
    r = np.linalg.norm(front[:, :3], axis=1)
    true_range = 10.0 / (front[:, 0] / r)  # the ray's way to the face x = 10
    assert len(front) > 100
    assert np.std(r - true_range) == pytest.approx(0.05, rel=0.2)
