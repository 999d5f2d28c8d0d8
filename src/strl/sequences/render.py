"""Synthetic view sequences of complete objects: what a camera circling the object would see.

For object ``s`` a virtual camera moves on a circle around the object's bounding-box centre, at
``elevation_deg`` above the horizontal plane (``up`` gives the vertical axis) and ``distance``
bounding radii away, starting at a seeded random azimuth and turning ``step_deg`` per frame. Each
frame keeps the points visible from the camera, found by hidden-point removal (Katz, Tal and Basri,
"Direct visibility of point sets", 2007: spherical flipping about the camera, then the convex hull
of the flipped points and the camera), and resamples them to ``points_per_frame`` points.

Frames stay in the object's own coordinates (``origin=None``), so consecutive views overlap where
the camera saw the same surface.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet, Frame, check_cloud

_UP_AXES = {"x": (0, 1, 2), "y": (1, 2, 0), "z": (2, 0, 1)}  # up, first horizontal, second horizontal


def hidden_point_removal(points: np.ndarray, camera: np.ndarray, radius_exponent: float = 2.0) -> np.ndarray:
    """Indices (ascending) of the points of ``points`` ``(N, 3)`` visible from ``camera`` ``(3,)``.

    The flipping sphere has radius ``max |p - camera| * 10**radius_exponent``; larger exponents
    keep more points (grazing ones included). The camera must not coincide with a point.
    """
    q = np.asarray(points, dtype=np.float64) - np.asarray(camera, dtype=np.float64)
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("the camera coincides with a point of the cloud")
    radius = norms.max() * 10.0**radius_exponent
    flipped = q + 2.0 * (radius - norms) * q / norms
    hull_input = np.vstack([flipped, np.zeros((1, 3))])
    try:
        hull = ConvexHull(hull_input)
    except QhullError:  # flat or degenerate input: joggle it
        hull = ConvexHull(hull_input, qhull_options="QJ")
    vertices = hull.vertices
    return np.sort(vertices[vertices < len(q)])


class RenderedViews:
    """A :class:`~strl.formats.base.CloudSet` turned into view sequences (one sequence per object).

    Args:
        clouds: complete clouds, each ``(N, 3)`` (extra columns are ignored).
        frames: views per object.
        points_per_frame: points per view; visible points are subsampled without replacement, or
            repeated (drawn with replacement) when fewer are visible.
        elevation_deg: camera elevation above the horizontal plane.
        step_deg: azimuth step between views; ``None`` spreads ``frames`` views over 360 degrees.
        distance: camera distance from the centre, in bounding radii (must exceed 1).
        up: vertical axis of the objects, ``"x"``, ``"y"`` (ShapeNet) or ``"z"``.
        radius_exponent: hidden-point-removal parameter (see :func:`hidden_point_removal`).
        seed: seeds the start azimuth (per object) and the resampling (per object and frame).

    ``frame(s, t)`` returns ``Frame(points (points_per_frame, 3) float32, origin=None)``.
    """

    def __init__(
        self,
        clouds: CloudSet,
        frames: int = 8,
        points_per_frame: int = 2048,
        *,
        elevation_deg: float = 20.0,
        step_deg: float | None = None,
        distance: float = 3.0,
        up: str = "y",
        radius_exponent: float = 2.0,
        seed: int = 0,
    ):
        if frames < 1 or points_per_frame < 1:
            raise ConfigError(f"frames and points_per_frame must be >= 1, got {frames}, {points_per_frame}")
        if not distance > 1:
            raise ConfigError(f"distance is in bounding radii and must exceed 1, got {distance}")
        if up not in _UP_AXES:
            raise ConfigError(f"up must be one of x, y, z, got {up!r}")
        self.clouds = clouds
        self.frames = int(frames)
        self.points_per_frame = int(points_per_frame)
        self.elevation = np.deg2rad(elevation_deg)
        self.step = 2 * np.pi / frames if step_deg is None else np.deg2rad(step_deg)
        self.distance = float(distance)
        self.up = up
        self.radius_exponent = radius_exponent
        self.seed = seed

    def __len__(self) -> int:
        return len(self.clouds)

    def num_frames(self, s: int) -> int:
        return self.frames

    def _cloud(self, s: int) -> np.ndarray:
        cloud = check_cloud(self.clouds[s], None, f"cloud {s}")
        if len(cloud) < 4:
            raise DataError(None, f"cloud {s} has {len(cloud)} point(s); rendering views needs at least 4")
        return cloud

    def camera_position(self, s: int, t: int, cloud: np.ndarray | None = None) -> np.ndarray:
        """Camera centre ``(3,)`` float64 of view ``t`` of object ``s``, in the object's coordinates."""
        cloud = self._cloud(s) if cloud is None else cloud
        centre = (cloud.min(axis=0).astype(np.float64) + cloud.max(axis=0)) / 2
        radius = float(np.linalg.norm(cloud - centre, axis=1).max()) or 1.0
        start = np.random.default_rng([self.seed, s]).uniform(0, 2 * np.pi)
        azimuth = start + t * self.step
        up, a, b = _UP_AXES[self.up]
        direction = np.zeros(3)
        direction[a] = np.cos(self.elevation) * np.cos(azimuth)
        direction[b] = np.cos(self.elevation) * np.sin(azimuth)
        direction[up] = np.sin(self.elevation)
        return centre + self.distance * radius * direction

    def visible_indices(self, s: int, t: int) -> np.ndarray:
        """Indices (ascending) of the points of cloud ``s`` visible in view ``t``."""
        if not 0 <= t < self.frames:
            raise IndexError(f"frame {t} out of range for {self.frames} views")
        cloud = self._cloud(s)
        return hidden_point_removal(cloud, self.camera_position(s, t, cloud), self.radius_exponent)

    def frame(self, s: int, t: int) -> Frame:
        """View ``t`` of object ``s``: ``points_per_frame`` visible points in object coordinates."""
        cloud = self._cloud(s)
        if not 0 <= t < self.frames:
            raise IndexError(f"frame {t} out of range for {self.frames} views")
        visible = hidden_point_removal(cloud, self.camera_position(s, t, cloud), self.radius_exponent)
        rng = np.random.default_rng([self.seed, s, t, 1])
        n = self.points_per_frame
        if len(visible) >= n:
            chosen = visible[np.sort(rng.choice(len(visible), n, replace=False))]
        else:
            chosen = np.concatenate([visible, visible[rng.integers(0, len(visible), n - len(visible))]])
        return Frame(cloud[chosen], None)
