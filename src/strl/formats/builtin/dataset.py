"""The built-in dataset: generated from a seed, cached as one ``.npz``, no download.

* :meth:`BuiltinData.sequences` — pre-training data: each object seen by a depth camera moving
  along an arc, one partial cloud per camera position, in path order, in the object's frame.
* :meth:`BuiltinData.clouds` — evaluation data: complete labelled objects (other objects than
  the pre-training ones), split into ``"train"`` and ``"test"``.

All clouds are y-up, centred and inside the unit ball.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from strl.errors import ConfigError
from strl.formats.base import Frame

from .camera import depth_frames
from .classes import CLASS_NAMES
from .objects import object_rng, random_object, unit_ball

GENERATOR_VERSION = 1  # bump whenever a change to the generator changes its output (it names the cache)
SPLITS = ("train", "test")
log = logging.getLogger(__name__)


def check_numbers(cfg, prefix: str, at_least_one: tuple[str, ...] = ()) -> None:
    """ConfigError unless every ``int`` / ``float`` field of the dataclass ``cfg`` holds a finite
    number >= 0 of its type, and the fields ``at_least_one`` are >= 1; messages name ``prefix.field``."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.type == "int" and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
            raise ConfigError(f"{prefix}.{f.name} must be an integer, got {value!r}")
        if f.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))):
            raise ConfigError(f"{prefix}.{f.name} must be a number, got {value!r}")
        if f.type in ("int", "float") and (not np.isfinite(value) or value < 0):
            raise ConfigError(f"{prefix}.{f.name} must be a finite number >= 0, got {value!r}")
    for name in at_least_one:
        if getattr(cfg, name) < 1:
            raise ConfigError(f"{prefix}.{name} must be at least 1, got {getattr(cfg, name)}")


def sized(cls, sizes: dict[str, dict], size: str, seed: int, what: str):
    """``cls(seed=seed, **sizes[size])``: the configuration of a named size of a generated dataset."""
    if size not in sizes:
        raise ConfigError(f"unknown {what} size {size!r}; known: {', '.join(sizes)}")
    return cls(seed=seed, **sizes[size])


