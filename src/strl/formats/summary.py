"""Counting what a CloudSet or SequenceSet holds: which items to read, point counts, ranges, classes."""

from __future__ import annotations

import numpy as np


def spread(n: int, limit: int | None) -> np.ndarray:
    """At most ``limit`` indices of ``range(n)`` (None: all), evenly spaced, first and last included."""
    if limit is None or n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


class Bounds:
    """Per-axis minimum ``lo`` and maximum ``hi`` (float64, ``+-inf`` before any) of the ``(3,)`` or
    ``(N, 3)`` values added; ``added`` counts the calls."""

    def __init__(self):
        self.lo, self.hi = np.full(3, np.inf), np.full(3, -np.inf)
        self.added = 0

    def add(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Widen the bounds by non-empty ``values``; returns their own per-axis minimum and maximum."""
        values = np.asarray(values).reshape(-1, 3)
        lo, hi = values.min(axis=0), values.max(axis=0)
        self.lo, self.hi = np.minimum(self.lo, lo), np.maximum(self.hi, hi)
        self.added += 1
        return lo, hi


class PointStats:
    """Points per cloud and the xyz bounding range over the clouds added."""

    def __init__(self):
        self.counts: list[int] = []
        self.xyz = Bounds()
        self.flat = 0  # clouds whose points all coincide

    def add(self, points: np.ndarray) -> None:
        """Count an ``(N, 3)`` cloud; an empty one counts 0 points and leaves the range as it was."""
        self.counts.append(len(points))
        if len(points):
            lo, hi = self.xyz.add(points)
            self.flat += bool((hi - lo).max() == 0)

    def report(self) -> dict:
        if not self.counts:
            return {"points": None, "xyz_min": None, "xyz_max": None}
        return {"points": {"min": int(min(self.counts)), "mean": float(np.mean(self.counts)),
                           "max": int(max(self.counts))},
                "xyz_min": self.xyz.lo.tolist(), "xyz_max": self.xyz.hi.tolist()}


def cloud_problem(points) -> str | None:
    """What makes ``points`` unusable as an ``(N, 3)`` cloud, or None."""
    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[1] != 3:
        return f"has shape {arr.shape}, expected (N, 3)"
    if len(arr) == 0:
        return "has no points"
    if not np.isfinite(arr).all():
        return f"has {int((~np.isfinite(arr)).any(axis=1).sum())} point(s) with NaN or inf coordinates"
    return None


def class_report(labels, class_names, where: str, problems: list[str]) -> dict | None:
    """Per-class counts of ``(M,)`` integer ``labels`` (None without labels); a label outside the
    class names is recorded in ``problems``, naming ``where``."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.size == 0:
        return {"label_range": None, "classes": []}
    lo, hi = int(labels.min()), int(labels.max())
    names = list(class_names) if class_names is not None else None
    if lo < 0 or (names is not None and hi >= len(names)):
        problems.append(f"{where}: labels span {lo}..{hi}, expected 0..{len(names) - 1 if names else 'n'}")
    counts = np.bincount(labels[labels >= 0], minlength=len(names) if names else 0)
    classes = [{"label": k, "name": names[k] if names and k < len(names) else str(k), "count": int(c)}
               for k, c in enumerate(counts)]
    return {"label_range": [lo, hi], "num_classes": len(names) if names else None, "classes": classes}
