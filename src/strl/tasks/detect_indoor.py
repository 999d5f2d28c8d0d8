"""Indoor 3-D detection with VoteNet: ScanNet and SUN RGB-D in VoteNet's prepared layouts, built-in rooms.

The detector family of ``strl finetune detect`` for indoor scenes (see :mod:`strl.tasks.detect`).

* Data: the scenes of :func:`strl.train.data.scene_set`. Test split: the built-in rooms' ``test``
  rooms; ScanNet's and SUN RGB-D's ``val`` split (what VoteNet reports). Labelled training data
  (``--label-fraction``) is a seeded share of the training scenes, and the validation scenes are
  carved from those (:func:`strl.tasks.semseg.room_split`); the built-in rooms' own ``val`` split
  is not used, so a run sees no labels beyond its share.
* Input: ``--num-points`` points drawn from each scene (VoteNet's ``random_sampling``; at
  evaluation seeded per scene, where VoteNet draws afresh each time), xyz only: strl's encoders are
  pre-trained without VoteNet's height channel, so fine-tuning runs as VoteNet's ``--no_height``
  (as STRL fine-tuned VoteNet). ``--use-height`` adds the channel with first-layer weights that
  start at zero. Training scenes are augmented as VoteNet does for the dataset (ScanNet: flips and
  a turn within ±5°, boxes re-fitted axis-aligned; SUN RGB-D: a flip, ±30°, scale 0.85-1.15); the
  built-in rooms have oriented boxes and take SUN RGB-D's augmentation and 12 heading bins. Vote
  targets are the scene's (:mod:`strl.formats.scenes`), moved with the points (VoteNet recomputes
  ScanNet's on the sampled, augmented points: the centre of each instance's axis-aligned extent).
* Model: VoteNet around the encoder (:class:`strl.models.votenet.VoteNetDetector`); the
  set-abstraction sample counts (``--votenet-npoints``) and ``--num-proposals`` hold no weights,
  so any choice fine-tunes the same pre-trained weights and exports to VoteNet's layout. Loss:
  VoteNet's (:func:`strl.detection.votenet.votenet_loss`). VoteNet's BatchNorm momentum schedule
  (``--votenet-bn-decay-step``) and step learning-rate schedule (``--scheduler step``) are available.
* Scores: proposals parsed as VoteNet's ``train.py`` evaluation does (3-D NMS within the predicted
  class, every kept proposal scored for every class; ``--votenet-parse``), then
  :func:`strl.metrics.detection.evaluate_detections`: ``map_25`` and ``map_50``, and VoteNet's
  average recall ``ar_25`` and ``ar_50`` (fractions; means over the classes with ground truth). The
  epoch is selected on the validation ``map_25``: VoteNet's headline number, and early in training
  or with few labelled scenes ``map_50`` is often zero on every epoch, which cannot select.
  Per-class ``ap_25`` / ``ap_50`` (mean over seeds, pre-trained and scratch) go into the log and
  ``metrics.json``.
"""

from __future__ import annotations

import glob
import os
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from strl.errors import ConfigError, DataError
from strl.settings.schema import Settings
from strl.tasks.base import Evaluation, Task, TaskData

DATASETS = ("builtin-rooms", "scannet", "sunrgbd")
BACKBONE = "votenet"
#: heading bins of each dataset's boxes: ScanNet's are axis-aligned (VoteNet: 1), the others oriented (12)
HEADING_BINS = {"builtin-rooms": 12, "scannet": 1, "sunrgbd": 12}
#: VoteNet's training augmentation of each dataset (:data:`strl.detection.votenet.AUGMENTATIONS`)
AUGMENTATION = {"builtin-rooms": "sunrgbd", "scannet": "scannet", "sunrgbd": "sunrgbd"}
#: the split scored as the test split
TEST_SPLIT = {"builtin-rooms": "test", "scannet": "val", "sunrgbd": "val"}


