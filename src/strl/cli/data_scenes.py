"""``strl data check`` and ``strl data preview`` for labelled scenes (ScanNet and SUN RGB-D as VoteNet
prepares them, the built-in rooms): counts, boxes per class, ranges, and a top view with boxes."""

from __future__ import annotations

import numpy as np

from strl.cli.data_report import _fmt_xyz, _wrap, plural
from strl.formats.scenes import points_in_boxes, rectangle_corners
from strl.formats.summary import PointStats, spread

MIN_BOX_POINTS = 5  # VoteNet's remove_empty_box threshold: fewer points than this inside is "empty"


def check_scenes(name: str, scenes, max_items: int, problems: list[str]) -> dict:
    """Read up to ``max_items`` scenes of a SceneSet: points, labels, boxes per class, box sizes."""
    from strl.cli.data_check import _read

    n = len(scenes)
    picked = spread(n, max_items)
    stats, failed = PointStats(), 0
    boxes, classes, per_scene, empty = [], [], [], 0
    semantic = np.zeros(len(scenes.semantic_class_names), dtype=np.int64)
    unlabelled = voting = total = 0
    colours = 0
    names = list(getattr(scenes, "names", None) or [])
    for i in picked:
        i = int(i)
        label = names[i] if i < len(names) else f"scene {i}"
        scene = _read(f"{name} {label}", lambda: scenes.scene(i), problems)
        if scene is None:
            failed += 1
            continue
        stats.add(scene.points)
        boxes.append(scene.boxes)
        classes.append(scene.box_classes)
        per_scene.append(len(scene.boxes))
        if len(scene.boxes):
            empty += int((points_in_boxes(scene.points, scene.boxes).sum(axis=0) < MIN_BOX_POINTS).sum())
        labelled = scene.semantic[scene.semantic >= 0]
        semantic += np.bincount(labelled, minlength=len(semantic))[: len(semantic)]
        unlabelled += int((scene.semantic < 0).sum())
        voting += int(scene.vote_mask.sum()) if scene.vote_mask is not None else 0
        total += len(scene.points)
        colours += scene.colors is not None
    if n == 0:
        problems.append(f"{name}: holds no scenes")
    all_boxes = np.concatenate(boxes) if boxes else np.zeros((0, 7), np.float32)
    all_classes = np.concatenate(classes) if classes else np.zeros(0, np.int64)
    box_counts = np.bincount(all_classes, minlength=len(scenes.box_class_names))
    counts = np.array(per_scene) if per_scene else np.zeros(1, int)
    return {"kind": "scenes", "items": n, "items_checked": len(picked), "items_failed": failed, **stats.report(),
            "flat_clouds": stats.flat, "scene_names": names,
            "boxes": {"total": len(all_boxes), "per_scene": {"min": int(counts.min()), "mean": float(counts.mean()),
                                                            "max": int(counts.max())},
                      "size_min": all_boxes[:, 3:6].min(axis=0).tolist() if len(all_boxes) else None,
                      "size_max": all_boxes[:, 3:6].max(axis=0).tolist() if len(all_boxes) else None,
                      "heading_min": float(all_boxes[:, 6].min()) if len(all_boxes) else None,
                      "heading_max": float(all_boxes[:, 6].max()) if len(all_boxes) else None,
                      "with_few_points": empty,
                      "classes": {c: int(k) for c, k in zip(scenes.box_class_names, box_counts)}},
            "semantic": {c: int(k) for c, k in zip(scenes.semantic_class_names, semantic)},
            "unlabelled_points": unlabelled, "voting_points": voting, "points_read": total,
            "scenes_with_colours": colours,
            "mean_sizes": np.asarray(scenes.mean_sizes, dtype=np.float64).round(3).tolist()}


