"""Where the virtual depth camera stands in a room, in ScanNet's conventions.

Intrinsics ``(fx, fy, cx, cy)`` are those of ScanNet's depth camera (58 degrees across) scaled to
the image size; poses are 4x4 camera-to-world matrices whose camera axes are x right, y down,
z forward (ScanNet's and OpenCV's), so a pixel ``(u, v)`` at depth ``z`` is the camera point
``z * ((u - cx) / fx, (v - cy) / fy, 1)`` as :mod:`strl.sequences.depth_points` reads it.

A path is what a person scanning the room does: walk part of a loop round the middle of the room
at 1.2 to 1.6 m, the camera pitched 5 to 40 degrees down (tilting along the way) and turned
either out towards the walls (where most furniture stands) or in across the room. Consecutive
frames are 10 to 25 degrees apart along the loop, so neighbouring frames overlap and distant ones
show other parts of the room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from strl.formats.scenes import points_in_boxes

from .shapes import Placed

HFOV_DEG = 58.0  # ScanNet depth camera: fx = 577.6 px for a 640 px wide image


@dataclass(frozen=True)
class DepthCamera:
    """A pinhole depth camera of ``width`` x ``height`` pixels, ``hfov_deg`` degrees across
    (ScanNet's by default)."""

    width: int
    height: int
    hfov_deg: float = HFOV_DEG

    @property
    def intrinsics(self) -> tuple[float, float, float, float]:
        """``(fx, fy, cx, cy)`` in pixels."""
        f = self.width / 2 / math.tan(math.radians(self.hfov_deg) / 2)
        return f, f, (self.width - 1) / 2, (self.height - 1) / 2

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width


def look_at(positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Camera-to-world poses ``(F, 4, 4)`` of cameras at ``positions`` ``(F, 3)`` looking at
    ``targets`` ``(F, 3)``, with the image's x axis level (camera x right, y down, z forward)."""
    forward = targets - positions
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    down = np.cross(forward, right)
    poses = np.tile(np.eye(4), (len(positions), 1, 1))
    poses[:, :3, :3] = np.stack([right, down, forward], axis=2)
    poses[:, :3, 3] = positions
    return poses


def inside_footprints(xy: np.ndarray, objects: list[Placed], grow: float) -> np.ndarray:
    """``(F,)`` bool: which points ``xy`` ``(F, 2)`` lie within ``grow`` of an object's footprint."""
    if not objects:
        return np.zeros(len(xy), dtype=bool)
    boxes = np.stack([o.box7 for o in objects])
    boxes[:, 2], boxes[:, 3:5], boxes[:, 5] = 0.0, boxes[:, 3:5] + 2 * grow, np.inf  # footprints, grown
    return points_in_boxes(np.column_stack([xy, np.zeros(len(xy))]), boxes).any(axis=1)


def camera_path(rng: np.random.Generator, half: np.ndarray, frames: int, arc_deg=(100.0, 220.0),
                outward: bool | None = None, radius=(0.25, 0.55),
                pitch_deg=(5.0, 40.0)) -> tuple[np.ndarray, np.ndarray]:
    """Camera ``positions`` and look-at ``targets``, both ``(frames, 3)``, along part of a loop
    (``arc_deg`` degrees of it, its radii ``radius`` times the half sizes ``half`` of the room)
    round the middle of the room (see the module docstring); ``outward`` picks the viewing
    direction (random when None), ``pitch_deg`` the range of the camera's downward pitch (it
    tilts from one pitch in that range to another along the path)."""
    t = np.linspace(0.0, 1.0, frames)
    centre = rng.uniform(-0.15, 0.15, 2) * half
    radii = rng.uniform(*radius, 2) * half
    angle = rng.uniform(-np.pi, np.pi) + rng.choice([-1.0, 1.0]) * np.deg2rad(rng.uniform(*arc_deg)) * t
    radial = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    xy = centre + radii * radial + rng.normal(0, 0.05, (frames, 2))
    xy = np.clip(xy, -half + 0.3, half - 0.3)
    z = rng.uniform(1.2, 1.6) + rng.normal(0, 0.03, frames)
    outward = rng.random() < 0.5 if outward is None else outward
    yaw = angle + (0.0 if outward else np.pi) + np.deg2rad(rng.uniform(-30, 30) + rng.normal(0, 4, frames))
    start, stop = rng.uniform(*pitch_deg, 2)  # the camera tilts from one pitch to another along the path
    pitch = -np.deg2rad(start + (stop - start) * t + rng.normal(0, 3, frames))
    direction = np.stack([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)], axis=1)
    positions = np.column_stack([xy, z])
    return positions, positions + direction


def clear_path(rng: np.random.Generator, half: np.ndarray, objects: list[Placed], frames: int, tries: int = 20,
               **path_options) -> tuple[np.ndarray, np.ndarray]:
    """:func:`camera_path` redrawn until no camera stands within 0.3 m of (or inside) an object
    reaching above 0.3 m under it (the last draw after ``tries``)."""
    for _ in range(tries):
        positions, targets = camera_path(rng, half, frames, **path_options)
        tall = [o for o in objects if o.top > positions[:, 2].min() - 0.3]
        if not inside_footprints(positions[:, :2], tall, 0.3).any():
            break
    return positions, targets
