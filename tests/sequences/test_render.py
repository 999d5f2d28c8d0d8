"""Rendered view sequences: hidden-point removal on analytic shapes."""

from __future__ import annotations

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.base import SequenceSet
from strl.sequences.render import RenderedViews, hidden_point_removal


class ListClouds:
    labels = None
    class_names = None

    def __init__(self, clouds):
        self.clouds = clouds

    def __len__(self):
        return len(self.clouds)

    def __getitem__(self, i):
        return self.clouds[i]


def fibonacci_sphere(n: int, radius: float = 1.0, centre=(0.0, 0.0, 0.0)) -> np.ndarray:
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return (radius * np.stack([r * np.cos(phi), r * np.sin(phi), z], 1) + centre).astype(np.float32)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return len(np.intersect1d(a, b)) / len(np.union1d(a, b))


@pytest.mark.parametrize("distance", [3.0, 50.0])
def test_visible_fraction_of_a_sphere_matches_the_cap_it_can_see(distance):
    sphere = fibonacci_sphere(3000, radius=0.7, centre=(1.0, -2.0, 0.5))
    views = RenderedViews(ListClouds([sphere]), frames=4, distance=distance)
    visible = views.visible_indices(0, 1)
    # a camera d radii away sees the cap of height r (1 - 1/d): (1 - 1/d) / 2 of the sphere
    assert len(visible) / len(sphere) == pytest.approx((1 - 1 / distance) / 2, abs=0.04)
    cam = views.camera_position(0, 1)
    centre = np.array([1.0, -2.0, 0.5])
    assert np.linalg.norm(cam - centre) == pytest.approx(distance * 0.7, rel=5e-3)
    facing = (sphere[visible] - centre) @ (cam - centre) / np.linalg.norm(cam - centre) / 0.7
    assert np.mean(facing > 1 / distance - 0.05) > 0.97  # nearly all on the visible cap
    assert facing.min() > -0.1  # nothing from the far side, only grazing rim points


def test_consecutive_views_overlap_more_than_opposite_ones():
    rng = np.random.default_rng(0)
    half = np.array([1.0, 0.5, 0.7])
    box = rng.uniform(-1, 1, (4000, 3))
    box[np.arange(4000), rng.integers(0, 3, 4000)] = rng.choice([-1.0, 1.0], 4000)  # onto a face
    shapes = [fibonacci_sphere(2000), (box * half).astype(np.float32)]
    views = RenderedViews(ListClouds(shapes), frames=8, points_per_frame=512, seed=2)
    for s in range(2):
        vis = [views.visible_indices(s, t) for t in range(8)]
        near = np.mean([jaccard(vis[t], vis[(t + 1) % 8]) for t in range(8)])
        far = np.mean([jaccard(vis[t], vis[(t + 4) % 8]) for t in range(8)])
        assert near > far + 0.3, (s, near, far)


def test_frames_are_fixed_size_visible_points_in_object_coordinates():
    sphere = fibonacci_sphere(3000)
    views = RenderedViews(ListClouds([sphere, sphere * 2]), frames=6, points_per_frame=700, seed=1)
    assert isinstance(views, SequenceSet)
    assert len(views) == 2 and views.num_frames(1) == 6
    fr = views.frame(0, 3)
    assert fr.origin is None and fr.points.dtype == np.float32 and fr.points.shape == (700, 3)
    visible = views.visible_indices(0, 3)
    assert len(np.unique(fr.points, axis=0)) == 700  # enough visible points: no repeats
    rows = {tuple(p) for p in sphere[visible]}
    assert all(tuple(p) in rows for p in fr.points)
    fr.points[:] = 0  # frames are copies: the source cloud is untouched
    assert np.abs(sphere).max() > 0.9


def test_fewer_visible_points_than_requested_are_repeated():
    sphere = fibonacci_sphere(200)
    fr = RenderedViews(ListClouds([sphere]), frames=2, points_per_frame=500).frame(0, 0)
    assert fr.points.shape == (500, 3)
    assert 50 < len(np.unique(fr.points, axis=0)) < 200


def test_deterministic_per_seed():
    clouds = ListClouds([fibonacci_sphere(1500), fibonacci_sphere(900, 2.0)])
    a = RenderedViews(clouds, frames=5, points_per_frame=256, seed=7)
    b = RenderedViews(clouds, frames=5, points_per_frame=256, seed=7)
    c = RenderedViews(clouds, frames=5, points_per_frame=256, seed=8)
    for s in range(2):
        for t in (0, 4):
            np.testing.assert_array_equal(a.frame(s, t).points, b.frame(s, t).points)
            np.testing.assert_array_equal(a.frame(s, t).points, a.frame(s, t).points)
    assert not np.array_equal(a.frame(0, 0).points, c.frame(0, 0).points)


def test_up_axis_and_step():
    sphere = fibonacci_sphere(2000)
    top = RenderedViews(ListClouds([sphere]), frames=3, up="z", elevation_deg=90, step_deg=0)
    visible = top.visible_indices(0, 0)
    assert (sphere[visible, 2] > 0).all()
    np.testing.assert_array_equal(visible, top.visible_indices(0, 2))  # no step: same view
    side = RenderedViews(ListClouds([sphere]), frames=3, up="y", elevation_deg=0)
    centre_y = (sphere[:, 1].min() + sphere[:, 1].max()) / 2
    for t in range(3):  # the camera stays in the horizontal (x-z) plane through the centre
        assert side.camera_position(0, t)[1] == pytest.approx(centre_y, abs=1e-6)


def test_hidden_point_removal_keeps_the_near_face_of_a_cube_surface():
    g = np.linspace(-1, 1, 11)
    u, v = [a.ravel() for a in np.meshgrid(g, g)]
    faces = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            f = np.zeros((u.size, 3))
            f[:, axis] = sign
            f[:, (axis + 1) % 3] = u
            f[:, (axis + 2) % 3] = v
            faces.append(f)
    cube = np.unique(np.vstack(faces), axis=0)
    visible = hidden_point_removal(cube, np.array([0.0, 0.0, 10.0]))
    assert (cube[visible, 2] == 1.0).all()
    assert (cube[:, 2] == 1.0).sum() - len(visible) <= 4 * 11  # at most the rim is lost


def test_bad_clouds_and_options():
    bad = fibonacci_sphere(100)
    bad[3, 0] = np.nan
    views = RenderedViews(ListClouds([bad, fibonacci_sphere(3), np.zeros((0, 3), np.float32)]))
    with pytest.raises(DataError, match=r"cloud 0 has 1 point\(s\) with NaN"):
        views.frame(0, 0)
    with pytest.raises(DataError, match="cloud 1 has 3 point"):
        views.frame(1, 0)
    with pytest.raises(DataError, match="cloud 2 is empty"):
        views.frame(2, 0)
    with pytest.raises(IndexError):
        RenderedViews(ListClouds([fibonacci_sphere(100)]), frames=2).frame(0, 2)
    with pytest.raises(ConfigError, match="distance"):
        RenderedViews(ListClouds([]), distance=0.5)
    with pytest.raises(ConfigError, match="up"):
        RenderedViews(ListClouds([]), up="w")
    with pytest.raises(ConfigError, match="frames"):
        RenderedViews(ListClouds([]), frames=0)
