"""Outdoor 3D detection: PointPillars on KITTI object frames and on the built-in streets.

A detector family of :mod:`strl.tasks.detect` (``strl finetune detect --dataset kitti|builtin-streets``).

* **Data.** ``ImageSets/train.txt`` frames train (3712 on KITTI), ``ImageSets/val.txt`` frames are
  the reported test split (3769; KITTI's test set has no public labels). The run's labels are a
  seeded share of the training frames (``--label-fraction``); its validation frames, which select
  the epoch, are carved out of that share. Neighbouring frames of one raw drive are near-duplicates
  (the median gap between object frames of a drive is 2 raw frames, 0.2 s; 79 % of training frames
  have another within 2), so validation frames drawn one by one would have near-copies among the
  training frames and select the epoch that memorises them best. When the devkit's ``mapping/``
  is found under the root (:func:`strl.formats.kitti_mapping.find_mapping`), whole raw drives are
  held out; without it (and on the built-in streets, whose frames are different streets), frames.
* **Input.** Points ``(x, y, z, reflectance)`` in image_2's field of view (``--fov-only``), as
  OpenPCDet; training frames get OpenPCDet's augmentations (optional ground-truth sampling, flip
  along x, rotation U(±π/4), scaling U(0.95, 1.05); :mod:`strl.detection.pointpillars.augment`),
  points shuffled, and boxes whose centre leaves the point-cloud range are dropped from the targets.
* **Model.** :class:`strl.models.pointpillars.PointPillarsDetector`: the encoder's ``vfe`` and
  ``backbone_2d`` (pre-trained, or fresh for the scratch baseline) and a fresh anchor head for the
  ``--kitti-classes``; the grid and layer widths are the encoder's (its description's
  ``detector_config``; ``--detector-config`` for scratch runs), the post-processing OpenPCDet's
  (``--pillar-nms-pre-max-size`` may take fewer boxes into NMS).
* **Scores.** The official KITTI evaluation (:func:`strl.metrics.kitti.evaluate_kitti`) of the
  predictions written as KITTI results (3D boxes in the camera frame, 2D boxes projected with P2,
  values rounded as the files hold them) against every object of the label files: AP on 40 and on
  11 recall positions for ``3d``, ``bev``, ``bbox`` and ``aos``. Flat keys for the runner, as
  fractions: ``<class>/<metric>_<R40|R11>/<easy|moderate|hard>``, and ``mean/...`` the mean over
  the classes. **The epoch is selected on ``mean/3d_R40/moderate``**, the mean over the classes
  of moderate 3D AP at 40 recall positions.
* **metrics.json.** The devkit's structure in percent, ``{"Car": {"3d_R40": [easy, moderate, hard],
  "3d_R11": [...], "bev_R40": [...], ...}, "Pedestrian": {...}, "Cyclist": {...}, "mean": {...}}``
  (pre-trained runs, mean over seeds at the validation-selected epoch), and under the same class
  the other forms as ``<metric>_<form>``: ``_std`` (over seeds), ``_scratch`` and ``_scratch_std``
  (the scratch baseline), ``_last`` / ``_best_on_test`` (last epoch, best test epoch: see
  ``best_on_test``), ``_per_seed`` (one ``[easy, moderate, hard]`` per seed); the same per label
  fraction under ``by_label_fraction``. ``kitti_results`` names the folder of KITTI results files
  of the first pre-trained run at its selected epoch, the command that rescores them, and that
  run's scores; ``strl score kitti`` reproduces them exactly.
* **Export.** ``strl export`` of a fine-tuned checkpoint writes ``{"model_state": ...}`` with
  OpenPCDet's PointPillar keys (``global_step`` included), for its ``--pretrained_model``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from strl.errors import ConfigError
from strl.settings.schema import Settings
from strl.tasks.base import Evaluation, Task, TaskData

DATASETS = ("builtin-streets", "kitti")
BACKBONE = "pointpillars"
DIFFICULTIES = ("easy", "moderate", "hard")
AP_KEYS = tuple(f"{m}_{r}" for m in ("3d", "bev", "bbox", "aos") for r in ("R40", "R11"))
SELECTION = "mean/3d_R40/moderate"


class PointPillarsSettings(Settings):
    """PointPillars: LiDAR sweeps in the KITTI object layout (--dataset kitti or builtin-streets)."""

    detector_config: Literal["pointpillars-kitti", "pointpillars-laptop"] = "pointpillars-kitti"
    """PointPillars grid and layer widths of scratch runs (a pre-trained encoder's own configuration wins)"""
    kitti_classes: list[str] = ["Car", "Pedestrian", "Cyclist"]
    """classes to detect and score (PointPillars has anchors for Car, Pedestrian, Cyclist)"""
    fov_only: bool = True
    """keep only the points in image_2's field of view (OpenPCDet's FOV_POINTS_ONLY)"""
    gt_sampling: bool = False
    """paste objects of other labelled training frames into each training frame (OpenPCDet's gt_sampling)"""
    pillar_sample_groups: list[int] = [15, 15, 15]
    """ground-truth sampling: objects of each class (--kitti-classes order) a frame is filled up to"""
    pillar_sample_min_points: Annotated[int, Field(ge=0)] = 5
    """ground-truth sampling: least points inside an object's box for it to be sampled"""
    pillar_world_augment: bool = True
    """flip along x (p 0.5), turn and scale every training frame"""
    pillar_rotation: Annotated[float, Field(ge=0.0, le=math.pi)] = math.pi / 4
    """training frames turn by U(-this, this) radians about the vertical"""
    pillar_scaling: list[float] = [0.95, 1.05]
    """training frames scale by U(low, high)"""
    pillar_nms_pre_max_size: Annotated[int, Field(ge=0)] = 0
    """boxes per frame that enter NMS, the best-scoring (0: the detector configuration's, OpenPCDet's 4096)"""


SETTINGS = PointPillarsSettings
_ONECYCLE = dict(optimizer="adam_onecycle", scheduler="onecycle", lr=0.003, weight_decay=0.01, moms=[0.95, 0.85],
                 pct_start=0.4, div_factor=10.0, grad_clip=10.0)
PRESETS = {
    # OpenPCDet tools/cfgs/kitti_models/pointpillar.yaml: adam_onecycle (lr 0.003, wd 0.01, momentum 0.95-0.85,
    # pct_start 0.4, div_factor 10), grad-norm clip 10, 80 epochs, batch 4, gt_sampling, flip / rotation / scaling
    "pointpillars-kitti": dict(dataset="kitti", backbone="pointpillars", detector_config="pointpillars-kitti",
                               epochs=80, batch_size=4, gt_sampling=True, eval_every=5, num_workers=4, **_ONECYCLE),
    # the laptop default: the built-in streets on the laptop grid, 10 % of the labelled frames (15 to train,
    # 5 to select the epoch), the same recipe at batch 2 for 315 steps; NMS on a CPU: the best 512 boxes of a
    # frame (an early model scores most anchors above the 0.1 threshold; NMS of 4096 boxes costs ~1 s a frame)
    "pointpillars-streets": dict(dataset="builtin-streets", backbone="pointpillars",
                                 detector_config="pointpillars-laptop", label_fraction=[0.1], val_fraction=0.25,
                                 epochs=45, batch_size=2, eval_every=15, pillar_nms_pre_max_size=512, **_ONECYCLE),
}


def metric_keys(classes) -> tuple[str, ...]:
    """Every flat key :meth:`OutdoorDetectTask.evaluate` can report for ``classes`` (and their mean)."""
    return tuple(f"{c}/{k}/{d}" for c in (*classes, "mean") for k in AP_KEYS for d in DIFFICULTIES)


def flat_scores(results: dict[str, dict]) -> dict[str, float]:
    """:func:`~strl.metrics.kitti.evaluate_kitti`'s percentages as flat fractions, with ``mean/...``
    over the classes for every AP key all classes have."""
    flat = {f"{c}/{k}/{d}": v / 100 for c, table in results.items() for k, row in table.items() if k in AP_KEYS
            for d, v in zip(DIFFICULTIES, row)}
    shared = [k for k in AP_KEYS if all(k in table for table in results.values())]
    flat.update({f"mean/{k}/{d}": float(np.mean([results[c][k][j] for c in results])) / 100
                 for k in shared for j, d in enumerate(DIFFICULTIES)})
    return flat


def nest_scores(flat: dict) -> dict:
    """Flat ``<class>/<metric>/<difficulty><form>`` entries (fractions) into ``{class: {<metric><form>:
    [easy, moderate, hard]}}`` in percent (``_per_seed`` forms: one triple per seed); other keys stay."""
    out: dict = {}
    nested: dict = {}
    for key, value in flat.items():
        parts = key.split("/")
        difficulty = next((d for d in DIFFICULTIES if len(parts) == 3 and parts[2].startswith(d)), None)
        if difficulty is None:
            out[key] = value
            continue
        cls, metric, rest = parts
        nested.setdefault(cls, {}).setdefault(metric + rest[len(difficulty):], {})[difficulty] = value
    for cls, table in nested.items():
        out[cls] = {}
        for name, by_level in table.items():
            levels = [by_level.get(d) for d in DIFFICULTIES]
            if any(isinstance(v, list) for v in levels):
                row = [[_percent(v) for v in seed] for seed in zip(*(v or [] for v in levels))]
            else:
                row = [_percent(v) for v in levels]
            if any(v is not None for v in np.ravel(np.array(row, dtype=object))):  # a metric never computed is left out
                out[cls][name] = row
    return out


def _percent(value):
    return None if value is None or not np.isfinite(value) else round(100 * float(value), 6)


class OutdoorDetectTask(Task):
    name = "detect"
    selection_metric = SELECTION
    report_metrics = metric_keys(PointPillarsSettings().kitti_classes)
    table_metrics = (SELECTION, "Car/3d_R40/moderate", "Pedestrian/3d_R40/moderate", "Cyclist/3d_R40/moderate",
                     "mean/bev_R40/moderate", "mean/3d_R11/moderate")
    backbones = (BACKBONE,)

    def __init__(self):
        self._splits = None
        self._source: dict = {}

    # ------------------------------------------------------------------ data
    def _classes(self, cfg) -> list[str]:
        from strl.detection.pointpillars.config import anchor_classes

        classes = list(cfg.kitti_classes)
        if len(set(classes)) != len(classes):
            raise ConfigError(f"--kitti-classes names a class twice: {' '.join(classes)}")
        anchor_classes(classes)
        if cfg.gt_sampling and len(cfg.pillar_sample_groups) != len(classes):
            raise ConfigError(f"--pillar-sample-groups needs one count per class of --kitti-classes ({len(classes)}), "
                              f"got {len(cfg.pillar_sample_groups)}")
        if len(cfg.pillar_scaling) != 2 or not 0 < cfg.pillar_scaling[0] <= cfg.pillar_scaling[1]:
            raise ConfigError(f"--pillar-scaling takes two positive numbers low <= high, got {cfg.pillar_scaling}")
        return classes

    def _load(self, cfg, classes: list[str]):
        """``(train FrameSet, test FrameSet, drive of each training frame or None)``, read once."""
        from strl.formats.kitti_object import KittiObjectDataset
        from strl.tasks.outdoor_frames import FrameSet

        if self._splits is None:
            root = self._root(cfg)
            train, test = (FrameSet(KittiObjectDataset(root, split, class_names=classes, fov_only=cfg.fov_only), classes)
                           for split in ("train", "val"))
            self._splits = (train, test, self._drives(root, train))
            self._source = {"root": str(root), "gt": str(train.dataset.folder / "label_2"),
                            "split": str(test.dataset.split_file)}
        return self._splits

    @staticmethod
    def _root(cfg):
        if cfg.dataset == "builtin-streets":
            from strl.formats.builtin_streets import builtin_streets_object_root

            return builtin_streets_object_root(cfg.builtin_seed, cfg.builtin_size, cfg.cache_dir or None)
        if not cfg.root:
            raise ConfigError("KITTI needs --root: the object folder holding training/ and ImageSets/")
        return cfg.root

    @staticmethod
    def _drives(root, train) -> np.ndarray | None:
        """The raw drive of every training frame (devkit mapping), or None without a mapping."""
        from strl.formats.kitti_mapping import find_mapping, raw_frames_of_split, read_object_mapping

        mapping = find_mapping(root)
        if mapping is None:
            return None
        frames = raw_frames_of_split(read_object_mapping(mapping), train.ids, train.dataset.split_file)
        return np.array([f.drive for f in frames])

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        from strl.finetune.splits import group_holdout
        from strl.tasks.outdoor_frames import Augmentation, FrameSplit, TrainFrames, collate_frames, labelled_frames

        classes = self._classes(cfg)
        self.report_metrics = metric_keys(classes)
        self.table_metrics = (SELECTION, *(f"{c}/3d_R40/moderate" for c in classes), "mean/bev_R40/moderate",
                              "mean/3d_R11/moderate")
        train, test, drives = self._load(cfg, classes)
        labelled = labelled_frames(len(train), fraction, seed)
        groups = drives[labelled] if drives is not None else labelled
        tr_pos, va_pos = group_holdout(groups, cfg.val_fraction, seed)
        tr, va = labelled[tr_pos], labelled[va_pos]
        augmentation = Augmentation(cfg.pillar_world_augment, cfg.pillar_rotation, tuple(cfg.pillar_scaling),
                                    self._database(cfg, FrameSplit(train, tr)) if cfg.gt_sampling else None,
                                    tuple(cfg.pillar_sample_groups))
        info = {"dataset": cfg.dataset, "classes": classes, "detector_config": cfg.detector_config,
                "nms_pre_max_size": cfg.pillar_nms_pre_max_size, "fov_only": cfg.fov_only, "validation": "raw drives" if drives is not None else "frames",
                "train_samples": len(tr), "val_samples": len(va), "test_samples": len(test), **self._source}
        return TaskData(TrainFrames(FrameSplit(train, tr), seed, augmentation), FrameSplit(train, va, cache_points=True),
                        FrameSplit(test, np.arange(len(test)), cache_points=True), collate=collate_frames, info=info)

    @staticmethod
    def _database(cfg, split):
        """The ground-truth database of the run's labelled training frames (objects of known difficulty)."""
        from strl.detection.pointpillars.gt_sampling import build_database, kitti_difficulty

        def objects():
            for i in range(len(split)):
                meta = split.meta(i)
                rows = meta.labels.select(np.isin(meta.labels.name, split.frames.classes))
                known = kitti_difficulty(rows.bbox[:, 3] - rows.bbox[:, 1] + 1, rows.truncated, rows.occluded) >= 0
                yield split.points(i), meta.boxes[known], meta.classes[known]

        return build_database(objects(), [cfg.pillar_sample_min_points] * len(cfg.kitti_classes))

    # ------------------------------------------------------------------ model
    def build_model(self, cfg, encoder, info: dict):
        from strl.detection.pointpillars.config import anchor_classes
        from strl.models.pointpillars import PointPillarsDetector

        changes = {"nms_pre_max_size": info["nms_pre_max_size"]} if info.get("nms_pre_max_size") else {}
        return PointPillarsDetector(encoder, encoder.cfg.replace(classes=anchor_classes(info["classes"]), **changes))

    def loss(self, model, batch, cfg):
        from strl.detection.pointpillars.augment import boxes_in_range

        boxes, classes = batch["gt_boxes"], batch["gt_classes"]
        inside = boxes_in_range(boxes.reshape(-1, 7), model.cfg.point_cloud_range).view(classes.shape)
        return model.loss(model(model.pillarize(batch["points"])), boxes, classes.masked_fill(~inside, -1)).total

    def batch_size(self, batch) -> int:
        return len(batch["points"])

    # ------------------------------------------------------------------ scores
    def detect(self, model, split, batch_size: int, device) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(boxes (k, 7) float64 LiDAR, scores (k,), class indices (k,))`` of every frame of ``split``,
        without the boxes a results file cannot hold (:meth:`result_labels`)."""
        import torch

        out = []
        with torch.no_grad():
            for start in range(0, len(split), batch_size):
                points = [torch.from_numpy(split.points(i)).to(device) for i in range(start, min(start + batch_size, len(split)))]
                for d in model.predict(model(model.pillarize(points))):
                    out.append((d.boxes.double().cpu().numpy(), d.scores.double().cpu().numpy(), d.labels.cpu().numpy()))
        return [tuple(a[self.result_labels(split, i, *d)[1]] for a in d) for i, d in enumerate(out)]

    def result_labels(self, split, i: int, boxes, scores, labels):
        """Frame ``i``'s detections as the KITTI results its file holds (:func:`~strl.formats.kitti_labels.as_written`),
        and ``(k,)`` bool: the detections whose every value is finite. An untrained head can decode a size
        that overflows (``exp`` of a large residual), or one so large that its corners are not finite; a
        results file cannot hold those, so they are left out of the file and the scores."""
        from strl.formats.kitti_boxes import predictions_to_labels
        from strl.formats.kitti_labels import as_written

        meta = split.meta(i)
        names = np.array(split.frames.classes)[labels]
        with np.errstate(invalid="ignore", over="ignore"):
            rows = as_written(predictions_to_labels(boxes, scores, names, meta.calib, meta.image_shape))
        finite = np.isfinite(np.column_stack([rows.alpha, rows.bbox, rows.dimensions, rows.location, rows.rotation_y,
                                              rows.score])).all(axis=1)
        return rows.select(finite), finite

    def evaluate(self, model, split, cfg, device) -> Evaluation:
        from strl.metrics.kitti import evaluate_kitti

        if len(split) == 0:
            return Evaluation({k: float("nan") for k in self.report_metrics}, {})
        detections = self.detect(model, split, cfg.batch_size, device)
        results = [self.result_labels(split, i, *d)[0] for i, d in enumerate(detections)]
        scores = evaluate_kitti([split.meta(i).labels for i in range(len(split))], results, classes=split.frames.classes)
        ids = [split.frame_id(i) for i in range(len(split))]
        metas = [split.meta(i) for i in range(len(split))]
        predictions = {
            "pred_boxes": np.concatenate([d[0] for d in detections]).reshape(-1, 7),
            "pred_class": np.concatenate([d[2] for d in detections]).astype(np.int64),
            "pred_score": np.concatenate([d[1] for d in detections]),
            "pred_scene": np.repeat(ids, [len(d[1]) for d in detections]).astype(str),
            "gt_boxes": np.concatenate([m.boxes for m in metas]).reshape(-1, 7).astype(np.float64),
            "gt_class": np.concatenate([m.classes for m in metas]).astype(np.int64),
            "gt_scene": np.repeat(ids, [len(m.classes) for m in metas]).astype(str),
            "class_names": np.array(split.frames.classes),
        }
        return Evaluation(flat_scores(scores), predictions)

    # ------------------------------------------------------------------ outputs
    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        """KITTI results files of ``record`` (the first pre-trained run) at its selected epoch, the
        devkit structure of metrics.json (see the module docstring) and the devkit's table."""
        import os

        from strl.metrics.kitti import format_kitti_table
        from strl.tasks.outdoor_frames import FrameSplit

        _, test, _ = self._splits
        results_dir = os.path.join(folder, "kitti_results")
        write_result_files(self, FrameSplit(test, np.arange(len(test))), record.predictions, results_dir)
        settings = metrics["settings"]
        init = "pretrained" if metrics.get("checkpoint") else "scratch"
        name = f"{init}-frac{min(settings['label_fraction']):g}-seed{min(settings['seeds'])}"
        command = f"strl score kitti --pred {results_dir} --gt {self._source['gt']} --split {self._source['split']}"
        metrics.update(nest_scores({k: v for k, v in metrics.items() if k.count("/") == 2}))
        for key in [k for k in metrics if k.count("/") == 2]:
            del metrics[key]
        metrics["by_label_fraction"] = {f: nest_scores(part) for f, part in metrics["by_label_fraction"].items()}
        metrics["kitti_results"] = {"folder": results_dir, "run": name, "epoch": record.best_epoch, "command": command,
                                    "scores": nest_scores(record.selected)}
        for suffix, title in (("", "pre-trained"), ("_scratch", "scratch")):
            table = {c: {k: metrics[c][k + suffix] for k in AP_KEYS if None not in metrics.get(c, {}).get(k + suffix, [None])}
                     for c in test.classes}
            if all(table.values()):
                print(f"KITTI AP (%), {title}, test split, mean over {len(settings['seeds'])} seed(s) at the "
                      "validation-selected epoch:")
                print(format_kitti_table(table))
        print(f"KITTI results files of {name} (epoch {record.best_epoch}): {results_dir}\n  rescore: {command}")

    def head_description(self, info: dict) -> dict:
        return {key: info[key] for key in ("classes", "detector_config", "nms_pre_max_size", "fov_only")}

    def rebuild_model(self, encoder, head: dict, cfg=None):
        """The detector on ``encoder``'s grid (built from the checkpoint's encoder description) for ``head["classes"]``."""
        return self.build_model(cfg, encoder, head)

    def downstream_export(self, model, meta: dict):
        """OpenPCDet's PointPillar, head included: ``{"model_state": ...}`` with its 127 keys for KITTI."""
        from strl.detection.pointpillars.export import openpcdet_state

        return "openpcdet-pointpillar", "model_state", openpcdet_state(model.downstream_state_dict())


def write_result_files(task: OutdoorDetectTask, split, predictions: dict, folder: str) -> None:
    """One KITTI results file per frame of ``split`` (empty without detections) from the evaluation's
    ``predictions`` arrays, exactly as :meth:`OutdoorDetectTask.evaluate` scored them."""
    import os

    from strl.formats.kitti_labels import write_label_file

    os.makedirs(folder, exist_ok=True)
    ids = np.array([split.frame_id(i) for i in range(len(split))])
    sorter = np.argsort(ids)
    frame = sorter[np.searchsorted(ids, predictions["pred_scene"], sorter=sorter)] if len(ids) else np.zeros(0, np.int64)
    order = np.argsort(frame, kind="stable")  # detections stay in their evaluated order within a frame
    counts = np.bincount(frame, minlength=len(ids))
    ends = np.cumsum(counts)
    for i in range(len(split)):
        mine = order[ends[i] - counts[i]:ends[i]]
        labels, _ = task.result_labels(split, i, predictions["pred_boxes"][mine], predictions["pred_score"][mine],
                                       predictions["pred_class"][mine])
        write_label_file(os.path.join(folder, f"{ids[i]}.txt"), labels)


TASK = OutdoorDetectTask
