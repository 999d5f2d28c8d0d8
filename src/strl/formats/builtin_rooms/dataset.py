"""The built-in rooms: generated from a seed, cached as one ``.npz`` beside the built-in objects.

Two products, from disjoint sets of rooms (every room has its own generator, keyed by the seed,
the product and its index, so growing a size keeps the rooms it had):

* :meth:`RoomsData.frames` — pre-training: a depth camera walks through each of
  ``pretrain_rooms`` rooms; ``frames`` depth images (``uint16`` millimetres), camera-to-world
  poses and intrinsics in ScanNet's conventions, back-projected on demand by the same code as
  ScanNet frames (:class:`~strl.sequences.depth_points.DepthBackProjection`), as a
  :class:`~strl.formats.base.SequenceSet`;
* :meth:`RoomsData.scenes` — fine-tuning: labelled scans (:mod:`.scan`) of ``train_rooms`` /
  ``val_rooms`` / ``test_rooms`` other rooms, as :class:`~strl.formats.scenes.SceneSet`.

Everything is z up, in metres, with the room's floor centre at the origin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from strl.errors import ConfigError, DataError
from strl.formats.base import Frame
from strl.formats.builtin.dataset import (cache_entry_name, cache_folder, check_numbers, config_text, item_rng,
                                          load_or_build, read_cache, sized)
from strl.formats.io_utils import check_index
from strl.formats.scenes import Scene, box_vote_targets, make_scene
from strl.sequences.depth_points import DepthBackProjection
from strl.sequences.frame_points import check_max_points, registered_frame, seeded_subset

from .classes import BOX_CLASSES, NOMINAL_SIZES, SEMANTIC_CLASSES
from .furnish import furnish_room
from .scan import room_frames, scan_room
from .views import DepthCamera

GENERATOR_VERSION = 1  # bump whenever a change to the generator changes its output (it names the cache)
SPLITS = ("train", "val", "test")
PRODUCTS = {"frames": 0, "train": 1, "val": 2, "test": 3}
DEPTH_SCALE = 1000.0  # depth units per metre (millimetres, as ScanNet)


@dataclass(frozen=True)
class RoomsConfig:
    """What to generate.

    pretrain_rooms, frames: pre-training rooms and depth frames per room; image_width,
        image_height: their depth images (pixels).
    train_rooms, val_rooms, test_rooms: labelled rooms per split (none of them a pre-training room).
    scan_frames, scan_width, scan_hfov_deg: views (of ``scan_width`` x ``3/4 scan_width`` pixels,
        ``scan_hfov_deg`` degrees across: wide, so that a dozen views see most of a room) that
        decide which surfaces of a labelled room were seen.
    object_density: surface samples per square metre of the objects of pre-training rooms (what
        the depth camera renders).
    scene_density: points per square metre of floor, walls and objects in a labelled room (of
        which the scan keeps those it sees).
    depth_noise: scale of the depth sensor's noise model; point_noise: std (m) of the noise on
        labelled points.
    """

    seed: int = 0
    pretrain_rooms: int = 150
    frames: int = 10
    image_width: int = 96
    image_height: int = 72
    train_rooms: int = 100
    val_rooms: int = 30
    test_rooms: int = 60
    scan_frames: int = 12
    scan_width: int = 64
    scan_hfov_deg: float = 100.0
    object_density: float = 800.0
    scene_density: float = 300.0
    depth_noise: float = 1.0
    point_noise: float = 0.005

    def __post_init__(self):
        check_numbers(self, "builtin_rooms", ("pretrain_rooms", "frames", "train_rooms", "val_rooms", "test_rooms",
                                              "scan_frames", "object_density", "scene_density"))
        for name in ("image_width", "image_height", "scan_width"):
            if getattr(self, name) < 8:
                raise ConfigError(f"builtin_rooms.{name} must be at least 8 pixels, got {getattr(self, name)}")
        if not 10 <= self.scan_hfov_deg <= 160:
            raise ConfigError(f"builtin_rooms.scan_hfov_deg must be within 10..160 degrees, got {self.scan_hfov_deg}")

    @property
    def camera(self) -> DepthCamera:
        return DepthCamera(self.image_width, self.image_height)

    @property
    def scan_camera(self) -> DepthCamera:
        return DepthCamera(self.scan_width, max(6, self.scan_width * 3 // 4), self.scan_hfov_deg)

    def rooms(self, split: str) -> int:
        return getattr(self, f"{split}_rooms")

    def cache_name(self) -> str:
        return cache_entry_name("builtin-rooms", self, GENERATOR_VERSION, ".npz")


#: Named sizes: ``default`` for the laptop runs, ``small`` for tests and quick checks.
SIZES = {
    "default": {},
    "small": dict(pretrain_rooms=3, frames=4, image_width=64, image_height=48, train_rooms=3, val_rooms=1,
                  test_rooms=2, scan_frames=8, scan_width=40, object_density=600.0, scene_density=200.0),
}


def sized_config(size: str = "default", seed: int = 0) -> RoomsConfig:
    """The :class:`RoomsConfig` of a named size (a key of :data:`SIZES`)."""
    return sized(RoomsConfig, SIZES, size, seed, "built-in rooms")


def room_rng(seed: int, product: str, index: int) -> np.random.Generator:
    """The generator of room ``index`` of ``product`` (``frames`` or a split)."""
    return item_rng(seed, PRODUCTS, product, index)


def build_split(cfg: RoomsConfig, split: str) -> dict[str, np.ndarray]:
    """The labelled rooms of ``split``, concatenated: ``{split}_points`` (P, 3) float32,
    ``_semantic`` (P,) int8, ``_instance`` (P,) int16, ``_point_offsets`` (R + 1,), ``_boxes``
    (B, 7) float32, ``_box_classes`` (B,) int8, ``_box_offsets`` (R + 1,), ``_rooms`` (R, 3)
    float32 (half sizes and wall height) and ``_kinds`` (R,) str (room types)."""
    scans, rooms, kinds = [], [], []
    for i in range(cfg.rooms(split)):
        rng = room_rng(cfg.seed, split, i)
        room = furnish_room(rng, cfg.scene_density)
        scans.append(scan_room(rng, room, cfg.scan_frames, cfg.scan_camera, cfg.point_noise))
        rooms.append([*room.half, room.wall_height])
        kinds.append(room.kind)

    def offsets(key: str) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([len(s[key]) for s in scans])]).astype(np.int64)

    def joined(key: str, dtype) -> np.ndarray:
        return np.concatenate([s[key] for s in scans]).astype(dtype)

    return {f"{split}_points": joined("points", np.float32), f"{split}_semantic": joined("semantic", np.int8),
            f"{split}_instance": joined("instance", np.int16), f"{split}_point_offsets": offsets("points"),
            f"{split}_boxes": joined("boxes", np.float32).reshape(-1, 7),
            f"{split}_box_classes": joined("box_classes", np.int8), f"{split}_box_offsets": offsets("boxes"),
            f"{split}_rooms": np.array(rooms, dtype=np.float32), f"{split}_kinds": np.array(kinds)}


def class_mean_sizes(boxes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """``(C, 3)`` float32 mean box size per box class; :data:`NOMINAL_SIZES` for a class without boxes."""
    sums = np.zeros((len(BOX_CLASSES), 3))
    np.add.at(sums, classes.astype(np.int64), boxes[:, 3:6])
    counts = np.bincount(classes.astype(np.int64), minlength=len(BOX_CLASSES))[:, None]
    return np.where(counts > 0, sums / np.maximum(counts, 1), NOMINAL_SIZES).astype(np.float32)


def build_arrays(cfg: RoomsConfig) -> dict[str, np.ndarray]:
    """Generate every array of the built-in rooms (no caching): ``frame_depth`` (R, F, H, W)
    uint16 millimetres, ``frame_poses`` (R, F, 4, 4) camera-to-world, ``intrinsics`` (4,)
    ``(fx, fy, cx, cy)``, ``frame_rooms`` (R, 3), the arrays of :func:`build_split` for each split,
    ``mean_sizes`` (C, 3) float32 (training split's) and ``config``. BLAS runs on one thread
    meanwhile (its products here are thin, and threads only wait for each other)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _build_arrays(cfg)


def _build_arrays(cfg: RoomsConfig) -> dict[str, np.ndarray]:
    camera = cfg.camera
    depth = np.empty((cfg.pretrain_rooms, cfg.frames, *camera.shape), dtype=np.uint16)
    poses = np.empty((cfg.pretrain_rooms, cfg.frames, 4, 4))
    rooms = np.empty((cfg.pretrain_rooms, 3), dtype=np.float32)
    for r in range(cfg.pretrain_rooms):
        rng = room_rng(cfg.seed, "frames", r)
        room = furnish_room(rng, cfg.object_density)
        depth[r], poses[r] = room_frames(rng, room, cfg.frames, camera, cfg.depth_noise)
        rooms[r] = [*room.half, room.wall_height]
    out = {"frame_depth": depth, "frame_poses": poses, "intrinsics": np.array(camera.intrinsics),
           "frame_rooms": rooms}
    for split in SPLITS:
        out.update(build_split(cfg, split))
    out["mean_sizes"] = class_mean_sizes(out["train_boxes"], out["train_box_classes"])
    out["config"] = np.array(config_text(cfg))
    return out


def split_keys(split: str) -> tuple[str, ...]:
    return tuple(f"{split}_{k}" for k in ("points", "semantic", "instance", "point_offsets", "boxes", "box_classes",
                                          "box_offsets", "rooms", "kinds"))


def cache_is_valid(arrays: dict, cfg: RoomsConfig) -> bool:
    """Whether cached ``arrays`` have the shapes of ``cfg`` and consistent offsets."""
    r, f, (h, w) = cfg.pretrain_rooms, cfg.frames, cfg.camera.shape
    ok = (arrays["frame_depth"].shape == (r, f, h, w) and arrays["frame_poses"].shape == (r, f, 4, 4)
          and arrays["intrinsics"].shape == (4,) and arrays["mean_sizes"].shape == (len(BOX_CLASSES), 3))
    for split in SPLITS:
        n = cfg.rooms(split)
        p, b = arrays[f"{split}_point_offsets"], arrays[f"{split}_box_offsets"]
        ok = ok and p.shape == (n + 1,) and b.shape == (n + 1,) and arrays[f"{split}_rooms"].shape == (n, 3)
        ok = ok and p[-1] == len(arrays[f"{split}_points"]) == len(arrays[f"{split}_semantic"])
        ok = ok and b[-1] == len(arrays[f"{split}_boxes"]) == len(arrays[f"{split}_box_classes"])
        ok = ok and bool(np.isfinite(arrays[f"{split}_points"]).all())
    return bool(ok)


class RoomFrames:
    """Pre-training depth frames of the built-in rooms, a :class:`~strl.formats.base.SequenceSet`
    (one sequence per room, frames in path order).

    depth: ``(R, F, H, W)`` uint16 millimetres (0: no measurement); poses: ``(R, F, 4, 4)``
    camera-to-world; intrinsics: ``(fx, fy, cx, cy)``. ``max_points`` keeps a random subset of at
    most that many points per frame, seeded by ``(seed, room, frame)``. ``frame(s, t)`` returns
    ``Frame(points (N, 3) float32 world, origin (3,) float32 camera centre)``; ``stats`` counts the
    frames and pixels read.
    """

    def __init__(self, depth: np.ndarray, poses: np.ndarray, intrinsics, max_points: int | None = None, seed: int = 0):
        check_max_points(max_points)
        self.depth, self.poses = depth, poses
        self.intrinsics = tuple(float(v) for v in intrinsics)
        self.max_points, self.seed = max_points, seed
        self.names = [f"room{s:04d}" for s in range(len(depth))]
        self.stats = dict.fromkeys(("frames_read", "pixels_read", "pixels_no_depth", "pixels_beyond_max_depth"), 0)
        self._back_projection = DepthBackProjection(DEPTH_SCALE, None, 1, self.stats)

    def __len__(self) -> int:
        return len(self.depth)

    def num_frames(self, s: int) -> int:
        return self.depth.shape[1]

    def frame(self, s: int, t: int) -> Frame:
        """Frame ``t`` of room ``s``: its valid depth pixels in the room's frame."""
        s, t = check_index(s, len(self)), check_index(t, self.depth.shape[1])
        cam = self._back_projection.points_from_depth(self.depth[s, t], self.intrinsics)
        if cam is None:  # generation redraws paths whose frames see little; this is a broken cache
            raise DataError(None, f"built-in room {self.names[s]} frame {t} has no valid depth pixel")
        return registered_frame(seeded_subset(cam, self.max_points, self.seed, self.names[s], t), self.poses[s, t])


class RoomScenes:
    """Labelled scans of one split of the built-in rooms, a :class:`~strl.formats.scenes.SceneSet`.

    Semantic classes :data:`~.classes.SEMANTIC_CLASSES` (floor, wall, the box classes, clutter),
    box classes :data:`~.classes.BOX_CLASSES`, ``mean_sizes`` ``(10, 3)`` the training split's
    mean box sizes. ``scene(i)`` has no colours; instance ``k < K`` is the object of box ``k`` and
    the votes point from each of its points to that box's centre. ``rooms`` ``(R, 3)``: half sizes
    and wall height; ``kinds``: room types.
    """

    semantic_class_names = list(SEMANTIC_CLASSES)
    box_class_names = list(BOX_CLASSES)

    def __init__(self, arrays: dict, split: str, mean_sizes: np.ndarray):
        self.split = split
        (self._points, self._semantic, self._instance, self._point_offsets, self._boxes, self._box_classes,
         self._box_offsets, self.rooms, kinds) = (arrays[k] for k in split_keys(split))
        self.kinds = [str(k) for k in kinds]
        self.mean_sizes = mean_sizes
        self.names = [f"{split}{i:04d}" for i in range(len(self.rooms))]

    def __len__(self) -> int:
        return len(self.rooms)

    def scene(self, i: int) -> Scene:
        i = check_index(i, len(self))
        p0, p1 = self._point_offsets[i], self._point_offsets[i + 1]
        b0, b1 = self._box_offsets[i], self._box_offsets[i + 1]
        points = self._points[p0:p1].copy()
        instance = self._instance[p0:p1].astype(np.int64)
        boxes = self._boxes[b0:b1].copy()
        votes, mask = box_vote_targets(points, instance, boxes)
        return make_scene(f"builtin-rooms {self.names[i]}", self.names[i], points,
                          semantic=self._semantic[p0:p1].astype(np.int64), instance=instance, boxes=boxes,
                          box_classes=self._box_classes[b0:b1].astype(np.int64), votes=votes, vote_mask=mask,
                          num_semantic=len(SEMANTIC_CLASSES), num_box_classes=len(BOX_CLASSES))


class RoomsData:
    """The built-in rooms of ``cfg``, loaded from ``cache_dir`` or generated and cached there
    (``cache_dir`` defaults to :func:`~strl.formats.builtin.default_cache_dir`; the file is ``cache_path``)."""

    def __init__(self, cfg: RoomsConfig = RoomsConfig(), cache_dir: str | os.PathLike | None = None):
        self.cfg = cfg
        self.cache_path = cache_folder(cache_dir) / cfg.cache_name()
        keys = ("frame_depth", "frame_poses", "intrinsics", "frame_rooms", "mean_sizes",
                *(k for split in SPLITS for k in split_keys(split)))
        self._arrays, self.from_cache = load_or_build(
            self.cache_path, lambda: read_cache(self.cache_path, keys, cfg, lambda a: cache_is_valid(a, cfg)),
            lambda: build_arrays(cfg), "the built-in rooms")
        self.semantic_class_names = list(SEMANTIC_CLASSES)
        self.box_class_names = list(BOX_CLASSES)

    @property
    def mean_sizes(self) -> np.ndarray:
        return self._arrays["mean_sizes"]

    def frames(self, max_points: int | None = None, seed: int = 0) -> RoomFrames:
        """The pre-training depth frames (see :class:`RoomFrames`)."""
        a = self._arrays
        return RoomFrames(a["frame_depth"], a["frame_poses"], a["intrinsics"], max_points, seed)

    def scenes(self, split: str) -> RoomScenes:
        """The labelled rooms of ``split`` (``"train"``, ``"val"`` or ``"test"``)."""
        if split not in SPLITS:
            raise ConfigError(f"unknown built-in rooms split {split!r}; valid splits: {', '.join(SPLITS)}")
        return RoomScenes(self._arrays, split, self.mean_sizes)


def load_rooms(size: str = "default", seed: int = 0, cache_dir: str | os.PathLike | None = None) -> RoomsData:
    """The built-in rooms of a named size (:data:`SIZES`), generated once and then cached."""
    return RoomsData(sized_config(size, seed), cache_dir=cache_dir or None)

