"""Object classification: ModelNet40/10, ScanObjectNN and the built-in objects.

Inputs follow the reference classification code (WangYueFt/dgcnn): the first ``num_points``
points of each cloud (normalised into the unit sphere, strl's evaluation convention); training
clouds are scaled per axis by U(2/3, 3/2), shifted per axis by U(-0.2, 0.2) and shuffled, with
draws keyed by ``(seed, epoch, sample)``. Loss: DGCNN's smoothed cross-entropy. Scores: overall
accuracy (selects the epoch) and mean class accuracy.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from strl.finetune.settings import FinetuneSettings
from strl.settings.schema import Settings
from strl.tasks.base import Evaluation, Task, TaskData

DATASETS = ("builtin", "modelnet40", "modelnet10", "scanobjectnn-obj-bg", "scanobjectnn-obj-only", "scanobjectnn-pb-t50-rs")


class ClassifyDataSettings(Settings):
    """Data: the labelled objects."""

    dataset: Literal[DATASETS] = "builtin"
    """labelled dataset (train split: training and validation; test split: the reported score)"""
    root: str = ""
    """folder of the dataset: a ModelNet40 layout, or ScanObjectNN's h5 files"""
    num_points: Annotated[int, Field(ge=2)] = 1024
    """points per cloud (the first ones, as the reference loader takes them)"""
    augment: bool = True
    """scale, shift and shuffle the training clouds (the reference recipe)"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in data"""
    cache_dir: str = ""
    """cache of generated and converted data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""


class ClassifySettings(ClassifyDataSettings, FinetuneSettings):
    """All settings of ``strl finetune classify``."""


PRESETS = {
    # the laptop default: the built-in objects with few labels, where pre-training matters most
    "builtin": dict(dataset="builtin", backbone="pointnet", emb_dims=512, num_points=1024, label_fraction=[0.2],
                    epochs=40, batch_size=16, optimizer="adam", lr=1e-3, min_lr=1e-5, weight_decay=1e-4),
    # WangYueFt/dgcnn main.py: SGD 0.1, momentum 0.9, wd 1e-4, cosine to 1e-3, 250 epochs, batch 32, 1024 points
    "dgcnn-modelnet40": dict(dataset="modelnet40", backbone="dgcnn", k=20, num_points=1024, epochs=250, batch_size=32,
                             optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, num_workers=8),
    "pointnet-modelnet40": dict(dataset="modelnet40", backbone="pointnet", num_points=1024, epochs=250, batch_size=32,
                                optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, num_workers=8),
    # the same recipe on ScanObjectNN (OcCo's DGCNN fine-tuning uses it for both), hardest variant by default
    "dgcnn-scanobjectnn": dict(dataset="scanobjectnn-pb-t50-rs", backbone="dgcnn", k=20, num_points=1024, epochs=250,
                               batch_size=32, optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, num_workers=8),
}


class ObjectSplit:
    """Labelled clouds ``base[indices]`` with their labels, read as the protocol prepares them."""

    def __init__(self, clouds, indices: np.ndarray, num_points: int):
        self.clouds, self.indices, self.num_points = clouds, np.asarray(indices), num_points
        self.labels = np.asarray(clouds.labels)[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def points(self, i: int) -> np.ndarray:
        """``(num_points, 3)`` float32 of sample ``i``."""
        from strl.evaluate.features import prepare_cloud

        return prepare_cloud(self.clouds[int(self.indices[i])], self.num_points)


class TrainObjects:
    """Training samples keyed by ``(index, epoch)``: augmented clouds ``(N, 3)`` and labels."""

    def __init__(self, split: ObjectSplit, seed: int, augment: bool):
        self.split, self.seed, self.augment = split, seed, augment

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, key):
        import torch

        i, epoch = key
        pts = self.split.points(i)
        if self.augment:
            rng = np.random.default_rng([self.seed, epoch, i])
            pts = pts * rng.uniform(2 / 3, 3 / 2, size=3) + rng.uniform(-0.2, 0.2, size=3)
            pts = pts[rng.permutation(len(pts))]
        return {"points": torch.from_numpy(np.ascontiguousarray(pts, dtype=np.float32)),
                "label": torch.tensor(int(self.split.labels[i]))}


def load_splits(cfg):
    """The dataset's ``train`` and ``test`` CloudSets (labelled)."""
    from strl.train.data import eval_clouds

    return tuple(eval_clouds(cfg.dataset, cfg.root, split, cfg.num_points, cfg.cache_dir, size=cfg.builtin_size)
                 for split in ("train", "test"))


