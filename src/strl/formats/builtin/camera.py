"""A virtual depth camera that circles an object and sees only the surfaces facing it.

Visibility of a dense surface sample with normals: a sample is seen when it faces the camera
(or lies on a two-sided sheet) and passes a z-buffer built from the facing samples: it must lie
within ``pixel_tolerance`` pixel widths of the nearest depth in its own pixel and within
``neighbour_tolerance`` of the nearest depth in its 3 × 3 neighbourhood (so that a pixel the
front surface happens to miss does not let a far surface show through). The object lives in
the unit ball; the frame is y-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter

UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class CameraSpec:
    """Pinhole camera and path ranges (angles in degrees, distances in object radii)."""

    image_size: int = 64
    tan_half_fov: float = 0.55
    elevation: tuple[float, float] = (5.0, 55.0)
    arc: tuple[float, float] = (60.0, 200.0)
    distance: tuple[float, float] = (2.4, 3.2)
    jitter_deg: float = 2.0
    target_jitter: float = 0.05
    pixel_tolerance: float = 3.0
    neighbour_tolerance: float = 8.0


def camera_path(rng: np.random.Generator, frames: int, spec: CameraSpec = CameraSpec()):
    """Camera positions along an arc at a slowly drifting elevation around the origin.

    Returns ``(positions, targets)``, both ``(frames, 3)`` float64, in path order.
    """
    t = np.linspace(0.0, 1.0, frames)
    az = rng.uniform(0, 2 * np.pi) + rng.choice([-1.0, 1.0]) * np.deg2rad(rng.uniform(*spec.arc)) * t
    el = np.deg2rad(rng.uniform(*spec.elevation) + rng.uniform(-10, 10) * t)
    jit = np.deg2rad(spec.jitter_deg)
    az = az + rng.normal(0, jit, frames)
    el = np.clip(el + rng.normal(0, jit, frames), np.deg2rad(-20), np.deg2rad(80))
    dist = rng.uniform(*spec.distance) + rng.normal(0, 0.05, frames)
    pos = dist[:, None] * np.stack([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)], axis=1)
    targets = rng.normal(0, spec.target_jitter, (frames, 3))
    return pos, targets


def view_coordinates(points: np.ndarray, positions: np.ndarray, targets: np.ndarray):
    """``points`` ``(M, 3)`` in each camera's frame: ``(right, up, forward)``, each ``(F, M)`` float32."""
    fwd = targets - positions
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    right = np.cross(fwd, UP)
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    up = np.cross(right, fwd)
    axes = np.concatenate([right, up, fwd]).astype(np.float32)  # (3F, 3): all cameras' axes
    offset = np.einsum("cfi,fi->cf", axes.reshape(3, len(positions), 3), positions.astype(np.float32))
    # einsum rather than a BLAS product: a threaded BLAS stalls on a busy machine for this tiny product
    proj = np.einsum("ai,mi->am", axes, points.astype(np.float32)).reshape(3, len(positions), -1)
    return tuple(proj[i] - offset[i][:, None] for i in range(3))


def visible(points: np.ndarray, normals: np.ndarray, two_sided: np.ndarray, positions: np.ndarray,
            targets: np.ndarray, spec: CameraSpec = CameraSpec()) -> np.ndarray:
    """Which of ``points`` ``(M, 3)`` (outward ``normals`` ``(M, 3)``, ``two_sided`` ``(M,)`` bool)
    each camera at ``positions`` ``(F, 3)`` looking at ``targets`` ``(F, 3)`` sees: ``(F, M)`` bool."""
    x, y, z = view_coordinates(points, positions, targets)
    s = spec.image_size
    scale = np.float32(s / 2 / spec.tan_half_fov) / np.maximum(z, np.float32(1e-6))
    col = x * scale + np.float32(s / 2)
    row = y * scale + np.float32(s / 2)
    facing = np.einsum("fi,mi->fm", positions, normals) > np.einsum("mi,mi->m", points, normals)
    candidate = (facing | two_sided) & (z > 1e-6) & (col >= 0) & (col < s) & (row >= 0) & (row < s)
    flat = np.arange(len(positions), dtype=np.int64)[:, None] * (s * s)
    flat = flat + np.clip(row, 0, s - 1).astype(np.int64) * s + np.clip(col, 0, s - 1).astype(np.int64)
    zbuf = np.full(len(positions) * s * s, np.inf, dtype=np.float32)
    np.minimum.at(zbuf, flat[candidate], z[candidate])
    spread = minimum_filter(zbuf.reshape(-1, s, s), size=(1, 3, 3), mode="constant", cval=np.inf).ravel()
    pixel = z * np.float32(2 * spec.tan_half_fov / s)
    front = z <= zbuf[flat] + np.float32(spec.pixel_tolerance) * pixel
    not_behind = z <= spread[flat] + np.float32(spec.neighbour_tolerance) * pixel
    return candidate & front & not_behind


def depth_frames(rng: np.random.Generator, surface: np.ndarray, normals: np.ndarray, two_sided: np.ndarray,
                 frames: int, points: int, depth_noise: float, spec: CameraSpec = CameraSpec()):
    """Partial views of ``surface`` ``(M, 3)`` (with ``normals`` and ``two_sided`` as in
    :func:`visible`) along a camera path.

    Each frame keeps ``points`` visible samples (drawn without replacement when enough are
    visible, topped up with repeats otherwise), pushed along the viewing ray by Gaussian depth
    noise of std ``depth_noise``. Returns ``(frames (F, points, 3) float32, positions (F, 3) float32)``.
    """
    positions, targets = camera_path(rng, frames, spec)
    seen = visible(surface, normals, two_sided, positions, targets, spec)
    keys = np.where(seen, rng.random(seen.shape), 2.0)
    idx = np.argpartition(keys, points - 1, axis=1)[:, :points]
    idx = np.take_along_axis(idx, np.argsort(np.take_along_axis(keys, idx, axis=1), axis=1), axis=1)  # random order
    for f in np.flatnonzero(seen.sum(axis=1) < points):
        pool = np.flatnonzero(seen[f])
        if pool.size == 0:
            raise ValueError("a camera frame sees no surface point")
        idx[f] = rng.permutation(np.concatenate([pool, rng.choice(pool, points - pool.size)]))
    pts = surface[idx]  # (F, points, 3)
    ray = pts - positions[:, None, :]
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    pts = pts + ray * rng.normal(0, depth_noise, pts.shape[:2])[..., None]
    return pts.astype(np.float32), positions.astype(np.float32)