def item_rng(seed: int, products: dict[str, int], product: str, index: int) -> np.random.Generator:
    """The generator of item ``index`` of ``product`` (a key of ``products``) of a generated dataset:
    independent of every other item, so items can be generated in any order or in parallel."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(products[product], index)))


def config_text(cfg) -> str:
    """The dataclass ``cfg`` as canonical JSON (what a cache file records and is checked against)."""
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True)


def config_fingerprint(cfg, version: int) -> str:
    """A short hash of every field of ``cfg`` and the generator ``version``: the cache key."""
    text = json.dumps({"version": version, **dataclasses.asdict(cfg)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cache_entry_name(prefix: str, cfg, version: int, suffix: str = "") -> str:
    """``{prefix}-{version}-{seed}-{fingerprint}{suffix}``: the name of the cache file or folder of the
    dataset that generator ``version`` makes for the config dataclass ``cfg`` (which has a ``seed``)."""
    return f"{prefix}-{version}-{cfg.seed}-{config_fingerprint(cfg, version)}{suffix}"


@dataclass(frozen=True)
class BuiltinConfig:
    """What to generate. Distances are in units of the object's radius (objects fill the unit ball).

    num_classes: the first ``num_classes`` of :data:`CLASS_NAMES` (up to 14).
    sequences_per_class: pre-training objects per class, one camera sequence each.
    frames, points_per_frame: frames per sequence and points per frame.
    eval_train_per_class, eval_test_per_class, eval_points: the labelled evaluation objects.
    surface_points: dense surface samples per pre-training object that the camera sees.
    depth_noise: std of the noise along each viewing ray; point_noise: std of the isotropic
        noise on evaluation clouds.
    stretch: objects are stretched along their own axes by factors in ``exp(±stretch)``.
    """

    seed: int = 0
    num_classes: int = len(CLASS_NAMES)
    sequences_per_class: int = 56
    frames: int = 8
    points_per_frame: int = 1024
    eval_train_per_class: int = 25
    eval_test_per_class: int = 15
    eval_points: int = 2048
    surface_points: int = 8192
    depth_noise: float = 0.01
    point_noise: float = 0.005
    stretch: float = 0.25

    def __post_init__(self):
        check_numbers(self, "builtin", ("num_classes", "sequences_per_class", "frames", "points_per_frame",
                                        "eval_train_per_class", "eval_test_per_class", "eval_points"))
        if self.num_classes > len(CLASS_NAMES):
            raise ConfigError(f"builtin.num_classes is {self.num_classes}, but there are only {len(CLASS_NAMES)} "
                              f"built-in classes: {', '.join(CLASS_NAMES)}")
        if self.surface_points < 2 * self.points_per_frame:
            raise ConfigError(f"builtin.surface_points ({self.surface_points}) must be at least twice "
                              f"builtin.points_per_frame ({self.points_per_frame})")

    @property
    def class_names(self) -> list[str]:
        return list(CLASS_NAMES[: self.num_classes])

    def fingerprint(self) -> str:
        """A short hash of every field and the generator version: the cache key."""
        return config_fingerprint(self, GENERATOR_VERSION)

    def cache_name(self) -> str:
        return cache_entry_name("builtin", self, GENERATOR_VERSION, ".npz")


def build_arrays(cfg: BuiltinConfig) -> dict[str, np.ndarray]:
    """Generate every array of the dataset (no caching).

    Keys: ``sequence_points`` (S, frames, points_per_frame, 3) float32, ``sequence_labels`` (S,)
    int64, ``camera_positions`` (S, frames, 3) float32, ``{train,test}_points`` (M, eval_points, 3)
    float32, ``{train,test}_labels`` (M,) int64, ``class_names`` (C,) str, ``config`` (0-d str).
    """
    per = cfg.sequences_per_class
    total = cfg.num_classes * per
    seq = np.empty((total, cfg.frames, cfg.points_per_frame, 3), dtype=np.float32)
    cams = np.empty((total, cfg.frames, 3), dtype=np.float32)
    for c in range(cfg.num_classes):
        for i in range(per):
            rng = object_rng(cfg.seed, "sequences", c, i)
            surface, normals, two_sided = random_object(rng, c, cfg.surface_points, cfg.stretch)
            seq[c * per + i], cams[c * per + i] = depth_frames(rng, surface, normals, two_sided, cfg.frames,
                                                               cfg.points_per_frame, cfg.depth_noise)
    out = {"sequence_points": seq, "sequence_labels": np.repeat(np.arange(cfg.num_classes, dtype=np.int64), per),
           "camera_positions": cams}
    for split, n in (("train", cfg.eval_train_per_class), ("test", cfg.eval_test_per_class)):
        clouds = np.empty((cfg.num_classes * n, cfg.eval_points, 3), dtype=np.float32)
        for c in range(cfg.num_classes):
            for i in range(n):
                rng = object_rng(cfg.seed, split, c, i)
                pts = random_object(rng, c, cfg.eval_points, cfg.stretch)[0]
                clouds[c * n + i] = unit_ball(pts + rng.normal(0, cfg.point_noise, pts.shape))
        out[f"{split}_points"] = clouds
        out[f"{split}_labels"] = np.repeat(np.arange(cfg.num_classes, dtype=np.int64), n)
    out["class_names"] = np.array(cfg.class_names)
    out["config"] = np.array(config_text(cfg))
    return out


def expected_shapes(cfg: BuiltinConfig) -> dict[str, tuple[int, ...]]:
    s = cfg.num_classes * cfg.sequences_per_class
    tr, te = cfg.num_classes * cfg.eval_train_per_class, cfg.num_classes * cfg.eval_test_per_class
    return {"sequence_points": (s, cfg.frames, cfg.points_per_frame, 3), "sequence_labels": (s,),
            "camera_positions": (s, cfg.frames, 3), "train_points": (tr, cfg.eval_points, 3), "train_labels": (tr,),
            "test_points": (te, cfg.eval_points, 3), "test_labels": (te,), "class_names": (cfg.num_classes,),
            "config": ()}


def default_cache_dir() -> Path:
    """``$STRL_CACHE_DIR``, else ``$XDG_CACHE_HOME/strl``, else ``~/.cache/strl``."""
    if os.environ.get("STRL_CACHE_DIR"):
        return Path(os.environ["STRL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "strl"


def cache_folder(cache_dir: str | os.PathLike | None) -> Path:
    """The folder of the generated datasets: ``cache_dir``, or :func:`default_cache_dir` when it is None."""
    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


def read_cache(path: Path, keys, cfg, valid: Callable[[dict], bool]) -> dict[str, np.ndarray] | None:
    """The arrays ``keys`` (and ``config``) of the cache file ``path`` if it was written for the
    config dataclass ``cfg`` and ``valid(arrays)`` holds; ``None`` (logged) otherwise."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in (*keys, "config")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable built-in dataset cache %s (%s)", path, exc)
        return None
    if str(arrays["config"]) != config_text(cfg) or not valid(arrays):
        log.warning("ignoring built-in dataset cache %s: it does not match the configuration", path)
        return None
    return arrays


