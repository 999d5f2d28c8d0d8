"""``strl data check PATH``: read up to ``--max-items`` items of every part and report what they hold.

Every problem names its file (or item). Exit status: 0 usable, 1 when a problem would stop training.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from strl.cli.data_report import format_report
from strl.cli.data_source import detect
from strl.errors import DataError
from strl.formats.summary import Bounds, PointStats, class_report, cloud_problem, spread


def _read(what: str, read, problems: list[str]):
    """``read()``, or None after recording a problem naming the file (DataError) or the item."""
    try:
        return read()
    except DataError as e:
        problems.append(str(e))
    except Exception as e:  # noqa: BLE001 - a reader failing any other way is a problem of this item too
        problems.append(f"{what}: {type(e).__name__}: {e}")
    return None


def check_clouds(name: str, clouds, max_items: int, problems: list[str]) -> dict:
    """Read up to ``max_items`` clouds of a CloudSet; counts, ranges, classes, per-point label ranges."""
    n = len(clouds)
    picked = spread(n, max_items)
    stats, failed, point_labels = PointStats(), 0, []
    label_method = next((m for m in ("part_labels", "point_labels") if hasattr(clouds, m)), None)
    for i in picked:
        i, before = int(i), len(problems)
        pts = _read(f"{name} item {i}", lambda: clouds[i], problems)
        if pts is not None and cloud_problem(pts):
            problems.append(f"{name} item {i}: {cloud_problem(pts)}")
            pts = None
        if pts is not None:
            stats.add(np.asarray(pts))
        if pts is not None and label_method:
            lab = _read(f"{name} item {i} ({label_method})", lambda: getattr(clouds, label_method)(i), problems)
            if lab is not None and len(lab):
                point_labels.append((int(lab.min()), int(lab.max())))
        failed += len(problems) > before
    out = {"kind": "clouds", "items": n, "items_checked": len(picked), "items_failed": failed, **stats.report(),
           "flat_clouds": stats.flat,
           "classes": class_report(getattr(clouds, "labels", None), getattr(clouds, "class_names", None),
                                   name, problems)}
    if point_labels:
        out["point_label_range"] = [min(a for a, _ in point_labels), max(b for _, b in point_labels)]
    if n == 0:
        problems.append(f"{name}: holds no items")
    return out


def check_sequences(name: str, seqs, max_items: int, problems: list[str]) -> dict:
    """Read up to ``max_items`` frames of a SequenceSet, evenly spaced over all its frames."""
    lengths = [int(seqs.num_frames(s)) for s in range(len(seqs))]
    index = [(s, t) for s, n in enumerate(lengths) for t in range(n)]
    picked = spread(len(index), max_items)
    stats, origins, failed = PointStats(), Bounds(), 0
    names = list(getattr(seqs, "names", None) or [])
    for k in picked:
        s, t = index[int(k)]
        label = names[s] if s < len(names) else f"sequence {s}"
        frame = _read(f"{name} {label} frame {t}", lambda: seqs.frame(s, t), problems)
        if frame is not None and cloud_problem(frame.points):
            problems.append(f"{name} {label} frame {t}: {cloud_problem(frame.points)}")
            frame = None
        if frame is None:
            failed += 1
            continue
        stats.add(np.asarray(frame.points))
        if frame.origin is not None:
            origins.add(frame.origin)
    if not index:
        problems.append(f"{name}: holds no frames")
    frames = np.array(lengths) if lengths else np.zeros(1, int)
    return {"kind": "sequences", "sequences": len(lengths), "frames": len(index), "items": len(index),
            "frames_per_sequence": {"min": int(frames.min()), "mean": float(frames.mean()), "max": int(frames.max())},
            "single_frame_sequences": int(sum(n == 1 for n in lengths)),
            "sequence_names": names, "items_checked": len(picked), "items_failed": failed, **stats.report(),
            "flat_clouds": stats.flat,
            "origin_min": origins.lo.tolist() if np.isfinite(origins.lo).all() else None,
            "origin_max": origins.hi.tolist() if np.isfinite(origins.hi).all() else None,
            "reader_stats": {k: int(v) for k, v in (getattr(seqs, "stats", None) or {}).items()},
            "classes": class_report(getattr(seqs, "labels", None), getattr(seqs, "class_names", None), name, problems)}


def check_dataset(detected, max_items: int) -> dict:
    """Open every part of ``detected`` and read it; the report of :func:`run_check` as a dict."""
    from strl.formats.detect import is_sequence_set

    report = {"path": str(detected.path), "format": detected.format, "description": detected.description,
              "parts": {}, "problems": [], "notes": []}
    problems = report["problems"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = _read(f"{detected.path}", detected.open, problems)
        for name, data in (parts or {}).items():
            check = check_sequences if is_sequence_set(data) else check_clouds
            report["parts"][name] = check(name, data, max_items, problems)
            if hasattr(data, "file_report"):  # format-specific counts and problems (e.g. KITTI object labels)
                report["parts"][name]["files"] = data.file_report(problems)
    if parts is not None and not parts:
        problems.append(f"{detected.path}: no parts to read")
    for name, part in report["parts"].items():
        if part["flat_clouds"]:
            report["notes"].append(f"{name}: {part['flat_clouds']} cloud(s) whose points all coincide")
        if part.get("single_frame_sequences"):
            report["notes"].append(f"{name}: {part['single_frame_sequences']} sequence(s) with a single frame "
                                   f"(their pairs are spatial only)")
    messages = Counter((w.category.__name__, str(w.message)) for w in caught)
    report["warnings"] = {"count": len(caught), "by_category": dict(Counter(w.category.__name__ for w in caught)),
                          "messages": [{"category": c, "message": m, "times": k} for (c, m), k in messages.items()]}
    report["usable"] = not problems
    return report


def run_check(args) -> int:
    try:
        detected = detect(args)
    except DataError as e:
        report = {"path": args.path, "format": None, "description": None, "parts": {}, "problems": [str(e)],
                  "notes": [], "warnings": {"count": 0, "by_category": {}, "messages": []}, "usable": False}
        print(f"not recognised: {e}")
    else:
        report = check_dataset(detected, args.max_items)
        print("\n".join(format_report(report)))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["usable"] else 1
