"""ShapeNetPart part segmentation (dgcnn.pytorch ``main_partseg.py``): 16 categories, 50 parts.

Training uses the ``trainval`` split (its validation share is carved from the labelled shapes,
stratified by category); the score is the ``test`` split. Each shape's first ``num_points`` points
(repeated cyclically if it has fewer) are normalised into the unit sphere; training shapes are
shuffled point-wise (the reference's only augmentation). The category one-hot feeds the head.
Scores: instance mIoU (selects the epoch) and class mIoU; a part absent from both prediction and
ground truth counts as IoU 1; predictions are restricted to the shape category's parts unless
``--no-restrict-parts`` (dgcnn.pytorch's argmax over all 50 parts).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from strl.errors import DataError
from strl.finetune.settings import FinetuneSettings
from strl.settings.schema import Settings
from strl.tasks.base import Evaluation, Task, TaskData


class PartSegDataSettings(Settings):
    """Data: ShapeNetPart."""

    dataset: Literal["shapenetpart"] = "shapenetpart"
    """labelled dataset"""
    root: str = ""
    """ShapeNetPart folder: the text release (shapenetcore_partanno_segmentation_benchmark_v0_normal) or the h5 release"""
    num_points: Annotated[int, Field(ge=2)] = 2048
    """points per shape"""
    restrict_parts: bool = True
    """predict among the shape category's parts only (off: argmax over all 50 parts, as dgcnn.pytorch)"""


class PartSegSettings(PartSegDataSettings, FinetuneSettings):
    """All settings of ``strl finetune partseg``."""


PRESETS = {
    # dgcnn.pytorch main_partseg.py: 2048 points, k 40, batch 32, 200 epochs, SGD 0.1 momentum 0.9 wd 1e-4,
    # cosine to 1e-3, smoothed cross-entropy
    "dgcnn-shapenetpart": dict(backbone="dgcnn-partseg", k=40, num_points=2048, epochs=200, batch_size=32,
                               optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, num_workers=8),
}


