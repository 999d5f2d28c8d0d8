"""``strl data check PATH`` and ``strl data preview PATH``: what a dataset holds, and what training sees.

``check`` recognises the format (:func:`strl.formats.detect.identify`), reads up to
``--max-items`` items of every part, and prints counts, classes, ranges and every problem, each
naming its file. Exit status: 0 usable, 1 when a problem would stop training, 2 for usage errors.

``preview`` draws a few samples, or temporal pairs (the default for sequence data), as read and
after the training augmentation, into a PNG; its path is the last line printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from strl.errors import DataError

BUILTIN = "builtin"
MAX_PRINTED_PROBLEMS = 100
MAX_PRINTED_WARNINGS = 20
DISPLAY_POINTS = 6000  # points drawn per raw cloud


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser) -> None:
    from strl.formats.detect import FORMATS

    formats = [BUILTIN, *FORMATS]
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="recognise a dataset, read it and report counts, ranges and problems",
                           description="Exit status: 0 usable, 1 a problem would stop training, 2 usage error.")
    preview = sub.add_parser("preview", help="draw samples or temporal pairs, raw and augmented, into a PNG")
    for p in (check, preview):
        p.add_argument("path", help="dataset file or folder, or 'builtin'")
        p.add_argument("--format", choices=formats, default=None, metavar="NAME",
                       help=f"skip recognition; one of: {', '.join(formats)}")
        p.add_argument("--builtin-size", choices=["small", "default"], default="small",
                       help="size of the built-in data (pre-training uses 'default')")
        p.add_argument("--cache-dir", default="", help="where the built-in data is cached")
    check.add_argument("--max-items", type=_positive, default=2000,
                       help="read at most this many items (clouds or frames) of each part, evenly spaced")
    check.add_argument("--json", default=None, metavar="OUT", help="also write the report as JSON")
    preview.add_argument("--out", default="preview.png", help="PNG to write")
    preview.add_argument("--samples", type=_positive, default=None,
                         help="samples (default 4) or pairs (default 2) to show")
    preview.add_argument("--pair", action=argparse.BooleanOptionalAction, default=None,
                         help="show temporal pairs (default for sequence data)")
    preview.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                         help="also show the clouds after the training augmentation")
    preview.add_argument("--num-points", type=_positive, default=1024, help="points per augmented cloud")
    preview.add_argument("--window", type=int, default=1, help="pair partners at most this many frames apart")
    preview.add_argument("--part", default=None, help="which part (split) to show; default: the first that fits")
    preview.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    return run_check(args) if args.data_command == "check" else run_preview(args)


def builtin_detected(size: str, cache_dir: str, seed: int = 0):
    """The built-in data as a :class:`~strl.formats.detect.Detected`: its sequences and its two splits."""
    from strl.formats.detect import Detected

    def open_builtin() -> dict:
        from strl.train.data import builtin_data

        data = builtin_data(seed=seed, cache_dir=cache_dir, size=size)
        return {"sequences": data.sequences(), "train": data.clouds("train"), "test": data.clouds("test")}

    return Detected(BUILTIN, f"strl's built-in generated objects (size {size!r}, seed {seed})", open_builtin,
                    Path(BUILTIN), pipeline="object", up="y")


def detect(args):
    """What ``args.path`` holds: the built-in data for ``builtin`` (unless such a file exists), else identify()."""
    from strl.formats.detect import identify

    if args.format == BUILTIN or (args.format is None and args.path == BUILTIN and not Path(BUILTIN).exists()):
        return builtin_detected(args.builtin_size, args.cache_dir)
    return identify(args.path, args.format)


# --- check ----------------------------------------------------------------------------------------

def spread(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices of ``range(n)``, evenly spaced, first and last included."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


class PointStats:
    """Points per cloud and the xyz bounding range over the clouds added."""

    def __init__(self):
        self.counts: list[int] = []
        self.lo, self.hi = np.full(3, np.inf), np.full(3, -np.inf)
        self.flat = 0  # clouds whose points all coincide

    def add(self, points: np.ndarray) -> None:
        self.counts.append(len(points))
        lo, hi = points.min(axis=0), points.max(axis=0)
        self.lo, self.hi = np.minimum(self.lo, lo), np.maximum(self.hi, hi)
        self.flat += bool((hi - lo).max() == 0)

    def report(self) -> dict:
        if not self.counts:
            return {"points": None, "xyz_min": None, "xyz_max": None}
        return {"points": {"min": int(min(self.counts)), "mean": float(np.mean(self.counts)),
                           "max": int(max(self.counts))},
                "xyz_min": self.lo.tolist(), "xyz_max": self.hi.tolist()}


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


def _read(what: str, read, problems: list[str]):
    """``read()``, or None after recording a problem naming the file (DataError) or the item."""
    try:
        return read()
    except DataError as e:
        problems.append(str(e))
    except Exception as e:  # noqa: BLE001 - a reader failing any other way is a problem of this item too
        problems.append(f"{what}: {type(e).__name__}: {e}")
    return None


def class_report(labels, class_names, where: str, problems: list[str]) -> dict | None:
    """Per-class counts of ``(M,)`` integer ``labels`` (None without labels)."""
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
    stats, failed = PointStats(), 0
    olo, ohi = np.full(3, np.inf), np.full(3, -np.inf)
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
            olo, ohi = np.minimum(olo, frame.origin), np.maximum(ohi, frame.origin)
    if not index:
        problems.append(f"{name}: holds no frames")
    frames = np.array(lengths) if lengths else np.zeros(1, int)
    out = {"kind": "sequences", "sequences": len(lengths), "frames": len(index), "items": len(index),
           "frames_per_sequence": {"min": int(frames.min()), "mean": float(frames.mean()), "max": int(frames.max())},
           "single_frame_sequences": int(sum(n == 1 for n in lengths)),
           "sequence_names": names, "items_checked": len(picked), "items_failed": failed, **stats.report(),
           "flat_clouds": stats.flat,
           "origin_min": olo.tolist() if np.isfinite(olo).all() else None,
           "origin_max": ohi.tolist() if np.isfinite(ohi).all() else None,
           "reader_stats": {k: int(v) for k, v in (getattr(seqs, "stats", None) or {}).items()},
           "classes": class_report(getattr(seqs, "labels", None), getattr(seqs, "class_names", None), name, problems)}
    return out


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
            if is_sequence_set(data):
                report["parts"][name] = check_sequences(name, data, max_items, problems)
            else:
                report["parts"][name] = check_clouds(name, data, max_items, problems)
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


def _fmt_xyz(values) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _wrap(items: list[str], first: str, width: int = 100) -> list[str]:
    """``items`` joined by commas into lines of at most ``width``; the first starts with ``first``."""
    indent = " " * (len(first) - len(first.lstrip())) + "  " if first.strip() else first
    lines, line = [], first
    for item in items:
        if len(line) + len(item) + 2 > width and line.strip() and line != first:
            lines.append(line.rstrip(", "))
            line = indent
        line += item + ", "
    if line.strip():
        lines.append(line.rstrip(", "))
    return lines


def format_report(report: dict) -> list[str]:
    """The report as human-readable lines."""
    out = [f"format {report['format']}: {report['description']}"]
    for name, part in report["parts"].items():
        what = "clouds" if part["kind"] == "clouds" else "frames"
        if part["kind"] == "sequences":
            fps = part["frames_per_sequence"]
            out.append(f"{name}: {_count(part['sequences'], 'sequence')}, {_count(part['frames'], 'frame')} "
                       f"(per sequence min {fps['min']} / mean {fps['mean']:.1f} / max {fps['max']})")
            if part["sequence_names"]:
                shown = part["sequence_names"][:8]
                more = len(part["sequence_names"]) - len(shown)
                out.append(f"  sequences: {', '.join(shown)}{f', ... ({more} more)' if more > 0 else ''}")
        else:
            out.append(f"{name}: {_count(part['items'], 'cloud')}")
        checked = part["items_checked"]
        spaced = " (evenly spaced)" if checked < part["items"] else ""
        failed = f", {part['items_failed']} failed" if part["items_failed"] else ""
        out.append(f"  read {checked} of {part['items']} {what}{spaced}{failed}")
        if part["points"]:
            p = part["points"]
            out.append(f"  points per {what[:-1]}: min {p['min']} / mean {p['mean']:.1f} / max {p['max']}")
            out.append(f"  xyz min {_fmt_xyz(part['xyz_min'])}  max {_fmt_xyz(part['xyz_max'])}")
        if part.get("origin_min"):
            out.append(f"  sensor origins min {_fmt_xyz(part['origin_min'])}  max {_fmt_xyz(part['origin_max'])}")
        if part.get("reader_stats"):
            out += _wrap([f"{k.replace('_', ' ')} {v}" for k, v in part["reader_stats"].items()], "  reader: ")
        classes = part.get("classes")
        if classes and classes["label_range"]:
            present = [c for c in classes["classes"] if c["count"]]
            total = classes["num_classes"] or len(classes["classes"])
            lo, hi = classes["label_range"]
            out.append(f"  labels {lo}..{hi}; {len(present)} of {total} classes present:")
            out += _wrap([f"{c['name']} {c['count']}" for c in present], "    ")
        if "point_label_range" in part:
            lo, hi = part["point_label_range"]
            out.append(f"  per-point labels {lo}..{hi}")
    for note in report["notes"]:
        out.append(f"note: {note}")
    w = report["warnings"]
    if w["count"]:
        cats = ", ".join(f"{c} {k}" for c, k in w["by_category"].items())
        out.append(f"warnings: {w['count']} ({cats})")
        for m in w["messages"][:MAX_PRINTED_WARNINGS]:
            out.append(f"  [{m['category']}] {m['message']}" + (f" (x{m['times']})" if m["times"] > 1 else ""))
        if len(w["messages"]) > MAX_PRINTED_WARNINGS:
            out.append(f"  ... {len(w['messages']) - MAX_PRINTED_WARNINGS} more distinct warnings")
    else:
        out.append("warnings: none")
    problems = report["problems"]
    if problems:
        out.append(f"problems: {len(problems)}")
        out += [f"  {p}" for p in problems[:MAX_PRINTED_PROBLEMS]]
        if len(problems) > MAX_PRINTED_PROBLEMS:
            out.append(f"  ... {len(problems) - MAX_PRINTED_PROBLEMS} more (all of them are in --json)")
        out.append("result: NOT usable: training would stop on these problems")
    else:
        out.append("problems: none")
        out.append("result: usable")
    return out


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


# --- preview --------------------------------------------------------------------------------------

def _display(points: np.ndarray, up: str) -> np.ndarray:
    """Rotate ``(N, 3)`` points so that the ``up`` axis becomes the plot's vertical z."""
    x, y, z = np.asarray(points, dtype=np.float64).T
    if up == "y":
        return np.stack([x, -z, y], axis=1)
    if up == "-y":
        return np.stack([x, z, -y], axis=1)
    return np.stack([x, y, z], axis=1)