class VoteNetSettings(Settings):
    """VoteNet: scene points, sample counts, proposals, BatchNorm schedule and post-processing."""

    num_points: Annotated[int, Field(ge=1)] = 20000
    """points drawn from each scene (VoteNet's num_point)"""
    use_height: bool = False
    """add VoteNet's height channel (z above the scene's 1st percentile of z); its first-layer weights start
    at zero, as strl's encoders are pre-trained on xyz only"""
    num_proposals: Annotated[int, Field(ge=1)] = 256
    """vote clusters, one box proposal each"""
    votenet_npoints: list[Annotated[int, Field(ge=1)]] = [2048, 1024, 512, 256]
    """sample counts of the backbone's set-abstraction layers sa1..sa4 (sa2's: the number of seeds); they hold no weights"""
    votenet_augment: bool = True
    """augment the training scenes as VoteNet does for the dataset"""
    votenet_bn_decay_step: Annotated[int, Field(ge=0)] = 20
    """BatchNorm momentum 0.5, halved every this many epochs, at least 0.001 (VoteNet's); 0: PyTorch's 0.1 throughout"""
    votenet_parse: Literal["train", "eval", "readme"] = "train"
    """post-processing of the proposals as VoteNet's train.py evaluation, its eval.py defaults, or its README's eval command"""

    def check(self) -> None:
        super().check()
        n = self.votenet_npoints
        if len(n) != 4 or n[1] > n[0]:
            raise ConfigError(f"--votenet-npoints takes four sample counts (sa1..sa4) with sa2's <= sa1's, got {n}")


SETTINGS = VoteNetSettings

#: VoteNet's train.py recipe: Adam 1e-3 without weight decay, batch 8, 180 epochs, LR x0.1 at epochs 80,
#: 120 and 160, BatchNorm momentum 0.5 halved every 20 epochs, 256 proposals; evaluation every 10 epochs
_VOTENET_RECIPE = dict(backbone="votenet", num_proposals=256, votenet_npoints=[2048, 1024, 512, 256], epochs=180,
                       batch_size=8, optimizer="adam", lr=1e-3, weight_decay=0.0, scheduler="step",
                       lr_decay_epochs=[80, 120, 160], lr_decay_rate=0.1, votenet_bn_decay_step=20, eval_every=10,
                       num_workers=4)

PRESETS = {
    # the laptop default (3 seeds, pre-trained and scratch, within 10 minutes of a 2-core CPU): a fifth of the
    # built-in training rooms, 8192 points each, an eighth of VoteNet's sample counts, 144 steps of 4 scenes,
    # the test rooms scored for the selected and the last weights only; at this budget Adam 3e-3 learns
    # clearly faster than VoteNet's 1e-3
    "rooms-votenet": dict(dataset="builtin-rooms", backbone="votenet", num_points=8192,
                          votenet_npoints=[256, 128, 64, 32], num_proposals=128, label_fraction=[0.2],
                          val_fraction=0.2, epochs=36, batch_size=4, optimizer="adam", lr=3e-3, min_lr=1e-5,
                          weight_decay=0.0, scheduler="cosine", votenet_bn_decay_step=0, eval_every=12,
                          test_every_evaluation=False),
    # VoteNet's README: 40000 points for ScanNet
    "votenet-scannet": dict(_VOTENET_RECIPE, dataset="scannet", num_points=40000),
    # VoteNet's default num_point 20000 for SUN RGB-D
    "votenet-sunrgbd": dict(_VOTENET_RECIPE, dataset="sunrgbd", num_points=20000),
}


def keyed_generator(*key: int):
    """A ``torch.Generator`` seeded from the non-negative integers ``key``."""
    import torch

    state = np.random.SeedSequence([int(k) for k in key]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state >> np.uint64(1)))


def scene_sample(scene, num_points: int, use_height: bool, augment: str | None, generator):
    """A :class:`~strl.formats.scenes.Scene` as VoteNet's input: a
    :class:`~strl.detection.votenet.DetectionSample` of ``num_points`` points."""
    import torch

    from strl.detection.votenet import MAX_NUM_OBJ, prepare_scene

    if len(scene.boxes) > MAX_NUM_OBJ:
        raise DataError(scene.name, f"scene has {len(scene.boxes)} boxes, more than VoteNet's {MAX_NUM_OBJ}")
    votes = None if scene.votes is None else torch.from_numpy(scene.votes)
    mask = None if scene.vote_mask is None else torch.from_numpy(scene.vote_mask)
    return prepare_scene(torch.from_numpy(scene.points), torch.from_numpy(scene.boxes),
                         torch.from_numpy(scene.box_classes), votes, mask, num_point=num_points,
                         use_height=use_height, augment=augment, generator=generator)


class TrainScenes:
    """Training samples keyed by ``(index, epoch)``: scene ``scenes[indices[i]]`` sampled and
    augmented with draws seeded by ``(seed, epoch, i)``."""

    def __init__(self, scenes, indices: np.ndarray, num_points: int, use_height: bool, augment: str | None, seed: int):
        self.scenes, self.indices, self.seed = scenes, np.asarray(indices), seed
        self.num_points, self.use_height, self.augment = num_points, use_height, augment

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, key):
        i, epoch = key
        return scene_sample(self.scenes.scene(int(self.indices[i])), self.num_points, self.use_height, self.augment,
                            keyed_generator(self.seed, epoch, i))


