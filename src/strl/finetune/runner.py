"""The fine-tuning protocol: every label fraction x seed x initialisation, then mean and spread.

For each label fraction and seed the task's splits are drawn once; the pre-trained and the
scratch model are trained on exactly the same samples with the same recipe. Each run selects its
epoch on validation data (:mod:`strl.finetune.selection`). The summary reports, per label
fraction and initialisation, the mean and standard deviation over seeds of the test scores at the
validation-selected epoch, at the last epoch, and (named as the optimistic protocol) the best
test score over epochs.
"""

from __future__ import annotations

import copy
import os
import time
import warnings

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import BatchSampler, DataLoader

from strl.backbones import build_described_backbone
from strl.backbones.defaults import resolve_k
from strl.errors import CheckpointError, ConfigError
from strl.finetune.module import FinetuneModule
from strl.finetune.selection import EpochSelection, RunRecord
from strl.sequences.pairs import EpochSampler
from strl.settings.common import lightning_devices, writable_folder

warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")

INITS = ("pretrained", "scratch")


def uses_gpu(cfg) -> bool:
    return cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())


class Encoders:
    """Builds the encoder of every run: the checkpoint's weights (pre-trained) or a fresh one (scratch)."""

    def __init__(self, checkpoint: str | None, cfg):
        self.checkpoint = checkpoint
        if checkpoint:
            from strl.checkpoints.load import load_encoder

            try:  # the checkpoint's own description (or its keys) decides the architecture; k may change
                loaded = load_encoder(checkpoint, k=cfg.k or None)
            except CheckpointError as exc:
                if "pass --backbone" not in str(exc) or not cfg.backbone:
                    raise
                loaded = load_encoder(checkpoint, backbone=cfg.backbone, k=cfg.k or None, emb_dims=cfg.emb_dims or None)
            self.description, self.state = loaded.description, copy.deepcopy(loaded.encoder.state_dict())
        else:
            if not cfg.backbone:
                raise ConfigError("--scratch needs an encoder architecture: give --backbone (or a preset that sets it)")
            self.description = {"backbone": cfg.backbone, "k": resolve_k(cfg.backbone, cfg.k or None),
                                "emb_dims": cfg.emb_dims or 1024, "in_channels": 3}
            self.state = None
            if cfg.backbone == "pointpillars" and getattr(cfg, "detector_config", ""):
                self.description["detector_config"] = cfg.detector_config  # its grid and layer widths

    def build(self, init: str) -> torch.nn.Module:
        encoder = build_described_backbone(self.description)
        if init == "pretrained":
            encoder.load_state_dict(self.state)
        return encoder


def check_backbone(task, cfg, encoders: Encoders) -> None:
    """Refuse an encoder the task's head does not fit, before any training."""
    name = encoders.description["backbone"]
    what = f"{encoders.checkpoint} holds a {name} encoder" if encoders.checkpoint else f"--backbone {name}"
    task.check_encoder(cfg, name, what)


def train_loader(data, cfg, seed: int) -> DataLoader:
    n = len(data.train)
    if n < 2:
        raise ConfigError(f"only {n} labelled training sample(s) left after the label fraction and the validation "
                          "split; give a larger --label-fraction")
    sampler = EpochSampler(n, seed=seed, shuffle=True)
    batch = min(cfg.batch_size, n)
    # the reference drops the last incomplete batch; a batch of one would also break BatchNorm
    drop_last = n >= cfg.batch_size
    return DataLoader(data.train, batch_sampler=BatchSampler(sampler, batch, drop_last=drop_last),
                      num_workers=cfg.num_workers, collate_fn=data.collate, persistent_workers=cfg.num_workers > 0)


