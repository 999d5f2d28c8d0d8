"""Depth images of a furnished room.

Depth is the camera-frame z of the first surface along each pixel's ray (the ray of
:func:`strl.sequences.depth_points.pixel_rays`, so back-projecting a rendered image gives the
surface points). Floor and walls are planes, intersected exactly; a ray that leaves the room over
the walls (there is no ceiling) sees nothing. Objects are drawn from their dense surface samples
(z-buffer splats): each sample that faces the camera is a disc in its tangent plane, 1.5 sample
spacings in radius, drawn at the depth where each pixel's ray meets it, so the surface shows no
holes, the surfaces behind it do not shine through and slanted surfaces keep their depth
(outlines grow by at most a disc radius, like the mixed pixels at a depth sensor's edges).

:func:`sensor_depth` turns a rendered image into what a structured-light sensor would store:
millimetres in ``uint16``, 0 where there is no measurement (nearer than 0.3 m, farther than 8 m,
or a random 1 % of pixels), with the axial noise of a Kinect, ``0.0012 + 0.0019 (z - 0.4)^2``
metres (Nguyen, Izadi and Lovell, 2012).
"""

from __future__ import annotations

import functools

import numpy as np

from strl.sequences.depth_points import pixel_rays

from .shapes import rotated

NEAR, MIN_DEPTH, MAX_DEPTH = 0.05, 0.3, 8.0
RADIUS, MAX_SPLAT = 1.5, 12  # splat radius in sample spacings; largest splat side in pixels


def room_depth(half: np.ndarray, wall_height: float, pose: np.ndarray, rays: np.ndarray) -> np.ndarray:
    """Depth ``(H, W)`` of floor and walls of the room ``|x| <= half[0]``, ``|y| <= half[1]``, ``0 <= z``
    from the camera ``pose`` (4x4, inside the room below the wall tops); ``rays`` ``(H, W, 3)`` are the
    pixels' camera rays with z = 1. ``inf`` where the ray leaves over the walls."""
    d = rotated(rays, pose[:3, :3])
    o = pose[:3, 3]
    bounds = np.concatenate([half, [0.0]])
    tops = np.concatenate([half, [wall_height]])
    with np.errstate(divide="ignore", invalid="ignore"):
        exit_t = np.where(d > 0, (tops - o) / d, np.where(d < 0, (-bounds - o) / d, np.inf))
    # z: the floor when looking down, the (open) top when looking up
    nearest = exit_t.min(axis=-1)
    return np.where((d[..., 2] > 0) & (exit_t[..., 2] <= nearest), np.inf, nearest)


class ObjectSamples:
    """The objects of a room as one dense surface sample, with a bounding sphere per object for
    culling. points, normals ``(M, 3)`` float32, two_sided ``(M,)`` bool, owner ``(M,)`` int64 (the
    object of each point, contiguous), spacing: mean distance between neighbouring samples (m)."""

    def __init__(self, points, normals, two_sided, owner, spacing: float):
        self.points = np.ascontiguousarray(points, dtype=np.float32)
        self.normals = np.ascontiguousarray(normals, dtype=np.float32)
        self.two_sided, self.owner, self.spacing = two_sided, owner, spacing
        if len(owner):  # every object has samples, stored one object after the other
            starts = np.flatnonzero(np.diff(owner, prepend=-1))
            lo = np.minimum.reduceat(self.points, starts, axis=0).astype(np.float64)
            hi = np.maximum.reduceat(self.points, starts, axis=0).astype(np.float64)
            self.centers, self.radii = (lo + hi) / 2, np.linalg.norm(hi - lo, axis=1) / 2
        else:
            self.centers, self.radii = np.zeros((0, 3)), np.zeros(0)

    def in_view(self, pose: np.ndarray, camera) -> np.ndarray:
        """Indices of the samples of the objects whose bounding sphere meets the view of ``camera`` at ``pose``."""
        fx, fy, cx, cy = camera.intrinsics
        h, w = camera.shape
        c = rotated(self.centers - pose[:3, 3], pose[:3, :3].T)  # camera frame
        x_edge, y_edge = max(cx, w - 1 - cx) / fx, max(cy, h - 1 - cy) / fy
        # distance of the centre outside each side plane of the frustum (planes through the camera)
        out_x = (np.abs(c[:, 0]) - x_edge * c[:, 2]) / np.hypot(1.0, x_edge)
        out_y = (np.abs(c[:, 1]) - y_edge * c[:, 2]) / np.hypot(1.0, y_edge)
        visible = (c[:, 2] > NEAR - self.radii) & (out_x < self.radii) & (out_y < self.radii)
        return np.flatnonzero(visible[self.owner])


