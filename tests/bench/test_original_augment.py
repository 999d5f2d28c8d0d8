import numpy as np
import pytest

from strl.bench.original_augment import original_object_pipeline

# after normalisation (radius 1): scale <= 1.25, rotation keeps radii, translation
# <= 0.1 * extent (extent <= 2.5) per axis, jitter <= 0.05 per axis
MAX_RADIUS = 1.25 + 0.25 * 3**0.5 + 0.05 * 3**0.5


@pytest.mark.parametrize("n", [24, 64, 100, 300])
def test_shape_and_ranges(n):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(n, 3)).astype(np.float32) * 5 + 10
    before = points.copy()
    for _ in range(10):
        out = original_object_pipeline(points, 64, rng)
        assert out.shape == (64, 3) and out.dtype == np.float32
        assert np.isfinite(out).all()
        assert np.linalg.norm(out, axis=1).max() <= MAX_RADIUS
    np.testing.assert_array_equal(points, before)


def test_views_are_random_and_seeded():
    points = np.random.default_rng(1).uniform(size=(128, 3)).astype(np.float32)
    a = original_object_pipeline(points, 64, np.random.default_rng(5))
    b = original_object_pipeline(points, 64, np.random.default_rng(5))
    c = original_object_pipeline(points, 64, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_dropout_duplicates_show_up():
    rng = np.random.default_rng(2)
    points = rng.uniform(size=(64, 3)).astype(np.float32)
    dup = [64 - len(np.unique(original_object_pipeline(points, 64, rng), axis=0)) for _ in range(20)]
    assert max(dup) > 5  # points replaced by the first point (ratio up to 0.875)
