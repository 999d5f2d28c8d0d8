"""The Lightning module: one self-supervised method, its optimizer, LR schedule and EMA loop."""

from __future__ import annotations

import inspect

import lightning as L
import torch

from strl.backbones import build_backbone, resolve_k
from strl.methods import METHODS, Method
from strl.train.augmenting import augment_config, augment_pairs
from strl.train.config import PretrainConfig
from strl.train.optim import build_optimizer, cosine_lr_lambda

CHECKPOINT_FORMAT = 1


def build_method(cfg: PretrainConfig) -> Method:
    """The method named by ``cfg.method`` around the backbone named by ``cfg.backbone``."""
    backbone = build_backbone(cfg.backbone, k=cfg.k, emb_dims=cfg.emb_dims, config=cfg.detector_config or None,
                              npoints=cfg.votenet_npoints or None)
    cls = METHODS[cfg.method]
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {name: getattr(cfg, name) for name in accepted if name not in ("self", "backbone") and hasattr(cfg, name)}
    return cls(backbone, **kwargs)


def encoder_description(cfg: PretrainConfig) -> dict:
    """What a checkpoint's encoder is, so it can be rebuilt and fed correctly (the VoteNet
    backbone's set-abstraction sample counts included).

    A ``pointpillars`` encoder is described by its detector configuration: ``config`` (its preset
    name, which :func:`strl.backbones.build_backbone` takes) and the grid and layer sizes of
    :meth:`~strl.detection.pointpillars.config.PointPillarsConfig.describe`.
    """
    if cfg.backbone == "pointpillars":
        from strl.detection.pointpillars.config import preset

        detector = preset(cfg.detector_config or "pointpillars-kitti")
        return {
            "backbone": cfg.backbone,
            "k": None,
            "emb_dims": 2 * detector.backbone_channels,
            "in_channels": detector.point_features,
            "num_points": cfg.num_points,
            **detector.describe(),
            "preprocessing": "LiDAR frame of the sweep in metres (x forward, y left, z up, the sensor at the origin); "
                             "pre-trained on x, y, z with reflectance 0",
        }
    description = {
        "backbone": cfg.backbone,
        "k": resolve_k(cfg.backbone, cfg.k),
        "emb_dims": cfg.emb_dims,
        "in_channels": 3,
        "num_points": cfg.num_points,
        "preprocessing": "xyz only; centred on the mean and scaled into the unit sphere",
    }
    if cfg.backbone == "votenet":
        from strl.backbones.pointnet2 import VoteNetBackbone

        description["npoints"] = list(cfg.votenet_npoints or VoteNetBackbone.default_npoints)
    return description


class PretrainModule(L.LightningModule):
    def __init__(self, cfg: PretrainConfig, augment_on_device: bool = False):
        super().__init__()
        self.cfg = cfg
        self.method = build_method(cfg)
        self.augment_on_device = augment_on_device
        self.augment_cfg = augment_config(cfg)
        self.save_hyperparameters({"config": cfg.to_dict()})

    @property
    def encoder(self) -> torch.nn.Module:
        return self.method.backbone

    def on_after_batch_transfer(self, batch, dataloader_idx: int = 0):
        if self.augment_on_device and not batch.get("augmented", False):
            batch = augment_pairs(batch, self.augment_cfg)
        return batch

    def _gather(self, x: torch.Tensor) -> torch.Tensor:
        if self.trainer.world_size == 1:
            return x
        gathered = self.all_gather(x, sync_grads=True)  # (W, B, D)
        return gathered.reshape(-1, x.shape[-1])

    def training_step(self, batch, batch_idx: int):
        loss, extra = self.method.loss(batch["a"], batch["b"], gather=self._gather)
        bs = batch["a"].shape[0]
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=bs, sync_dist=True)
        for name, value in extra.items():
            self.log(f"train/{name}", value, on_step=True, batch_size=bs)
        return loss

    def _ema(self) -> None:
        if self.method.momentum_pairs:
            tau = self.method.update_momentum(self.global_step, int(self.trainer.estimated_stepping_batches))
            self.log("train/tau", tau, on_step=True, on_epoch=False)

    def on_train_batch_start(self, batch, batch_idx: int):
        if self.cfg.ema_before_step:
            self._ema()

    def on_train_batch_end(self, outputs, batch, batch_idx: int):
        if not self.cfg.ema_before_step:
            self._ema()
        self.log("train/lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True, on_epoch=False)

    def on_train_end(self) -> None:
        # DDP keeps parameters identical and broadcasts buffers from rank 0 before each forward;
        # do it once more so every process ends with rank 0's BatchNorm statistics too
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            for buffer in self.buffers():
                torch.distributed.broadcast(buffer, src=0)

    def configure_optimizers(self):
        cfg = self.cfg
        opt = build_optimizer(self.method.trainable_parameters(), cfg.optimizer, cfg.lr, cfg.weight_decay, cfg.momentum, cfg.lars)
        if cfg.scheduler == "none":
            return opt
        total = int(self.trainer.estimated_stepping_batches)
        warmup = int(total * cfg.warmup_epochs / max(cfg.epochs, 1))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_lr_lambda(total, warmup))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["strl"] = {
            "format_version": CHECKPOINT_FORMAT,
            "method": self.cfg.method,
            "encoder": encoder_description(self.cfg),
        }
