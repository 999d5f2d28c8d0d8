"""Scoring every few epochs and selecting the epoch on validation data, never on the test set.

:class:`EpochSelection` evaluates the validation split after each ``eval_every``-th epoch (and the
last) and keeps the epoch with the best validation score (its weights as ``best.ckpt``, its test
score and test predictions) and the last epoch's test score. With ``test_every_evaluation`` the
test split is scored at every evaluation too (the curves, and the best test score over epochs —
the optimistic protocol of the reference code, reported under its own name only); without it, the
test split is scored once for the selected and once for the last weights, and best-on-test is not
computed.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

import lightning as L
import numpy as np
import torch


@dataclass
class RunRecord:
    """What one run (one seed, one initialisation, one label fraction) produced."""

    history: list[dict] = field(default_factory=list)  # per evaluated epoch: epoch, loss, val/..., test/...
    best_epoch: int = -1
    best_val: float = -np.inf
    selected: dict = field(default_factory=dict)  # test metrics at the validation-selected epoch
    last: dict = field(default_factory=dict)  # test metrics at the last epoch
    best_on_test: dict = field(default_factory=dict)  # per metric, the best test value over evaluated epochs
    predictions: dict = field(default_factory=dict)  # test predictions at the validation-selected epoch
    last_predictions: dict = field(default_factory=dict)  # test predictions at the last evaluated epoch


class EpochSelection(L.Callback):
    def __init__(self, task, data, cfg, checkpoint_dir: str | None):
        self.task, self.data, self.cfg, self.checkpoint_dir = task, data, cfg, checkpoint_dir
        self.record = RunRecord()
        self._best_state: dict | None = None  # weights of the selected epoch, when test is scored at the end only

    def _evaluate(self, split, pl_module):
        model = pl_module.model
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return self.task.evaluate(model, split, self.cfg, pl_module.device)
        finally:
            model.train(was_training)  # a frozen encoder stays in eval mode (TaskModel.train)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        if epoch % self.cfg.eval_every and epoch != trainer.max_epochs:
            return
        val = self._evaluate(self.data.val, pl_module)
        test = self._evaluate(self.data.test, pl_module) if self.cfg.test_every_evaluation else None
        loss = trainer.callback_metrics.get("train/loss")
        row = {"epoch": epoch, "loss": float(loss) if loss is not None else float("nan"),
               **{f"val/{k}": v for k, v in val.metrics.items()},
               **({f"test/{k}": v for k, v in test.metrics.items()} if test else {})}
        self.record.history.append(row)
        for key, value in row.items():
            if key != "epoch" and isinstance(value, (int, float)) and np.isfinite(value):
                pl_module.log(key if key != "loss" else "train/epoch_loss", float(value), on_epoch=True)
        rec, key = self.record, self.task.selection_metric
        score = val.metrics.get(key, float("nan"))
        if np.isfinite(score) and score > rec.best_val:  # the earliest of equal scores is kept
            rec.best_val, rec.best_epoch = score, epoch
            if test:
                rec.selected, rec.predictions = dict(test.metrics), test.predictions
            else:
                self._best_state = copy.deepcopy(pl_module.model.state_dict())
            if self.checkpoint_dir:
                trainer.save_checkpoint(os.path.join(self.checkpoint_dir, "best.ckpt"))
        if test is None:
            return
        rec.last, rec.last_predictions = dict(test.metrics), test.predictions
        for name, value in test.metrics.items():
            if np.isfinite(value) and value > rec.best_on_test.get(name, -np.inf):
                rec.best_on_test[name] = value

    def _score_selected_and_last(self, pl_module: L.LightningModule) -> None:
        """Test scores of the last weights and, when another epoch was selected, of its weights."""
        rec, model = self.record, pl_module.model
        last = self._evaluate(self.data.test, pl_module)
        rec.last, rec.last_predictions = dict(last.metrics), last.predictions
        if self._best_state is None:
            return
        current = copy.deepcopy(model.state_dict())
        model.load_state_dict(self._best_state)
        try:
            selected = self._evaluate(self.data.test, pl_module)
        finally:
            model.load_state_dict(current)
        rec.selected, rec.predictions = dict(selected.metrics), selected.predictions

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.cfg.test_every_evaluation:
            self._score_selected_and_last(pl_module)
        if self.checkpoint_dir:
            trainer.save_checkpoint(os.path.join(self.checkpoint_dir, "last.ckpt"))
