import numpy as np
import pytest

from strl.formats.builtin.classes import CLASS_NAMES, SHAPE_CLASSES
from strl.formats.builtin.primitives import sample_parts


def extents(name, seeds):
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        pts, normals, _ = sample_parts(SHAPE_CLASSES[name](rng), 2000, rng)
        assert pts.shape == (2000, 3) and np.isfinite(pts).all() and np.isfinite(normals).all()
        assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
        out.append(pts.max(axis=0) - pts.min(axis=0))
    return np.array(out)


def test_at_least_twelve_classes_in_a_fixed_order():
    assert len(CLASS_NAMES) >= 12 and len(set(CLASS_NAMES)) == len(CLASS_NAMES)
    assert list(CLASS_NAMES) == list(SHAPE_CLASSES)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_objects_are_finite_and_vary_within_the_class(name):
    ext = extents(name, range(12))
    assert (ext > 0).all()
    # real intra-class variation: proportions differ by more than a few per cent
    ratios = ext / ext.max(axis=1, keepdims=True)
    assert ratios.std(axis=0).max() > 0.05


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_objects_stand_on_the_floor_and_are_seeded(name):
    a = SHAPE_CLASSES[name](np.random.default_rng(3))
    b = SHAPE_CLASSES[name](np.random.default_rng(3))
    pa, _, _ = sample_parts(a, 500, np.random.default_rng(0))
    pb, _, _ = sample_parts(b, 500, np.random.default_rng(0))
    assert np.array_equal(pa, pb)
    low = pa[:, 1].min()
    assert -0.05 < low < 0.1 * (pa[:, 1].max() - low) + 0.01  # y-up, resting near y = 0
