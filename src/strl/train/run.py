"""One pre-training run end to end: trainer, fit (or resume), final linear-SVM comparison, metrics.json."""

from __future__ import annotations

import json
import os
import time
import warnings

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger

from strl.errors import ConfigError
from strl.evaluate.protocol import encoder_features, linear_protocols, module_device
from strl.settings.common import lightning_devices, writable_folder
from strl.train.allocator import keep_freed_memory
from strl.train.bad_samples import SkippedSampleCounter
from strl.train.callbacks import CurvePlot, ProbeCallback
from strl.train.config import PretrainConfig
from strl.train.data import eval_clouds
from strl.train.datamodule import PairDataModule, augment_on_worker
from strl.train.module import PretrainModule, build_method

# Lightning notices that are expected here: augmentation on the device is a module hook by design.
warnings.filterwarnings("ignore", message=".*overridden `on_after_batch_transfer`.*")
warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")


def run_dir(cfg: PretrainConfig) -> str:
    name = cfg.name or f"{cfg.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
    return os.path.join(cfg.out_dir, name)


def resolve_run(cfg: PretrainConfig) -> tuple[str, str | None]:
    """The run folder and the checkpoint to resume from (None: a new run).

    ``cfg.resume`` is empty (a new run in :func:`run_dir`; refused where a run already is),
    ``"last"`` (that folder's last checkpoint), a run folder (continue it, in that folder, from its
    last checkpoint) or a checkpoint file (its state, in :func:`run_dir`).
    """
    if cfg.resume and os.path.isdir(cfg.resume):
        folder = os.path.normpath(cfg.resume)
        if cfg.name and os.path.abspath(run_dir(cfg)) != os.path.abspath(folder):
            raise ConfigError(f"--resume {cfg.resume} continues that run folder, but --name and --out-dir name "
                              f"{run_dir(cfg)}; give one of them")
        path: str | None = os.path.join(folder, "checkpoints", "last.ckpt")
    else:
        folder = run_dir(cfg)
        path = None if not cfg.resume else os.path.join(folder, "checkpoints", "last.ckpt") if cfg.resume == "last" else cfg.resume
    if path is None and os.path.isfile(os.path.join(folder, "checkpoints", "last.ckpt")):
        raise ConfigError(f"run folder {folder} holds a run already: give another --name, "
                          f"or --resume {folder} to continue it")
    if path is not None and not os.path.isfile(path):
        raise ConfigError(f"cannot resume: checkpoint {path} does not exist")
    return folder, path


def write_settings(cfg: PretrainConfig, folder: str) -> None:
    """``config.yaml`` in the run folder: the resolved settings and the package version. ``resume``
    is written empty (it is an action, not a setting), so ``--config`` of this file repeats the run."""
    from strl import __version__
    from strl.settings import settings_yaml

    with open(os.path.join(folder, "config.yaml"), "w") as f:
        f.write(settings_yaml(cfg.replace(resume="").to_dict(), __version__))


def uses_gpu(cfg: PretrainConfig) -> bool:
    return cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())


def build_trainer(cfg: PretrainConfig, folder: str, callbacks: list[L.Callback]) -> L.Trainer:
    precision = cfg.precision
    if precision == "auto":
        precision = "bf16-mixed" if uses_gpu(cfg) else "32-true"
    loggers = [CSVLogger(folder, name="", version="logs")]
    if cfg.tensorboard:
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(folder, name="", version="tensorboard"))
    ckpt_dir = os.path.join(folder, "checkpoints")
    callbacks = [
        *callbacks,
        ModelCheckpoint(ckpt_dir, filename="epoch{epoch:03d}", auto_insert_metric_name=False, save_top_k=-1,
                        every_n_epochs=max(1, cfg.checkpoint_every), save_last=True),
    ]
    if cfg.progress:
        callbacks.append(TQDMProgressBar(refresh_rate=5))
    devices = lightning_devices(cfg.devices, uses_gpu(cfg))
    return L.Trainer(
        default_root_dir=folder,
        max_epochs=cfg.epochs,
        accelerator=cfg.accelerator,
        devices=devices,
        num_nodes=cfg.num_nodes,
        strategy=cfg.strategy,
        sync_batchnorm=cfg.sync_batchnorm and uses_gpu(cfg),  # SyncBatchNorm needs GPU modules
        precision=precision,
        logger=loggers,
        callbacks=callbacks,
        use_distributed_sampler=False,  # EpochSampler splits the data across processes itself
        enable_progress_bar=cfg.progress,
        enable_model_summary=False,
        log_every_n_steps=5,
        limit_train_batches=cfg.limit_train_batches,
        num_sanity_val_steps=0,
        deterministic=False,
    )


