"""KITTI object label files (``label_2/NNNNNN.txt``) and results files, read and written.

One object per line, space-separated (KITTI object devkit ``readme.txt``)::

    type truncated occluded alpha left top right bottom h w l x y z rotation_y [score]

* ``type``: Car, Van, Truck, Pedestrian, Person_sitting, Cyclist, Tram, Misc or DontCare.
* ``truncated`` 0..1 (float); ``occluded`` 0 visible, 1 partly, 2 largely, 3 unknown (int).
* ``alpha``: observation angle in [-pi, pi]; ``left top right bottom``: 2D box in image_2 (pixels).
* ``h w l``: dimensions in metres, **in this order** in the file (and in :class:`KittiLabels`).
* ``x y z``: the **bottom centre** of the box in rectified camera coordinates (y points down).
* ``rotation_y``: rotation about the camera y axis, [-pi, pi].
* ``score``: a 16th value in results files only.

A label file has 15 values a line; a results file 16. Every line of a file has the same count.
An empty file is a frame without objects.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from strl.errors import DataError

__all__ = ["FIELD_NAMES", "KittiLabels", "as_written", "read_label_file", "write_label_file"]

# what each of the 16 values of a line is, for error messages
FIELD_NAMES = (
    "type", "truncated", "occluded", "alpha", "bbox left", "bbox top", "bbox right", "bbox bottom",
    "height", "width", "length", "location x", "location y", "location z", "rotation_y", "score",
)


@dataclass
class KittiLabels:
    """The objects of one frame, ``K`` of them, as arrays in the file's field order.

    name: ``(K,)`` str. truncated: ``(K,)`` float64. occluded: ``(K,)`` int64. alpha: ``(K,)`` float64.
    bbox: ``(K, 4)`` left, top, right, bottom (pixels). dimensions: ``(K, 3)`` **h, w, l** (metres).
    location: ``(K, 3)`` bottom centre in rectified camera coordinates. rotation_y: ``(K,)``.
    score: ``(K,)`` float64 for results files, else ``None``.
    """

    name: np.ndarray
    truncated: np.ndarray
    occluded: np.ndarray
    alpha: np.ndarray
    bbox: np.ndarray
    dimensions: np.ndarray
    location: np.ndarray
    rotation_y: np.ndarray
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.name)

    @classmethod
    def empty(cls, with_score: bool = False) -> "KittiLabels":
        """A frame without objects (``K = 0``)."""
        return cls.from_rows([], with_score)

    @classmethod
    def from_rows(cls, rows: list[tuple[str, list[float]]], with_score: bool) -> "KittiLabels":
        """From ``(type, [14 or 15 numbers])`` rows, the numbers in file order after the type."""
        width = 15 if with_score else 14
        values = np.array([v for _, v in rows], dtype=np.float64).reshape(len(rows), width)
        return cls(
            name=np.array([n for n, _ in rows], dtype=str),
            truncated=values[:, 0],
            occluded=values[:, 1].astype(np.int64),
            alpha=values[:, 2],
            bbox=values[:, 3:7],
            dimensions=values[:, 7:10],
            location=values[:, 10:13],
            rotation_y=values[:, 13],
            score=values[:, 14] if with_score else None,
        )

    def select(self, index) -> "KittiLabels":
        """The objects picked by ``index`` (a boolean mask or integer indices over ``K``)."""
        return KittiLabels(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[index]
                              for f in fields(self)})


def _number(text: str, path: Path, line_no: int, column: int) -> float:
    """Value ``column`` (0-based over the line) of line ``line_no`` as a finite float."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataError(path, f"line {line_no}: field {column + 1} ({FIELD_NAMES[column]}) is {text!r}, "
                              "expected a finite number")
    if column == 2 and value != int(value):
        raise DataError(path, f"line {line_no}: field 3 (occluded) is {text!r}, expected an integer")
    return value


def read_label_file(path: str | os.PathLike) -> KittiLabels:
    """The objects of a label or results file (15 or 16 values a line; blank lines are skipped).

    Raises DataError naming the file and the line for a wrong number of values, a value that is not
    a finite number (or an ``occluded`` that is not an integer), and lines of both 15 and 16 values.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(p, "label file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(p, f"cannot read label file ({e})") from None
    rows: list[tuple[str, list[float]]] = []
    width = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (15, 16):
            raise DataError(p, f"line {line_no}: {len(parts)} values, expected 15 (or 16 with a score)")
        if width is None:
            width = len(parts)
        elif len(parts) != width:
            raise DataError(p, f"line {line_no}: {len(parts)} values, but the lines before have {width}")
        rows.append((parts[0], [_number(t, p, line_no, c) for c, t in enumerate(parts[1:], start=1)]))
    return KittiLabels.from_rows(rows, with_score=width == 16)


def _truncation(value: float) -> str:
    return "-1" if value == -1 else f"{value:.2f}"


def _decimals(values: np.ndarray, places: int) -> np.ndarray:
    """``values`` as ``f"{v:.{places}f}"`` writes and ``float()`` reads them back (same shape, float64)."""
    values = np.asarray(values, np.float64)
    return np.char.mod(f"%.{places}f", values).astype(np.float64).reshape(values.shape) if values.size else values.copy()


def as_written(labels: KittiLabels) -> KittiLabels:
    """``labels`` with every value as :func:`write_label_file` writes it and :func:`read_label_file`
    reads it back (4 decimals; truncation 2 decimals or -1), so scores computed on them are those of
    the written file."""
    truncated = np.asarray(labels.truncated, np.float64)
    return KittiLabels(
        name=labels.name.copy(),
        truncated=np.where(truncated == -1, -1.0, _decimals(truncated, 2)),
        occluded=labels.occluded.astype(np.int64),
        alpha=_decimals(labels.alpha, 4),
        bbox=_decimals(labels.bbox, 4),
        dimensions=_decimals(labels.dimensions, 4),
        location=_decimals(labels.location, 4),
        rotation_y=_decimals(labels.rotation_y, 4),
        score=None if labels.score is None else _decimals(labels.score, 4),
    )


def write_label_file(path: str | os.PathLike, labels: KittiLabels) -> Path:
    """Write ``labels`` as a KITTI label file; returns the path.

    With scores, each line is the 16-value results line as OpenPCDet writes it: ``name``,
    truncated and occluded (``-1 -1`` for predictions), then alpha, the 2D box, h w l, x y z,
    rotation_y and score with 4 decimals. Without scores the score column is left out (15 values).
    A frame without objects gives an empty file (the evaluator expects one file per frame).
    """
    p = Path(path)
    lines = []
    for k in range(len(labels)):
        numbers = [labels.alpha[k], *labels.bbox[k], *labels.dimensions[k], *labels.location[k], labels.rotation_y[k]]
        if labels.score is not None:
            numbers.append(labels.score[k])
        lines.append(" ".join([str(labels.name[k]), _truncation(float(labels.truncated[k])),
                               str(int(labels.occluded[k])), *(f"{float(v):.4f}" for v in numbers)]))
    p.write_text("".join(line + "\n" for line in lines))
    return p
