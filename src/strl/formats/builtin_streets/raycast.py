"""Rays against solids: analytic entry distances for all rays x all solids at once, and the first hit.

A ray is ``origin + t * d`` with ``d`` a unit vector and ``t > 0``. The kernels give, for every
ray and every solid, the distance ``t`` at which the ray enters the solid (``inf`` when it misses):

* :func:`box_entries` — the slab method in each box's frame (heading about +z);
* :func:`cylinder_entries` — the side (a quadratic in the plane) and the two flat caps;
* :func:`ground_entries` — the plane ``z = 0`` (the road), seen from above.

A ray that starts inside a solid does not hit it. :func:`cast_rays` finds the first hit of each
ray: rays are grouped into tiles (azimuth sectors around the origin x elevation bands), and each
tile is tested only against the solids it can reach — seen from the origin, a solid's footprint
circle spans an azimuth interval and its heights over the circle's nearest and farthest distance
an elevation interval (a Python loop over a few hundred tiles, not over rays or solids); the
result is the same as testing every pair. :func:`incidence_cosines` then gives the angle between
each ray and the surface it hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .solids import CYLINDER, Solids

GROUND, NOTHING = -1, -2  # RayHits.solid of a ray that hits the road plane / nothing in range


def _box_frame(origin: np.ndarray, dirs: np.ndarray, boxes: np.ndarray):
    """Per axis of each box's frame: (ray direction ``(R, B)`` or ``(R, 1)``, origin ``(B,)``, half size ``(B,)``)."""
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    rel = origin - boxes[:, :3]
    dx, dy = dirs[:, 0:1], dirs[:, 1:2]
    return ((dx * c + dy * s, c * rel[:, 0] + s * rel[:, 1], boxes[:, 3] / 2),
            (-dx * s + dy * c, -s * rel[:, 0] + c * rel[:, 1], boxes[:, 4] / 2),
            (dirs[:, 2:3], rel[:, 2], boxes[:, 5] / 2))