def final_evaluation(cfg: PretrainConfig, encoder: torch.nn.Module, train, test) -> dict:
    """Linear-SVM accuracies of the pre-trained encoder and of the same architecture with the
    run's initial random weights, on the fair, paper and few-label protocols."""
    L.seed_everything(cfg.seed, verbose=False)
    random_encoder = build_method(cfg).backbone.to(module_device(encoder))
    results = {}
    for tag, enc in (("", encoder), ("_random_init", random_encoder)):
        feats = encoder_features(enc, train, test, cfg.eval_points, device=module_device(enc), progress=cfg.progress)
        res = linear_protocols(*feats, seed=cfg.seed)
        results[f"svm_accuracy{tag}"] = res["fair"]["accuracy"]
        results[f"svm_accuracy{tag}_paper"] = res["paper"]["accuracy"]
        results[f"svm_accuracy_few{tag}"] = res["few"]["accuracy"]
        results[f"svm_fit_seconds{tag}"] = res["fair"]["fit_seconds"]
    return results


def pretrain(cfg: PretrainConfig) -> tuple[str, dict]:
    """Run pre-training as configured; returns the run folder and the metrics written to ``metrics.json``."""
    start = time.perf_counter()
    folder, resume = resolve_run(cfg)
    lightning_devices(cfg.devices, uses_gpu(cfg))
    writable_folder(folder, "--out-dir/--name")
    L.seed_everything(cfg.seed, verbose=False)
    gpu = uses_gpu(cfg)
    if not gpu:
        keep_freed_memory()
    on_worker = augment_on_worker(cfg, gpu)
    module = PretrainModule(cfg, augment_on_device=not on_worker)
    data = PairDataModule(cfg, on_worker=on_worker)
    callbacks: list[L.Callback] = []
    probe = None
    need_eval = cfg.probe != "none" or cfg.final_eval
    if need_eval:
        train = eval_clouds(cfg.eval_dataset, cfg.eval_root, "train", cfg.eval_points, cfg.cache_dir, cfg.builtin_seed, cfg.builtin_size)
        test = eval_clouds(cfg.eval_dataset, cfg.eval_root, "test", cfg.eval_points, cfg.cache_dir, cfg.builtin_seed, cfg.builtin_size)
    if cfg.probe != "none":
        probe = ProbeCallback(train, test, cfg.eval_points, cfg.probe, cfg.probe_every)
        callbacks.append(probe)
    callbacks.append(CurvePlot(os.path.join(folder, "training.png"), probe))
    if cfg.on_bad_sample == "skip":
        callbacks.append(SkippedSampleCounter(data.bad_samples))
    write_settings(cfg, folder)
    trainer = build_trainer(cfg, folder, callbacks)
    trainer.fit(module, datamodule=data, ckpt_path=resume)
    metrics: dict = {}
    if trainer.is_global_zero:
        if cfg.final_eval:
            metrics.update(final_evaluation(cfg, module.encoder, train, test))
        loss = trainer.callback_metrics.get("train/loss_epoch")
        if loss is not None:
            metrics["train_loss_last_epoch"] = float(loss)
        metrics["seconds"] = time.perf_counter() - start
        metrics["skipped_samples"] = SkippedSampleCounter.total(trainer, data.bad_samples)
        metrics["eval_dataset"] = cfg.eval_dataset
        metrics["settings"] = cfg.to_dict()
        metrics["checkpoint"] = os.path.join(folder, "checkpoints", "last.ckpt")
        with open(os.path.join(folder, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
    return folder, metrics
