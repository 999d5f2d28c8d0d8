"""The epoch is selected on validation data; last-epoch and best-on-test scores are kept apart."""

import numpy as np
import pytest
import torch
from torch import nn

from strl.finetune.runner import aggregate, fit_one
from strl.finetune.selection import RunRecord
from strl.models.base import TaskModel
from strl.tasks.base import Evaluation, Task, TaskData
from strl.tasks.classify import ClassifySettings

VAL = [0.50, 0.70, 0.70, 0.60]  # the best validation score first comes at epoch 2 (a tie at 3 keeps 2)
TEST = [0.90, 0.40, 0.45, 0.80]  # the test set's own favourite is epoch 1


class TinyModel(TaskModel):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(3, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.encoder(x))


class ScriptedTask(Task):
    """Trains a tiny model on noise; its 'evaluation' replays scripted scores epoch by epoch."""

    name, selection_metric, report_metrics = "scripted", "score", ("score",)

    def __init__(self):
        self.calls = {"val": 0, "test": 0}

    def data(self, cfg, fraction, seed):
        items = [{"points": torch.randn(3), "label": torch.tensor(i % 2)} for i in range(8)]
        return TaskData([items[i] for i in range(8)], "val", "test")

    def build_model(self, cfg, encoder, info):
        return TinyModel()

    def loss(self, model, batch, cfg):
        return nn.functional.cross_entropy(model(batch["points"]), batch["label"])

    def evaluate(self, model, split, cfg, device):
        script = VAL if split == "val" else TEST
        score = script[self.calls[split]]
        self.calls[split] += 1
        return Evaluation({"score": score}, {"pred": np.array([self.calls[split]])})


class KeyedList(list):
    def __getitem__(self, key):
        return super().__getitem__(key[0])


class NoEncoders:
    description = {"backbone": "none"}

    def build(self, init):
        return None


def test_selection_uses_validation_and_names_the_optimistic_number(tmp_path):
    cfg = ClassifySettings(epochs=4, batch_size=4, progress=False, save_checkpoints=False, accelerator="cpu")
    task = ScriptedTask()
    data = task.data(cfg, 1.0, 0)
    data.train = KeyedList(data.train)
    record = fit_one(task, cfg, data, NoEncoders(), "scratch", 0, str(tmp_path), "run")
    assert record.best_epoch == 2 and record.selected == {"score": 0.40}
    assert record.last == {"score": 0.80} and record.best_on_test == {"score": 0.90}
    assert record.predictions["pred"].tolist() == [2]  # the test predictions of the selected epoch
    assert [row["val/score"] for row in record.history] == VAL


def test_aggregate_reports_mean_and_population_std_over_seeds():
    task = ScriptedTask()
    records = {}
    for seed, (sel, last) in enumerate([(0.5, 0.6), (0.7, 0.6), (0.9, 0.9)]):
        records[(0.1, "pretrained", seed)] = RunRecord(selected={"score": sel}, last={"score": last}, best_on_test={"score": 1.0})
        records[(0.1, "scratch", seed)] = RunRecord(selected={"score": sel - 0.3}, last={"score": 0.0}, best_on_test={"score": 0.5})
    part = aggregate(task, records)["0.1"]
    assert part["score"] == pytest.approx(0.7) and part["score_std"] == pytest.approx(np.std([0.5, 0.7, 0.9]))
    assert part["score_scratch"] == pytest.approx(0.4) and part["score_last"] == pytest.approx(0.7)
    assert part["score_best_on_test"] == 1.0 and part["score_best_on_test_scratch"] == 0.5
    assert part["score_per_seed"] == [0.5, 0.7, 0.9]


def test_without_test_every_evaluation_the_selected_weights_are_scored_at_the_end(tmp_path):
    """Test is scored at the end only: once with the selected epoch's weights (restored), once with the last."""
    biases = []

    class WeightTask(ScriptedTask):
        def evaluate(self, model, split, cfg, device):
            if split == "val":
                biases.append(float(model.head.bias[0]))  # the weights of this epoch
                return super().evaluate(model, split, cfg, device)
            return Evaluation({"score": float(model.head.bias[0])}, {"pred": np.array([0])})

    cfg = ClassifySettings(epochs=4, batch_size=4, progress=False, save_checkpoints=False, accelerator="cpu",
                           test_every_evaluation=False)
    task = WeightTask()
    data = task.data(cfg, 1.0, 0)
    data.train = KeyedList(data.train)
    record = fit_one(task, cfg, data, NoEncoders(), "scratch", 0, str(tmp_path), "run")
    assert record.best_epoch == 2 and "test/score" not in record.history[0] and len(biases) == 4
    assert record.selected["score"] == pytest.approx(biases[1])  # epoch 2's weights, restored for the test
    assert record.last["score"] == pytest.approx(biases[-1]) and record.best_on_test == {}