def box_config(info: dict):
    """The :class:`~strl.detection.votenet.BoxConfig` of a run's ``info`` (or a checkpoint's head)."""
    from strl.detection.votenet import BoxConfig

    return BoxConfig(name=info["dataset"], class_names=tuple(info["class_names"]),
                     num_heading_bin=int(info["num_heading_bin"]),
                     mean_sizes=tuple(tuple(float(v) for v in size) for size in info["mean_sizes"]))


def _number(value) -> float:
    return float("nan") if value is None else float(value)


class IndoorDetectTask(Task):
    name = "detect"
    selection_metric = "map_25"
    report_metrics = ("map_25", "map_50", "ar_25", "ar_50")
    backbones = (BACKBONE,)

    #: keys of ``TaskData.info`` that rebuild the model (``head_description``)
    HEAD_KEYS = ("dataset", "class_names", "mean_sizes", "num_heading_bin", "num_proposals", "npoints", "use_height",
                 "num_points")

    def __init__(self):
        self._splits = None

    def _load(self, cfg):
        if self._splits is None:
            from strl.train.data import scene_set

            test_split = TEST_SPLIT[cfg.dataset]
            train, test = (scene_set(cfg.dataset, cfg.root, split, cfg.cache_dir, cfg.builtin_seed, cfg.builtin_size)
                           for split in ("train", test_split))
            self._splits = (train, test)
            height = ("with VoteNet's height channel as a 4th input, its first-layer weights starting at zero"
                      if cfg.use_height else "xyz only, no height channel: the encoder is pre-trained without it "
                      "(VoteNet's --no_height)")
            print(f"detect on {cfg.dataset}: {len(train)} training scenes, {len(test)} test scenes ({test_split} "
                  f"split); {cfg.num_points} points per scene, {height}; sample counts {cfg.votenet_npoints}, "
                  f"{cfg.num_proposals} proposals")
        return self._splits

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        from strl.detection.votenet import collate_detection
        from strl.tasks.semseg import SceneSplit, room_split

        train, test = self._load(cfg)
        tr, va = room_split(np.arange(len(train)), fraction, cfg.val_fraction, seed)
        info = {"dataset": cfg.dataset, "class_names": list(train.box_class_names),
                "mean_sizes": np.asarray(train.mean_sizes, dtype=np.float64).tolist(),
                "num_heading_bin": HEADING_BINS[cfg.dataset], "num_proposals": cfg.num_proposals,
                "npoints": list(cfg.votenet_npoints), "use_height": cfg.use_height, "num_points": cfg.num_points,
                "train_samples": len(tr), "val_samples": len(va), "test_samples": len(test)}
        augment = AUGMENTATION[cfg.dataset] if cfg.votenet_augment else None
        return TaskData(TrainScenes(train, tr, cfg.num_points, cfg.use_height, augment, seed), SceneSplit(train, va),
                        SceneSplit(test, np.arange(len(test))), collate=collate_detection, info=info)

    def build_model(self, cfg, encoder, info: dict):
        from strl.models.votenet import VoteNetDetector

        return VoteNetDetector(encoder, box_config(info), num_proposal=info["num_proposals"], npoints=info["npoints"],
                               use_height=info["use_height"])

    def on_train_epoch_start(self, model, epoch: int, cfg) -> None:
        from strl.models.votenet import set_bn_momentum, votenet_bn_momentum

        if cfg.votenet_bn_decay_step:
            set_bn_momentum(model, votenet_bn_momentum(epoch, cfg.votenet_bn_decay_step))

    def loss(self, model, batch, cfg):
        from strl.detection.votenet import votenet_loss

        return votenet_loss(model(batch.points), batch, model.box)["loss"]

    def batch_size(self, batch) -> int:
        return int(batch.points.shape[0])

    def evaluate(self, model, split, cfg, device) -> Evaluation:
        """Detections of every scene of ``split`` (batches of ``cfg.batch_size``), scored; the
        predictions are the arrays of a ``strl score detect`` file."""
        import torch

        from strl.detection.votenet import PARSE_PRESETS, parse_predictions
        from strl.metrics.detection import evaluate_detections

        if len(split) == 0:
            return Evaluation({k: float("nan") for k in self.report_metrics}, {})
        num_points, use_height = cfg.num_points, cfg.use_height
        parse = PARSE_PRESETS[cfg.votenet_parse]
        pred = {"boxes": [], "classes": [], "scores": [], "scenes": []}
        gt = {"boxes": [], "classes": [], "scenes": []}
        for start in range(0, len(split), cfg.batch_size):
            scenes = [split.scene(i) for i in range(start, min(start + cfg.batch_size, len(split)))]
            points = torch.stack([scene_sample(s, num_points, use_height, None, keyed_generator(start + j)).points
                                  for j, s in enumerate(scenes)]).to(device)
            outputs = {k: v.float() if v.is_floating_point() else v for k, v in model(points).items()}
            for scene, found in zip(scenes, parse_predictions(outputs, model.box, parse, points)):
                pred["boxes"].append(found.boxes.cpu().numpy().astype(np.float32))
                pred["classes"].append(found.classes.cpu().numpy())
                pred["scores"].append(found.scores.cpu().numpy().astype(np.float32))
                pred["scenes"].append(np.full(len(found.scores), scene.name))
                gt["boxes"].append(scene.boxes)
                gt["classes"].append(scene.box_classes)
                gt["scenes"].append(np.full(len(scene.boxes), scene.name))
        arrays = {"pred_boxes": np.concatenate(pred["boxes"]).reshape(-1, 7),
                  "pred_class": np.concatenate(pred["classes"]).astype(np.int64),
                  "pred_score": np.concatenate(pred["scores"]), "pred_scene": np.concatenate(pred["scenes"]),
                  "gt_boxes": np.concatenate(gt["boxes"]).reshape(-1, 7).astype(np.float32),
                  "gt_class": np.concatenate(gt["classes"]).astype(np.int64), "gt_scene": np.concatenate(gt["scenes"]),
                  "class_names": np.array(model.box.class_names)}
        scores = evaluate_detections(**{k: v for k, v in arrays.items() if k != "class_names"},
                                     class_names=model.box.class_names)
        return Evaluation({key: _number(scores[key]) for key in self.report_metrics}, arrays)

    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        """Per-class AP at 0.25 and 0.5, mean over seeds, pre-trained and scratch (the first label
        fraction, each run at its selected epoch), scored from the run's predictions files."""
        from strl.metrics.detection_table import format_ap_table
        from strl.metrics.prediction_files import score_file

        fraction = f"{metrics['label_fraction']:g}"
        runs: dict[str, list[dict]] = {"pretrained": [], "scratch": []}
        for path in sorted(glob.glob(os.path.join(folder, "predictions", f"*-frac{fraction}-seed*.npz"))):
            runs[os.path.basename(path).split("-frac")[0]].append(score_file(path, "detect"))
        classes = list(np.asarray(record.predictions["class_names"]).tolist())
        columns = {}
        for key, threshold in (("ap_25", "0.25"), ("ap_50", "0.5")):
            for init, suffix, label in (("pretrained", "", "pre-trained"), ("scratch", "_scratch", "scratch")):
                if runs[init]:
                    metrics[f"{key}{suffix}"] = per_class = {c: _mean_over_runs(runs[init], key, c) for c in classes}
                    columns[f"AP@{threshold} {label}"] = per_class
        print(f"per-class AP (test, %, mean over {len(runs['pretrained']) or len(runs['scratch'])} seed(s), "
              f"each run at its selected epoch):")
        print(format_ap_table(columns, classes))

    def head_description(self, info: dict) -> dict:
        return {key: info[key] for key in self.HEAD_KEYS}

    def downstream_export(self, model, meta: dict):
        """facebookresearch/votenet's ``checkpoint.tar``: the whole model under ``model_state_dict``."""
        return "votenet", "model_state_dict", model.downstream_state_dict()

    def downstream_extras(self, model, meta: dict) -> dict:
        """The rest of ``checkpoint.tar``, which VoteNet's ``eval.py`` and ``train.py --checkpoint_path``
        read: a fresh Adam state (the run's learning rate) and epoch 0, so that VoteNet's
        ``train.py`` would run its own schedule from the start."""
        from strl.detection.votenet.export import fresh_adam_state

        return {"optimizer_state_dict": fresh_adam_state(model, lr=float(meta["settings"]["lr"])), "epoch": 0}


def _mean_over_runs(scores: list[dict], key: str, name: str) -> float | None:
    values = [s[key].get(name) for s in scores]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


TASK = IndoorDetectTask
