"""Parametric surface parts that the built-in shapes are assembled from.

Three kinds cover every shape: triangle meshes (boxes, tapered slabs, wings), surfaces of
revolution (cylinders, cones, discs, cups, vases, rods) and ellipsoids / torus arcs. Every part
knows its surface ``area``, can be moved rigidly (``transform``), and :func:`sample_parts` draws
points uniformly (or close to uniformly) over a list of parts, with unit normals pointing out of
the solid; ``two_sided`` marks open sheets (lamp shades, saucers) whose both sides can be seen.
The object frame is y-up.
"""

from __future__ import annotations

import numpy as np

_BOX_QUADS = np.array([[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]])
_BOX_TRIANGLES = np.concatenate([_BOX_QUADS[:, [0, 1, 2]], _BOX_QUADS[:, [0, 2, 3]]])
_CORNER_BITS = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], dtype=np.float64)


def rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def frame_from_axis(axis) -> np.ndarray:
    """A rotation whose second column (the local y axis) is ``axis`` normalised."""
    y = np.asarray(axis, dtype=np.float64)
    y = y / np.linalg.norm(y)
    helper = np.array([1.0, 0, 0]) if abs(y[0]) < 0.9 else np.array([0, 0, 1.0])
    x = cross(y, helper)
    x /= np.linalg.norm(x)
    z = cross(x, y)
    return np.stack([x, y, z], axis=1)


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of ``(..., 3)`` arrays (cheaper than ``np.cross`` on small inputs)."""
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1], a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


class Mesh:
    """Triangles ``vertices[faces]`` of a convex solid; normals point away from its centroid."""

    two_sided = False

    def __init__(self, vertices, faces):
        self.tri = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]  # (T, 3, 3)
        normal = cross(self.tri[:, 1] - self.tri[:, 0], self.tri[:, 2] - self.tri[:, 0])
        length = np.sqrt((normal**2).sum(axis=1))
        self.areas = 0.5 * length
        self.area = float(self.areas.sum())
        outward = np.sign(((self.tri.mean(axis=1) - self.tri.reshape(-1, 3).mean(axis=0)) * normal).sum(axis=1))
        self.normals = normal * (outward / np.maximum(length, 1e-12))[:, None]

    def transform(self, rotation: np.ndarray, translation: np.ndarray) -> None:
        self.tri = self.tri @ rotation.T + translation
        self.normals = self.normals @ rotation.T


def hexahedron(corners) -> Mesh:
    """A closed six-faced solid from 8 corners indexed by bits (x: 4, y: 2, z: 1) of the box."""
    return Mesh(corners, _BOX_TRIANGLES)


def box(center, size, rotation=None) -> Mesh:
    """An axis-aligned box of ``size`` (sx, sy, sz) around ``center``, optionally rotated about it."""
    local = (_CORNER_BITS - 0.5) * np.asarray(size, dtype=np.float64)
    if rotation is not None:
        local = local @ np.asarray(rotation).T
    return hexahedron(local + np.asarray(center, dtype=np.float64))


def slab(outline, thickness: float, up=(0.0, 1.0, 0.0)) -> Mesh:
    """A quadrilateral ``outline`` (4, 3) thickened by ``thickness`` along ``up`` (wings, fins)."""
    q = np.asarray(outline, dtype=np.float64)
    off = np.asarray(up, dtype=np.float64) / np.linalg.norm(up) * (thickness / 2)
    # corner order of ``hexahedron``: bit x picks the outline edge side, bit y the face, bit z the end
    order = [0, 3, 1, 2]
    corners = np.empty((8, 3))
    for i in range(8):
        corners[i] = q[order[((i >> 2) & 1) * 2 + (i & 1)]] + (off if (i >> 1) & 1 else -off)
    return hexahedron(corners)


class Lathe:
    """A surface of revolution of the profile ``(radius[k], height[k])`` about the local y axis.

    Each profile segment is a frustum band; a segment from radius 0 to ``r`` at one height is a
    disc, so closed cylinders, cups with walls and vases are all one profile. Normals point to
    the right of the profile's direction in the (radius, height) plane, so a profile that runs
    round its solid's cross-section anticlockwise (out along the bottom, up the outside, back in
    along the top or down the inside) has outward normals.
    """

    def __init__(self, radius, height, origin=(0.0, 0.0, 0.0), rotation=None, two_sided: bool = False):
        self.two_sided = two_sided
        self.r = np.asarray(radius, dtype=np.float64)
        self.y = np.asarray(height, dtype=np.float64)
        self.origin = np.asarray(origin, dtype=np.float64)
        self.rotation = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
        r0, r1 = self.r[:-1], self.r[1:]
        self.areas = np.pi * (r0 + r1) * np.hypot(r1 - r0, self.y[1:] - self.y[:-1])  # one per band
        self.area = float(self.areas.sum())

    def transform(self, rotation: np.ndarray, translation: np.ndarray) -> None:
        self.rotation = rotation @ self.rotation
        self.origin = rotation @ self.origin + translation


def cylinder(base, radius: float, height: float, axis=(0.0, 1.0, 0.0), caps=(True, True),
             top_radius: float | None = None, two_sided: bool = False) -> Lathe:
    """A (possibly tapered) cylinder from ``base`` along ``axis``; ``caps`` closes bottom/top."""
    rt = radius if top_radius is None else top_radius
    r, y = [radius, rt], [0.0, height]
    if caps[0]:
        r, y = [0.0] + r, [0.0] + y
    if caps[1]:
        r, y = r + [0.0], y + [height]
    return Lathe(r, y, base, frame_from_axis(axis), two_sided=two_sided)


def rod(p0, p1, radius: float) -> Lathe:
    """An open tube of ``radius`` between two points (legs, stretchers, arms)."""
    p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    d = p1 - p0
    return Lathe([radius, radius], [0.0, float(np.linalg.norm(d))], p0, frame_from_axis(d))


class Ellipsoid:
    """An ellipsoid with semi-axes ``radii``; ``half`` keeps only the local ``y >= 0`` half."""

    def __init__(self, center, radii, rotation=None, half: bool = False):
        self.two_sided = half
        self.center = np.asarray(center, dtype=np.float64)
        self.radii = np.asarray(radii, dtype=np.float64)
        self.rotation = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
        self.half = half
        p = 1.6075  # Knud Thomsen's approximation of the ellipsoid's area
        a, b, c = self.radii
        full = 4 * np.pi * (((a * b) ** p + (a * c) ** p + (b * c) ** p) / 3) ** (1 / p)
        self.area = float(full / 2 if half else full)

    def transform(self, rotation: np.ndarray, translation: np.ndarray) -> None:
        self.rotation = rotation @ self.rotation
        self.center = rotation @ self.center + translation

    def sample(self, rng: np.random.Generator, n: int):
        d = rng.normal(size=(n, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        if self.half:
            d[:, 1] = np.abs(d[:, 1])
        normal = d / self.radii
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        return (d * self.radii) @ self.rotation.T + self.center, normal @ self.rotation.T


class TorusArc:
    """Part of a torus: a tube of ``minor`` radius along a circle of ``major`` radius in the local
    xy plane, for angles ``start..stop`` (radians). Handles, rings and footrests."""

    two_sided = False

    def __init__(self, center, major: float, minor: float, start: float = 0.0, stop: float = 2 * np.pi,
                 rotation=None):
        self.center = np.asarray(center, dtype=np.float64)
        self.major, self.minor, self.start, self.stop = major, minor, start, stop
        self.rotation = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
        self.area = float((stop - start) * major * 2 * np.pi * minor)

    def transform(self, rotation: np.ndarray, translation: np.ndarray) -> None:
        self.rotation = rotation @ self.rotation
        self.center = rotation @ self.center + translation

    def sample(self, rng: np.random.Generator, n: int):
        R, r = self.major, self.minor
        psi = np.empty(0)
        while psi.size < n:  # rejection: tube angle density ∝ distance from the torus axis
            cand = rng.uniform(0, 2 * np.pi, 2 * n + 8)
            keep = rng.random(cand.size) * (R + r) < R + r * np.cos(cand)
            psi = np.concatenate([psi, cand[keep]])
        psi = psi[:n]
        phi = rng.uniform(self.start, self.stop, n)
        ring = R + r * np.cos(psi)
        local = np.stack([ring * np.cos(phi), ring * np.sin(phi), r * np.sin(psi)], axis=1)
        normal = np.stack([np.cos(psi) * np.cos(phi), np.cos(psi) * np.sin(phi), np.sin(psi)], axis=1)
        normal = normal @ np.linalg.inv(self.rotation)  # inverse transpose: the rotation may stretch
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        return local @ self.rotation.T + self.center, normal


def moved(part, rotation, translation):
    """Apply ``x -> rotation @ x + translation`` to a part in place and return it."""
    part.transform(np.asarray(rotation, dtype=np.float64), np.asarray(translation, dtype=np.float64))
    return part


def triangle_points(rng, meshes, counts):
    """``counts[k]`` points on the k-th triangle of all ``meshes`` together."""
    tri = np.concatenate([m.tri for m in meshes])
    k = np.repeat(np.arange(len(tri)), counts)
    u, v = rng.random((2, len(k)))
    flip = u + v > 1
    u, v = np.where(flip, 1 - u, u)[:, None], np.where(flip, 1 - v, v)[:, None]
    a, b, c = tri[k, 0], tri[k, 1], tri[k, 2]
    return a + u * (b - a) + v * (c - a), np.concatenate([m.normals for m in meshes])[k]


def band_points(rng, lathes, counts):
    """``counts[k]`` points on the k-th frustum band of all ``lathes`` together."""
    r0 = np.concatenate([p.r[:-1] for p in lathes])
    r1 = np.concatenate([p.r[1:] for p in lathes])
    y0 = np.concatenate([p.y[:-1] for p in lathes])
    y1 = np.concatenate([p.y[1:] for p in lathes])
    owner = np.repeat(np.arange(len(lathes)), [len(p.areas) for p in lathes])
    k = np.repeat(np.arange(len(r0)), counts)
    r0, r1, y0, y1, owner = r0[k], r1[k], y0[k], y1[k], owner[k]
    u, theta = rng.random(len(k)), rng.uniform(0, 2 * np.pi, len(k))
    a, b, c = (r1 - r0) / 2, r0, u * (r0 + r1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):  # inverse CDF of a density ∝ radius
        t = np.nan_to_num(2 * c / (b + np.sqrt(np.maximum(b * b + 4 * a * c, 0))))
    r = r0 + t * (r1 - r0)
    cos, sin = np.cos(theta), np.sin(theta)
    local = np.stack([r * cos, y0 + t * (y1 - y0), r * sin], axis=1)
    dr, dy = r1 - r0, y1 - y0
    normal = np.stack([dy * cos, -dr, dy * sin], axis=1) / np.maximum(np.hypot(dr, dy), 1e-12)[:, None]
    rot = np.stack([p.rotation for p in lathes])[owner]
    origin = np.stack([p.origin for p in lathes])[owner]
    return np.einsum("nij,nj->ni", rot, local) + origin, np.einsum("nij,nj->ni", rot, normal)


def sample_parts(parts, n: int, rng: np.random.Generator):
    """``n`` points spread over ``parts`` in proportion to area (triangles and bands of all meshes
    and lathes are drawn together, so many small parts cost no Python loop).

    Returns ``(points (n, 3), normals (n, 3), two_sided (n,) bool)``, grouped by kind of part.
    """
    meshes = [p for p in parts if isinstance(p, Mesh)]
    lathes = [p for p in parts if isinstance(p, Lathe)]
    others = [p for p in parts if not isinstance(p, (Mesh, Lathe))]
    areas = np.concatenate([m.areas for m in meshes] + [p.areas for p in lathes] + [[p.area for p in others]])
    counts = rng.multinomial(n, areas / areas.sum())
    n_tri = sum(len(m.areas) for m in meshes)
    n_band = sum(len(p.areas) for p in lathes)
    pts, nrm, sided = [], [], []
    if meshes:
        p, q = triangle_points(rng, meshes, counts[:n_tri])
        pts.append(p), nrm.append(q), sided.append(np.zeros(len(p), dtype=bool))
    if lathes:
        p, q = band_points(rng, lathes, counts[n_tri:n_tri + n_band])
        owner_sided = np.repeat([lp.two_sided for lp in lathes], [len(lp.areas) for lp in lathes])
        pts.append(p), nrm.append(q), sided.append(np.repeat(owner_sided, counts[n_tri:n_tri + n_band]))
    for part, c in zip(others, counts[n_tri + n_band:]):
        if c > 0:
            p, q = part.sample(rng, int(c))
            pts.append(p), nrm.append(q), sided.append(np.full(len(p), part.two_sided))
    return np.concatenate(pts), np.concatenate(nrm), np.concatenate(sided)
