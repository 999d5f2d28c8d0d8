"""The Lightning module of one fine-tuning run: a task model, its loss, optimizer and schedule."""

from __future__ import annotations

import math

import lightning as L
import torch
from torch import nn

from strl.train.optim import build_optimizer

FINETUNED_FORMAT = 1


def step_factor(milestones: list[int], rate: float):
    """LR multiplier per epoch (counted from 0): ``rate`` to the number of ``milestones`` reached, as
    VoteNet's ``get_current_lr`` (epochs 80, 120, 160 and rate 0.1: x0.1 from epoch 80, x0.01 from 120, ...)."""

    def factor(epoch: int) -> float:
        return rate ** sum(epoch >= m for m in milestones)

    return factor


def cosine_to_floor(epochs: int, floor: float):
    """LR multiplier per epoch: cosine from 1 to ``floor`` over ``epochs`` (the reference's
    ``CosineAnnealingLR(T_max=epochs, eta_min)`` as a ratio, so every parameter group keeps its scale)."""

    def factor(epoch: int) -> float:
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(epoch / max(epochs, 1), 1.0)))

    return factor


def one_cycle(opt: torch.optim.Optimizer, total_steps: int, pct_start: float, div_factor: float, moms) -> torch.optim.lr_scheduler.OneCycleLR:
    """OpenPCDet's (fastai's) one-cycle schedule, stepped per optimizer step: each group's learning rate
    rises by a half cosine from ``lr / div_factor`` to its ``lr`` over ``pct_start`` of the steps, then
    falls to ``lr / div_factor / 1e4``; the momentum (Adam's beta1) goes from ``moms[0]`` to ``moms[1]``
    and back."""
    return torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=max(total_steps, 2), pct_start=pct_start,
        anneal_strategy="cos", div_factor=div_factor, final_div_factor=1e4, cycle_momentum=True,
        base_momentum=moms[1], max_momentum=moms[0])


class FinetuneModule(L.LightningModule):
    """Trains ``model`` (a :class:`strl.models.base.TaskModel`) with ``task.loss``.

    ``meta`` is stored in every checkpoint under ``"strl"`` (what the model is), so that
    ``strl predict`` and ``strl export`` can rebuild it.
    """

    def __init__(self, task, model: nn.Module, cfg, meta: dict):
        super().__init__()
        self.task, self.model, self.cfg, self.meta = task, model, cfg, meta
        if cfg.freeze_encoder:
            model.freeze_encoder()  # parameters fixed, BatchNorm statistics kept as loaded

    def on_train_epoch_start(self) -> None:
        self.task.on_train_epoch_start(self.model, self.current_epoch, self.cfg)

    def training_step(self, batch, batch_idx: int):
        loss = self.task.loss(self.model, batch, self.cfg)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=self.task.batch_size(batch),
                 sync_dist=True)
        return loss

    def configure_optimizers(self):
        cfg = self.cfg
        encoder = [p for p in self.model.encoder_parameters() if p.requires_grad]
        groups = [{"params": self.model.head_parameters(), "lr": cfg.lr}]
        if encoder and cfg.encoder_lr_scale > 0:
            groups.append({"params": encoder, "lr": cfg.lr * cfg.encoder_lr_scale})
        if cfg.optimizer == "adam_onecycle":  # OpenPCDet: Adam(betas=(0.9, 0.99)) with "true" (decoupled) weight decay
            opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.moms[0], 0.99), weight_decay=cfg.weight_decay)
        else:
            opt = build_optimizer(groups, cfg.optimizer, cfg.lr, cfg.weight_decay, cfg.momentum)
        if cfg.scheduler == "none":
            return opt
        if cfg.scheduler == "onecycle":
            sched = one_cycle(opt, int(self.trainer.estimated_stepping_batches), cfg.pct_start, cfg.div_factor, cfg.moms)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        factor = (step_factor(cfg.lr_decay_epochs, cfg.lr_decay_rate) if cfg.scheduler == "step"
                  else cosine_to_floor(cfg.epochs, cfg.min_lr / cfg.lr))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        """Clip the global gradient norm to ``--grad-clip`` (OpenPCDet's ``GRAD_NORM_CLIP``) when it is set."""
        if self.cfg.grad_clip > 0:
            self.clip_gradients(optimizer, gradient_clip_val=self.cfg.grad_clip, gradient_clip_algorithm="norm")

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["strl"] = {"format_version": FINETUNED_FORMAT, "kind": "finetuned", **self.meta}
