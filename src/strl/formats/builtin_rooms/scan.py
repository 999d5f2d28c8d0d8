"""The two products of a furnished room: RGB-D frames along a camera path, and a labelled scan.

* :func:`room_frames`: depth images (``uint16`` millimetres) and camera-to-world poses of a camera
  walking part of a loop through the room (:func:`~.views.clear_path`); a path whose frames see
  too little (less than half the pixels valid) is redrawn.
* :func:`scan_room`: the room's surfaces as a reconstruction from a full scan would hold them:
  points spread evenly over floor, walls and objects (the room's sample density), of which only
  those seen by at least one of ``scan_frames`` cameras on two loops (an inner one looking out at
  the walls, an outer one looking down and in across the room) are kept, so the floor under a bed,
  the wall behind a bookshelf and the inner faces of furniture are missing as in ScanNet (the scan
  cameras' depth images are drawn from these points too: sparser than the frames' samples, enough
  for their small images). Each point carries its semantic class and instance id; instance
  ``k < K`` is the object of box ``k``. An object gets a box when the scan holds at least
  :data:`MIN_BOX_POINTS` of its points (ScanNet's boxes come from scanned points, too); clutter
  and unseen objects have instance ids from ``K`` on and no box.
"""

from __future__ import annotations

import numpy as np

from .classes import BOX_CLASSES, FLOOR, WALL, semantic_of
from .furnish import Room
from .render import NEAR, ObjectSamples, render_depth, sensor_depth
from .shapes import rotated
from .views import DepthCamera, clear_path, look_at

MIN_BOX_POINTS = 10  # an object of a box class gets a box when the scan holds this many of its points


def object_samples(room: Room) -> ObjectSamples:
    """All objects of ``room`` as one :class:`ObjectSamples`."""
    spacing = room.spacing
    if not room.objects:
        return ObjectSamples(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, bool), np.zeros(0, np.int64), spacing)
    worlds = [o.world() for o in room.objects]
    owner = np.repeat(np.arange(len(room.objects)), [len(p) for p, _ in worlds])
    return ObjectSamples(np.concatenate([p for p, _ in worlds]), np.concatenate([n for _, n in worlds]),
                         np.concatenate([o.shape.two_sided for o in room.objects]), owner, spacing)


