"""Depth images back-projected to camera-frame points.

Pixel ``(u=column, v=row)`` with depth ``d``: ``z = d / depth_scale``, ``x = (u - cx) z / fx``,
``y = (v - cy) z / fy``. Pixels with depth 0 (no measurement) or beyond ``max_depth`` are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strl.sequences.rgbd_files import read_depth


class DepthBackProjection:
    """Valid pixels of depth images as ``(N, 3)`` float64 camera points, every ``pixel_stride``-th
    row and column. Counts frames and pixels read, and pixels dropped, in the ``stats`` dict given."""

    def __init__(self, depth_scale: float, max_depth: float | None, pixel_stride: int, stats: dict):
        self.depth_scale = depth_scale
        self.max_depth = max_depth
        self.pixel_stride = pixel_stride
        self.stats = stats
        self._rays: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def camera_points(self, path: Path, intrinsics: tuple[float, float, float, float]) -> np.ndarray | None:
        """The valid pixels of the depth PNG at ``path`` as camera points, or ``None`` if there are none."""
        return self.points_from_depth(read_depth(path), intrinsics)

    def points_from_depth(self, full: np.ndarray, intrinsics: tuple[float, float, float, float]) -> np.ndarray | None:
        """The valid pixels of an ``(H, W)`` depth image (``depth_scale`` units, 0 = none) as camera
        points ``(N, 3)`` float64, or ``None`` if there are none."""
        depth = full[:: self.pixel_stride, :: self.pixel_stride]
        z = depth.astype(np.float64) / self.depth_scale
        valid = depth > 0
        self.stats["frames_read"] += 1
        self.stats["pixels_read"] += depth.size
        self.stats["pixels_no_depth"] += int(depth.size - valid.sum())
        if self.max_depth is not None:
            far = valid & (z > self.max_depth)
            self.stats["pixels_beyond_max_depth"] += int(far.sum())
            valid &= ~far
        if not valid.any():
            return None
        xf, yf = self._ray_factors(intrinsics, full.shape)
        zv = z[valid]
        return np.stack([xf[valid] * zv, yf[valid] * zv, zv], axis=1)

    def _ray_factors(self, intrinsics: tuple, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(u - cx) / fx`` and ``(v - cy) / fy`` on the strided pixel grid, cached per intrinsics and size."""
        cache_key = (intrinsics, shape[0], shape[1])
        if cache_key not in self._rays:
            self._rays[cache_key] = pixel_rays(intrinsics, shape, self.pixel_stride)
        return self._rays[cache_key]


def pixel_rays(intrinsics: tuple[float, float, float, float], shape: tuple[int, int],
               stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(u - cx) / fx`` and ``(v - cy) / fy`` on every ``stride``-th column ``u`` and row ``v`` of an
    image of ``shape`` ``(H, W)``: the camera ray of a pixel is ``(xf, yf, 1)``, so a point at
    depth ``z`` is ``z * (xf, yf, 1)``. Two ``(ceil(H / stride), ceil(W / stride))`` float64 arrays."""
    fx, fy, cx, cy = intrinsics
    u = np.arange(0, shape[1], stride, dtype=np.float64)
    v = np.arange(0, shape[0], stride, dtype=np.float64)
    xf, yf = np.meshgrid((u - cx) / fx, (v - cy) / fy)
    return xf, yf
