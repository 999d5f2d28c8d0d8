"""The files of a KITTI odometry sequence: ``calib.txt``, the poses file and ``.bin`` sweeps.

See :mod:`strl.sequences.kitti` for the layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from strl.errors import DataError
from strl.sequences.frame_files import read_number_table


def homogeneous(rows: np.ndarray) -> np.ndarray:
    """``(..., 12)`` row-major 3x4 matrices -> ``(..., 4, 4)``."""
    out = np.zeros(rows.shape[:-1] + (4, 4))
    out[..., :3, :] = rows.reshape(rows.shape[:-1] + (3, 4))
    out[..., 3, 3] = 1.0
    return out


def read_calib_entries(path: Path) -> dict[str, tuple[int, str]]:
    """The ``KEY: values`` lines of a KITTI calibration file: ``{key: (line number, text after the colon)}``.

    Lines without a colon (blank lines) are skipped; the first line of a key wins.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "calibration file is missing")
    entries: dict[str, tuple[int, str]] = {}
    for line_no, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        key, sep, rest = line.partition(":")
        if sep:
            entries.setdefault(key.strip(), (line_no, rest))
    return entries


def calib_values(path: Path, entries: dict[str, tuple[int, str]], key: str, size: int, shape: str = "") -> np.ndarray:
    """The ``size`` finite numbers of ``entries[key]`` as float64; DataError naming the line otherwise.

    ``shape`` (e.g. ``"3x4"``) only appears in the message about a wrong count.
    """
    line_no, text = entries[key]
    try:
        values = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise DataError(path, f"line {line_no}: cannot parse the {key} values as numbers") from None
    if values.size != size:
        raise DataError(path, f"line {line_no}: {key} has {values.size} numbers, expected {size}"
                              + (f" ({shape})" if shape else ""))
    if not np.isfinite(values).all():
        raise DataError(path, f"line {line_no}: {key} holds NaN or inf")
    return values


def read_calib_tr(path: Path) -> np.ndarray:
    """The ``Tr:`` (velodyne -> camera 0) transform of a KITTI ``calib.txt`` as a 4x4 matrix."""
    entries = read_calib_entries(path)
    if "Tr" not in entries:
        raise DataError(path, "no 'Tr:' line (velodyne -> camera-0 transform)")
    return homogeneous(calib_values(path, entries, "Tr", 12, "3x4"))


def read_poses(path: Path) -> np.ndarray:
    """KITTI poses, 12 numbers a line, as ``(T, 4, 4)`` float64."""
    rows = read_number_table(path, "poses")
    if rows.size == 0:  # empty file: reported by the count check
        return np.zeros((0, 4, 4))
    if rows.shape[1] != 12:
        raise DataError(path, f"pose lines have {rows.shape[1]} numbers, expected 12 (3x4 matrix per line)")
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:
        raise DataError(path, f"NaN or inf in pose line(s) {', '.join(str(i + 1) for i in bad[:5])}")
    return homogeneous(rows)


def sweep_size(path: Path) -> int:
    """The number of points of a ``.bin`` sweep, from its size in bytes (nothing is read).

    Raises DataError for a missing file, a size that is not a multiple of 16, and an empty sweep.
    """
    try:
        size = os.path.getsize(path)
    except OSError:
        raise DataError(path, "sweep file is missing") from None
    if size % 16:
        raise DataError(path, f"size {size} bytes is not a multiple of 16 (float32 x, y, z, intensity)")
    if size == 0:
        raise DataError(path, "sweep is empty (0 points)")
    return size // 16


def read_sweep(path: Path) -> np.ndarray:
    """A ``.bin`` sweep as ``(N, 4)`` float32 records (x, y, z, intensity) in the sensor frame.

    Raises DataError as :func:`sweep_size` does, and for NaN or inf coordinates.
    """
    sweep_size(path)
    records = np.fromfile(path, dtype=np.float32).reshape(-1, 4)
    if not np.isfinite(records[:, :3]).all():
        bad = int((~np.isfinite(records[:, :3])).any(axis=1).sum())
        raise DataError(path, f"{bad} point(s) with NaN or inf coordinates")
    return records


def read_velodyne(path: Path) -> np.ndarray:
    """A ``.bin`` sweep as ``(N, 3)`` float32 sensor-frame xyz (intensity dropped); see :func:`read_sweep`."""
    return read_sweep(path)[:, :3]


def write_sweep(path: str | os.PathLike, records: np.ndarray) -> Path:
    """Write ``(N, 4)`` records (x, y, z, intensity) as a ``.bin`` sweep of float32 (the inverse of :func:`read_sweep`)."""
    p = Path(path)
    np.ascontiguousarray(records, dtype=np.float32).reshape(-1, 4).tofile(p)
    return p


def _rows(matrices: np.ndarray) -> np.ndarray:
    """``(..., 4, 4)`` or ``(..., 3, 4)`` -> ``(..., 12)``: the top three rows, row-major."""
    m = np.asarray(matrices, np.float64)
    return m[..., :3, :].reshape(m.shape[:-2] + (12,))


def write_poses(path: str | os.PathLike, poses: np.ndarray) -> Path:
    """Write ``(T, 4, 4)`` (or ``(T, 3, 4)``) poses as a KITTI poses file: 12 numbers a line
    (the inverse of :func:`read_poses`)."""
    p = Path(path)
    p.write_text("".join(" ".join(f"{v:.9e}" for v in row) + "\n" for row in _rows(poses).reshape(-1, 12)))
    return p


def write_odometry_calib(path: str | os.PathLike, tr: np.ndarray, projections: dict | None = None) -> Path:
    """Write a sequence's ``calib.txt``: the ``P0:``..``P3:`` lines of ``projections`` (3x4 each,
    those given) then ``Tr:`` (velodyne -> rectified camera 0, 3x4 or 4x4), as the odometry release."""
    p = Path(path)
    entries = [*((key, m) for key, m in (projections or {}).items()), ("Tr", tr)]
    p.write_text("".join(f"{key}: " + " ".join(f"{v:.12e}" for v in _rows(m)) + "\n" for key, m in entries))
    return p
