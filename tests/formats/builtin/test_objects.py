import numpy as np

from strl.formats.builtin.classes import CLASS_NAMES, SHAPE_CLASSES
from strl.formats.builtin.objects import object_rng, random_object, unit_ball
from strl.formats.builtin.primitives import sample_parts


def test_objects_are_centred_in_the_unit_ball_and_shuffled():
    pts, normals, two_sided = random_object(np.random.default_rng(0), 0, 3000, stretch=0.2)
    assert pts.shape == normals.shape == (3000, 3) and two_sided.shape == (3000,)
    assert np.allclose(pts.mean(axis=0), 0, atol=1e-9)
    assert np.isclose(np.linalg.norm(pts, axis=1).max(), 1.0)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    # no part is stored as one contiguous block: the first 300 points spread like the whole
    assert np.abs(pts[:300].mean(axis=0)).max() < 0.15


def test_object_generators_are_independent_per_split_class_and_index():
    def cloud(*key):
        return random_object(object_rng(*key), key[2], 500, 0.1)[0]

    assert np.array_equal(cloud(0, "train", 2, 5), cloud(0, "train", 2, 5))
    assert not np.array_equal(cloud(0, "train", 2, 5), cloud(0, "test", 2, 5))
    assert not np.array_equal(cloud(0, "train", 2, 5), cloud(1, "train", 2, 5))
    assert not np.array_equal(cloud(0, "train", 2, 5), cloud(0, "train", 2, 6))


def test_random_turns_are_about_the_vertical_axis_only():
    for c, name in enumerate(CLASS_NAMES):
        pts = random_object(np.random.default_rng(c), c, 2000, stretch=0.0)[0]
        rng = np.random.default_rng(c)  # replay the same draws without the turn
        raw = sample_parts(SHAPE_CLASSES[name](rng), 2000, rng)[0]
        raw = unit_ball(raw)
        assert np.allclose(np.sort(pts[:, 1]), np.sort(raw[:, 1]))  # heights are kept
        assert not np.allclose(np.sort(pts[:, 0]), np.sort(raw[:, 0]))  # the object was turned


def test_unit_ball():
    pts = unit_ball(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 3.0]]))
    assert np.allclose(pts, [[-1, 0, 0], [1, 0, 0]])
