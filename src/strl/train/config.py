"""Pre-training settings (:class:`PretrainConfig`), named presets, and :func:`make_config`.

Every field is a ``--flag`` of ``strl pretrain`` (underscores become dashes) and a key of its
``--config`` YAML files; its docstring is its help text. A preset is a dict of field values
applied first: preset < settings file < flags.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from strl.errors import ConfigError
from strl.settings.common import BackboneName, RunSettings
from strl.settings.resolve import resolve_settings
from strl.settings.schema import Choices, Settings

Positive = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
#: backbones whose layers use a k-nearest-neighbour graph
KNN_BACKBONES = ("dgcnn", "dgcnn-semseg", "dgcnn-partseg")


def _pretrain_sources() -> list[str]:
    from strl.train.data import PRETRAIN_SOURCES

    return PRETRAIN_SOURCES.names()


def _detector_configs() -> list[str]:
    from strl.detection.pointpillars.config import PRESETS as DETECTOR_PRESETS

    return ["", *DETECTOR_PRESETS.names()]


def _eval_sources() -> list[str]:
    from strl.train.data import EVAL_SOURCES

    return EVAL_SOURCES.names()


class ModelSettings(Settings):
    """Model: encoder and self-supervised method."""

    method: Literal["byol", "simclr"] = "byol"
    """self-supervised method"""
    backbone: BackboneName = "pointnet"
    """encoder architecture"""
    k: NonNegative = 0
    """neighbours of the DGCNN k-NN graph (0: the backbone's default: dgcnn and dgcnn-partseg 40, dgcnn-semseg 20)"""
    emb_dims: Positive = 1024
    """width of the encoder's last layer (pointpillars: set by --detector-config)"""
    detector_config: Annotated[str, Choices(_detector_configs)] = ""
    """pointpillars: the detector configuration whose vfe + backbone_2d are pre-trained ('': pointpillars-kitti, OpenPCDet's KITTI grid; pointpillars-laptop: a reduced grid)"""
    votenet_npoints: list[Positive] = []
    """votenet backbone: sample counts of its four set-abstraction layers (none: VoteNet's 2048 1024 512 256)"""
    hidden_dim: Positive = 4096
    """hidden width of the projector and predictor"""
    proj_dim: Positive = 256
    """output width of the projector and predictor"""
    tau0: Annotated[float, Field(ge=0.0, le=1.0)] = 0.996
    """initial EMA rate of the target network (BYOL)"""
    ema_before_step: bool = False
    """update the EMA before the optimizer step, as the original did"""
    temperature: Annotated[float, Field(gt=0.0)] = 0.1
    """NT-Xent temperature (SimCLR)"""


class DataSettings(Settings):
    """Data: what is read, how pairs are formed and augmented."""

    dataset: Annotated[str, Choices(_pretrain_sources)] = "builtin"
    """pre-training data source"""
    root: str = ""
    """file or folder of the pre-training data"""
    num_points: Positive = 1024
    """points per view after augmentation"""
    frame_points: NonNegative = 0
    """points read per frame before augmentation (0: --num-points)"""
    window: NonNegative = 2
    """partner frames at most this many steps apart (0: spatial pairs only)"""
    pair_mode: Literal["temporal", "spatial", "both"] = "both"
    """temporal pairs (two frames), spatial pairs (one frame twice), or both"""
    augment: Literal["object", "scene", "lidar"] = "object"
    """spatial augmentation pipeline: object or scene (views scaled into the unit sphere), or lidar (metres, z up: flip, rotation about z, scaling, shift, the detector's range, box drop-out)"""
    augment_on: Literal["auto", "worker", "device"] = "auto"
    """where augmentation runs (auto: on the device with a GPU, in data workers on CPU)"""
    rotate_up: bool = False
    """turn each view by a random angle about the up axis"""
    up_axis: Annotated[int, Field(ge=0, le=2)] = 1
    """up axis: 0 x, 1 y (ShapeNet, ModelNet, built-in), 2 z (ScanNet, KITTI)"""
    builtin_seed: int = 0
    """seed of the built-in synthetic dataset"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in data (small: a few objects per class, for quick checks)"""
    val_fraction: Fraction = 0.1
    """share of RGB-D scenes held out for validation"""
    depth_stride: Positive = 2
    """read every n-th depth pixel of RGB-D frames"""
    depth_scale: Annotated[float, Field(gt=0.0)] = 1000.0
    """RGB-D depth units per metre (ScanNet 1000; TUM RGB-D 5000)"""
    max_range: Annotated[float, Field(ge=0.0)] = 0.0
    """LiDAR: drop points farther than this many metres (0: keep all)"""
    exclude_object_split: Literal["", "train", "val"] = ""
    """kitti-raw: leave out raw frames near the frames of this KITTI object split (needs --object-root with the devkit's mapping/)"""
    object_root: str = ""
    """KITTI object folder (ImageSets/ and the devkit's mapping/) for --exclude-object-split"""
    exclude_window: NonNegative = 10
    """with --exclude-object-split: raw frames at most this many frames from an object frame are left out"""
    cache_dir: str = ""
    """cache of generated and converted data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""
    on_bad_sample: Literal["stop", "skip"] = "stop"
    """a sample whose file cannot be read stops training with one line naming it, or is replaced by another"""
    max_bad_fraction: Fraction = 0.05
    """with --on-bad-sample skip: stop anyway when more than this share of an epoch's samples is bad"""


class OptimSettings(Settings):
    """Optimisation: epochs, batches, optimizer and learning-rate schedule."""

    epochs: Positive = 12
    """training epochs"""
    batch_size: Positive = 32
    """pairs per step (per process)"""
    num_workers: NonNegative = 2
    """data-loading worker processes"""
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    """optimizer"""
    lars: bool = False
    """wrap the optimizer in LARS (eta 0.02, clipping), as the original did"""
    lr: Annotated[float, Field(gt=0.0)] = 1e-3
    """learning rate"""
    weight_decay: Annotated[float, Field(ge=0.0)] = 0.0
    """weight decay"""
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    """SGD momentum"""
    scheduler: Literal["cosine", "none"] = "cosine"
    """learning-rate schedule over the steps"""
    warmup_epochs: NonNegative = 0
    """epochs of linear warm-up before the schedule"""
    limit_train_batches: Annotated[float, Field(gt=0.0)] = 1.0
    """share (<= 1) or number (> 1) of batches per epoch"""


class PretrainRunSettings(RunSettings):
    """Seed, checkpoints and resuming."""

    seed: int = 0
    """seed of every random draw (weights, data order, augmentation)"""
    preset: Annotated[str, Choices(lambda: sorted(PRESETS))] = "default"
    """preset the settings started from"""
    sync_batchnorm: bool = True
    """BatchNorm statistics over all processes under DDP (GPU only)"""
    checkpoint_every: Positive = 5
    """epochs between periodic checkpoints (last.ckpt is always kept)"""
    resume: str = ""
    """continue a run: 'last' (this run's last.ckpt), a run folder, or a checkpoint"""


class EvalSettings(Settings):
    """Evaluation during and after training."""

    eval_dataset: Annotated[str, Choices(_eval_sources)] = "builtin"
    """labelled data of the probes and the final linear SVM"""
    eval_root: str = ""
    """folder of the evaluation data"""
    eval_points: Positive = 1024
    """points per evaluation cloud"""
    probe: Literal["knn", "svm", "none"] = "knn"
    """quick probe of the encoder during training: cosine k-NN, linear SVM, or none"""
    probe_every: Positive = 2
    """epochs between probes"""
    final_eval: bool = True
    """linear SVM of the pre-trained and the random-weight encoder at the end"""


class PretrainConfig(EvalSettings, PretrainRunSettings, OptimSettings, DataSettings, ModelSettings):
    """All settings of a pre-training run. Field defaults are the base; presets start from them."""

    def check(self) -> None:
        if self.backbone in KNN_BACKBONES:
            from strl.backbones.defaults import resolve_k

            k = resolve_k(self.backbone, self.k or None)
            for name in ("num_points", "eval_points"):
                if getattr(self, name) <= k:
                    raise ConfigError(f"k = {k} needs more points than neighbours: --{name.replace('_', '-')} "
                                      f"is {getattr(self, name)}; give a smaller --k or more points")
        if self.detector_config and self.backbone != "pointpillars":
            raise ConfigError(f"--detector-config configures the pointpillars backbone, not {self.backbone}")
        if self.backbone == "pointpillars":
            if self.augment != "lidar":
                raise ConfigError(f"the pointpillars encoder sees metric LiDAR-frame views; --augment {self.augment} "
                                  "scales each view into the unit sphere: use --augment lidar")
            if self.probe != "none" or self.final_eval:
                raise ConfigError("the linear-SVM probes score object classification, not a LiDAR encoder: "
                                  "give --probe none --no-final-eval (fine-tune it with strl finetune detect)")
        if self.exclude_object_split:
            if self.dataset != "kitti-raw":
                raise ConfigError(f"--exclude-object-split leaves out KITTI raw frames: it needs --dataset kitti-raw, "
                                  f"not {self.dataset} (odometry sequences 00-10 share no drive with KITTI object frames)")
            if not self.object_root:
                raise ConfigError("--exclude-object-split needs --object-root: the KITTI object folder with "
                                  "ImageSets/ and the devkit's mapping/")
        if self.votenet_npoints:
            if self.backbone != "votenet":
                raise ConfigError(f"--votenet-npoints is for the votenet backbone, not {self.backbone}")
            n = self.votenet_npoints
            if len(n) != 4 or n[1] > n[0]:
                raise ConfigError(f"--votenet-npoints takes four sample counts (sa1..sa4) with sa2's <= sa1's, got {n}")
        if self.frame_points and self.frame_points < self.num_points:
            raise ConfigError(f"--frame-points {self.frame_points} is below --num-points {self.num_points}: "
                              "frames must hold at least the points of a view (0 reads --num-points)")


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
    # sized for the built-in rooms on a 2-core laptop CPU: VoteNet's backbone with the sample counts of
    # strl finetune detect's rooms-votenet preset, SimCLR on neighbouring depth frames of the rooms (z up);
    # scored by fine-tuning (strl finetune detect), not by the object probes
    "rooms-votenet": dict(
        backbone="votenet", votenet_npoints=[256, 128, 64, 32], method="simclr", dataset="builtin-rooms",
        augment="scene", up_axis=2, rotate_up=True, num_points=2048, batch_size=16, epochs=2, window=1,
        num_workers=1, probe="none", final_eval=False,
    ),
    "votenet-detection": dict(
        backbone="votenet", dataset="scannet", num_points=2048, frame_points=4096, batch_size=32, epochs=100,
        optimizer="adam", lars=True, lr=1e-3, augment="scene", window=1, pair_mode="both", num_workers=8,
    ),
    # laptop-sized: the DGCNN segmentation encoder on depth frames of the built-in rooms (z up), SimCLR
    "rooms-semseg": dict(
        backbone="dgcnn-semseg", dataset="builtin-rooms", num_points=512, frame_points=1024, batch_size=16,
        epochs=2, method="simclr", lr=1e-3, augment="scene", up_axis=2, window=2, pair_mode="both",
        probe="none", final_eval=False, num_workers=1,
    ),
    # PointPillars' vfe + backbone_2d on OpenPCDet's full KITTI grid, BYOL on temporal pairs of
    # odometry sweeps 00-10 (--dataset kitti-raw for raw drives), the partner within 0.5 s (5 sweeps)
    # registered into the anchor's LiDAR frame; 32768 of a sweep's points in the detector's range per view
    "pointpillars-kitti-seq": dict(
        backbone="pointpillars", detector_config="pointpillars-kitti", dataset="kitti", augment="lidar",
        num_points=32768, frame_points=65536, window=5, pair_mode="temporal", batch_size=16, epochs=50,
        optimizer="adam", lars=True, lr=1e-3, probe="none", final_eval=False, num_workers=8,
    ),
    # laptop-sized: the reduced pointpillars-laptop grid on the built-in streets, BYOL
    "pointpillars-streets": dict(
        backbone="pointpillars", detector_config="pointpillars-laptop", dataset="builtin-streets", augment="lidar",
        num_points=16384, frame_points=32768, window=3, pair_mode="temporal", batch_size=8, epochs=8,
        hidden_dim=1024, lr=1e-3, probe="none", final_eval=False, num_workers=1,
    ),
}


def make_config(preset: str = "default", **overrides: Any) -> PretrainConfig:
    """A preset with ``overrides``; unknown keys or bad values raise :class:`ConfigError`."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
    layers = [(f"preset {preset!r}", {**PRESETS[preset], "preset": preset}), ("overrides", overrides)]
    return resolve_settings(PretrainConfig, layers)
