"""PointPillars settings: one typed dataclass, OpenPCDet's KITTI values and a laptop-sized preset.

``pointpillars-kitti`` holds the values of OpenPCDet's ``tools/cfgs/kitti_models/pointpillar.yaml``
(the PointPillar row of its KITTI model zoo). ``pointpillars-laptop`` keeps every module and
every rule of it but sees a smaller area on a coarser grid through narrower, shallower layers, so
that a CPU can train it.

Sizes are OpenPCDet's LiDAR-frame ``(dx, dy, dz)`` = its anchor ``[l, w, h]``; ranges are
``(x_min, y_min, z_min, x_max, y_max, z_max)`` in metres; grids are ordered ``(nx, ny, nz)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from strl.errors import ConfigError
from strl.registry import Registry


@dataclass(frozen=True)
class AnchorClass:
    """One detected class: its anchor boxes and the IoU thresholds of its target assignment."""

    name: str
    size: tuple[float, float, float]  # (dx, dy, dz) = OpenPCDet's anchor_sizes [l, w, h]
    bottom_height: float  # anchor bottom z; the anchor centre is bottom_height + dz / 2
    matched_threshold: float  # nearest-BEV IoU >= this: positive
    unmatched_threshold: float  # nearest-BEV IoU < this: negative (in between: ignored)
    rotations: tuple[float, ...] = (0.0, 1.57)


@dataclass(frozen=True)
class OptimConfig:
    """OpenPCDet's ``OPTIMIZATION`` block (``adam_onecycle``), for the fine-tuning code."""

    optimizer: str = "adam_onecycle"
    batch_size: int = 4  # per GPU
    epochs: int = 80
    lr: float = 0.003
    weight_decay: float = 0.01
    moms: tuple[float, float] = (0.95, 0.85)
    pct_start: float = 0.4
    div_factor: float = 10.0
    grad_norm_clip: float = 10.0
    decay_step_list: tuple[int, ...] = (35, 45)  # the step scheduler only
    lr_decay: float = 0.1  # the step scheduler only


KITTI_CLASSES = (
    AnchorClass("Car", (3.9, 1.6, 1.56), -1.78, 0.6, 0.45),
    AnchorClass("Pedestrian", (0.8, 0.6, 1.73), -0.6, 0.5, 0.35),
    AnchorClass("Cyclist", (1.76, 0.6, 1.73), -0.6, 0.5, 0.35),
)


