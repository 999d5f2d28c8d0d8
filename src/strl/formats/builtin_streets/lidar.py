"""A simulated spinning LiDAR, mounted as on the KITTI car: beams, one revolution, returns.

The default :class:`LidarSpec` is a Velodyne HDL-64E as KITTI used it: 64 beams from +2 deg to
-24.8 deg (26.8 deg vertical field of view), about 2000 azimuth steps a revolution at 10 Hz, the
sensor 1.73 m above the road. Beams are spaced evenly in elevation (the real sensor's two laser
blocks are spaced slightly differently). Each revolution starts at a random fraction of an
azimuth step, so consecutive sweeps sample the scene at different places.

A return is kept when something is hit between ``min_range`` and ``max_range`` and the
material's dropout draw lets it through; its range gets Gaussian noise (``range_noise``, metres)
and its reflectance is the material's, dimmed at grazing incidence:
``reflectance * (0.4 + 0.6 |cos|) + N(0, reflectance_noise)``, clipped to ``[0, 0.99]``.

Frames: the sensor frame is KITTI's LiDAR frame (x forward, y left, z up, origin at the sensor);
the world is the street's frame (z up, the road at ``z = 0``). A pose ``(x, y, yaw)`` places the
sensor at ``(x, y, height)`` turned by ``yaw`` about +z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .raycast import RayHits, cast_rays
from .solids import Solids


@dataclass(frozen=True)
class LidarSpec:
    """Beams, field of view (degrees), azimuth steps per revolution, ranges and noise (metres), height."""

    beams: int = 64
    fov_up: float = 2.0
    fov_down: float = -24.8
    azimuth_steps: int = 2048
    max_range: float = 120.0
    min_range: float = 2.5
    range_noise: float = 0.02
    reflectance_noise: float = 0.03
    height: float = 1.73


def beam_elevations(spec: LidarSpec) -> np.ndarray:
    """``(beams,)`` elevation of each beam in radians, from ``fov_up`` down to ``fov_down``."""
    return np.deg2rad(np.linspace(spec.fov_up, spec.fov_down, spec.beams))


def ray_directions(spec: LidarSpec, azimuth_offset: float = 0.0) -> np.ndarray:
    """``(azimuth_steps * beams, 3)`` unit directions in the sensor frame, azimuth-major (every beam of
    the first azimuth, then the next); azimuth ``offset + 2 pi k / steps``, counter-clockwise from +x."""
    azimuth = azimuth_offset + 2 * np.pi * np.arange(spec.azimuth_steps) / spec.azimuth_steps
    elevation = beam_elevations(spec)
    ca, sa = np.cos(azimuth)[:, None], np.sin(azimuth)[:, None]
    ce, se = np.cos(elevation)[None, :], np.sin(elevation)[None, :]
    dirs = np.stack([ca * ce, sa * ce, np.broadcast_to(se, (len(azimuth), len(elevation)))], axis=-1)
    return dirs.reshape(-1, 3)


def sensor_to_world(pose, height: float) -> np.ndarray:
    """The 4x4 transform of the sensor frame to the world for an ego ``pose`` ``(x, y, yaw)``."""
    x, y, yaw = pose
    out = np.eye(4)
    out[:2, :2] = [[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]]
    out[:3, 3] = [x, y, height]
    return out


@dataclass
class Sweep:
    """One revolution.

    points: ``(N, 4)`` float32 x, y, z, reflectance in the sensor frame. owner: ``(N,)`` the object
    each point lies on (-1: scenery or road). hits: the first hit of every ray (before dropout and
    noise) and ``ray_owner`` ``(R,)`` the object it hit (-1 scenery or road, -2 nothing); ``dirs``
    ``(R, 3)`` the rays in the world, ``origin`` ``(3,)`` the sensor in the world.
    """

    points: np.ndarray
    owner: np.ndarray
    hits: RayHits
    ray_owner: np.ndarray
    dirs: np.ndarray
    origin: np.ndarray


def scan(solids: Solids, pose, spec: LidarSpec, rng: np.random.Generator, ground_reflectance: float = 0.2) -> Sweep:
    """One sweep of the sensor at ``pose`` ``(x, y, yaw)`` over ``solids`` and the road plane."""
    to_world = sensor_to_world(pose, spec.height)
    local = ray_directions(spec, rng.uniform(0, 2 * np.pi / spec.azimuth_steps))
    dirs = (local @ to_world[:3, :3].T).astype(np.float32)
    origin = to_world[:3, 3]
    hits = cast_rays(origin, dirs, solids, spec.max_range)
    on_solid = hits.solid >= 0
    solid = hits.solid[on_solid]
    base = np.full(len(dirs), ground_reflectance)
    dropout = np.zeros(len(dirs))
    owner = np.where(np.isfinite(hits.t), -1, -2)
    base[on_solid], dropout[on_solid] = solids.reflectance[solid], solids.dropout[solid]
    owner[on_solid] = solids.owner[solid]
    keep = np.isfinite(hits.t) & (hits.t >= spec.min_range) & (rng.random(len(dirs)) >= dropout)
    rng_noise = rng.normal(0.0, spec.range_noise, int(keep.sum()))
    r = hits.t[keep] + rng_noise
    xyz = local[keep] * r[:, None]
    shade = base[keep] * (0.4 + 0.6 * hits.cos[keep]) + rng.normal(0.0, spec.reflectance_noise, len(r))
    points = np.column_stack([xyz, np.clip(shade, 0.0, 0.99)]).astype(np.float32)
    return Sweep(points, owner[keep].astype(np.int64), hits, owner.astype(np.int64), dirs, origin)
