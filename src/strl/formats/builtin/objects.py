"""One random object of a built-in class: parts → surface sample → stretch, turn, normalise."""

from __future__ import annotations

import numpy as np

from .classes import CLASS_NAMES, SHAPE_CLASSES
from .primitives import rot_y, sample_parts

SPLIT_CODES = {"sequences": 0, "train": 1, "test": 2}


def object_rng(seed: int, split: str, class_id: int, index: int) -> np.random.Generator:
    """The generator of object ``index`` of class ``class_id`` in ``split``: independent of how many
    objects or classes are built, so growing a config keeps the objects it already had."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPLIT_CODES[split], class_id, index)))


def random_object(rng: np.random.Generator, class_id: int, points: int, stretch: float):
    """A surface sample of a fresh object of class ``CLASS_NAMES[class_id]``.

    The object is stretched along its own axes by factors in ``exp(±stretch)``, turned by a
    random angle about the vertical (y) axis, centred on its mean point and scaled into the unit
    ball. Returns ``(points (n, 3), normals (n, 3), two_sided (n,) bool)`` float64, in random order.
    """
    parts = SHAPE_CLASSES[CLASS_NAMES[class_id]](rng)
    pts, normals, two_sided = sample_parts(parts, points, rng)
    linear = rot_y(rng.uniform(0, 2 * np.pi)) @ np.diag(np.exp(rng.uniform(-stretch, stretch, 3)))
    pts = pts @ linear.T
    normals = normals @ np.linalg.inv(linear)  # normals follow the inverse transpose
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    pts -= pts.mean(axis=0)
    pts /= np.linalg.norm(pts, axis=1).max()
    order = rng.permutation(points)
    return pts[order], normals[order], two_sided[order]


def unit_ball(points: np.ndarray) -> np.ndarray:
    """``points`` ``(N, 3)`` centred on their mean and scaled to a largest norm of 1."""
    centred = points - points.mean(axis=0)
    return centred / np.linalg.norm(centred, axis=1).max()