@dataclass(frozen=True)
class PointPillarsConfig:
    """Every setting of the detector; the defaults are OpenPCDet's KITTI PointPillar."""

    name: str = "pointpillars-kitti"
    # data / pillarisation (DATA_CONFIG)
    point_cloud_range: tuple[float, ...] = (0.0, -39.68, -3.0, 69.12, 39.68, 1.0)
    voxel_size: tuple[float, float, float] = (0.16, 0.16, 4.0)
    max_points_per_pillar: int = 32
    max_pillars_train: int = 16000
    max_pillars_test: int = 40000
    point_features: int = 4  # x, y, z, reflectance
    # PillarVFE
    use_absolute_xyz: bool = True  # OpenPCDet's USE_ABSLOTE_XYZ
    with_distance: bool = False
    use_norm: bool = True
    vfe_filters: tuple[int, ...] = (64,)
    # BaseBEVBackbone
    layer_nums: tuple[int, ...] = (3, 5, 5)
    layer_strides: tuple[int, ...] = (2, 2, 2)
    num_filters: tuple[int, ...] = (64, 128, 256)
    upsample_strides: tuple[int, ...] = (1, 2, 4)
    num_upsample_filters: tuple[int, ...] = (128, 128, 128)
    # AnchorHeadSingle
    classes: tuple[AnchorClass, ...] = KITTI_CLASSES
    feature_map_stride: int = 2
    dir_offset: float = 0.78539
    dir_limit_offset: float = 0.0
    num_dir_bins: int = 2
    cls_prior: float = 0.01  # conv_cls.bias = -log((1 - p) / p)
    box_init_std: float = 0.001  # conv_box.weight ~ N(0, std)
    # losses
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    smooth_l1_beta: float = 1.0 / 9.0
    code_weights: tuple[float, ...] = (1.0,) * 7
    cls_weight: float = 1.0
    loc_weight: float = 2.0
    dir_weight: float = 0.2
    # post-processing
    score_threshold: float = 0.1
    nms_threshold: float = 0.01
    nms_pre_max_size: int = 4096
    nms_post_max_size: int = 500
    recall_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def __post_init__(self) -> None:
        _validate(self)

    # ---- derived sizes -------------------------------------------------------------------
    @property
    def grid_size(self) -> tuple[int, int, int]:
        """Pillar grid ``(nx, ny, nz)`` = round(range extent / voxel size); nz is 1."""
        r, v = self.point_cloud_range, self.voxel_size
        return tuple(int(round((r[i + 3] - r[i]) / v[i])) for i in range(3))

    @property
    def feature_map_size(self) -> tuple[int, int]:
        """Head map ``(ny, nx)``: the pillar grid divided by ``feature_map_stride``."""
        nx, ny, _ = self.grid_size
        return ny // self.feature_map_stride, nx // self.feature_map_stride

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def anchors_per_location(self) -> int:
        return sum(len(c.rotations) for c in self.classes)

    @property
    def num_anchors(self) -> int:
        ny, nx = self.feature_map_size
        return ny * nx * self.anchors_per_location

    @property
    def vfe_in_channels(self) -> int:
        """Augmented point features: raw (xyz dropped without absolute xyz) + 3 cluster + 3 centre (+ distance)."""
        raw = self.point_features if self.use_absolute_xyz else self.point_features - 3
        return raw + 6 + int(self.with_distance)

    @property
    def bev_channels(self) -> int:
        return self.vfe_filters[-1]

    @property
    def backbone_channels(self) -> int:
        """Channels of the BEV backbone output (the deblocks concatenated)."""
        return sum(self.num_upsample_filters)

    def max_pillars(self, training: bool) -> int:
        return self.max_pillars_train if training else self.max_pillars_test

    def replace(self, **changes) -> "PointPillarsConfig":
        """A copy with some fields changed; an unknown field is a :class:`ConfigError` listing the valid ones."""
        valid = [f.name for f in dataclasses.fields(self)]
        unknown = [k for k in changes if k not in valid]
        if unknown:
            raise ConfigError(f"unknown PointPillars setting(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        """Plain-JSON summary of the settings that fix the weights' shapes and the input they expect."""
        return {
            "config": self.name,
            "point_cloud_range": list(self.point_cloud_range),
            "voxel_size": list(self.voxel_size),
            "grid_size": list(self.grid_size),
            "max_points_per_pillar": self.max_points_per_pillar,
            "max_pillars": [self.max_pillars_train, self.max_pillars_test],
            "point_features": "x, y, z, reflectance (LiDAR frame, metres)",
            "vfe_filters": list(self.vfe_filters),
            "layer_nums": list(self.layer_nums),
            "layer_strides": list(self.layer_strides),
            "num_filters": list(self.num_filters),
            "upsample_strides": list(self.upsample_strides),
            "num_upsample_filters": list(self.num_upsample_filters),
            "classes": list(self.class_names),
        }


def _validate(cfg: PointPillarsConfig) -> None:
    def need(ok: bool, problem: str) -> None:
        if not ok:
            raise ConfigError(f"PointPillars config {cfg.name!r}: {problem}")

    r, v = cfg.point_cloud_range, cfg.voxel_size
    need(len(r) == 6 and len(v) == 3, "point_cloud_range needs 6 values and voxel_size 3")
    need(all(s > 0 for s in v) and all(r[i + 3] > r[i] for i in range(3)), "range maxima must exceed minima and voxel sizes be positive")
    for i, axis in enumerate("xyz"):
        cells = (r[i + 3] - r[i]) / v[i]
        need(abs(cells - round(cells)) < 1e-4, f"the {axis} extent {r[i + 3] - r[i]:g} is not a whole number of {v[i]:g} m voxels")
    need(cfg.grid_size[2] == 1, "pillars span the whole z range: voxel_size[2] must equal z_max - z_min")
    need(cfg.point_features >= 3 + (0 if cfg.use_absolute_xyz else 1), "point_features counts x, y, z and any further channels")
    need(len(cfg.vfe_filters) >= 1 and all(f > 0 for f in cfg.vfe_filters), "vfe_filters needs at least one positive width")
    levels = len(cfg.layer_nums)
    need(
        levels > 0 and len(cfg.layer_strides) == levels and len(cfg.num_filters) == levels
        and len(cfg.upsample_strides) == levels and len(cfg.num_upsample_filters) == levels,
        "layer_nums, layer_strides, num_filters, upsample_strides and num_upsample_filters need one entry per level",
    )
    need(all(s >= 1 for s in (*cfg.layer_strides, *cfg.upsample_strides)), "layer and upsample strides must be whole numbers >= 1")
    need(cfg.layer_strides[0] % cfg.upsample_strides[0] == 0 and cfg.layer_strides[0] // cfg.upsample_strides[0] == cfg.feature_map_stride,
         "feature_map_stride must equal layer_strides[0] / upsample_strides[0]")
    nx, ny, _ = cfg.grid_size
    out = []
    for stride, up in zip(cfg.layer_strides, cfg.upsample_strides):
        nx, ny = math.ceil(nx / stride), math.ceil(ny / stride)
        out.append((ny * up, nx * up))
    need(len(set(out)) == 1 and out[0] == cfg.feature_map_size,
         f"the grid {cfg.grid_size[:2]} does not divide evenly through layer_strides {cfg.layer_strides}; upsampled maps would be {out}")
    need(len(cfg.classes) > 0, "at least one class")
    for c in cfg.classes:
        need(len(c.size) == 3 and all(s > 0 for s in c.size), f"class {c.name}: size needs 3 positive values")
        need(len(c.rotations) > 0, f"class {c.name}: at least one anchor rotation")
        need(c.unmatched_threshold <= c.matched_threshold, f"class {c.name}: unmatched_threshold above matched_threshold")
    need(len(cfg.code_weights) == 7, "code_weights needs 7 values")
    need(cfg.num_dir_bins >= 1, "num_dir_bins must be positive")
    need(0 < cfg.cls_prior < 1, "cls_prior must lie in (0, 1)")


PRESETS: Registry = Registry("PointPillars preset")
PRESETS.register("pointpillars-kitti")(PointPillarsConfig)
PRESETS.register("pointpillars-laptop")(
    lambda: PointPillarsConfig(
        name="pointpillars-laptop",
        point_cloud_range=(0.0, -20.48, -3.0, 40.96, 20.48, 1.0),
        voxel_size=(0.32, 0.32, 4.0),
        max_pillars_train=6000,
        max_pillars_test=10000,
        vfe_filters=(32,),
        layer_nums=(1, 2, 2),
        num_filters=(32, 64, 128),
        num_upsample_filters=(64, 64, 64),
        optim=OptimConfig(batch_size=2, epochs=20),
    )
)


def preset(name: str, /, **changes) -> PointPillarsConfig:
    """The named preset (``pointpillars-kitti`` | ``pointpillars-laptop``), with ``changes`` applied."""
    cfg = PRESETS[name]()
    return cfg.replace(**changes) if changes else cfg


#: the fields of :meth:`PointPillarsConfig.describe` that fix the weights' shapes and the grid
DESCRIBED_FIELDS = ("point_cloud_range", "voxel_size", "max_points_per_pillar", "vfe_filters", "layer_nums",
                    "layer_strides", "num_filters", "upsample_strides", "num_upsample_filters")


def from_description(value: str | dict | PointPillarsConfig) -> PointPillarsConfig:
    """A configuration from what a checkpoint records: a preset name, or a :meth:`PointPillarsConfig.describe`
    dict (its ``config`` preset, or OpenPCDet's KITTI one if that name is unknown, with the recorded
    grid, pillar limits, layer widths and classes: anchors of the KITTI classes by name)."""
    if isinstance(value, PointPillarsConfig):
        return value
    if isinstance(value, str):
        return preset(value)
    if not isinstance(value, dict):
        raise ConfigError(f"a PointPillars configuration is a preset name or a describe() dict, got {type(value).__name__}")
    name = value.get("config", "pointpillars-kitti")
    base = preset(name) if name in PRESETS else PointPillarsConfig(name=str(name))
    changes = {f: tuple(value[f]) if isinstance(value[f], list) else value[f] for f in DESCRIBED_FIELDS if f in value}
    if "max_pillars" in value:
        changes["max_pillars_train"], changes["max_pillars_test"] = (int(v) for v in value["max_pillars"])
    if "classes" in value:
        changes["classes"] = anchor_classes(value["classes"])
    return base.replace(**changes)


def anchor_classes(names, known: tuple[AnchorClass, ...] = KITTI_CLASSES) -> tuple[AnchorClass, ...]:
    """The anchor settings of the classes ``names`` (OpenPCDet's KITTI ones: Car, Pedestrian, Cyclist), in that order."""
    by_name = {c.name: c for c in known}
    unknown = [n for n in names if n not in by_name]
    if unknown or not names:
        raise ConfigError(f"no anchors for class(es) {', '.join(unknown) or '(none given)'}; PointPillars has "
                          f"anchors for {', '.join(by_name)}")
    return tuple(by_name[n] for n in names)