def splat_depth(samples: ObjectSamples, pose: np.ndarray, camera) -> np.ndarray:
    """Depth ``(H, W)`` of the surface sampled by ``samples`` from the camera ``pose``, seen by
    ``camera`` (a :class:`~.views.DepthCamera`); ``inf`` where nothing is.

    Each sample facing the camera is a disc of :data:`RADIUS` sample spacings in its tangent plane:
    a pixel gets the depth where its ray meets that plane if the meeting point lies on the disc, so
    a surface seen at a slant keeps its true depth and reaches at most one disc radius past its
    outline."""
    h, w = camera.shape
    fx, fy, cx, cy = camera.intrinsics
    index = samples.in_view(pose, camera)
    rot = pose[:3, :3].astype(np.float32)
    rel = samples.points[index] - pose[:3, 3].astype(np.float32)
    normals = samples.normals[index]
    z = np.einsum("ij,j->i", rel, rot[:, 2])
    keep = (z > NEAR) & (samples.two_sided[index] | (np.einsum("ij,ij->i", normals, rel) < 0))
    cam, normals, z = rotated(rel[keep], rot.T), rotated(normals[keep], rot.T), z[keep]
    u, v = fx * cam[:, 0] / z + cx, fy * cam[:, 1] / z + cy
    n = np.clip(np.ceil(2 * RADIUS * samples.spacing * fx / z), 1, MAX_SPLAT).astype(np.int64)  # splat side, pixels
    u0 = np.floor(u - (n - 1) / 2 + 0.5).astype(np.int64)  # first column and row of each splat
    v0 = np.floor(v - (n - 1) / 2 + 0.5).astype(np.int64)
    seen = (u0 + n > 0) & (u0 < w) & (v0 + n > 0) & (v0 < h)
    u0, v0, z, n, cam, normals = u0[seen], v0[seen], z[seen], n[seen], cam[seen], normals[seen]
    # pixel (u0 + du, v0 + dv) has the ray (x0 + du / fx, y0 + dv / fy, 1); it meets the tangent plane
    # n . X = n . p at depth t = (n . p) / (c + a du + b dv), with a = nx / fx, b = ny / fy, c = n . ray(u0, v0)
    x0, y0 = (u0 - cx) / fx, (v0 - cy) / fy
    plane = np.einsum("ij,ij->i", normals, cam)
    a, b = normals[:, 0] / fx, normals[:, 1] / fy
    c = normals[:, 0] * x0 + normals[:, 1] * y0 + normals[:, 2]
    radius2 = (RADIUS * samples.spacing) ** 2
    zbuf = np.full(h * w, np.inf)
    for size in np.unique(n):  # splats of one size at once: (samples, size * size) arrays
        pick = n == size
        du, dv = (g.ravel() for g in np.meshgrid(np.arange(size), np.arange(size)))
        uu, vv = u0[pick, None] + du, v0[pick, None] + dv
        with np.errstate(divide="ignore", invalid="ignore"):
            t = plane[pick, None] / (c[pick, None] + a[pick, None] * du + b[pick, None] * dv)
        p = cam[pick]
        dx = t * (x0[pick, None] + du / fx) - p[:, :1]
        dy = t * (y0[pick, None] + dv / fy) - p[:, 1:2]
        dz = t - p[:, 2:]
        keep = (uu >= 0) & (uu < w) & (vv >= 0) & (vv < h) & (t > NEAR) & (dx * dx + dy * dy + dz * dz <= radius2)
        np.minimum.at(zbuf, (vv * w + uu)[keep], t[keep].astype(np.float64))
    return zbuf.reshape(h, w)


@functools.lru_cache(maxsize=8)
def camera_rays(camera) -> np.ndarray:
    """``(H, W, 3)`` camera rays ``(xf, yf, 1)`` of every pixel of ``camera`` (read-only)."""
    xf, yf = pixel_rays(camera.intrinsics, camera.shape)
    rays = np.stack([xf, yf, np.ones_like(xf)], axis=-1)
    rays.flags.writeable = False
    return rays


def render_depth(room, samples: ObjectSamples, pose: np.ndarray, camera) -> np.ndarray:
    """Depth ``(H, W)`` float64 metres (``inf``: nothing) of ``room`` (a :class:`~.furnish.Room`)
    whose objects are sampled as ``samples``, from ``pose``, seen by ``camera``."""
    walls = room_depth(room.half, room.wall_height, pose, camera_rays(camera))
    return np.minimum(walls, splat_depth(samples, pose, camera))


def sensor_depth(depth: np.ndarray, rng: np.random.Generator, noise: float = 1.0, dropout: float = 0.01) -> np.ndarray:
    """A rendered ``depth`` (metres) as a sensor's ``uint16`` millimetres (see the module docstring);
    ``noise`` scales the axial noise model."""
    finite = np.isfinite(depth)
    z = np.where(finite, depth, 0.0)
    z = z + rng.normal(0.0, 1.0, z.shape) * noise * (0.0012 + 0.0019 * (z - 0.4) ** 2)
    valid = finite & (z >= MIN_DEPTH) & (z <= MAX_DEPTH) & (rng.random(z.shape) >= dropout)
    return np.where(valid, np.clip(np.rint(z * 1000.0), 1, 65535), 0).astype(np.uint16)
