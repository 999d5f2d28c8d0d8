"""KITTI object calibration (``calib/NNNNNN.txt``) and the transforms between its frames.

A calibration file holds ``P0``, ``P1``, ``P2``, ``P3`` (3x4 projections of the rectified cameras),
``R0_rect`` (3x3 rectifying rotation of camera 0), ``Tr_velo_to_cam`` (3x4, LiDAR -> camera 0)
and ``Tr_imu_to_velo`` (3x4), one ``KEY: 12 (or 9) numbers`` line each, row-major. Keys are read
by name, not by line position.

Frames: LiDAR (x forward, y left, z up); rectified camera 0 ("rect": x right, y down, z forward);
image_2 pixels (u right, v down). Transforms (devkit ``readme.txt``)::

    x_rect = R0_ext @ Tr_ext @ [x_lidar; 1]        R0_ext, Tr_ext: the matrices extended to 4x4
    [u', v', w] = P2 @ [x_rect; 1],  (u, v) = (u', v') / w
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strl.errors import DataError
from strl.sequences.kitti_files import calib_values, homogeneous, read_calib_entries

__all__ = ["Calibration", "fov_mask", "read_calibration", "write_calibration"]

_REQUIRED = {"P2": 12, "R0_rect": 9, "Tr_velo_to_cam": 12}
_OPTIONAL = {"P0": 12, "P1": 12, "P3": 12, "Tr_imu_to_velo": 12}


def _affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``points (N, 3) @ matrix[:, :3].T + matrix[:, 3]`` in float64, ``(N, rows of matrix)``.

    einsum rather than ``@``: for three columns a multi-threaded BLAS call costs far more in thread
    start-up than the arithmetic (100x slower on a busy 2-core machine).
    """
    return np.einsum("nj,ij->ni", np.asarray(points, np.float64), matrix[:, :3]) + matrix[:, 3]


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(N, 3)`` points through a 4x4 rigid transform, returned as float32 for float32 input and
    float64 otherwise."""
    pts = np.asarray(points)
    return _affine(pts, matrix[:3]).astype(np.result_type(pts.dtype, np.float32))


@dataclass(frozen=True)
class Calibration:
    """The matrices of one frame's calibration file (float64). ``P0``, ``P1``, ``P3`` and
    ``Tr_imu_to_velo`` are ``None`` when the file lacks them."""

    P2: np.ndarray  # (3, 4)
    R0_rect: np.ndarray  # (3, 3)
    Tr_velo_to_cam: np.ndarray  # (3, 4)
    P0: np.ndarray | None = None
    P1: np.ndarray | None = None
    P3: np.ndarray | None = None
    Tr_imu_to_velo: np.ndarray | None = None

    @property
    def lidar_to_rect_matrix(self) -> np.ndarray:
        """``(4, 4)`` LiDAR -> rectified camera: ``R0_ext @ Tr_ext``."""
        r0 = np.eye(4)
        r0[:3, :3] = self.R0_rect
        return r0 @ homogeneous(self.Tr_velo_to_cam.reshape(12))

    def lidar_to_rect(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` LiDAR points -> ``(N, 3)`` rectified camera coordinates."""
        return _apply(self.lidar_to_rect_matrix, points)

    def rect_to_lidar(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` rectified camera points -> ``(N, 3)`` LiDAR coordinates (the inverse transform)."""
        return _apply(np.linalg.inv(self.lidar_to_rect_matrix), points)

    def rect_to_image(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` rectified camera points -> ``(N, 2)`` image_2 pixels ``(u, v)``.

        Divides by the homogeneous ``w`` of ``P2 @ [x; 1]``, as the devkit does. OpenPCDet
        (``calibration_kitti.rect_to_img``) divides by the rect depth z instead; P2's third-row
        translation is a few millimetres, so the two differ by a tiny fraction of a pixel. Points
        with ``w = 0`` give inf.
        """
        pts = np.asarray(points)
        hom = _affine(pts, self.P2)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = hom[:, :2] / hom[:, 2:3]
        return uv.astype(np.result_type(pts.dtype, np.float32))

    def lidar_to_image(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` LiDAR points -> ``(N, 2)`` image_2 pixels: ``P2 @ R0_ext @ Tr_ext``."""
        pts = np.asarray(points)
        uv = self.rect_to_image(self.lidar_to_rect(pts.astype(np.float64)))
        return uv.astype(np.result_type(pts.dtype, np.float32))


def read_calibration(path: str | os.PathLike) -> Calibration:
    """The :class:`Calibration` of a ``calib/NNNNNN.txt`` file.

    Raises DataError naming the file for a missing file, a missing ``P2``, ``R0_rect`` or
    ``Tr_velo_to_cam``, and (naming the line) a key with the wrong count of numbers or non-numbers.
    """
    p = Path(path)
    entries = read_calib_entries(p)
    missing = [key for key in _REQUIRED if key not in entries]
    if missing:
        raise DataError(p, f"no {', '.join(repr(k + ':') for k in missing)} line "
                           f"(a KITTI object calibration has P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo)")
    sizes = {**_REQUIRED, **{k: n for k, n in _OPTIONAL.items() if k in entries}}
    values = {key: calib_values(p, entries, key, n, "3x3" if n == 9 else "3x4") for key, n in sizes.items()}
    return Calibration(**{key: v.reshape(3, -1) for key, v in values.items()})


def fov_mask(points: np.ndarray, calib: Calibration, image_shape) -> np.ndarray:
    """``(N,)`` bool: the LiDAR points ``(N, 3)`` that project inside image_2 with rect depth >= 0.

    ``image_shape`` is ``(height, width)``; inside means ``0 <= u < width`` and ``0 <= v < height``
    (OpenPCDet ``kitti_dataset.get_fov_flag``).
    """
    rect = calib.lidar_to_rect(np.asarray(points, dtype=np.float64))
    uv = calib.rect_to_image(rect)
    height, width = image_shape
    with np.errstate(invalid="ignore"):
        inside = (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
    return inside & (rect[:, 2] >= 0)


CALIB_KEYS = ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo")  # the order of the files


def write_calibration(path: str | os.PathLike, calib: Calibration) -> Path:
    """Write ``calib`` as a ``calib/NNNNNN.txt`` (the inverse of :func:`read_calibration`); returns the path.

    One ``KEY: values`` line per matrix in the released files' order (P0..P3, R0_rect,
    Tr_velo_to_cam, Tr_imu_to_velo; matrices that are ``None`` are left out), row-major, ``%e``
    with 12 decimals, and an empty last line, as in the released files. OpenPCDet reads the lines
    by position, so it needs all seven.
    """
    p = Path(path)
    lines = [f"{key}: " + " ".join(f"{v:.12e}" for v in np.asarray(getattr(calib, key), np.float64).reshape(-1))
             for key in CALIB_KEYS if getattr(calib, key) is not None]
    p.write_text("\n".join(lines) + "\n\n")
    return p
