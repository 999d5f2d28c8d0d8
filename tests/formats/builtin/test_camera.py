import numpy as np
import pytest
from scipy.spatial import cKDTree

from strl.formats.builtin.camera import CameraSpec, camera_path, depth_frames, visible
from strl.formats.builtin.primitives import Lathe, box, sample_parts


def look_from(*positions):
    pos = np.array(positions, dtype=np.float64)
    return pos, np.zeros_like(pos)


def test_camera_path_arcs_around_the_object_in_order():
    rng = np.random.default_rng(0)
    spec = CameraSpec()
    pos, targets = camera_path(rng, 8, spec)
    assert pos.shape == (8, 3) and targets.shape == (8, 3)
    dist = np.linalg.norm(pos, axis=1)
    assert (dist > spec.distance[0] - 0.3).all() and (dist < spec.distance[1] + 0.3).all()
    assert (pos[:, 1] > 0).all()  # above the floor plane: positive elevation
    az = np.unwrap(np.arctan2(pos[:, 0], pos[:, 2]))
    steps = np.diff(az)
    assert (np.sign(steps) == np.sign(steps[0])).all()  # one direction round the object
    total = abs(az[-1] - az[0])
    assert np.deg2rad(spec.arc[0]) - 0.2 < total < np.deg2rad(spec.arc[1]) + 0.2


def test_a_closed_box_shows_only_its_faces_towards_the_camera():
    pts, normals, two_sided = sample_parts([box((0, 0, 0), (1.0, 1.0, 1.0))], 8000, np.random.default_rng(1))
    pos, targets = look_from((2.0, 1.2, 1.5), (-1.5, 0.8, 2.2), (0.3, 2.5, -1.0))
    seen = visible(pts, normals, two_sided, pos, targets)
    to_camera = pos[:, None, :] - pts[None]
    cos = np.einsum("fmi,mi->fm", to_camera, normals) / np.linalg.norm(to_camera, axis=-1)
    assert not seen[cos < 0].any()
    assert seen[cos > 0.35].mean() > 0.97  # faces within ~70 degrees of the view are seen


def test_a_box_hides_what_stands_behind_it():
    front = box((0, 0, 0.4), (0.8, 0.8, 0.1))
    back = box((0, 0, -0.4), (0.3, 0.3, 0.1))
    pts, normals, two_sided = sample_parts([front, back], 8000, np.random.default_rng(2))
    is_back = pts[:, 2] < 0
    seen_front, seen_back = visible(pts, normals, two_sided, *look_from((0, 0, 2.6), (0, 0, -2.6)))
    assert not seen_front[is_back].any()
    assert seen_back[is_back].mean() > 0.3  # from behind, the small box's back face is seen


def test_two_sided_sheets_are_seen_from_both_sides():
    disc = Lathe([0.0, 0.6], [0.0, 0.0], two_sided=True)
    pts, normals, two_sided = sample_parts([disc], 4000, np.random.default_rng(3))
    above, below = visible(pts, normals, two_sided, *look_from((0.5, 2.5, 0.5), (0.5, -2.5, 0.5)))
    assert above.mean() > 0.95 and below.mean() > 0.95
    assert np.allclose(normals, (0, -1, 0))  # the disc faces down
    one_sided_above, one_sided_below = visible(pts, normals, np.zeros_like(two_sided),
                                               *look_from((0.5, 2.5, 0.5), (0.5, -2.5, 0.5)))
    assert not one_sided_above.any() and one_sided_below.mean() > 0.95


def test_depth_frames_are_partial_fixed_size_and_noisy_along_rays():
    rng = np.random.default_rng(4)
    pts, normals, two_sided = sample_parts([box((0, 0, 0), (1.0, 0.8, 0.6))], 6000, rng)
    frames, positions = depth_frames(rng, pts, normals, two_sided, frames=5, points=512, depth_noise=0.0)
    assert frames.shape == (5, 512, 3) and frames.dtype == np.float32
    assert positions.shape == (5, 3) and positions.dtype == np.float32
    tree = cKDTree(pts)
    for f in range(5):  # each frame is a subset of the surface without repeats
        assert tree.query(frames[f])[0].max() < 1e-5
        assert len(np.unique(frames[f], axis=0)) == 512
    noisy, _ = depth_frames(np.random.default_rng(5), pts, normals, two_sided, 2, 512, depth_noise=0.02)
    assert 0.005 < np.median(tree.query(noisy[0])[0]) < 0.03


def test_depth_frames_top_up_when_too_few_points_are_visible():
    rng = np.random.default_rng(6)
    pts, normals, two_sided = sample_parts([box((0, 0, 0), (1.0, 1.0, 1.0))], 1000, rng)
    frames, _ = depth_frames(rng, pts, normals, two_sided, frames=2, points=900, depth_noise=0.0)
    assert frames.shape == (2, 900, 3)
    assert len(np.unique(frames[0], axis=0)) < 900  # repeats fill the frame


@pytest.mark.parametrize("size", [32, 64])
def test_image_size_does_not_change_what_a_convex_box_shows(size):
    pts, normals, two_sided = sample_parts([box((0, 0, 0), (1.0, 1.0, 1.0))], 8000, np.random.default_rng(7))
    seen = visible(pts, normals, two_sided, *look_from((2.0, 1.0, 1.0)), CameraSpec(image_size=size))[0]
    facing = normals @ np.array([2.0, 1.0, 1.0]) - np.einsum("mi,mi->m", pts, normals) > 0
    assert not (seen & ~facing).any()
    assert seen[facing].mean() > 0.9
