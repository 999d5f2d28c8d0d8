"""Every labelled shape stays inside its box; sizes are KITTI-like."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from strl.formats.builtin_streets.labels import LABEL_MARGIN
from strl.formats.builtin_streets.shapes import LABELLED, pole, tree
from strl.geometry.boxes import corners_3d

MEAN_LABEL_SIZES = {"Car": (3.9, 1.6, 1.56), "Pedestrian": (0.8, 0.6, 1.73), "Cyclist": (1.76, 0.6, 1.73)}  # anchors


@pytest.mark.parametrize("name", sorted(LABELLED))
def test_parts_lie_inside_the_box(name):
    sampler, build = LABELLED[name]
    rng = np.random.default_rng(0)
    for _ in range(40):
        l, w, h = sampler(rng)
        parts = build(rng, (l, w, h))
        corners = corners_3d(torch.from_numpy(parts.params)).numpy().reshape(-1, 3)
        assert (np.abs(corners[:, 0]) <= l / 2 + 1e-9).all() and (np.abs(corners[:, 1]) <= w / 2 + 1e-9).all()
        assert (corners[:, 2] >= -1e-9).all() and (corners[:, 2] <= h + 1e-9).all()
        assert corners[:, 2].max() == pytest.approx(h) and np.abs(corners[:, 0]).max() > 0.3 * l


@pytest.mark.parametrize("name", sorted(MEAN_LABEL_SIZES))
def test_label_sizes_are_near_the_kitti_anchors(name):
    rng = np.random.default_rng(1)
    sizes = np.array([LABELLED[name][0](rng) for _ in range(400)])
    labelled = sizes + [2 * LABEL_MARGIN, 2 * LABEL_MARGIN, LABEL_MARGIN]
    assert np.allclose(labelled.mean(axis=0), MEAN_LABEL_SIZES[name], rtol=0.08)


def test_scenery_shapes_stand_on_the_ground():
    rng = np.random.default_rng(2)
    for parts in (pole(rng, 0.3), tree(rng)):
        bottom = parts.params[:, 2] - parts.params[:, 5] / 2
        assert bottom.min() == pytest.approx(0.0) and (bottom >= -1e-9).all()