def _thin(points: np.ndarray, rng: np.random.Generator, n: int = DISPLAY_POINTS) -> np.ndarray:
    return points if len(points) <= n else points[rng.choice(len(points), n, replace=False)]


def _scatter(fig, slot, clouds: list[tuple[np.ndarray, str | None]], up: str, title: str) -> None:
    """One 3-D panel of ``clouds`` (points, colour or None for height colouring), equal axes."""
    ax = fig.add_subplot(*slot, projection="3d")
    shown = [(_display(p, up), c) for p, c in clouds]
    every = np.concatenate([p for p, _ in shown])
    centre = (every.min(axis=0) + every.max(axis=0)) / 2
    half = max(float((every.max(axis=0) - every.min(axis=0)).max()) / 2, 1e-6)
    for p, colour in shown:
        if colour is None:
            ax.scatter(p[:, 0], p[:, 1], p[:, 2], s=1.2, c=p[:, 2], cmap="viridis", linewidths=0)
        else:
            ax.scatter(p[:, 0], p[:, 1], p[:, 2], s=1.2, color=colour, linewidths=0, alpha=0.7)
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        setter(c - half, c + half)
    ax.set_box_aspect((1, 1, 1))
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
    ax.view_init(elev=25, azim=-60)
    ax.set_title(title, fontsize=8)


