"""Settings of ``strl finetune``: the groups every task shares, and each task's own.

A task's settings class is composed of :class:`ProtocolSettings` (seeds, label fractions,
validation split, scratch baseline), :class:`FinetuneOptimSettings`, :class:`EncoderSettings`
(the architecture when no checkpoint describes it), the shared run settings, and the task's data
settings. Presets per task live in each task module.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from strl.errors import ConfigError
from strl.settings.common import BackboneName, RunSettings
from strl.settings.schema import Settings

Positive = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]


class ProtocolSettings(Settings):
    """Protocol: seeds, label fractions, validation split and baseline."""

    seeds: list[int] = [0, 1, 2]
    """seeds to run; the report gives the mean and standard deviation over them"""
    label_fraction: list[float] = [1.0]
    """shares of the training labels to fine-tune with (seeded, stratified, at least one per class);
    several values run each and plot the score per share"""
    val_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.1
    """share of the labelled training samples held out (stratified) to select the epoch"""
    scratch_baseline: bool = True
    """also fine-tune from random initialisation with the same seeds and recipe"""
    eval_every: Positive = 1
    """epochs between evaluations of the validation (and test) split"""
    test_every_evaluation: bool = True
    """score the test split at every evaluation (the curves, and the optimistic best-on-test number);
    off: only for the selected and the last weights (faster on large test splits)"""

    @field_validator("label_fraction")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        bad = [f for f in value if not 0.0 < f <= 1.0]
        if bad or not value:
            raise ValueError(f"every label fraction must be in (0, 1], got {bad or value}")
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: list[int]) -> list[int]:
        if not value or len(set(value)) != len(value):
            raise ValueError("give one or more distinct seeds")
        return value


class FinetuneOptimSettings(Settings):
    """Optimisation: epochs, batches, optimizer, schedule, loss."""

    epochs: Positive = 250
    """training epochs of each run"""
    batch_size: Positive = 32
    """samples per step (per process)"""
    num_workers: NonNegative = 0
    """data-loading worker processes"""
    optimizer: Literal["sgd", "adam", "adamw", "adam_onecycle"] = "sgd"
    """optimizer (adam_onecycle: OpenPCDet's, Adam with betas (--moms, 0.99) and decoupled weight decay, with --scheduler onecycle)"""
    lr: Annotated[float, Field(gt=0.0)] = 0.1
    """learning rate of the head (and of the encoder, times --encoder-lr-scale)"""
    min_lr: Annotated[float, Field(ge=0.0)] = 1e-3
    """learning rate at the end of the cosine schedule"""
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    """SGD momentum"""
    weight_decay: Annotated[float, Field(ge=0.0)] = 1e-4
    """weight decay"""
    scheduler: Literal["cosine", "step", "none", "onecycle"] = "cosine"
    """learning-rate schedule: cosine over the epochs to --min-lr, steps at --lr-decay-epochs, or one cycle
    over the steps (--pct-start, --div-factor, --moms)"""
    lr_decay_epochs: list[Positive] = []
    """step schedule: the epochs (counted from 0) from which the learning rate is multiplied by --lr-decay-rate once more"""
    lr_decay_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    """step schedule: the factor of each step"""
    pct_start: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.4
    """one cycle: share of the steps over which the learning rate rises from lr / --div-factor to lr"""
    div_factor: Annotated[float, Field(ge=1.0)] = 10.0
    """one cycle: the first learning rate is lr / div_factor; the last is that / 1e4"""
    moms: list[float] = [0.95, 0.85]
    """one cycle: momentum (Adam's beta1) at the start and at the peak learning rate; back to the first at the end"""
    grad_clip: Annotated[float, Field(ge=0.0)] = 0.0
    """clip the gradients' global L2 norm to this before each step (0: no clipping)"""
    encoder_lr_scale: Annotated[float, Field(ge=0.0)] = 1.0
    """the encoder's learning rate relative to the head's"""
    freeze_encoder: bool = False
    """train the head only (the encoder stays as loaded, BatchNorm statistics included)"""
    label_smoothing: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2
    """label smoothing of the cross-entropy: 1 - e on the gold class, e / (C - 1) elsewhere"""
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    """dropout of the head"""


class EncoderSettings(Settings):
    """Encoder: the architecture of --scratch runs, and of checkpoints that do not describe it."""

    backbone: Literal["", BackboneName] = ""
    """encoder ('': the checkpoint's; with --scratch: the preset's)"""
    k: NonNegative = 0
    """DGCNN neighbours (0: the checkpoint's, else the backbone's default)"""
    emb_dims: NonNegative = 0
    """width of the encoder's last layer (0: the checkpoint's, else 1024)"""


class FinetuneRunSettings(RunSettings):
    """Run: output folder, hardware, logging."""

    preset: str = ""
    """preset the settings started from"""
    save_checkpoints: bool = True
    """keep the best-on-validation and last checkpoint of every run"""


class FinetuneSettings(FinetuneRunSettings, ProtocolSettings, FinetuneOptimSettings, EncoderSettings):
    """Settings every fine-tuning task has; tasks add their data settings."""

    def check(self) -> None:
        if self.freeze_encoder and self.encoder_lr_scale not in (0.0, 1.0):
            raise ConfigError("--freeze-encoder and --encoder-lr-scale contradict each other; give one")
        if self.optimizer == "adam_onecycle" and self.scheduler != "onecycle":
            raise ConfigError("--optimizer adam_onecycle runs with --scheduler onecycle")
        if len(self.moms) != 2 or not all(0.0 <= m < 1.0 for m in self.moms):
            raise ConfigError(f"--moms takes two momenta in [0, 1), got {self.moms}")
        if self.scheduler == "step" and not self.lr_decay_epochs:
            raise ConfigError("--scheduler step needs --lr-decay-epochs (e.g. 80 120 160)")
