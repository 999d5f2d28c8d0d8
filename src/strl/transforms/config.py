"""Parameters of the spatial augmentation, with the defaults of the original STRL code."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from strl.errors import ConfigError

#: Step order of the original object pipeline (ModelNet40, ShapeNet, whole ScanNet scenes).
OBJECT_ORDER = (
    "upsample", "crop", "normalize", "cutout", "scale",
    "rotate", "translate", "jitter", "dropout", "subset",
)
#: Step order of the original ScanNet-frame pipeline (crop and cutout after normalisation).
SCENE_ORDER = (
    "upsample", "normalize", "scale", "rotate", "translate",
    "jitter", "crop", "cutout", "dropout", "subset",
)
#: Step order of the metric LiDAR pipeline (LiDAR-frame views in metres, z up; no normalisation):
#: OpenPCDet-style global transforms, the detector's range, box drop-out, the view's points, jitter.
LIDAR_ORDER = (
    "world_flip", "world_rotate", "world_scale", "world_translate",
    "range_crop", "box_dropout", "resample", "jitter",
)
PIPELINES = {"object": OBJECT_ORDER, "scene": SCENE_ORDER, "lidar": LIDAR_ORDER}
STEP_NAMES = frozenset(OBJECT_ORDER) | frozenset(LIDAR_ORDER)
#: the last step of each pipeline makes the output size: it cannot be disabled
OUTPUT_STEPS = ("subset", "resample")


@dataclass(frozen=True)
class AugmentConfig:
    """Every knob of :func:`strl.transforms.augment`.

    ``pipeline`` picks the step order ("object", "scene" or "lidar"); ``disabled`` lists step
    names to skip (any of :data:`STEP_NAMES` except "subset" and "resample", which make the output
    size). Ranges are ``(low, high)`` pairs; ``*_p`` is the probability that a step is applied to a
    sample. The ``lidar`` pipeline's lengths are metres and its up axis is z; it uses the
    ``world_*``, ``lidar_range``, ``box_dropout_*`` and ``jitter_*`` fields only.
    """

    num_points: int = 1024
    pipeline: str = "object"
    disabled: tuple[str, ...] = ()
    # up-sampling: to upsample_factor * num_points; each new point is the mean of
    # upsample_nsample random points among the upsample_k nearest neighbours of a random point
    upsample_factor: int = 2
    upsample_k: int = 10
    upsample_nsample: int = 5
    upsample_knn: str = "auto"  # "auto" (k-d tree on CPU, brute force elsewhere), "tree", "brute"
    # random box crop: box sides (s, s*ar, s/ar) as fractions of the bounding box
    crop_p: float = 0.5
    crop_side: tuple[float, float] = (0.6, 1.1)
    crop_aspect: tuple[float, float] = (0.75, 1.33)
    crop_tries: int = 10
    # random box cutout: per-axis box fractions of the bounding box
    cutout_p: float = 0.5
    cutout_ratio: tuple[float, float] = (0.3, 0.6)
    cutout_tries: int = 10
    scale_p: float = 1.0
    scale_range: tuple[float, float] = (0.8, 1.25)
    rotate_p: float = 1.0
    # full rotation about the up axis (0 x, 1 y, 2 z), before the small rotation; off when 0
    rotate_up_p: float = 0.0
    up_axis: int = 1
    rotate_sigma: float = 0.06
    rotate_clip: float = 0.18
    translate_p: float = 1.0
    translate_range: float = 0.1
    jitter_p: float = 1.0
    jitter_std: float = 0.01
    jitter_clip: float = 0.05
    dropout_p: float = 1.0
    dropout_max_ratio: float = 0.875
    # lidar pipeline (OpenPCDet's KITTI augmentation: flip along x, rotation +-pi/4, scale 0.95-1.05)
    world_flip_p: float = 0.5  # y -> -y
    world_rotation: float = math.pi / 4  # angle U(-a, a) about z
    world_scale_range: tuple[float, float] = (0.95, 1.05)
    world_translate_std: float = 0.2  # metres, per axis
    # (x_min, y_min, z_min, x_max, y_max, z_max): keep the points inside (the detector's range); None: all
    lidar_range: tuple[float, ...] | None = None
    box_dropout_p: float = 0.5
    box_dropout_boxes: int = 2
    box_dropout_size: tuple[float, float] = (2.0, 6.0)  # metres, x and y sides
    box_dropout_keep: float = 0.5  # a sample keeps its points if fewer than this share would be left

    def __post_init__(self) -> None:
        if not isinstance(self.num_points, int) or self.num_points < 1:
            raise ConfigError(f"num_points must be a positive integer, got {self.num_points!r}")
        if self.pipeline not in PIPELINES:
            raise ConfigError(f"unknown pipeline {self.pipeline!r}; known: {', '.join(PIPELINES)}")
        object.__setattr__(self, "disabled", tuple(self.disabled))
        for name in self.disabled:
            if name not in STEP_NAMES or name in OUTPUT_STEPS:
                known = ", ".join(n for n in dict.fromkeys((*OBJECT_ORDER, *LIDAR_ORDER)) if n not in OUTPUT_STEPS)
                raise ConfigError(f"cannot disable step {name!r}; steps that can be: {known}")
        if self.up_axis not in (0, 1, 2):
            raise ConfigError(f"up_axis must be 0 (x), 1 (y) or 2 (z), got {self.up_axis!r}")
        if self.upsample_knn not in ("auto", "tree", "brute"):
            raise ConfigError(
                f"upsample_knn must be auto, tree or brute, got {self.upsample_knn!r}"
            )
        if not 1 <= self.upsample_nsample <= self.upsample_k:
            raise ConfigError("need 1 <= upsample_nsample <= upsample_k")
        if self.upsample_factor < 1 or self.crop_tries < 1 or self.cutout_tries < 1:
            raise ConfigError("upsample_factor, crop_tries and cutout_tries must be >= 1")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_p") and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{f.name} is a probability, got {value!r}")
            if isinstance(value, tuple) and f.name not in ("disabled", "lidar_range"):
                if len(value) != 2 or not value[0] <= value[1]:
                    raise ConfigError(
                        f"{f.name} must be a (low, high) pair with low <= high, got {value!r}"
                    )
                object.__setattr__(self, f.name, (float(value[0]), float(value[1])))
        if not 0.0 <= self.dropout_max_ratio < 1.0:
            raise ConfigError(
                f"dropout_max_ratio must be in [0, 1), got {self.dropout_max_ratio!r}"
            )
        for name in ("rotate_sigma", "rotate_clip", "translate_range", "jitter_std", "jitter_clip", "world_rotation",
                     "world_translate_std"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.box_dropout_boxes < 1 or not 0.0 <= self.box_dropout_keep <= 1.0:
            raise ConfigError("box_dropout_boxes must be >= 1 and box_dropout_keep in [0, 1]")
        if self.lidar_range is not None:
            r = tuple(float(v) for v in self.lidar_range)
            if len(r) != 6 or not all(r[i] < r[i + 3] for i in range(3)):
                raise ConfigError(f"lidar_range must be (x_min, y_min, z_min, x_max, y_max, z_max) with each "
                                  f"minimum below its maximum, got {self.lidar_range!r}")
            object.__setattr__(self, "lidar_range", r)

    def steps(self) -> tuple[str, ...]:
        """Names of the steps that run, in order ("rotate_up" just before "rotate" when enabled;
        "range_crop" only with a ``lidar_range``)."""
        names = []
        for n in PIPELINES[self.pipeline]:
            if n == "rotate" and self.rotate_up_p > 0:
                names.append("rotate_up")
            if n not in self.disabled and not (n == "range_crop" and self.lidar_range is None):
                names.append(n)
        return tuple(names)