def room_frames(rng: np.random.Generator, room: Room, frames: int, camera: DepthCamera, noise: float = 1.0,
                tries: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``depth (frames, H, W)`` uint16 millimetres and ``poses (frames, 4, 4)`` camera-to-world
    of a camera path through ``room``; ``noise`` scales the sensor noise."""
    samples = object_samples(room)
    for _ in range(tries):
        poses = look_at(*clear_path(rng, room.half, room.objects, frames))
        depth = np.stack([sensor_depth(render_depth(room, samples, p, camera), rng, noise) for p in poses])
        if ((depth > 0).mean(axis=(1, 2)) >= 0.5).all():
            break
    return depth, poses


def plane_samples(rng: np.random.Generator, room: Room, density: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points spread evenly over the floor and the inner faces of the walls: ``points (M, 3)``,
    inward ``normals (M, 3)`` and ``semantic (M,)`` (floor or wall)."""
    hx, hy = room.half
    h = room.wall_height
    n_floor = rng.poisson(density * 4 * hx * hy)
    floor = np.column_stack([rng.uniform(-hx, hx, n_floor), rng.uniform(-hy, hy, n_floor), np.zeros(n_floor)])
    n_x, n_y = rng.poisson(density * 2 * hy * h, 2), rng.poisson(density * 2 * hx * h, 2)
    walls, normals = [], []
    for count, x in zip(n_x, (hx, -hx)):
        walls.append(np.column_stack([np.full(count, x), rng.uniform(-hy, hy, count), rng.uniform(0, h, count)]))
        normals.append(np.tile([-np.sign(x), 0.0, 0.0], (count, 1)))
    for count, y in zip(n_y, (hy, -hy)):
        walls.append(np.column_stack([rng.uniform(-hx, hx, count), np.full(count, y), rng.uniform(0, h, count)]))
        normals.append(np.tile([0.0, -np.sign(y), 0.0], (count, 1)))
    points = np.concatenate([floor, *walls])
    normals = np.concatenate([np.tile([0.0, 0.0, 1.0], (n_floor, 1)), *normals])
    semantic = np.concatenate([np.full(n_floor, FLOOR), np.full(len(points) - n_floor, WALL)])
    return points, normals, semantic


def seen_by(points: np.ndarray, normals: np.ndarray, two_sided: np.ndarray, depth: np.ndarray, pose: np.ndarray,
            camera: DepthCamera) -> np.ndarray:
    """``(M,)`` bool: which ``points`` the camera at ``pose`` sees, given its rendered ``depth``
    ``(H, W)``: in the image, facing it (or two-sided), and not behind the surface it sees there
    (3 cm plus 1 % of the distance of slack)."""
    fx, fy, cx, cy = camera.intrinsics
    h, w = camera.shape
    rel = points - pose[:3, 3].astype(points.dtype)
    cam = rotated(rel, pose[:3, :3].T)
    x, y, z = cam.T
    # in front of the camera and in the image: -0.5 <= fx x / z + cx < w - 0.5, likewise for y
    inside = (z > NEAR) & (fx * x >= (-0.5 - cx) * z) & (fx * x < (w - 0.5 - cx) * z)
    inside &= (fy * y >= (-0.5 - cy) * z) & (fy * y < (h - 0.5 - cy) * z)
    index = np.flatnonzero(inside)
    index = index[two_sided[index] | (np.einsum("ij,ij->i", normals[index], rel[index]) < 0)]
    z = z[index]
    u = np.clip(np.rint(fx * x[index] / z + cx), 0, w - 1).astype(np.int64)
    v = np.clip(np.rint(fy * y[index] / z + cy), 0, h - 1).astype(np.int64)
    seen = np.zeros(len(points), dtype=bool)
    seen[index] = z <= depth[v, u] + 0.03 + 0.01 * z
    return seen


def scan_room(rng: np.random.Generator, room: Room, scan_frames: int, camera: DepthCamera,
              point_noise: float) -> dict[str, np.ndarray]:
    """The labelled scan of ``room`` (see the module docstring), whose objects' samples and
    ``room.density`` points per square metre of floor and walls are the candidate points:
    ``points (N, 3)`` float32 (with Gaussian noise of std ``point_noise``), ``semantic (N,)``,
    ``instance (N,)`` (-1 on floor and walls), ``boxes (K, 7)`` float32 and ``box_classes (K,)``
    (indices into the box classes)."""
    objects = object_samples(room)
    plane_points, plane_normals, plane_semantic = plane_samples(rng, room, room.density)
    points = np.concatenate([plane_points.astype(np.float32), objects.points])
    normals = np.concatenate([plane_normals.astype(np.float32), objects.normals])
    two_sided = np.concatenate([np.zeros(len(plane_points), bool), objects.two_sided])
    kinds = np.array([semantic_of(o.kind) for o in room.objects], dtype=np.int64)
    semantic = np.concatenate([plane_semantic, kinds[objects.owner]])
    instance = np.concatenate([np.full(len(plane_points), -1), objects.owner])
    half = scan_frames // 2
    loops = ((scan_frames - half, True, (0.2, 0.5), (0.0, 45.0)), (half, False, (0.5, 0.8), (25.0, 60.0)))
    paths = [clear_path(rng, room.half, room.objects, n, arc_deg=(300.0, 360.0), outward=out, radius=r, pitch_deg=p)
             for n, out, r, p in loops if n > 0]
    seen = np.zeros(len(points), dtype=bool)
    for pose in look_at(np.concatenate([p for p, _ in paths]), np.concatenate([t for _, t in paths])):
        seen |= seen_by(points, normals, two_sided, render_depth(room, objects, pose, camera), pose, camera)
    order = rng.permutation(np.flatnonzero(seen))
    counts = np.bincount(instance[order][instance[order] >= 0], minlength=len(room.objects))
    boxed = np.array([o.has_box for o in room.objects], dtype=bool) & (counts >= MIN_BOX_POINTS)
    renumber = np.concatenate([np.flatnonzero(boxed), np.flatnonzero(~boxed)])  # boxes first
    new_id = np.empty(len(room.objects) + 1, dtype=np.int64)
    new_id[renumber] = np.arange(len(renumber))
    new_id[-1] = -1  # index -1: floor and walls stay -1
    return {"points": (points[order] + rng.normal(0, point_noise, (len(order), 3))).astype(np.float32),
            "semantic": semantic[order], "instance": new_id[instance[order]],
            "boxes": np.array([room.objects[k].box7 for k in np.flatnonzero(boxed)], dtype=np.float32).reshape(-1, 7),
            "box_classes": np.array([BOX_CLASSES.index(room.objects[k].kind) for k in np.flatnonzero(boxed)],
                                    dtype=np.int64)}
