"""The 3-D panels of ``strl data preview``: clouds drawn with their up axis vertical, equal axes."""

from __future__ import annotations

import numpy as np

DISPLAY_POINTS = 6000  # points drawn per raw cloud


def display_coordinates(points: np.ndarray, up: str) -> np.ndarray:
    """Rotate ``(N, 3)`` points so that the ``up`` axis (``"y"``, ``"-y"`` or ``"z"``) becomes the plot's z."""
    x, y, z = np.asarray(points, dtype=np.float64).T
    if up == "y":
        return np.stack([x, -z, y], axis=1)
    if up == "-y":
        return np.stack([x, z, -y], axis=1)
    return np.stack([x, y, z], axis=1)


def thin(points: np.ndarray, rng: np.random.Generator, n: int = DISPLAY_POINTS) -> np.ndarray:
    """At most ``n`` of the ``(N, 3)`` points, drawn without replacement."""
    return points if len(points) <= n else points[rng.choice(len(points), n, replace=False)]


def scatter(fig, slot, clouds: list[tuple[np.ndarray, str | None]], up: str, title: str) -> None:
    """One 3-D panel of ``clouds`` (points, colour or None for height colouring), equal axes."""
    ax = fig.add_subplot(*slot, projection="3d")
    shown = [(display_coordinates(p, up), c) for p, c in clouds]
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


def point_count(points: np.ndarray) -> str:
    """``"1024 points (301 distinct)"``: input dropout repeats a cloud's first point in place of dropped ones."""
    distinct = len(np.unique(points, axis=0))
    return f"{len(points)} points" + (f" ({distinct} distinct)" if distinct < len(points) else "")