class ClassifyTask(Task):
    name = "classify"
    selection_metric = "overall_accuracy"
    report_metrics = ("overall_accuracy", "mean_class_accuracy")
    backbones = ("pointnet", "dgcnn")
    settings = ClassifySettings
    presets = PRESETS
    default_preset = "builtin"

    def __init__(self):
        self._splits, self._class_names = None, None

    def _load(self, cfg):
        if self._splits is None:
            self._splits = load_splits(cfg)
        return self._splits

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        from strl.finetune.splits import labelled_split

        train, test = self._load(cfg)
        train_idx, val_idx = labelled_split(np.asarray(train.labels), fraction, cfg.val_fraction, seed)
        names = list(train.class_names) if train.class_names is not None else None
        self._class_names = names
        num_classes = len(names) if names else int(max(np.max(train.labels), np.max(test.labels))) + 1
        info = {"num_classes": num_classes, "class_names": names, "train_samples": len(train_idx),
                "val_samples": len(val_idx), "test_samples": len(test), "num_points": cfg.num_points}
        return TaskData(TrainObjects(ObjectSplit(train, train_idx, cfg.num_points), seed, cfg.augment),
                        ObjectSplit(train, val_idx, cfg.num_points), ObjectSplit(test, np.arange(len(test)), cfg.num_points),
                        info=info)

    def build_model(self, cfg, encoder, info: dict):
        from strl.models.classification import Classifier

        return Classifier(encoder, info["num_classes"], dropout=cfg.dropout if cfg is not None else 0.5)

    def loss(self, model, batch, cfg):
        from strl.models.losses import smoothed_cross_entropy

        return smoothed_cross_entropy(model(batch["points"]), batch["label"], cfg.label_smoothing)

    def evaluate(self, model, split: ObjectSplit, cfg, device) -> Evaluation:
        import torch

        from strl.metrics.classification import mean_class_accuracy, overall_accuracy

        if len(split) == 0:
            return Evaluation({k: float("nan") for k in self.report_metrics}, {})
        preds = []
        for start in range(0, len(split), cfg.batch_size):
            batch = np.stack([split.points(i) for i in range(start, min(start + cfg.batch_size, len(split)))])
            preds.append(model(torch.from_numpy(batch).to(device)).argmax(dim=-1).cpu().numpy())
        pred = np.concatenate(preds).astype(np.int64)
        label = split.labels.astype(np.int64)
        return Evaluation({"overall_accuracy": overall_accuracy(pred, label),
                           "mean_class_accuracy": mean_class_accuracy(pred, label)},
                          {"pred": pred, "label": label})

    def predict_arrays(self, model, clouds: np.ndarray, cfg, source: str) -> np.ndarray:
        """Class logits ``(M, C)``."""
        from strl.tasks.base import batched_outputs

        return batched_outputs(model, clouds, cfg)

    def downstream_export(self, model, meta: dict):
        """WangYueFt/dgcnn's classifier (DGCNN or PointNet), head included: ``{"state_dict": ...}``."""
        return "dgcnn-cls", "state_dict", model.downstream_state_dict()

    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        import os

        from strl.finetune.report import plot_confusion
        from strl.metrics.classification import confusion_matrix

        names = metrics["settings"].get("class_names") or self._class_names
        pred, label = record.predictions["pred"], record.predictions["label"]
        n = len(names) if names else int(max(pred.max(), label.max())) + 1
        plot_confusion(confusion_matrix(pred, label, n), names, os.path.join(folder, "confusion.png"))

    def head_description(self, info: dict) -> dict:
        return {"num_classes": info["num_classes"], "class_names": info["class_names"], "num_points": info["num_points"]}