def load_or_build(path: Path, load: Callable[[], dict | None], build: Callable[[], dict], what: str):
    """``(arrays, from_cache)``: ``load()``, else ``build()`` saved to ``path`` (a warning, not an
    error, when it cannot be written). The arrays are made read-only."""
    arrays = load()
    from_cache = arrays is not None
    if arrays is None:
        log.info("generating %s into %s", what, path)
        arrays = build()
        try:
            save_atomic(path, arrays)
        except OSError as exc:
            warnings.warn(f"{path}: cannot cache {what} ({exc}); using it from memory", stacklevel=3)
    for a in arrays.values():
        a.flags.writeable = False
    return arrays, from_cache


def load_cached(path: Path, cfg: BuiltinConfig) -> dict[str, np.ndarray] | None:
    """The arrays in ``path`` if it is a complete cache of ``cfg``; ``None`` otherwise."""
    shapes = expected_shapes(cfg)

    def valid(arrays: dict) -> bool:
        return (all(arrays[k].shape == s for k, s in shapes.items())
                and all(np.isfinite(arrays[k]).all() for k in ("sequence_points", "train_points", "test_points")))

    return read_cache(path, shapes, cfg, valid)


def save_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BuiltinSequences:
    """Pre-training sequences (a :class:`~strl.formats.base.SequenceSet`).

    points: ``(S, F, N, 3)`` float32, read-only; ``labels`` ``(S,)`` the class of each sequence's
    object (for diagnostics); ``camera_positions`` ``(S, F, 3)`` where the camera stood.
    """

    def __init__(self, points: np.ndarray, labels: np.ndarray, camera_positions: np.ndarray, class_names: list[str]):
        self.points, self.labels, self.camera_positions = points, labels, camera_positions
        self.class_names = class_names

    def __len__(self) -> int:
        return len(self.points)

    def num_frames(self, s: int) -> int:
        return self.points.shape[1]

    def frame(self, s: int, t: int) -> Frame:
        """Frame ``t`` of sequence ``s``: ``(N, 3)`` float32 read-only points, ``origin=None``."""
        return Frame(self.points[s, t], None)


class BuiltinClouds:
    """Complete labelled objects (a :class:`~strl.formats.base.CloudSet`); ``points`` ``(M, N, 3)``."""

    def __init__(self, points: np.ndarray, labels: np.ndarray, class_names: list[str]):
        self.points, self.labels, self.class_names = points, labels, class_names

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i``: ``(N, 3)`` float32, read-only."""
        return self.points[i]


class BuiltinData:
    """The built-in dataset for ``cfg``, loaded from ``cache_dir`` or generated and cached there.

    ``cache_dir`` defaults to :func:`default_cache_dir`; the file is ``cache_path``.
    """

    def __init__(self, cfg: BuiltinConfig = BuiltinConfig(), cache_dir: str | os.PathLike | None = None):
        self.cfg = cfg
        self.cache_path = cache_folder(cache_dir) / cfg.cache_name()
        arrays, self.from_cache = load_or_build(self.cache_path, lambda: load_cached(self.cache_path, cfg),
                                                lambda: build_arrays(cfg), "the built-in dataset")
        self._arrays = arrays
        self.class_names: list[str] = [str(n) for n in arrays["class_names"]]

    def sequences(self) -> BuiltinSequences:
        """Partial views of each pre-training object, frames in camera-path order."""
        a = self._arrays
        return BuiltinSequences(a["sequence_points"], a["sequence_labels"], a["camera_positions"], self.class_names)

    def clouds(self, split: str) -> BuiltinClouds:
        """Complete labelled evaluation objects of ``split`` (``"train"`` or ``"test"``)."""
        if split not in SPLITS:
            raise ConfigError(f"unknown built-in split {split!r}; valid splits: {', '.join(SPLITS)}")
        a = self._arrays
        return BuiltinClouds(a[f"{split}_points"], a[f"{split}_labels"], self.class_names)
