"""``strl data preview PATH``: a few samples, or temporal pairs, as read and after augmentation, as a PNG.

Temporal pairs are the default for sequence data. The PNG's path is the last line printed.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from strl.cli.data_report import plural
from strl.cli.data_scenes import preview_scenes, scene_part
from strl.cli.data_source import detect
from strl.cli.item_names import class_suffix, item_name, sequence_name
from strl.cli.preview_bev import object_frames_part, preview_object_frames
from strl.cli.preview_panels import point_count, scatter, thin
from strl.errors import DataError
from strl.formats.detect import is_sequence_set


def _pick_part(parts: dict, want_sequences: bool, name: str | None):
    """The part called ``name``, else the first that is (or is not) a SequenceSet, else the first."""
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

    if is_sequence_set(data):
        return data
    return data.as_sequences() if hasattr(data, "as_sequences") else CloudsAsSequences(data)


def _augment(points: list[np.ndarray], cfg, seed: int) -> list[np.ndarray]:
    """Each ``(N_i, 3)`` cloud through :func:`strl.transforms.pipeline.augment`, seeded per cloud."""
    import torch

    from strl.transforms.pipeline import augment

    out = []
    for k, p in enumerate(points):
        gen = torch.Generator().manual_seed(seed * 1_000_003 + k)
        out.append(augment(torch.from_numpy(np.ascontiguousarray(p, np.float32))[None], cfg, gen)[0].numpy())
    return out


def preview_samples(fig_factory, detected, part: str, data, args, cfg, frame_points: int):
    """Figure of ``args.samples`` items as read (top row) and augmented (bottom row)."""
    from strl.sequences.pairs import resample

    rng = np.random.default_rng(args.seed)
    if is_sequence_set(data):
        index = [(s, t) for s in range(len(data)) for t in range(data.num_frames(s))]
        read = lambda k: data.frame(*index[k]).points  # noqa: E731
        name = lambda k: f"{sequence_name(data, index[k][0])} frame {index[k][1]}"  # noqa: E731
    else:
        index = range(len(data))
        read = lambda k: data[k]  # noqa: E731
        name = lambda k: f"{item_name(data, k)}{class_suffix(data, k)}"  # noqa: E731
    count = min(args.samples or 4, len(index))
    chosen = np.sort(rng.choice(len(index), count, replace=False))
    raw = [np.asarray(read(int(k)), np.float32) for k in chosen]
    rows = 2 if args.augment else 1
    fig = fig_factory(3.0 * count, 3.2 * rows + 0.8)
    for j, (k, pts) in enumerate(zip(chosen, raw)):
        scatter(fig, (rows, count, j + 1), [(thin(pts, rng), None)], detected.up,
                f"{part} {name(int(k))}\nas read: {len(pts)} points")
    if args.augment:
        inputs = [resample(p, frame_points, np.random.default_rng([args.seed, int(k)])) for k, p in zip(chosen, raw)]
        for j, (k, pts) in enumerate(zip(chosen, _augment(inputs, cfg, args.seed))):
            scatter(fig, (rows, count, count + j + 1), [(pts, None)], detected.up, f"augmented: {point_count(pts)}")
    what = f"{plural(count, 'sample')} of '{part}' as read"
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
        label = sequence_name(seqs, s)
        scatter(fig, (count, cols, first + 1), [(a, None)], detected.up, f"{label}\nanchor: frame {t}")
        alone = " (the only frame)" if seqs.num_frames(s) == 1 else ""
        scatter(fig, (count, cols, first + 2), [(b, None)], detected.up, f"partner: frame {u}{alone}")
        scatter(fig, (count, cols, first + 3), [(a, "tab:blue"), (b, "tab:orange")], detected.up,
                f"anchor (blue) + partner (orange)\n{frame_points} points each")
        if augmented is not None:
            for col, key in ((4, "a"), (5, "b")):
                pts = augmented[key][row].numpy()
                scatter(fig, (count, cols, first + col), [(pts, None)], detected.up,
                        f"{'anchor' if key == 'a' else 'partner'} augmented\n{point_count(pts)}")
    temporal = args.window > 0 and any(seqs.num_frames(pairs.index[int(i)][0]) > 1 for i in chosen)
    kind = (f"{plural(count, 'temporal pair')} of '{part}' (partner within {plural(args.window, 'frame')})" if temporal
            else f"{plural(count, 'spatial pair')} of '{part}' (partner = anchor, augmented separately)")
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

    from strl.transforms.config import AugmentConfig

    detected = detect(args)
    parts = detected.open()
    part, frames_part = scene_part(parts, args), object_frames_part(parts, args)
    if part is not None:  # labelled scenes: drawn from above with their boxes
        data, make, view = parts[part], preview_scenes, "seen from above"
    elif frames_part is not None:  # labelled LiDAR frames: seen from above with their boxes
        part = frames_part
        data, make, view = parts[part], preview_object_frames, "seen from above"
    else:
        pair = args.pair if args.pair is not None else any(is_sequence_set(d) for d in parts.values())
        part, data = _pick_part(parts, pair, args.part)
        make = preview_pairs if pair else preview_samples
        if pair and is_sequence_set(data) and len(data) and data.frame(0, 0).lidar_pose is not None:
            detected = replace(detected, up="z")  # pairs of sweeps arrive in the anchor's LiDAR frame
        view = "drawn " + {"y": "y up", "-y": "y down", "z": "z up"}[detected.up]
    cfg = AugmentConfig(num_points=args.num_points, pipeline=detected.pipeline)
    frame_points = args.num_points * (2 if detected.pipeline == "scene" else 1)

    def fig_factory(width, height):
        return Figure(figsize=(width, height), dpi=100)

    fig, what = make(fig_factory, detected, part, data, args, cfg, frame_points)
    fig.suptitle(f"{detected.description}\n{what}; {view}", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 1.0 / fig.get_figheight(), wspace=0.05,
                        hspace=0.15)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return f"{detected.format}: {what}", out
