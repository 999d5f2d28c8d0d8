"""The ray caster against hand-computed hits, and its culled first hits against a brute-force search."""

from __future__ import annotations

import numpy as np
import pytest

from strl.formats.builtin_streets.raycast import (
    GROUND, NOTHING, box_entries, cast_rays, cylinder_entries, ground_entries, incidence_cosines,
)
from strl.formats.builtin_streets.solids import CYLINDER, Solids, box, cylinder

ORIGIN = np.array([0.0, 0.0, 1.0])


def unit(*v):
    v = np.array(v, np.float64)
    return v / np.linalg.norm(v)


def test_ray_hits_a_box_face_head_on_at_the_known_range():
    t = box_entries(ORIGIN, unit(1, 0, 0)[None], np.array([[10.0, 0, 1, 2, 2, 2, 0]]))
    assert t[0, 0] == pytest.approx(9.0)


def test_ray_hits_a_turned_box_on_its_edge():
    # a 2 m cube turned by 45 degrees: its near vertical edge is sqrt(2) m before its centre
    t = box_entries(ORIGIN, unit(1, 0, 0)[None], np.array([[10.0, 0, 1, 2, 2, 2, np.pi / 4]]))
    assert t[0, 0] == pytest.approx(10 - np.sqrt(2))


def test_rays_that_miss_or_start_inside_a_box_do_not_hit_it():
    boxes = np.array([[10.0, 0, 1, 2, 2, 2, 0]])
    dirs = np.stack([unit(0, 1, 0), unit(-1, 0, 0), unit(1, 0.2, 0), unit(1, 0, 0.5)])  # 0.2 rad off: y = 1.8 at x = 9
    assert np.isinf(box_entries(ORIGIN, dirs, boxes)).all()
    assert np.isinf(box_entries(np.array([10.0, 0, 1]), unit(1, 0, 0)[None], boxes)).all()


def test_ray_hits_a_cylinder_side_and_cap():
    cyl = np.array([[10.0, 0, 1.5, 2, 2, 3, 0]])  # radius 1, heights 0..3
    assert cylinder_entries(ORIGIN, unit(1, 0, 0)[None], cyl)[0, 0] == pytest.approx(9.0)
    assert cylinder_entries(np.array([10.0, 0, 5]), unit(0, 0, -1)[None], cyl)[0, 0] == pytest.approx(2.0)
    assert cylinder_entries(np.array([10.0, 0.5, -2]), unit(0, 0, 1)[None], cyl)[0, 0] == pytest.approx(2.0)
    # passes 1.5 m from the axis, and over the top
    assert np.isinf(cylinder_entries(np.array([0.0, 1.5, 1]), unit(1, 0, 0)[None], cyl)).all()
    assert np.isinf(cylinder_entries(np.array([0.0, 0, 4]), unit(1, 0, 0)[None], cyl)).all()


def test_ground_plane_at_the_height_over_the_sine_of_the_depression():
    angle = np.deg2rad(10)
    t = ground_entries(np.array([0.0, 0, 1.73]), np.array([[np.cos(angle), 0, -np.sin(angle)], [1.0, 0, 0]]))
    assert t[0] == pytest.approx(1.73 / np.sin(angle))
    assert np.isinf(t[1])


def test_the_nearest_of_two_solids_wins_whatever_their_order():
    near, far = box(10, 0, 1, 2, 2, 2, reflectance=0.5), box(20, 0, 1, 2, 2, 2, reflectance=0.5)
    for solids, expected in ((Solids.concat([near, far]), 0), (Solids.concat([far, near]), 1)):
        hits = cast_rays(ORIGIN, unit(1, 0, 0)[None], solids, max_range=100)
        assert hits.solid[0] == expected and hits.t[0] == pytest.approx(9.0)


def test_cast_reports_ground_nothing_and_the_range_limit():
    solids = box(10, 0, 1, 2, 2, 2, reflectance=0.5)
    dirs = np.stack([unit(0, 1, -0.5), unit(0, 1, 0.5), unit(1, 0, 0)])
    hits = cast_rays(ORIGIN, dirs, solids, max_range=5)
    assert hits.solid.tolist() == [GROUND, NOTHING, NOTHING]  # the box is beyond 5 m
    assert hits.t[0] == pytest.approx(np.sqrt(5)) and np.isinf(hits.t[1:]).all()


def test_incidence_cosine_of_a_face_seen_at_60_degrees():
    # a ray at 60 degrees to the face's normal (the x axis) hits the face x = 9
    d = unit(np.cos(np.deg2rad(60)), np.sin(np.deg2rad(60)), 0)
    params = np.array([[10.0, 0, 1, 2, 40, 2, 0]])
    t = box_entries(ORIGIN, d[None], params)[0]
    assert incidence_cosines(ORIGIN, d[None], t, params, np.array([0]))[0] == pytest.approx(0.5)
    side = np.array([[10.0, 0, 1.5, 2, 2, 3, 0]])
    t = cylinder_entries(ORIGIN, unit(1, 0, 0)[None], side)[0]
    assert incidence_cosines(ORIGIN, unit(1, 0, 0)[None], t, side, np.array([CYLINDER]))[0] == pytest.approx(1.0)


def test_culled_first_hits_equal_a_brute_force_search():
    rng = np.random.default_rng(0)
    n = 60
    parts = [box(*rng.uniform(-30, 30, 2), rng.uniform(0, 3), *rng.uniform(0.3, 4, 3), rng.uniform(-3, 3),
                 reflectance=0.3) for _ in range(n)]
    parts += [cylinder(*rng.uniform(-30, 30, 2), 0.0, rng.uniform(1, 6), rng.uniform(0.1, 2), reflectance=0.3)
              for _ in range(n // 3)]
    solids = Solids.concat(parts)
    origin = np.array([0.5, -0.3, 1.73])
    dirs = rng.normal(size=(4000, 3))
    dirs[:, 2] = -np.abs(dirs[:, 2]) * 0.3
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    hits = cast_rays(origin, dirs, solids, max_range=35.0, ground=False)
    every = np.concatenate([box_entries(origin, dirs, solids.params[solids.kind == 0]),
                            cylinder_entries(origin, dirs, solids.params[solids.kind == CYLINDER])], axis=1)
    index = np.concatenate([np.flatnonzero(solids.kind == 0), np.flatnonzero(solids.kind == CYLINDER)])
    t = every.min(axis=1)
    expected = np.where(t <= 35.0, index[every.argmin(axis=1)], NOTHING)
    assert (hits.solid == expected).all()
    assert np.allclose(hits.t[expected >= 0], t[expected >= 0], rtol=1e-5)
    assert (expected >= 0).sum() > 500