def _augment(points: list[np.ndarray], cfg, seed: int) -> list[np.ndarray]:
    """Each ``(N_i, 3)`` cloud through :func:`strl.transforms.pipeline.augment`, seeded per cloud."""
    import torch

    from strl.transforms.pipeline import augment

    out = []
    for k, p in enumerate(points):
        gen = torch.Generator().manual_seed(seed * 1_000_003 + k)
        out.append(augment(torch.from_numpy(np.ascontiguousarray(p, np.float32))[None], cfg, gen)[0].numpy())
    return out


def _distinct(points: np.ndarray) -> str:
    """``"1024 points (301 distinct)"``: input dropout repeats a cloud's first point in place of dropped ones."""
    distinct = len(np.unique(points, axis=0))
    return f"{len(points)} points" + (f" ({distinct} distinct)" if distinct < len(points) else "")


def _item_name(data, i: int) -> str:
    for attr in ("files", "rooms"):
        seq = getattr(data, attr, None)
        if seq is not None:
            return Path(str(seq[i])).name
    return f"#{i}"


def _class_of(data, i: int) -> str:
    labels, names = getattr(data, "labels", None), getattr(data, "class_names", None)
    if labels is None:
        return ""
    k = int(labels[i])
    return f" ({names[k]})" if names is not None and k < len(names) else f" (label {k})"


