"""What a fine-tuning task is: data, a model around the encoder, a loss, and a scored evaluation.

The trainer (:mod:`strl.finetune.module`) and the protocol runner (:mod:`strl.finetune.runner`)
know nothing else about a task. A new downstream task is one module in this package that
subclasses :class:`Task` and defines its settings class and presets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the CLI imports tasks for their settings; torch is imported when a task runs
    import torch
    from torch import nn


@dataclass
class TaskData:
    """The splits of one run (training labels already reduced to the run's label fraction).

    ``train`` yields training samples; ``val`` and ``test`` are whatever ``Task.evaluate`` takes.
    ``info`` holds what the model and the report need (class names, counts, ...).
    """

    train: Any
    val: Any
    test: Any
    collate: Callable | None = None
    info: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    """Metrics of one split (fractions in 0..1) and the arrays a predictions file holds."""

    metrics: dict[str, float]
    predictions: dict[str, np.ndarray]


class Task:
    """Base class of the fine-tuning tasks.

    name: the ``strl finetune`` sub-command.
    selection_metric: the key of ``Evaluation.metrics`` that selects the epoch on validation data
        (and that the report leads with); ``report_metrics`` lists the keys the summary reports
        (``table_metrics``, when not empty, those of the printed table).
    settings, presets, default_preset: the settings class, its presets, and the one used by default.
    """

    name: str = ""
    selection_metric: str = ""
    report_metrics: tuple[str, ...] = ()
    #: the keys of the printed summary table when it should show fewer than ``report_metrics`` (empty: all)
    table_metrics: tuple[str, ...] = ()
    #: encoders the task's head fits
    backbones: tuple[str, ...] = ()

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        """The run's splits: labels of the training split reduced to ``fraction`` (seeded), and the
        validation split carved from those labelled samples."""
        raise NotImplementedError

    def build_model(self, cfg, encoder: "nn.Module", info: dict) -> "nn.Module":
        """The task model around ``encoder`` (pre-trained or freshly initialised)."""
        raise NotImplementedError

    def loss(self, model: "nn.Module", batch, cfg) -> "torch.Tensor":
        raise NotImplementedError

    def on_train_epoch_start(self, model: "nn.Module", epoch: int, cfg) -> None:
        """Called before each training epoch (``epoch`` counted from 0), e.g. for a schedule of the model's own."""

    def batch_size(self, batch) -> int:
        """Samples in a training batch (for logging)."""
        return int(batch["points"].shape[0])

    def evaluate(self, model: "nn.Module", split, cfg, device: "torch.device") -> Evaluation:
        """Scores of ``model`` (in eval mode) on a validation or test split."""
        raise NotImplementedError

    def check_encoder(self, cfg, backbone: str, source: str) -> None:
        """Refuse an encoder the head does not fit (``source`` says where it came from)."""
        from strl.errors import ConfigError

        if backbone not in self.backbones:
            raise ConfigError(f"{source}; {self.name} fine-tuning takes {' or '.join(self.backbones)} "
                              f"(pre-train with such a backbone, or pick another preset)")

    def predict_arrays(self, model: "nn.Module", clouds: np.ndarray, cfg, source: str) -> np.ndarray:
        """``strl predict``: the model's outputs for ``(M, N, 3)`` clouds (``source`` names their file)."""
        from strl.errors import ConfigError

        raise ConfigError(f"strl predict does not take fine-tuned {self.name} models")

    def downstream_export(self, model: "nn.Module", meta: dict) -> tuple[str, str, dict]:
        """``(target code base, top-level key, state_dict)`` of a fine-tuned model for ``strl export``."""
        from strl.errors import ConfigError

        raise ConfigError(f"strl export does not take fine-tuned {self.name} models")

    def downstream_extras(self, model: "nn.Module", meta: dict) -> dict:
        """Further top-level entries of the file ``strl export`` writes (besides the state_dict's key)."""
        return {}

    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        """Task-specific additions to the run folder and ``metrics`` (``record``: the first pre-trained run)."""

    def head_description(self, info: dict) -> dict:
        """What a fine-tuned checkpoint needs besides the encoder to rebuild the model."""
        return {}

    def rebuild_model(self, encoder: "nn.Module", head: dict, cfg=None) -> "nn.Module":
        """The model of a fine-tuned checkpoint from its encoder and ``head_description``."""
        return self.build_model(cfg, encoder, head)


def batched_outputs(model: "nn.Module", clouds: np.ndarray, cfg, forward=None) -> np.ndarray:
    """Run ``forward(model, points (b, N, 3), start, stop)`` (default ``model(points)``) over ``(M, N, 3)``
    clouds in batches of ``cfg.batch_size`` on ``cfg.device``, in eval mode, optionally normalising
    each cloud into the unit sphere (``cfg.normalize``); the outputs concatenated as float32."""
    import torch

    from strl.evaluate.features import normalize_unit_sphere

    forward = forward or (lambda m, points, start, stop: m(points))
    outs = []
    with torch.no_grad():
        for start in range(0, len(clouds), cfg.batch_size):
            batch = clouds[start:start + cfg.batch_size]
            if cfg.normalize:
                batch = np.stack([normalize_unit_sphere(c) for c in batch])
            points = torch.from_numpy(np.array(batch, dtype=np.float32)).to(cfg.device)
            outs.append(forward(model, points, start, start + len(batch)).float().cpu().numpy())
    return np.concatenate(outs)
