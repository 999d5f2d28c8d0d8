"""Counts and value ranges over the frames of any :class:`~strl.formats.base.SequenceSet`."""

from __future__ import annotations

from strl.formats.base import SequenceSet
from strl.formats.summary import Bounds, PointStats, spread


def frame_summary(seqs: SequenceSet, max_frames_per_sequence: int | None = None) -> dict:
    """Counts and value ranges over the frames of any :class:`SequenceSet` (for ``strl data check``).

    Reads every frame, or ``max_frames_per_sequence`` evenly spaced ones per sequence. Returns plain
    Python values: ``sequences``, ``frames`` (total), ``frames_checked``, ``points_per_frame``
    (``min``/``mean``/``max``), ``xyz_min``/``xyz_max`` (over all checked points), ``origin_min``/
    ``origin_max`` (``None`` for frames without a sensor origin) and ``reader_stats`` (a copy of the
    reader's ``stats`` dict if it has one, e.g. pixels without depth and dropped frames).
    """
    points, origins, total = PointStats(), Bounds(), 0
    for s in range(len(seqs)):
        n = seqs.num_frames(s)
        total += n
        picked = range(n) if max_frames_per_sequence is None else spread(n, max_frames_per_sequence)
        for t in picked:
            fr = seqs.frame(s, int(t))
            points.add(fr.points)
            if fr.origin is not None:
                origins.add(fr.origin)
    read = points.report()
    return {
        "sequences": len(seqs),
        "frames": total,
        "frames_checked": len(points.counts),
        "points_per_frame": read["points"] or {"min": 0, "mean": 0.0, "max": 0},
        "xyz_min": read["xyz_min"],
        "xyz_max": read["xyz_max"],
        "origin_min": origins.lo.tolist() if origins.added else None,
        "origin_max": origins.hi.tolist() if origins.added else None,
        "reader_stats": dict(getattr(seqs, "stats", {}) or {}),
    }