def _sequence_name(seqs, s: int) -> str:
    from strl.formats.base import CloudsAsSequences

    if isinstance(seqs, CloudsAsSequences):
        return f"{_item_name(seqs.clouds, s)}{_class_of(seqs.clouds, s)}"
    if getattr(seqs, "folders", None) is not None:  # a user folder: one sequence per sub-folder
        return str(seqs.folders[s]) if str(seqs.folders[s]) != "." else "(top folder)"
    names = getattr(seqs, "names", None)
    return (names[s] if names else f"sequence {s}") + _class_of(seqs, s)


def _pick_part(parts: dict, want_sequences: bool, name: str | None):
    from strl.formats.detect import is_sequence_set

    if name is not None:
        if name not in parts:
            raise DataError(None, f"no part {name!r}; parts: {', '.join(parts)}")
        return name, parts[name]
    for n, d in parts.items():
        if is_sequence_set(d) == want_sequences:
            return n, d
    return next(iter(parts.items()))


def _as_sequences(data):
    from strl.formats.base import CloudsAsSequences
    from strl.formats.detect import is_sequence_set

    if is_sequence_set(data):
        return data
    return data.as_sequences() if hasattr(data, "as_sequences") else CloudsAsSequences(data)


def preview_samples(fig_factory, detected, part: str, data, args, cfg, frame_points: int):
    """Figure of ``args.samples`` items as read (top row) and augmented (bottom row)."""
    from strl.formats.detect import is_sequence_set
    from strl.sequences.pairs import resample

    rng = np.random.default_rng(args.seed)
    if is_sequence_set(data):
        index = [(s, t) for s in range(len(data)) for t in range(data.num_frames(s))]
        read = lambda k: data.frame(*index[k]).points  # noqa: E731
        name = lambda k: f"{_sequence_name(data, index[k][0])} frame {index[k][1]}"  # noqa: E731
    else:
        index = range(len(data))
        read = lambda k: data[k]  # noqa: E731
        name = lambda k: f"{_item_name(data, k)}{_class_of(data, k)}"  # noqa: E731
    count = min(args.samples or 4, len(index))
    chosen = np.sort(rng.choice(len(index), count, replace=False))
    raw = [np.asarray(read(int(k)), np.float32) for k in chosen]
    rows = 2 if args.augment else 1
    fig = fig_factory(3.0 * count, 3.2 * rows + 0.8)
    for j, (k, pts) in enumerate(zip(chosen, raw)):
        _scatter(fig, (rows, count, j + 1), [(_thin(pts, rng), None)], detected.up,
                 f"{part} {name(int(k))}\nas read: {len(pts)} points")
    if args.augment:
        inputs = [resample(p, frame_points, np.random.default_rng([args.seed, int(k)])) for k, p in zip(chosen, raw)]
        for j, (k, pts) in enumerate(zip(chosen, _augment(inputs, cfg, args.seed))):
            _scatter(fig, (rows, count, count + j + 1), [(pts, None)], detected.up,
                     f"augmented: {_distinct(pts)}")
    what = f"{_count(count, 'sample')} of '{part}' as read"
    if args.augment:
        what += f" (top) and augmented (bottom; {cfg.pipeline} pipeline, {frame_points} -> {cfg.num_points} points)"
    return fig, what


