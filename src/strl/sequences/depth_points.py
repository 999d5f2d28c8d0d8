"""Depth images back-projected to camera-frame points.

Pixel ``(u=column, v=row)`` with depth ``d``: ``z = d / depth_scale``, ``x = (u - cx) z / fx``,
``y = (v - cy) z / fy``. Pixels with depth 0 (no measurement) or beyond ``max_depth`` are dropped.
Intrinsics are checked against each image size met (:func:`~strl.sequences.rgbd_files.check_intrinsics_fit`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strl.sequences.rgbd_files import check_intrinsics_fit, read_depth


class DepthBackProjection:
    """Valid pixels of depth images as ``(N, 3)`` float64 camera points, every ``pixel_stride``-th
    row and column. Counts frames and pixels read, and pixels dropped, in the ``stats`` dict given;
    ``depth_range`` is ``(min, max)`` in metres of the measured depths read so far (None before)."""

    def __init__(self, depth_scale: float, max_depth: float | None, pixel_stride: int, stats: dict):
        self.depth_scale = depth_scale
        self.max_depth = max_depth
        self.pixel_stride = pixel_stride
        self.stats = stats
        self.depth_range: tuple[float, float] | None = None
        self._rays: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def camera_points(self, path: Path, intrinsics: tuple[float, float, float, float],
                      intrinsics_file: Path | None = None) -> np.ndarray | None:
        """The valid pixels of the depth PNG at ``path`` as camera points, or ``None`` if there are none.

        ``intrinsics_file`` is named in the error when the intrinsics do not fit the image size."""
        return self.points_from_depth(read_depth(path), intrinsics, path, intrinsics_file)

    def points_from_depth(self, full: np.ndarray, intrinsics: tuple[float, float, float, float],
                          path: Path | None = None, intrinsics_file: Path | None = None) -> np.ndarray | None:
        """The valid pixels of an ``(H, W)`` depth image (``depth_scale`` units, 0 = none) as camera
        points ``(N, 3)`` float64, or ``None`` if there are none. With the image's ``path``, intrinsics
        that cannot belong to its size are refused (naming ``intrinsics_file``)."""
        depth = full[:: self.pixel_stride, :: self.pixel_stride]
        z = depth.astype(np.float64) / self.depth_scale
        valid = depth > 0
        if valid.any():
            lo, hi = float(z[valid].min()), float(z[valid].max())
            old = self.depth_range or (lo, hi)
            self.depth_range = (min(old[0], lo), max(old[1], hi))
        self.stats["frames_read"] += 1
        self.stats["pixels_read"] += depth.size
        self.stats["pixels_no_depth"] += int(depth.size - valid.sum())
        if self.max_depth is not None:
            far = valid & (z > self.max_depth)
            self.stats["pixels_beyond_max_depth"] += int(far.sum())
            valid &= ~far
        if not valid.any():
            return None
        xf, yf = self._ray_factors(intrinsics, full.shape, path, intrinsics_file)
        zv = z[valid]
        return np.stack([xf[valid] * zv, yf[valid] * zv, zv], axis=1)

    def _ray_factors(self, intrinsics: tuple, shape: tuple[int, int], path: Path | None,
                     intrinsics_file: Path | None) -> tuple[np.ndarray, np.ndarray]:
        """``(u - cx) / fx`` and ``(v - cy) / fy`` on the strided pixel grid, cached per intrinsics and size."""
        cache_key = (intrinsics, shape[0], shape[1])
        if cache_key not in self._rays:
            if path is not None:
                check_intrinsics_fit(intrinsics, shape, path, intrinsics_file)
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