def box_entries(origin: np.ndarray, dirs: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Entry distances ``(R, B)`` of rays from ``origin`` ``(3,)`` along ``dirs`` ``(R, 3)`` into boxes ``(B, 7)``."""
    t_near = t_far = None
    with np.errstate(divide="ignore", invalid="ignore"):
        for d, o, half in _box_frame(origin, dirs, boxes):  # each axis' slab: entered at the smaller t
            inv = 1.0 / d
            t1, t2 = (-half - o) * inv, (half - o) * inv
            near, far = np.minimum(t1, t2), np.maximum(t1, t2)
            t_near = near if t_near is None else np.maximum(t_near, near)
            t_far = far if t_far is None else np.minimum(t_far, far)
    return np.where((t_near <= t_far) & (t_near > 0), t_near, np.inf)


def _cylinder_geometry(origin: np.ndarray, cylinders: np.ndarray):
    """Origin relative to each axis ``(C, 2)``, radius, bottom and top heights ``(C,)``."""
    half = cylinders[:, 5] / 2
    return origin[:2] - cylinders[:, :2], cylinders[:, 3] / 2, cylinders[:, 2] - half, cylinders[:, 2] + half


def cylinder_entries(origin: np.ndarray, dirs: np.ndarray, cylinders: np.ndarray) -> np.ndarray:
    """Entry distances ``(R, C)`` of rays into upright cylinders given as box7 ``(C, 7)`` (axis at
    ``(cx, cy)``, radius ``dx / 2``, heights ``cz -+ dz / 2``)."""
    p, radius, z0, z1 = _cylinder_geometry(origin, cylinders)
    dx, dy, dz = dirs[:, 0:1], dirs[:, 1:2], dirs[:, 2:3]
    a = dx * dx + dy * dy  # (R, 1)
    b = 2 * (dx * p[:, 0] + dy * p[:, 1])  # (R, C)
    outside = p[:, 0] ** 2 + p[:, 1] ** 2 - radius ** 2  # (C,) > 0: the origin is outside the infinite cylinder
    disc = b * b - 4 * a * outside
    with np.errstate(divide="ignore", invalid="ignore"):
        t_side = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a)
        z_side = origin[2] + t_side * dz
        side = (disc >= 0) & (a > 0) & (outside > 0) & (t_side > 0) & (z_side >= z0) & (z_side <= z1)
        t = np.where(side, t_side, np.inf)
        for cap in (z0, z1):  # a cap is met from the side of the origin only
            t_cap = (cap - origin[2]) / dz
            cx, cy = p[:, 0] + t_cap * dx, p[:, 1] + t_cap * dy
            t = np.where((t_cap > 0) & (cx * cx + cy * cy <= radius ** 2) & (t_cap < t), t_cap, t)
    return t


def ground_entries(origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distances ``(R,)`` at which rays from above meet the plane ``z = 0`` (``inf`` if never)."""
    dz = dirs[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -origin[2] / dz
    return np.where((dz < 0) & (origin[2] > 0), t, np.inf)


def solid_entries(origin: np.ndarray, dirs: np.ndarray, solids: Solids) -> np.ndarray:
    """Entry distances ``(R, S)`` of rays into every solid of ``solids``."""
    t = np.full((len(dirs), len(solids)), np.inf, dtype=np.result_type(dirs.dtype, np.float32))
    is_cyl = solids.kind == CYLINDER
    for mask, kernel in ((~is_cyl, box_entries), (is_cyl, cylinder_entries)):
        if mask.any():
            t[:, mask] = kernel(origin, dirs, solids.params[mask])
    return t


def incidence_cosines(origin: np.ndarray, dirs: np.ndarray, t: np.ndarray, params: np.ndarray,
                      kind: np.ndarray) -> np.ndarray:
    """``|cos|`` of the angle between each ray ``(R, 3)`` and the normal of the solid it hit at
    distance ``t`` ``(R,)``: the solid's ``params`` ``(R, 7)`` and ``kind`` ``(R,)``, one per ray.

    The face is the one the hit point lies on: for a box the axis where it is nearest a face
    relative to the half size; for a cylinder its side or the nearer cap.
    """
    hit = origin + t[:, None] * dirs
    c, s = np.cos(params[:, 6]), np.sin(params[:, 6])
    rel = hit - params[:, :3]
    local = np.stack([c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1], rel[:, 2]], axis=1)
    local_dir = np.stack([c * dirs[:, 0] + s * dirs[:, 1], -s * dirs[:, 0] + c * dirs[:, 1], dirs[:, 2]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        axis = np.argmax(np.abs(local) / (params[:, 3:6] / 2), axis=1)
        box_cos = np.abs(np.take_along_axis(local_dir, axis[:, None], 1)[:, 0])
        radius = params[:, 3] / 2
        rho = np.hypot(rel[:, 0], rel[:, 1])
        on_side = radius - rho < params[:, 5] / 2 - np.abs(rel[:, 2])
        side_cos = np.abs(rel[:, 0] * dirs[:, 0] + rel[:, 1] * dirs[:, 1]) / np.maximum(rho, 1e-12)
    cyl_cos = np.where(on_side, side_cos, np.abs(dirs[:, 2]))
    return np.clip(np.where(kind == CYLINDER, cyl_cos, box_cos), 0.0, 1.0)


@dataclass
class RayHits:
    """The first hit of each of ``R`` rays.

    t: ``(R,)`` distance (``inf``: nothing within range). solid: ``(R,)`` index into the solids,
    :data:`GROUND` for the road plane, :data:`NOTHING`. cos: ``(R,)`` ``|cos|`` of the incidence angle.
    """

    t: np.ndarray
    solid: np.ndarray
    cos: np.ndarray


def _azimuth_candidates(origin: np.ndarray, solids: Solids, max_range: float, sectors: int) -> np.ndarray:
    """``(sectors, S)`` bool: the solids whose footprint circle meets each azimuth sector within range."""
    rel = solids.params[:, :2] - origin[:2]
    dist = np.hypot(rel[:, 0], rel[:, 1])
    radius = solids.footprint_radius()
    with np.errstate(divide="ignore", invalid="ignore"):
        half_angle = np.where(dist > radius, np.arcsin(np.clip(radius / dist, 0, 1)), np.pi)
    centre = np.arctan2(rel[:, 1], rel[:, 0])
    width = np.pi / sectors
    sector_centre = -np.pi + (2 * np.arange(sectors) + 1) * width
    gap = np.abs((centre[None, :] - sector_centre[:, None] + np.pi) % (2 * np.pi) - np.pi)
    near = dist - radius <= max_range
    return (gap <= half_angle + width + 1e-6) & near


def _elevation_range(origin: np.ndarray, solids: Solids) -> tuple[np.ndarray, np.ndarray]:
    """``(S,)`` lowest and highest elevation (radians) under which the origin can see each solid:
    its heights against the nearest and farthest distance of its footprint circle."""
    dist = np.hypot(solids.params[:, 0] - origin[0], solids.params[:, 1] - origin[1])
    radius = solids.footprint_radius()
    nearest, farthest = np.maximum(dist - radius, 1e-9), dist + radius
    low = solids.params[:, 2] - solids.params[:, 5] / 2 - origin[2]
    high = solids.params[:, 2] + solids.params[:, 5] / 2 - origin[2]
    lo = np.arctan2(low, np.where(low < 0, nearest, farthest))
    hi = np.arctan2(high, np.where(high < 0, farthest, nearest))
    inside = dist <= radius
    return np.where(inside, -np.pi / 2, lo), np.where(inside, np.pi / 2, hi)


def _tiles(dirs: np.ndarray, sectors: int, bands: int):
    """Rays grouped by azimuth sector and elevation band: ``(order, bounds, sector, el_lo, el_hi)``;
    tile ``k`` holds rays ``order[bounds[k]:bounds[k + 1]]`` of sector ``sector[k]`` with elevations
    in ``[el_lo[k], el_hi[k]]`` (empty tiles have ``el_lo > el_hi``)."""
    sector = np.clip(((np.arctan2(dirs[:, 1], dirs[:, 0]) + np.pi) / (2 * np.pi) * sectors).astype(np.int64),
                     0, sectors - 1)
    elevation = np.arcsin(np.clip(dirs[:, 2], -1, 1)).astype(np.float64)
    lo, hi = elevation.min(initial=0.0), elevation.max(initial=0.0)
    band = np.clip(((elevation - lo) / max(hi - lo, 1e-9) * bands).astype(np.int64), 0, bands - 1)
    tile = sector * bands + band
    order = np.argsort(tile, kind="stable")
    bounds = np.searchsorted(tile[order], np.arange(sectors * bands + 1))
    el_lo, el_hi = np.full(sectors * bands, np.inf), np.full(sectors * bands, -np.inf)
    filled = bounds[:-1] < bounds[1:]
    sorted_el = elevation[order]
    el_lo[filled] = np.minimum.reduceat(sorted_el, bounds[:-1][filled])
    el_hi[filled] = np.maximum.reduceat(sorted_el, bounds[:-1][filled])
    return order, bounds, np.arange(sectors * bands) // bands, el_lo, el_hi


def ray_tiles(origin: np.ndarray, dirs: np.ndarray, solids: Solids, max_range: float, sectors: int = 64,
              bands: int = 2):
    """Yields ``(rays, chosen)`` index arrays: tiles of rays (``sectors`` azimuth sectors x ``bands``
    elevation bands) with the solids within ``max_range`` that their rays can reach; every pair of
    a ray and a solid it enters within range is in one tile."""
    order, bounds, tile_sector, el_lo, el_hi = _tiles(dirs, sectors, bands)
    origin = np.asarray(origin, np.float64)
    s_lo, s_hi = _elevation_range(origin, solids)
    candidates = (_azimuth_candidates(origin, solids, max_range, sectors)[tile_sector]
                  & (s_lo[None, :] <= el_hi[:, None] + 1e-6) & (s_hi[None, :] >= el_lo[:, None] - 1e-6))
    for k in np.flatnonzero(candidates.any(axis=1)):
        yield order[bounds[k]:bounds[k + 1]], np.flatnonzero(candidates[k])


def cast_rays(origin: np.ndarray, dirs: np.ndarray, solids: Solids, max_range: float, ground: bool = True) -> RayHits:
    """The first hit within ``max_range`` of each ray from ``origin`` ``(3,)`` along unit ``dirs``
    ``(R, 3)`` among ``solids`` and (with ``ground``) the road plane ``z = 0``; tested tile by tile
    (:func:`ray_tiles`), in the dtype of ``dirs`` (at least float32)."""
    dirs = np.asarray(dirs)
    dtype = np.result_type(dirs.dtype, np.float32)
    dirs, origin = dirs.astype(dtype, copy=False), np.asarray(origin, dtype)
    t = ground_entries(origin, dirs) if ground else np.full(len(dirs), np.inf, dtype)
    solid = np.where(np.isfinite(t), GROUND, NOTHING)
    params = solids.params.astype(dtype)
    for rays, chosen in ray_tiles(origin, dirs, solids, max_range):
        ts = solid_entries(origin, dirs[rays], Solids(params[chosen], solids.kind[chosen], *(None,) * 3))
        best = ts.argmin(axis=1)
        tb = ts[np.arange(len(rays)), best]
        closer = tb < t[rays]
        t[rays[closer]] = tb[closer]
        solid[rays[closer]] = chosen[best[closer]]
    far = t > max_range
    t[far], solid[far] = np.inf, NOTHING
    cos = np.abs(dirs[:, 2]).astype(dtype)  # the road's normal is +z
    cos[solid == NOTHING] = 0.0
    on = solid >= 0
    if on.any():
        cos[on] = incidence_cosines(origin, dirs[on], t[on], params[solid[on]], solids.kind[solid[on]])
    return RayHits(t, solid, cos)