def scene_lines(part: dict) -> list[str]:
    """The lines of ``strl data check`` that only a part holding scenes has: boxes and labels."""
    b = part["boxes"]
    out = [f"  boxes: {b['total']} (per scene min {b['per_scene']['min']} / mean {b['per_scene']['mean']:.1f} "
           f"/ max {b['per_scene']['max']})"]
    if b["total"]:
        out.append(f"  box sizes min {_fmt_xyz(b['size_min'])}  max {_fmt_xyz(b['size_max'])}; "
                   f"headings {b['heading_min']:.3f}..{b['heading_max']:.3f}")
        out += _wrap([f"{c} {k}" for c, k in b["classes"].items()], "  boxes per class: ")
        if b["with_few_points"]:
            out.append(f"  boxes with fewer than {MIN_BOX_POINTS} points inside: {b['with_few_points']}")
    read = part["points_read"]
    if part["semantic"]:
        share = 100.0 * part["unlabelled_points"] / max(read, 1)
        out += _wrap([f"{c} {k}" for c, k in part["semantic"].items() if k], f"  semantic points ({share:.1f}% "
                     "unlabelled): ")
    else:
        out.append("  no per-point semantic labels")
    out.append(f"  points on objects (voting): {100.0 * part['voting_points'] / max(read, 1):.1f}%; "
               f"colours in {part['scenes_with_colours']} of {part['items_checked'] - part['items_failed']} scenes")
    return out


def scene_part(parts: dict, args) -> str | None:
    """The part ``strl data preview`` draws as scenes: ``--part`` when it holds scenes, else the first
    part holding scenes unless ``--pair`` asks for frame pairs; None when no scenes are to be drawn."""
    from strl.formats.scenes import is_scene_set

    names = [n for n, d in parts.items() if is_scene_set(d)]
    if args.part is not None:
        return args.part if args.part in names else None
    return names[0] if names and not args.pair else None


def preview_scenes(fig_factory, detected, part: str, data, args, cfg=None, frame_points=None):
    """Figure of ``args.samples`` (default 2) scenes seen from above: points coloured by semantic
    class (by height without labels), boxes outlined with their class names."""
    from matplotlib import colormaps

    from strl.cli.preview_panels import thin

    rng = np.random.default_rng(args.seed)
    count = min(args.samples or 2, len(data))
    chosen = np.sort(rng.choice(len(data), count, replace=False))
    fig = fig_factory(6.0 * count, 6.4)
    palette = colormaps["tab20"]
    for j, i in enumerate(chosen):
        scene = data.scene(int(i))
        ax = fig.add_subplot(1, count, j + 1)
        keep = rng.permutation(len(scene.points))[: 4 * len(thin(scene.points, rng))]
        pts, sem = scene.points[keep], scene.semantic[keep]
        if (sem >= 0).any():
            colours = np.where((sem >= 0)[:, None], palette(np.maximum(sem, 0) % 20)[:, :3], 0.8)
            order = np.argsort(pts[:, 2])  # higher points drawn last, as seen from above
            ax.scatter(pts[order, 0], pts[order, 1], s=0.6, c=colours[order], linewidths=0)
            present = np.unique(sem[sem >= 0])
            handles = [ax.scatter([], [], s=12, color=palette(k % 20)) for k in present]
            ax.legend(handles, [data.semantic_class_names[k] for k in present], fontsize=6, loc="upper right",
                      markerscale=1.5, framealpha=0.7)
        else:
            ax.scatter(pts[:, 0], pts[:, 1], s=0.6, c=pts[:, 2], cmap="viridis", linewidths=0)
        for box, k in zip(scene.boxes, scene.box_classes):
            corners = rectangle_corners(np.asarray(box[[0, 1, 3, 4, 6]], np.float64))
            ring = np.vstack([corners, corners[:1]])
            ax.plot(ring[:, 0], ring[:, 1], color="black", lw=0.9)
            front = corners[[0, 3]].mean(axis=0)  # the +x side: the heading direction
            ax.plot([box[0], front[0]], [box[1], front[1]], color="black", lw=0.6)
            ax.text(box[0], box[1], data.box_class_names[k], fontsize=6, ha="center", va="center",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.6, lw=0))
        ax.set_aspect("equal")
        boxes = f"{len(scene.boxes)} box{'' if len(scene.boxes) == 1 else 'es'}"
        ax.set_title(f"{part} {scene.name}: {len(scene.points)} points, {boxes}", fontsize=8)
        ax.tick_params(labelsize=6)
    return fig, f"{plural(count, 'scene')} of '{part}' from above (x right, y up), boxes with their heading"