def preview_pairs(fig_factory, detected, part: str, data, args, cfg, frame_points: int):
    """Figure of temporal pairs: anchor, partner, both overlaid, then both augmented."""
    import torch

    from strl.sequences.pairs import PairDataset, partner_frame
    from strl.train.augmenting import augment_pairs

    seqs = _as_sequences(data)
    pairs = PairDataset(seqs, frame_points, window=args.window, mode="temporal", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    multi = [i for i, (s, _) in enumerate(pairs.index) if seqs.num_frames(s) > 1] or list(range(len(pairs)))
    count = min(args.samples or 2, len(multi))
    chosen = np.sort(rng.choice(multi, count, replace=False))
    items = [pairs[int(i)] for i in chosen]
    batch = {k: torch.stack([it[k] for it in items]) for k in ("a", "b", "key")}
    augmented = augment_pairs(batch, cfg) if args.augment else None
    cols = 5 if args.augment else 3
    fig = fig_factory(3.0 * cols, 3.2 * count + 0.8)
    for row, i in enumerate(chosen):
        s, t = pairs.index[int(i)]
        # PairDataset draws the partner first from default_rng([seed, epoch, index]): the same draw names it
        u = partner_frame(t, seqs.num_frames(s), args.window, "temporal", np.random.default_rng([args.seed, 0, int(i)]))
        a, b = batch["a"][row].numpy(), batch["b"][row].numpy()
        first = row * cols
        label = _sequence_name(seqs, s)
        _scatter(fig, (count, cols, first + 1), [(a, None)], detected.up, f"{label}\nanchor: frame {t}")
        alone = " (the only frame)" if seqs.num_frames(s) == 1 else ""
        _scatter(fig, (count, cols, first + 2), [(b, None)], detected.up, f"partner: frame {u}{alone}")
        _scatter(fig, (count, cols, first + 3), [(a, "tab:blue"), (b, "tab:orange")], detected.up,
                 f"anchor (blue) + partner (orange)\n{frame_points} points each")
        if augmented is not None:
            for col, key in ((4, "a"), (5, "b")):
                pts = augmented[key][row].numpy()
                _scatter(fig, (count, cols, first + col), [(pts, None)], detected.up,
                         f"{'anchor' if key == 'a' else 'partner'} augmented\n{_distinct(pts)}")
    temporal = args.window > 0 and any(seqs.num_frames(pairs.index[int(i)][0]) > 1 for i in chosen)
    kind = (f"{_count(count, 'temporal pair')} of '{part}' (partner within {_count(args.window, 'frame')})" if temporal
            else f"{_count(count, 'spatial pair')} of '{part}' (partner = anchor, augmented separately)")
    what = (kind
            + (f", as read and augmented ({cfg.pipeline} pipeline, {cfg.num_points} points)" if args.augment else ""))
    return fig, what


def run_preview(args) -> int:
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            summary, out = _preview(args)
        except DataError as e:  # bad data: the same status as a failing check
            error = e
    for message in dict.fromkeys(str(w.message) for w in caught):  # each distinct one, once
        print(f"warning: {message}", file=sys.stderr)
    if error is not None:
        print(f"strl data preview: error: {error}", file=sys.stderr)
        return 1
    print(summary)
    print(out)
    return 0


def _preview(args) -> tuple[str, Path]:
    """Draw the figure ``args`` ask for; returns (a line saying what it shows, the PNG written)."""
    from matplotlib.figure import Figure

    from strl.formats.detect import is_sequence_set
    from strl.transforms.config import AugmentConfig

    detected = detect(args)
    parts = detected.open()
    pair = args.pair if args.pair is not None else any(is_sequence_set(d) for d in parts.values())
    part, data = _pick_part(parts, pair, args.part)
    cfg = AugmentConfig(num_points=args.num_points, pipeline=detected.pipeline)
    frame_points = args.num_points * (2 if detected.pipeline == "scene" else 1)

    def fig_factory(width, height):
        return Figure(figsize=(width, height), dpi=100)

    make = preview_pairs if pair else preview_samples
    fig, what = make(fig_factory, detected, part, data, args, cfg, frame_points)
    up = {"y": "y up", "-y": "y down", "z": "z up"}[detected.up]
    fig.suptitle(f"{detected.description}\n{what}; drawn {up}", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 1.0 / fig.get_figheight(), wspace=0.05,
                        hspace=0.15)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return f"{detected.format}: {what}", out