class ShapeSplit:
    """Shapes ``base[indices]``: points ``(N, 3)``, part ids ``(N,)`` and the category, checked."""

    def __init__(self, shapes, indices: np.ndarray, num_points: int):
        self.shapes, self.indices, self.num_points = shapes, np.asarray(indices), num_points
        self.categories = np.asarray(shapes.labels)[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _source(self, j: int) -> str:
        where = getattr(self.shapes, "files", None)
        if where is not None:
            return str(where[j])
        stack = getattr(self.shapes, "stack", None)
        return f"{stack.where(j)[0]} (item {stack.where(j)[1]})" if stack is not None else f"shape {j}"

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Normalised points ``(num_points, 3)`` float32, part ids ``(num_points,)`` int64, category."""
        from strl.evaluate.features import normalize_unit_sphere
        from strl.metrics.segmentation import CATEGORY_PARTS, PART_START, PARTS_PER_CATEGORY

        j, category = int(self.indices[i]), int(self.categories[i])
        points, parts = np.asarray(self.shapes[j], dtype=np.float32), self.shapes.part_labels(j)
        if len(parts) != len(points):
            raise DataError(self._source(j), f"{len(parts)} part labels for {len(points)} points")
        if not CATEGORY_PARTS[category, parts].all():
            bad = int(parts[~CATEGORY_PARTS[category, parts]][0])
            first = PART_START[category]
            raise DataError(self._source(j), f"part label {bad} is outside the parts {first}..{first + PARTS_PER_CATEGORY[category] - 1} "
                                             f"of its category {self.shapes.class_names[category]}")
        take = np.resize(np.arange(len(points)), self.num_points)
        return normalize_unit_sphere(points[take]).astype(np.float32), parts[take], category


class TrainShapes:
    """Training samples keyed by ``(index, epoch)``: point-shuffled shapes, their part ids and category."""

    def __init__(self, split: ShapeSplit, seed: int):
        self.split, self.seed = split, seed

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, key):
        import torch

        i, epoch = key
        points, parts, category = self.split.sample(i)
        order = np.random.default_rng([self.seed, epoch, i]).permutation(len(points))
        return {"points": torch.from_numpy(points[order]), "parts": torch.from_numpy(parts[order]),
                "category": torch.tensor(category)}


def categories_of(text: str, count: int) -> np.ndarray:
    """``(count,)`` int64 ShapeNetPart category ids from a name, an id, or a ``.npy`` of ids."""
    from strl.errors import ConfigError
    from strl.formats.shapenetpart import SHAPENETPART_CLASSES

    names = [n.lower() for n in SHAPENETPART_CLASSES]
    if not text:
        raise ConfigError("part segmentation needs the shapes' category: give --category (a name such as Chair, "
                          "an id 0..15, or a .npy of ids)")
    if text.lower() in names:
        return np.full(count, names.index(text.lower()), dtype=np.int64)
    if text.isdigit():
        if int(text) >= len(names):
            raise ConfigError(f"--category {text}: ids are 0..{len(names) - 1}")
        return np.full(count, int(text), dtype=np.int64)
    if text.endswith(".npy"):
        try:
            ids = np.load(text, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(text, f"cannot read category ids ({exc})") from None
        if ids.shape != (count,) or not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(names):
            raise DataError(text, f"expected ({count},) integer category ids in 0..{len(names) - 1}, "
                                  f"got shape {ids.shape} of {ids.dtype}")
        return ids.astype(np.int64)
    raise ConfigError(f"--category {text!r}: not a ShapeNetPart category ({', '.join(SHAPENETPART_CLASSES)}), "
                      "an id 0..15, or a .npy file")


class PartSegTask(Task):
    name = "partseg"
    selection_metric = "instance_miou"
    report_metrics = ("instance_miou", "class_miou")
    backbones = ("dgcnn-partseg",)
    settings = PartSegSettings
    presets = PRESETS
    default_preset = "dgcnn-shapenetpart"

    def __init__(self):
        self._splits = None

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        from strl.finetune.splits import labelled_split
        from strl.formats.shapenetpart import load_shapenetpart

        if not cfg.root:
            from strl.errors import ConfigError

            raise ConfigError("ShapeNetPart needs --root: the text or h5 release folder")
        if self._splits is None:
            self._splits = load_shapenetpart(cfg.root, "trainval"), load_shapenetpart(cfg.root, "test")
        train, test = self._splits
        train_idx, val_idx = labelled_split(np.asarray(train.labels), fraction, cfg.val_fraction, seed)
        info = {"num_parts": 50, "num_categories": 16, "category_names": list(train.class_names),
                "train_samples": len(train_idx), "val_samples": len(val_idx), "test_samples": len(test),
                "num_points": cfg.num_points}
        return TaskData(TrainShapes(ShapeSplit(train, train_idx, cfg.num_points), seed),
                        ShapeSplit(train, val_idx, cfg.num_points), ShapeSplit(test, np.arange(len(test)), cfg.num_points),
                        info=info)

    def build_model(self, cfg, encoder, info: dict):
        from strl.errors import ConfigError
        from strl.models.partseg import PartSegmenter

        try:
            return PartSegmenter(encoder, info["num_parts"], info["num_categories"], dropout=cfg.dropout if cfg else 0.5)
        except TypeError as exc:
            raise ConfigError(f"part segmentation needs a dgcnn-partseg encoder: {exc}") from None

    def loss(self, model, batch, cfg):
        from strl.models.losses import smoothed_cross_entropy

        return smoothed_cross_entropy(model(batch["points"], batch["category"]), batch["parts"], cfg.label_smoothing)

    def evaluate(self, model, split: ShapeSplit, cfg, device) -> Evaluation:
        import torch

        from strl.metrics.segmentation import part_segmentation_mious, restrict_to_category, shape_ious

        if len(split) == 0:
            return Evaluation({k: float("nan") for k in self.report_metrics}, {})
        preds, labels = [], []
        for start in range(0, len(split), cfg.batch_size):
            samples = [split.sample(i) for i in range(start, min(start + cfg.batch_size, len(split)))]
            points = torch.from_numpy(np.stack([s[0] for s in samples])).to(device)
            category = np.array([s[2] for s in samples])
            logits = model(points, torch.from_numpy(category).to(device)).float().cpu().numpy()
            preds.append(restrict_to_category(logits, category) if cfg.restrict_parts else logits.argmax(axis=-1))
            labels.append(np.stack([s[1] for s in samples]))
        pred, label = np.concatenate(preds).astype(np.int64), np.concatenate(labels).astype(np.int64)
        scores = part_segmentation_mious(shape_ious(pred, label, split.categories), split.categories)
        return Evaluation({"instance_miou": scores["instance_miou"], "class_miou": scores["class_miou"]},
                          {"pred": pred, "label": label, "category": split.categories.astype(np.int64)})

    def predict_arrays(self, model, clouds: np.ndarray, cfg, source: str) -> np.ndarray:
        """Part logits ``(M, N, 50)`` of clouds of category ``cfg.category`` (a name, an id, or a .npy of ids)."""
        import torch

        from strl.tasks.base import batched_outputs

        category = categories_of(cfg.category, len(clouds))
        return batched_outputs(model, clouds, cfg, lambda m, points, start, stop:
                               m(points, torch.from_numpy(category[start:stop]).to(points.device)))

    def downstream_export(self, model, meta: dict):
        """dgcnn.pytorch's ``DGCNN_partseg``, head included: ``{"state_dict": ...}``."""
        return "dgcnn-partseg", "state_dict", model.downstream_state_dict()

    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        from strl.metrics.segmentation import part_segmentation_mious, shape_ious

        p = record.predictions
        table = part_segmentation_mious(shape_ious(p["pred"], p["label"], p["category"]), p["category"])["per_category"]
        metrics["per_category_first_run"] = table
        print("per-category mIoU (test, first pre-trained run):")
        for name, row in table.items():
            shown = "  n/a" if row["miou"] is None else f"{100 * row['miou']:5.1f}"
            print(f"  {name:<12} {shown} %  ({row['shapes']} shapes)")

    def batch_size(self, batch) -> int:
        return int(batch["points"].shape[0])

    def head_description(self, info: dict) -> dict:
        return {"num_parts": info["num_parts"], "num_categories": info["num_categories"],
                "category_names": info["category_names"], "num_points": info["num_points"]}
