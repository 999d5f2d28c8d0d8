"""Typed pre-training configuration, named presets, and command-line overrides.

Every field of :class:`PretrainConfig` is a ``--flag`` of ``strl pretrain`` (underscores become
dashes); a preset is a dict of field values applied before the flags. Unknown keys and ill-typed
values stop with a :class:`ConfigError` that names them.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from strl.errors import ConfigError


@dataclass
class PretrainConfig:
    """All settings of a pre-training run. Defaults are the ``default`` preset."""

    preset: str = "default"
    # model
    method: str = "byol"  # byol | simclr
    backbone: str = "pointnet"  # see strl.backbones.BACKBONES
    k: int = 0  # neighbours of the DGCNN k-NN graph (0: the backbone's default, strl.backbones.DEFAULT_K)
    emb_dims: int = 1024
    hidden_dim: int = 4096  # projector / predictor hidden width
    proj_dim: int = 256
    tau0: float = 0.996  # initial EMA rate (BYOL)
    ema_before_step: bool = False  # the original's quirk: EMA before the optimizer step
    temperature: float = 0.1  # NT-Xent temperature (SimCLR)
    # data
    dataset: str = "builtin"  # builtin | shapenet | modelnet40 | folder | scannet | kitti
    root: str = ""
    num_points: int = 1024  # points per view after augmentation
    frame_points: int = 0  # points read per frame before augmentation (0: num_points)
    window: int = 2  # partner frames at most this many steps apart (0: spatial pairs only)
    pair_mode: str = "both"  # temporal | spatial | both
    augment: str = "object"  # object | scene pipeline
    augment_on: str = "auto"  # worker | device | auto (device on GPU, workers on CPU)
    rotate_up: bool = False  # full random rotation of each view about the up axis
    up_axis: int = 1  # 0 x, 1 y (ShapeNet, ModelNet, built-in), 2 z (ScanNet, KITTI)
    builtin_seed: int = 0
    builtin_size: str = "default"  # default | small (a few objects per class, for quick checks)
    val_fraction: float = 0.1  # scene-level validation split of RGB-D data
    depth_stride: int = 2  # read every n-th depth pixel of RGB-D frames
    depth_scale: float = 1000.0  # RGB-D depth units per metre (ScanNet 1000; TUM RGB-D 5000)
    max_range: float = 0.0  # LiDAR: drop points farther than this (0: keep all)
    cache_dir: str = ""
    on_bad_sample: str = "stop"  # stop | skip: a sample whose file cannot be read stops training, or is replaced
    max_bad_fraction: float = 0.05  # skip: stop anyway when more than this share of an epoch's samples is bad
    # optimisation
    epochs: int = 12
    batch_size: int = 32
    num_workers: int = 2
    optimizer: str = "adam"  # adam | adamw | sgd
    lars: bool = False  # wrap the optimizer in LARS (eta 0.02, clip), as the original did
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    scheduler: str = "cosine"  # cosine | none
    warmup_epochs: int = 0
    # run
    seed: int = 0
    out_dir: str = "runs"
    name: str = ""  # run folder name (default: preset + time)
    accelerator: str = "auto"
    devices: str = "auto"
    num_nodes: int = 1
    sync_batchnorm: bool = True  # BatchNorm statistics over all processes under DDP (GPU only)
    strategy: str = "auto"
    precision: str = "auto"  # auto: bf16-mixed on GPU, 32 on CPU
    checkpoint_every: int = 5  # epochs between periodic checkpoints (last.ckpt is always kept)
    resume: str = ""  # continue a run: its folder (runs/X), "last" (--name's last.ckpt) or a checkpoint file
    tensorboard: bool = False
    progress: bool = True
    limit_train_batches: float = 1.0
    # evaluation during and after training
    eval_dataset: str = "builtin"  # builtin | modelnet40 | modelnet10
    eval_root: str = ""
    eval_points: int = 1024
    probe: str = "knn"  # knn | svm | none
    probe_every: int = 2  # epochs
    final_eval: bool = True  # linear SVM of pre-trained and random weights at the end

    def replace(self, **changes: Any) -> "PretrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, dict[str, Any]] = {
    # sized for the built-in data on a 2-core laptop CPU: a narrower PointNet on 512-point views,
    # SimCLR (which learns fastest in a few hundred steps here) and views turned about the up axis
    "default": dict(method="simclr", emb_dims=512, num_points=512, eval_points=1024, rotate_up=True,
                    epochs=2, probe="svm", probe_every=1, num_workers=1),
    "pointnet-cls": dict(
        backbone="pointnet", dataset="shapenet", num_points=2048, batch_size=48, epochs=50,
        optimizer="adam", lars=True, lr=1e-3, window=0, pair_mode="spatial",
        eval_dataset="modelnet40", eval_points=2048, probe="svm", probe_every=5, num_workers=8,
    ),
    "dgcnn-cls": dict(
        backbone="dgcnn", dataset="shapenet", num_points=2048, batch_size=32, epochs=100,
        optimizer="adam", lars=True, lr=1e-3, window=0, pair_mode="spatial",
        eval_dataset="modelnet40", eval_points=2048, probe="svm", probe_every=5, num_workers=8,
    ),
    "dgcnn-semseg": dict(
        backbone="dgcnn-semseg", dataset="scannet", num_points=4096, frame_points=8192, batch_size=32,
        epochs=100, optimizer="adam", lars=True, lr=2e-4, augment="scene", window=1, pair_mode="both", num_workers=8,
    ),
    "dgcnn-partseg": dict(
        backbone="dgcnn-partseg", dataset="shapenet", num_points=2048, batch_size=32, epochs=100,
        optimizer="adam", lars=True, lr=2e-4, window=0, pair_mode="spatial", num_workers=8,
    ),
    "votenet-detection": dict(
        backbone="votenet", dataset="scannet", num_points=2048, frame_points=4096, batch_size=32, epochs=100,
        optimizer="adam", lars=True, lr=1e-3, augment="scene", window=1, pair_mode="both", num_workers=8,
    ),
}


def _field_types() -> dict[str, type]:
    return {f.name: f.type if isinstance(f.type, type) else eval(f.type) for f in fields(PretrainConfig)}


def make_config(preset: str = "default", **overrides: Any) -> PretrainConfig:
    """A preset with ``overrides``; unknown keys or wrong types raise :class:`ConfigError`."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
    types = _field_types()
    values = {**PRESETS[preset], **overrides, "preset": preset}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(f"unknown setting {key!r}; valid settings: {', '.join(sorted(types))}")
        want = types[key]
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
            values[key] = value
            ok = True
        if not ok:
            raise ConfigError(f"setting {key!r} must be {want.__name__}, got {value!r}")
    return PretrainConfig(**values)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--flag`` per config field (default: not given, so presets apply)."""
    for f in fields(PretrainConfig):
        if f.name == "preset":
            continue
        flag = "--" + f.name.replace("_", "-")
        typ = _field_types()[f.name]
        if typ is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(flag, dest=f.name, type=typ, default=None, metavar=typ.__name__.upper())
    parser.add_argument("--preset", default="default", help=f"one of: {', '.join(sorted(PRESETS))}")


def config_from_args(args: argparse.Namespace) -> PretrainConfig:
    given = {f.name: getattr(args, f.name) for f in fields(PretrainConfig) if f.name != "preset"}
    return make_config(args.preset, **{k: v for k, v in given.items() if v is not None})
