import numpy as np
import pytest

from strl.formats.builtin.primitives import (
    Ellipsoid,
    Lathe,
    TorusArc,
    box,
    cylinder,
    moved,
    rod,
    rot_y,
    sample_parts,
    slab,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def test_box_area_points_on_faces_and_outward_normals():
    size = np.array([0.4, 1.0, 2.0])
    part = box((1.0, 2.0, 3.0), size)
    assert part.area == pytest.approx(2 * (0.4 * 1.0 + 1.0 * 2.0 + 0.4 * 2.0))
    pts, normals, two_sided = sample_parts([part], 6000, rng())
    local = pts - (1.0, 2.0, 3.0)
    on_face = np.isclose(np.abs(local), size / 2).any(axis=1)
    assert on_face.all() and (np.abs(local) <= size / 2 + 1e-9).all()
    assert (np.einsum("ni,ni->n", local, normals) > 0).all()
    assert not two_sided.any()
    # points spread in proportion to face area: the two 1.0 x 2.0 faces hold 4 / 6.4 of the area
    big_faces = np.isclose(np.abs(local[:, 0]), 0.2)
    assert big_faces.mean() == pytest.approx(4.0 / 6.4, abs=0.03)


def test_closed_cylinder_area_and_uniform_caps():
    part = cylinder((0, 0, 0), 0.5, 2.0)
    assert part.area == pytest.approx(2 * np.pi * 0.5 * 2.0 + 2 * np.pi * 0.25)
    pts, normals, _ = sample_parts([part], 20000, rng(1))
    radius = np.hypot(pts[:, 0], pts[:, 2])
    cap = np.isclose(pts[:, 1], 0.0) | np.isclose(pts[:, 1], 2.0)
    assert np.allclose(radius[~cap], 0.5)
    assert cap.mean() == pytest.approx(0.2, abs=0.02)  # caps: 2 pi r^2 of 2 pi r (h + r)
    # uniform on a disc: a quarter of the cap points lie within half the radius
    assert (radius[cap] < 0.25).mean() == pytest.approx(0.25, abs=0.03)
    assert np.allclose(normals[cap, 1], np.where(pts[cap, 1] > 1, 1.0, -1.0))
    assert np.allclose(normals[~cap], pts[~cap] * (2.0, 0.0, 2.0))  # radial, unit length


def test_tapered_lathe_area_matches_a_frustum():
    part = Lathe([1.0, 0.5], [0.0, 1.0])
    assert part.area == pytest.approx(np.pi * 1.5 * np.hypot(0.5, 1.0))


def test_rod_runs_between_its_end_points():
    p0, p1 = np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 0.5])
    pts, _, _ = sample_parts([rod(p0, p1, 0.05)], 3000, rng(2))
    axis = (p1 - p0) / np.linalg.norm(p1 - p0)
    along = (pts - p0) @ axis
    off_axis = np.linalg.norm(pts - p0 - along[:, None] * axis, axis=1)
    assert np.allclose(off_axis, 0.05)
    assert along.min() >= -1e-9 and along.max() <= np.linalg.norm(p1 - p0) + 1e-9


def test_ellipsoid_points_and_normals():
    part = Ellipsoid((0, 1, 0), (1.0, 0.5, 0.25))
    pts, normals, _ = sample_parts([part], 2000, rng(3))
    q = (pts - (0, 1, 0)) / (1.0, 0.5, 0.25)
    assert np.allclose((q**2).sum(axis=1), 1.0)
    assert (np.einsum("ni,ni->n", pts - (0, 1, 0), normals) > 0).all()
    half = Ellipsoid((0, 0, 0), (1, 1, 1), half=True)
    pts, _, two_sided = sample_parts([half], 500, rng(3))
    assert (pts[:, 1] >= 0).all() and two_sided.all()
    assert half.area == pytest.approx(2 * np.pi, rel=0.01)


def test_torus_arc_stays_on_its_tube_and_angle_range():
    part = TorusArc((0, 0, 0), 1.0, 0.1, -np.pi / 2, np.pi / 2)
    assert part.area == pytest.approx(np.pi * 1.0 * 2 * np.pi * 0.1)
    pts, normals, _ = sample_parts([part], 3000, rng(4))
    ring = np.hypot(pts[:, 0], pts[:, 1])
    assert np.allclose(np.hypot(ring - 1.0, pts[:, 2]), 0.1)
    assert (pts[:, 0] > -0.1 - 1e-9).all()  # only the +x half of the ring
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)


def test_slab_is_thick_along_up_only():
    outline = [(0, 0, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1)]
    part = slab(outline, 0.1)
    pts, _, _ = sample_parts([part], 2000, rng(5))
    assert pts[:, 1].min() == pytest.approx(-0.05) and pts[:, 1].max() == pytest.approx(0.05)
    assert part.area == pytest.approx(2 * 1.0 + 4 * 0.1)


def test_moved_rotates_and_translates_every_kind_of_part():
    parts = [box((1, 0, 0), (0.2, 0.2, 0.2)), cylinder((1, 0, 0), 0.1, 0.3), Ellipsoid((1, 0, 0), (0.1,) * 3),
             TorusArc((1, 0, 0), 0.2, 0.02)]
    for part in parts:
        before, _, _ = sample_parts([part], 200, rng(6))
        after, _, _ = sample_parts([moved(part, rot_y(np.pi / 2), (0, 1, 0))], 200, rng(6))
        assert np.allclose(after, before @ rot_y(np.pi / 2).T + (0, 1, 0))


def test_sample_parts_is_seeded_and_area_weighted():
    parts = [box((0, 0, 0), (1, 1, 1)), box((5, 0, 0), (2, 2, 2))]
    a, _, _ = sample_parts(parts, 10000, rng(7))
    b, _, _ = sample_parts(parts, 10000, rng(7))
    c, _, _ = sample_parts(parts, 10000, rng(8))
    assert a.shape == (10000, 3) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert (a[:, 0] > 2.5).mean() == pytest.approx(4 / 5, abs=0.02)
