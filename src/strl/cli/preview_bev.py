"""``strl data preview`` of labelled LiDAR frames (the KITTI object layout, the built-in streets):
each frame's whole sweep seen from above, its ground-truth boxes drawn in their class colours,
and the edges of image_2's field of view (only objects inside it are labelled)."""

from __future__ import annotations

import numpy as np

CLASS_COLOURS = {"Car": "tab:blue", "Van": "tab:cyan", "Truck": "tab:purple", "Pedestrian": "tab:red",
                 "Person_sitting": "tab:pink", "Cyclist": "tab:green", "Tram": "tab:olive", "Misc": "tab:brown"}
VIEW = (-20.0, 75.0, -40.0, 40.0)  # x min, x max, y min, y max (metres, LiDAR frame) of each panel


def object_frames_part(parts: dict, args) -> str | None:
    """The part to draw from above: ``--part`` if it holds labelled LiDAR frames, else the first
    such part; ``None`` when none does or pairs were asked for (``--pair`` / ``--no-pair``)."""
    labelled = [n for n, d in parts.items() if getattr(getattr(d, "dataset", None), "has_labels", False)]
    if args.pair is not None or not labelled:
        return None
    if args.part is not None:
        return args.part if args.part in labelled else None
    return labelled[0]


def _fov_edges(calib, image_shape, depth: float = 80.0) -> np.ndarray:
    """``(2, 2)`` LiDAR ``(x, y)`` at ``depth`` on the left and right edge rays of image_2."""
    height, width = image_shape
    p2 = calib.P2
    u = np.array([0.0, width - 1.0])
    x = (u - p2[0, 2]) * depth / p2[0, 0]
    rect = np.stack([x, np.zeros(2), np.full(2, depth)], axis=1)
    return calib.rect_to_lidar(rect)[:, :2]


def draw_frame(ax, points: np.ndarray, boxes: np.ndarray, names, calib, image_shape, title: str) -> None:
    """One panel: ``points`` ``(N, >=3)`` seen from above, ``boxes`` ``(M, 7)`` outlined by class."""
    import torch

    from strl.geometry.boxes import bev_of, corners_bev

    x0, x1, y0, y1 = VIEW
    near = (points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)
    p = points[near]
    ax.scatter(p[:, 0], p[:, 1], s=0.5, c=np.clip(p[:, 2], -2.0, 1.0), cmap="viridis", linewidths=0)
    corners = corners_bev(bev_of(torch.as_tensor(np.asarray(boxes, np.float64)).reshape(-1, 7))).numpy()
    for c, name in zip(corners, names):
        colour = CLASS_COLOURS.get(str(name), "tab:gray")
        ax.fill(c[:, 0], c[:, 1], fill=False, edgecolor=colour, linewidth=0.9)
        front = (c[1] + c[2]) / 2  # the box's +x face: its heading
        ax.plot([c[:, 0].mean(), front[0]], [c[:, 1].mean(), front[1]], color=colour, linewidth=0.6)
    for edge in _fov_edges(calib, image_shape):
        ax.plot([0, edge[0]], [0, edge[1]], color="tab:orange", linewidth=0.6, linestyle="--")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def preview_object_frames(fig_factory, detected, part: str, data, args, cfg, frame_points):
    """Figure of ``args.samples`` (default 2) frames of a labelled part, seen from above."""
    from collections import Counter

    from strl.cli.data_report import plural
    from strl.formats.kitti_boxes import labels_to_lidar_boxes
    from strl.sequences.kitti_files import read_sweep

    ds = data.dataset
    rng = np.random.default_rng(args.seed)
    count = min(args.samples or 2, len(ds))
    chosen = np.sort(rng.choice(len(ds), count, replace=False))
    fig = fig_factory(6.0 * count, 5.6)
    seen: Counter = Counter()
    for j, i in enumerate(chosen):
        calib, image_shape = ds.calibration(int(i)), ds.image_shape(int(i))
        labels = ds.labels(int(i))
        labels = labels.select(labels.name != "DontCare")  # every class, not only the dataset's
        points = read_sweep(ds.path(int(i), "velodyne"))
        ax = fig.add_subplot(1, count, j + 1)
        counts = Counter(labels.name.tolist())
        seen.update(counts)
        listing = ", ".join(f"{n} {k}" for n, k in sorted(counts.items())) or "no objects"
        draw_frame(ax, points, labels_to_lidar_boxes(labels, calib), labels.name, calib, image_shape,
                   f"{part} {ds.ids[int(i)]}: {len(points)} points\n{listing}")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=CLASS_COLOURS.get(n, "tab:gray"), label=n) for n in sorted(seen)]
    handles.append(Line2D([], [], color="tab:orange", linestyle="--", label="image_2 field of view"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig, (f"{plural(count, 'frame')} of '{part}' with their boxes (x forward, y left; "
                 f"{VIEW[1] - VIEW[0]:.0f} x {VIEW[3] - VIEW[2]:.0f} m)")
