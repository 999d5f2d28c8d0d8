"""The built-in streets on disk: generated once from a seed into the strl cache, in KITTI's layouts.

::

    <cache>/builtin-streets-<version>-<seed>-<fingerprint>/
        config.json                      the configuration and a summary (written last: the folder is complete)
        object/training/velodyne/NNNNNN.bin, label_2/, calib/, image_2/, planes/
        object/ImageSets/train.txt, val.txt
        odometry/sequences/NN/velodyne/NNNNNN.bin, calib.txt, times.txt
        odometry/poses/NN.txt

``object/`` is the KITTI object layout (labelled frames for fine-tuning; read it with
:class:`strl.formats.kitti_object.KittiObjectDataset`), ``odometry/`` the KITTI odometry layout
(sweep sequences at 10 Hz with poses for pre-training; read it with
:class:`strl.sequences.kitti.KittiSequences`). Every street has its own generator, keyed by the
seed, the product (pre-training sequences, train frames, val frames) and its index, so the
labelled frames come from streets pre-training never sees, and growing a size keeps what it had.
A folder is built under a temporary name and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strl.errors import ConfigError
from strl.formats.builtin.dataset import (cache_entry_name, cache_folder, check_numbers, config_fingerprint, item_rng,
                                          sized)
from strl.formats.kitti_calib import write_calibration
from strl.formats.kitti_labels import write_label_file
from strl.formats.kitti_object import write_road_plane
from strl.sequences.kitti_files import write_odometry_calib, write_poses, write_sweep

from .calibration import IMAGE_SHAPE, road_plane, street_calibration
from .labels import FrameObjects, frame_labels
from .lidar import LidarSpec, scan, sensor_to_world
from .street import Street, random_street

GENERATOR_VERSION = 1  # bump whenever a change to the generator changes its output (it names the cache)
PRODUCTS = {"sequences": 0, "train": 1, "val": 2}
SWEEP_PERIOD = 0.1  # seconds between sweeps (10 Hz)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreetsConfig:
    """What to generate.

    sequences, sweeps: pre-training streets and sweeps per street (10 Hz).
    train_frames, val_frames: labelled frames, each from its own street.
    beams, azimuth_steps, max_range, range_noise: the LiDAR (:class:`~.lidar.LidarSpec`; its field
        of view, mounting height and the other values are KITTI's).
    """

    seed: int = 0
    sequences: int = 6
    sweeps: int = 50
    train_frames: int = 200
    val_frames: int = 100
    beams: int = 32
    azimuth_steps: int = 1024
    max_range: float = 70.0
    range_noise: float = 0.02

    def __post_init__(self):
        check_numbers(self, "builtin_streets", ("sequences", "sweeps", "train_frames", "val_frames", "beams",
                                                "azimuth_steps"))
        if self.max_range <= LidarSpec.min_range:
            raise ConfigError(f"builtin_streets.max_range must exceed {LidarSpec.min_range} m, got {self.max_range}")

    def lidar(self) -> LidarSpec:
        return LidarSpec(beams=self.beams, azimuth_steps=self.azimuth_steps, max_range=self.max_range,
                         range_noise=self.range_noise)

    def fingerprint(self) -> str:
        """A short hash of every field and the generator version: the cache key."""
        return config_fingerprint(self, GENERATOR_VERSION)

    def cache_name(self) -> str:
        return cache_entry_name("builtin-streets", self, GENERATOR_VERSION)


SIZES = {
    "small": dict(sequences=2, sweeps=4, train_frames=4, val_frames=2, beams=16, azimuth_steps=512, max_range=50.0),
    "default": {},
    "full": dict(beams=64, azimuth_steps=2048, max_range=120.0),  # KITTI's HDL-64E
}


def sized_config(size: str = "default", seed: int = 0) -> StreetsConfig:
    """The :class:`StreetsConfig` of a named size (:data:`SIZES`)."""
    return sized(StreetsConfig, SIZES, size, seed, "built-in streets")


def street_rng(seed: int, product: str, index: int) -> np.random.Generator:
    """The generator of street ``index`` of ``product`` (:data:`PRODUCTS`)."""
    return item_rng(seed, PRODUCTS, product, index)


def _street(cfg: StreetsConfig, rng: np.random.Generator, duration: float) -> Street:
    return random_street(rng, duration, cfg.max_range + 10.0)


def write_sequence(root: Path, index: int, cfg: StreetsConfig) -> list[int]:
    """Pre-training street ``index`` as odometry sequence ``NN`` under ``root``; the points of each sweep.

    Poses follow the odometry devkit: ``P_i`` is camera 0's pose in frame 0's camera frame, so
    ``P_i @ Tr`` maps sweep ``i``'s LiDAR frame into it, with ``Tr`` = LiDAR -> rectified camera 0.
    """
    rng = street_rng(cfg.seed, "sequences", index)
    spec = cfg.lidar()
    street = _street(cfg, rng, (cfg.sweeps - 1) * SWEEP_PERIOD)
    name = f"{index:02d}"
    folder = root / "sequences" / name
    (folder / "velodyne").mkdir(parents=True)
    calib = street_calibration()
    tr = calib.lidar_to_rect_matrix
    to_world, sizes = [], []
    for k in range(cfg.sweeps):
        t = k * SWEEP_PERIOD
        pose = street.ego.pose(t)
        sweep = scan(street.solids_at(t), pose, spec, rng, street.ground_reflectance)
        write_sweep(folder / "velodyne" / f"{k:06d}.bin", sweep.points)
        to_world.append(sensor_to_world(pose, spec.height))
        sizes.append(len(sweep.points))
    first = np.linalg.inv(to_world[0])
    poses = np.stack([tr @ first @ m @ np.linalg.inv(tr) for m in to_world])
    (root / "poses").mkdir(exist_ok=True)
    write_poses(root / "poses" / f"{name}.txt", poses)
    write_odometry_calib(folder / "calib.txt", tr, {k: getattr(calib, k) for k in ("P0", "P1", "P2", "P3")})
    (folder / "times.txt").write_text("".join(f"{k * SWEEP_PERIOD:.6e}\n" for k in range(cfg.sweeps)))
    return sizes


def blank_image(shape=IMAGE_SHAPE) -> bytes:
    """A PNG of ``shape`` (height, width): sky above the horizon row of P2, road grey below."""
    import io

    from PIL import Image

    height, width = shape
    image = Image.new("RGB", (width, height), (150, 170, 190))
    horizon = int(round(street_calibration().P2[1, 2]))
    image.paste((95, 95, 100), (0, horizon, width, height))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_object_frame(training: Path, frame_id: str, product: str, index: int, cfg: StreetsConfig,
                       image: bytes) -> tuple[FrameObjects, int]:
    """Labelled frame ``index`` of ``product`` (``train`` or ``val``) as ``frame_id`` in ``training/``;
    returns its labelled objects and its number of points."""
    rng = street_rng(cfg.seed, product, index)
    spec = cfg.lidar()
    street = _street(cfg, rng, 0.0)
    pose = street.ego.pose(0.0)
    sweep = scan(street.solids_at(0.0), pose, spec, rng, street.ground_reflectance)
    calib = street_calibration()
    objects = frame_labels(street.agents.names, street.agents.boxes_at(0.0), sweep, sensor_to_world(pose, spec.height),
                           calib, IMAGE_SHAPE)
    write_sweep(training / "velodyne" / f"{frame_id}.bin", sweep.points)
    write_label_file(training / "label_2" / f"{frame_id}.txt", objects.labels)
    write_calibration(training / "calib" / f"{frame_id}.txt", calib)
    (training / "image_2" / f"{frame_id}.png").write_bytes(image)
    write_road_plane(training / "planes" / f"{frame_id}.txt", road_plane(calib, spec.height))
    return objects, len(sweep.points)


def build_streets(folder: Path, cfg: StreetsConfig) -> dict:
    """Write everything of ``cfg`` into the empty ``folder`` (``object/``, ``odometry/``, then
    ``config.json``); returns the summary written there."""
    start = time.perf_counter()
    folder = Path(folder)
    odometry = folder / "odometry"
    sweep_points = [n for i in range(cfg.sequences) for n in write_sequence(odometry, i, cfg)]
    sequences_seconds = time.perf_counter() - start
    training = folder / "object" / "training"
    for sub in ("velodyne", "label_2", "calib", "image_2", "planes"):
        (training / sub).mkdir(parents=True)
    image = blank_image()
    summary: dict = {"sequences": {"sweeps": len(sweep_points), "points_per_sweep": _spread(sweep_points)}}
    ids = {"train": [], "val": []}
    for product, count in (("train", cfg.train_frames), ("val", cfg.val_frames)):
        classes: Counter = Counter()
        points = []
        for i in range(count):
            frame_id = f"{len(ids['train']) + len(ids['val']):06d}"
            objects, n = write_object_frame(training, frame_id, product, i, cfg, image)
            ids[product].append(frame_id)
            classes.update(objects.labels.name.tolist())
            points.append(n)
        summary[product] = {"frames": count, "points_per_frame": _spread(points),
                            "objects": dict(sorted(classes.items())),
                            "objects_per_frame": {k: round(v / count, 2) for k, v in sorted(classes.items())}}
    sets = folder / "object" / "ImageSets"
    sets.mkdir()
    for product, frame_ids in ids.items():
        (sets / f"{product}.txt").write_text("\n".join(frame_ids))  # no final newline, as the released files
    summary["seconds"] = {"sequences": round(sequences_seconds, 1), "total": round(time.perf_counter() - start, 1)}
    record = {"version": GENERATOR_VERSION, "config": dataclasses.asdict(cfg), "summary": summary}
    (folder / "config.json").write_text(json.dumps(record, indent=1) + "\n")
    return summary


def _spread(values: list[int]) -> dict:
    v = np.asarray(values if values else [0])
    return {"min": int(v.min()), "mean": round(float(v.mean()), 1), "max": int(v.max())}


def _complete(folder: Path, cfg: StreetsConfig) -> bool:
    try:
        record = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return record.get("version") == GENERATOR_VERSION and record.get("config") == dataclasses.asdict(cfg)


def builtin_streets_root(seed: int = 0, size: str = "default", cache_dir: str | os.PathLike | None = None,
                         config: StreetsConfig | None = None) -> Path:
    """The folder of the built-in streets (``object/`` and ``odometry/``), generated on first use.

    ``config`` overrides ``seed`` and ``size``; ``cache_dir`` defaults to
    :func:`strl.formats.builtin.default_cache_dir` (``$STRL_CACHE_DIR`` or ``~/.cache/strl``).
    """
    cfg = config if config is not None else sized_config(size, seed)
    cache = cache_folder(cache_dir or None)  # an empty string too means the default folder
    final = cache / cfg.cache_name()
    if _complete(final, cfg):
        return final
    cache.mkdir(parents=True, exist_ok=True)
    log.info("generating the built-in streets into %s", final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{cfg.cache_name()}.", dir=cache))
    try:
        build_streets(tmp, cfg)
        if final.exists() and not _complete(final, cfg):  # left by an older or broken run
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(tmp, final)
        except OSError:
            if not _complete(final, cfg):  # another process finished first: use its folder
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def builtin_streets_object_root(seed: int = 0, size: str = "default",
                                cache_dir: str | os.PathLike | None = None) -> Path:
    """The labelled frames in the KITTI object layout (``training/``, ``ImageSets/{train,val}.txt``)."""
    return builtin_streets_root(seed, size, cache_dir) / "object"


def builtin_streets_sequences(seed: int = 0, size: str = "default", cache_dir: str | os.PathLike | None = None,
                              subset_seed: int = 0, **options):
    """The pre-training sweeps as a :class:`~strl.sequences.kitti.KittiSequences` (a SequenceSet of
    ``(N, 3)`` world points and sensor origins). ``seed`` names the streets; ``subset_seed`` is the
    reader's ``seed`` (of its ``max_points`` subsets) and ``options`` its other arguments
    (``min_range``, ``max_range``, ``ground``, ``ground_height``, ``max_points``)."""
    from strl.sequences.kitti import KittiSequences

    return KittiSequences(builtin_streets_root(seed, size, cache_dir) / "odometry", seed=subset_seed, **options)


def summary(root: str | os.PathLike) -> dict:
    """The summary of a built-in streets folder (objects per class, points per sweep, seconds taken)."""
    return json.loads((Path(root) / "config.json").read_text())["summary"]
