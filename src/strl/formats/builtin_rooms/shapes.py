"""Built-in object shapes sampled in an upright room frame, and where they stand in a room.

A :class:`Shape` is a dense surface sample of one object in its own frame: z up, standing on
``z = 0``, front towards ``-y`` (the y-up built-in shapes turned by :data:`Y_UP_TO_Z_UP`). A
:class:`Placed` shape adds a heading about z and a translation; its box is the ``box7`` of its
sample's extent, so ``dx`` is the object's width, ``dy`` its depth (front to back), ``dz`` its
height, and the heading is the direction of the object's ``+x`` side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strl.formats.builtin.primitives import sample_parts
from strl.formats.scenes import rectangle_corners, wrap_angle

from .classes import BOX_CLASSES, SHAPES

#: Rotation from the y-up object frame (front +z) to the z-up room frame (front -y).
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def rotated(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``points @ matrix.T`` for ``(..., 3)`` points and a ``(3, 3)`` matrix, in the points' dtype.
    (:func:`~.dataset.build_arrays` keeps BLAS on one thread: a threaded BLAS stalls on a busy
    machine for such thin products.)"""
    return points @ np.asarray(matrix, dtype=points.dtype).T


@dataclass
class Shape:
    """A sampled object. points, normals ``(M, 3)`` float64 and two_sided ``(M,)`` bool, in the
    object frame; ``lo`` / ``hi`` ``(3,)`` the extent of the points."""

    kind: str
    points: np.ndarray
    normals: np.ndarray
    two_sided: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @property
    def size(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def center(self) -> np.ndarray:
        return (self.hi + self.lo) / 2


def sample_shape(rng: np.random.Generator, kind: str, density: float) -> Shape:
    """A new object of ``kind`` (a key of :data:`~.classes.SHAPES`), sampled with ``density``
    points per square metre of part surface (at least 256 points), lifted onto ``z = 0``."""
    parts = SHAPES[kind](rng)
    n = max(256, int(round(density * sum(p.area for p in parts))))
    points, normals, two_sided = sample_parts(parts, n, rng)
    points, normals = rotated(points, Y_UP_TO_Z_UP), rotated(normals, Y_UP_TO_Z_UP)
    points[:, 2] -= points[:, 2].min()
    return Shape(kind, points, normals, two_sided, points.min(axis=0), points.max(axis=0))


def rot_z(angle: float) -> np.ndarray:
    """``(2, 2)`` rotation by ``angle`` (counter-clockwise seen from above)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def heading_with_back_to(direction) -> float:
    """The heading that turns an object's back (its ``+y`` side) towards the 2-D ``direction``."""
    return float(np.arctan2(-direction[0], direction[1]))


@dataclass
class Placed:
    """A :class:`Shape` turned by ``heading`` about z and moved so that its box centre is at
    ``center`` ``(2,)`` in the room, its bottom at height ``base``."""

    shape: Shape
    heading: float
    center: np.ndarray
    base: float = 0.0

    @property
    def kind(self) -> str:
        return self.shape.kind

    @property
    def has_box(self) -> bool:
        return self.kind in BOX_CLASSES

    @property
    def offset(self) -> np.ndarray:
        """``(3,)`` where the object frame's origin lands."""
        xy = self.center - rot_z(self.heading) @ self.shape.center[:2]
        return np.array([xy[0], xy[1], self.base])

    @property
    def box7(self) -> np.ndarray:
        """``(7,)`` ``(cx, cy, cz, dx, dy, dz, heading)`` of the object's extent."""
        s = self.shape
        return np.array([*self.center, self.base + s.center[2], *s.size, wrap_angle(self.heading)])

    @property
    def footprint(self) -> np.ndarray:
        """``(5,)`` ``(cx, cy, dx, dy, heading)``: the box seen from above."""
        b = self.box7
        return b[[0, 1, 3, 4, 6]]

    @property
    def top(self) -> float:
        return self.base + float(self.shape.size[2])

    def world(self) -> tuple[np.ndarray, np.ndarray]:
        """The sample's ``points`` and ``normals`` ``(M, 3)`` in the room frame."""
        r = np.eye(3)
        r[:2, :2] = rot_z(self.heading)
        return rotated(self.shape.points, r) + self.offset, rotated(self.shape.normals, r)


def rectangles_overlap(box: np.ndarray, others: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Whether rectangle ``box`` ``(5,)`` overlaps each of ``others`` ``(K, 5)`` once both are grown
    by ``margin / 2`` on every side: ``(K,)`` bool (separating-axis test on the four edge normals)."""
    if len(others) == 0:
        return np.zeros(0, dtype=bool)
    grow = np.array([0.0, 0.0, margin, margin, 0.0])
    a = rectangle_corners(box + grow)  # (4, 2)
    b = rectangle_corners(others + grow)  # (K, 4, 2)
    angles = np.concatenate([np.broadcast_to(box[4], (len(others), 1)), others[:, 4:5]], axis=1)
    angles = np.concatenate([angles, angles + np.pi / 2], axis=1)  # (K, 4) edge normals of both
    axes = np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # (K, 4, 2)
    pa = np.einsum("kad,cd->kac", axes, a)
    pb = np.einsum("kad,kcd->kac", axes, b)
    separated = (pa.max(axis=-1) < pb.min(axis=-1)) | (pb.max(axis=-1) < pa.min(axis=-1))
    return ~separated.any(axis=-1)