def fit_one(task, cfg, data, encoders: Encoders, init: str, seed: int, folder: str, run_name: str) -> RunRecord:
    """Train one model and return what :class:`EpochSelection` recorded."""
    L.seed_everything(seed, verbose=False)
    model = task.build_model(cfg, encoders.build(init), data.info)
    meta = {"task": task.name, "init": init, "seed": seed, "encoder": encoders.description,
            "head": task.head_description(data.info), "settings": cfg.to_dict()}
    module = FinetuneModule(task, model, cfg, meta)
    ckpt_dir = os.path.join(folder, "checkpoints", run_name) if cfg.save_checkpoints else None
    selection = EpochSelection(task, data, cfg, ckpt_dir)
    callbacks: list[L.Callback] = [selection]
    if cfg.progress:
        callbacks.append(TQDMProgressBar(refresh_rate=5))
    gpu = uses_gpu(cfg)
    trainer = L.Trainer(
        default_root_dir=folder, max_epochs=cfg.epochs, accelerator=cfg.accelerator,
        devices=lightning_devices(cfg.devices, gpu), num_nodes=cfg.num_nodes, strategy=cfg.strategy,
        precision=cfg.precision if cfg.precision != "auto" else ("bf16-mixed" if gpu else "32-true"),
        logger=CSVLogger(folder, name="logs", version=run_name), callbacks=callbacks,
        enable_checkpointing=False, enable_progress_bar=cfg.progress, enable_model_summary=False,
        limit_val_batches=0, num_sanity_val_steps=0, log_every_n_steps=1, use_distributed_sampler=False,
    )
    trainer.fit(module, train_dataloaders=train_loader(data, cfg, seed))
    record = selection.record
    if not record.selected:  # no validation score (no validation samples): the last epoch is reported
        record.selected, record.predictions, record.best_epoch = dict(record.last), record.last_predictions, -1
    return record


def summarise(values: list[float]) -> tuple[float, float]:
    """Mean and population standard deviation (0 for one seed)."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std())


def aggregate(task, records: dict) -> dict:
    """``records[(fraction, init, seed)] -> RunRecord`` into the per-fraction summary."""
    out: dict = {}
    for fraction in sorted({f for f, _, _ in records}):
        part: dict = {}
        for init in INITS:
            runs = [r for (f, i, _), r in sorted(records.items()) if f == fraction and i == init]
            if not runs:
                continue
            suffix = "" if init == "pretrained" else "_scratch"
            for key in task.report_metrics:
                for tag, pick in (("", lambda r: r.selected), ("_last", lambda r: r.last),
                                  ("_best_on_test", lambda r: r.best_on_test)):
                    values = [pick(r).get(key, float("nan")) for r in runs]
                    mean, std = summarise(values)
                    part[f"{key}{tag}{suffix}"] = mean
                    part[f"{key}{tag}{suffix}_std"] = std
                    part[f"{key}{tag}{suffix}_per_seed"] = [float(v) for v in values]
            part[f"selected_epochs{suffix}"] = [r.best_epoch for r in runs]
        out[f"{fraction:g}"] = part
    return out


def run_protocol(task, cfg, checkpoint: str | None, folder: str, log=print) -> tuple[dict, dict]:
    """Run every label fraction x seed x initialisation. Returns ``(summary by fraction, records)``."""
    encoders = Encoders(checkpoint, cfg)
    check_backbone(task, cfg, encoders)
    inits = ["pretrained"] if checkpoint else []
    if not checkpoint or cfg.scratch_baseline:
        inits.append("scratch")
    records: dict = {}
    for fraction in cfg.label_fraction:
        for seed in cfg.seeds:
            data = task.data(cfg, fraction, seed)
            i = data.info
            if "train_samples" in i:
                total = f" of {i['test_scenes_total']}" if i.get("test_scenes_total", i["test_samples"]) != i["test_samples"] else ""
                log(f"labels {fraction:g}, seed {seed}: {i['train_samples']} training, {i['val_samples']} validation, "
                    f"{i['test_samples']}{total} test samples")
            for init in inits:
                name = f"{init}-frac{fraction:g}-seed{seed}"
                start = time.perf_counter()
                records[(fraction, init, seed)] = record = fit_one(task, cfg, data, encoders, init, seed, folder, name)
                score = record.selected.get(task.selection_metric, float("nan"))
                when = (f"at epoch {record.best_epoch} (selected on validation)" if record.best_epoch > 0 else
                        "at the last epoch (no validation samples at this label fraction)")
                log(f"{name}: test {task.selection_metric} {100 * score:.1f} % {when}; {time.perf_counter() - start:.0f} s")
    return aggregate(task, records), records


def run_folder(cfg, task_name: str) -> str:
    name = cfg.name or f"finetune-{task_name}-{cfg.preset or 'custom'}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder = os.path.join(cfg.out_dir, name)
    if os.path.isfile(os.path.join(folder, "metrics.json")):
        raise ConfigError(f"run folder {folder} holds a finished run already: give another --name")
    return writable_folder(folder, "--out-dir/--name")
