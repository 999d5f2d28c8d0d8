"""Indoor semantic segmentation: S3DIS blocks, ScanNet scenes and the built-in rooms (DGCNN_semseg).

* S3DIS (``indoor3d_sem_seg_hdf5_data``): the release's 1 m blocks of 4096 points, 9 channels;
  the test split is ``--test-area`` (Area 5 by default). The release holds sampled block points
  only, so scores are over those points (``*_sampled_points`` is the same number, named alike for
  all datasets).
* Scenes (ScanNet in VoteNet's prepared layout, built-in rooms): training samples are random
  ``--block-size`` columns of ``--num-points`` points; evaluation slides blocks over each whole
  scene with ``--block-stride``, cuts each block's points into chunks of ``--num-points`` so every
  original point is seen, sums the logits per point, and scores **every original point**; the
  score over one ``--num-points`` sample per block (what the reference test files hold) is
  reported as ``*_sampled_points``.

Input: the block-centred xyz (x, y minus the block centre, z above the scene's lowest point) that
STRL's encoder was pre-trained on; S3DIS can add its other 6 channels (``--input-channels 9``,
their first-layer weights start at zero). Labelled training data (``--label-fraction``) is a share
of the training rooms (S3DIS: of the rooms its blocks come from), and validation rooms are carved
from those. Scores (pooled over all points of the split): mIoU (selects the epoch), overall
accuracy, mean class accuracy, per-class IoU.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from strl.errors import ConfigError
from strl.finetune.settings import FinetuneSettings
from strl.settings.schema import Settings
from strl.tasks.base import Evaluation, Task, TaskData


class SemSegDataSettings(Settings):
    """Data: S3DIS blocks, ScanNet scenes or built-in rooms."""

    dataset: Literal["builtin-rooms", "s3dis", "scannet"] = "builtin-rooms"
    """labelled dataset"""
    root: str = ""
    """folder of the dataset: indoor3d_sem_seg_hdf5_data (S3DIS) or VoteNet's prepared ScanNet data"""
    test_area: Annotated[int, Field(ge=1, le=6)] = 5
    """S3DIS: the area held out as the test split"""
    input_channels: Literal[3, 9] = 3
    """S3DIS: 3 (block-centred xyz, as pre-trained) or 9 (plus RGB and room-normalised xyz)"""
    num_points: Annotated[int, Field(ge=2)] = 4096
    """points per block"""
    block_size: Annotated[float, Field(gt=0.0)] = 1.5
    """scenes: side of the square training and evaluation blocks, metres"""
    block_stride: Annotated[float, Field(gt=0.0)] = 0.75
    """scenes: step of the sliding evaluation blocks, metres"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in rooms"""
    builtin_seed: int = 0
    """seed of the built-in rooms"""
    cache_dir: str = ""
    """cache of generated data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""
    blocks_per_scene: Annotated[int, Field(ge=1)] = 8
    """scenes: training blocks drawn per labelled scene and epoch"""
    max_test_scenes: Annotated[int, Field(ge=0)] = 0
    """scenes: score only the first this many scenes of the test split (0: all; the laptop preset uses a
    share to fit a CPU budget, and says so)"""


class SemSegSettings(SemSegDataSettings, FinetuneSettings):
    """All settings of ``strl finetune semseg``."""

    def check(self) -> None:
        super().check()
        if self.input_channels == 9 and self.dataset != "s3dis":
            raise ConfigError("--input-channels 9 is S3DIS's layout; other datasets take 3 (xyz)")
        if self.block_stride > self.block_size:
            raise ConfigError(f"--block-stride {self.block_stride} leaves gaps between blocks of --block-size {self.block_size}")


PRESETS = {
    # the laptop default (3 seeds, pre-trained and scratch, in about 10 minutes of a 2-core CPU): a fifth of the
    # built-in training rooms, 512-point blocks of 1 m, 4 blocks a room and epoch; whole-room scoring with
    # non-overlapping blocks on the first 12 test rooms, for the validation-selected and the last epoch only
    "builtin-rooms": dict(dataset="builtin-rooms", backbone="dgcnn-semseg", k=20, emb_dims=1024, num_points=512,
                          block_size=1.0, block_stride=1.0, blocks_per_scene=4, max_test_scenes=12,
                          label_fraction=[0.2], epochs=8, batch_size=8, eval_every=2, test_every_evaluation=False,
                          optimizer="adam", lr=1e-3, min_lr=1e-5, weight_decay=1e-4),
    # dgcnn.pytorch main_semseg_s3dis.py: 4096 points, k 20, batch 32, 100 epochs, SGD 0.1 momentum 0.9
    # wd 1e-4, cosine to 1e-3, smoothed cross-entropy; Area 5
    "dgcnn-s3dis": dict(dataset="s3dis", backbone="dgcnn-semseg", k=20, num_points=4096, test_area=5, epochs=100,
                        batch_size=32, optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, num_workers=8),
    # dgcnn.pytorch main_semseg_scannet.py: 8192 points from 1.5 m blocks, Adam 1e-3 wd 1e-4, cosine to 1e-5,
    # 200 epochs, batch 36; evaluation blocks with stride 0.75
    "dgcnn-scannet": dict(dataset="scannet", backbone="dgcnn-semseg", k=20, num_points=8192, block_size=1.5,
                          block_stride=0.75, epochs=200, batch_size=36, optimizer="adam", lr=1e-3, min_lr=1e-5,
                          weight_decay=1e-4, num_workers=8),
}


def input_description(cfg) -> str:
    """Which input a run feeds the encoder, for the log (the encoder was pre-trained on xyz only)."""
    if cfg.input_channels == 9:
        return ("input: S3DIS's 9 channels (block-centred xyz, RGB, room-normalised xyz); the 6 channels beyond "
                "the pre-trained xyz start at zero weight")
    return f"input: block-centred xyz only, as pre-trained; {cfg.num_points} points per block"


# ----------------------------------------------------------------------------- blocks of scenes


def block_input(points: np.ndarray, centre_xy: np.ndarray, floor: float) -> np.ndarray:
    """Block-centred xyz ``(n, 3)`` float32: x, y minus the block centre, z above ``floor``."""
    out = np.asarray(points, dtype=np.float32).copy()
    out[:, :2] -= centre_xy
    out[:, 2] -= floor
    return out


def in_block(points: np.ndarray, centre_xy: np.ndarray, size: float) -> np.ndarray:
    """``(N,)`` bool: points whose x and y lie within the square block of side ``size`` at ``centre_xy``."""
    return (np.abs(points[:, :2] - centre_xy) <= size / 2).all(axis=1)


def block_centres(points: np.ndarray, size: float, stride: float) -> np.ndarray:
    """``(B, 2)`` centres of sliding blocks covering the scene's xy extent (every point in one block at least)."""
    lo, hi = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    axes = []
    for a in range(2):
        count = max(1, int(np.ceil(max(hi[a] - lo[a] - size, 0.0) / stride)) + 1)
        starts = lo[a] + stride * np.arange(count)
        axes.append(starts + size / 2)
    gx, gy = np.meshgrid(*axes, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


class SceneBlocks:
    """Training samples of labelled scenes keyed by ``(index, epoch)``: a random block of a scene.

    Item ``i`` is block ``i % blocks_per_scene`` of scene ``i // blocks_per_scene``; its centre is
    a random point of the scene (seeded by ``(seed, epoch, i)``); ``num_points`` of the block's
    points are drawn (with repetition when it has fewer), shuffled.
    """

    def __init__(self, scenes, indices: np.ndarray, cfg, seed: int):
        self.scenes, self.indices, self.seed = scenes, np.asarray(indices), seed
        self.num_points, self.size, self.per_scene = cfg.num_points, cfg.block_size, cfg.blocks_per_scene
        self._cache: dict = {}

    def __len__(self) -> int:
        return len(self.indices) * self.per_scene

    def _scene(self, j: int):
        if j not in self._cache:
            self._cache[j] = self.scenes.scene(int(self.indices[j]))
        return self._cache[j]

    def __getitem__(self, key):
        import torch

        i, epoch = key
        scene = self._scene(i // self.per_scene)
        rng = np.random.default_rng([self.seed, epoch, i])
        labelled = np.flatnonzero(scene.semantic >= 0)
        pool = labelled if labelled.size else np.arange(len(scene.points))
        centre = scene.points[rng.choice(pool), :2]
        members = np.flatnonzero(in_block(scene.points, centre, self.size))
        pick = rng.choice(members, self.num_points, replace=len(members) < self.num_points)
        points = block_input(scene.points[pick], centre, float(scene.points[:, 2].min()))
        return {"points": torch.from_numpy(points), "labels": torch.from_numpy(scene.semantic[pick].astype(np.int64))}


class SceneSplit:
    """Scenes ``base[indices]`` for evaluation."""

    def __init__(self, scenes, indices: np.ndarray):
        self.scenes, self.indices = scenes, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def scene(self, i: int):
        return self.scenes.scene(int(self.indices[i]))


def scene_logits(model, scene, cfg, device, num_classes: int, rng: np.random.Generator):
    """Whole-scene inference: summed logits ``(N, C)`` over sliding blocks, and the positions of one
    ``num_points`` sample per block (the 'sampled points' of the reference protocol)."""
    import torch

    points = scene.points
    floor = float(points[:, 2].min())
    total = np.zeros((len(points), num_classes), dtype=np.float64)
    sampled: list[np.ndarray] = []
    chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (point indices, block-centred input)
    for centre in block_centres(points, cfg.block_size, cfg.block_stride):
        members = np.flatnonzero(in_block(points, centre, cfg.block_size))
        if members.size == 0:
            continue
        order = rng.permutation(members)
        pieces = -(-len(order) // cfg.num_points)
        padded = np.resize(order, pieces * cfg.num_points)  # every point at least once; the last chunk repeats
        sampled.append(padded[: cfg.num_points])
        for piece in padded.reshape(pieces, cfg.num_points):
            chunks.append((piece, block_input(points[piece], centre, floor)))
    for start in range(0, len(chunks), cfg.batch_size):
        batch = chunks[start:start + cfg.batch_size]
        x = torch.from_numpy(np.stack([c[1] for c in batch])).to(device)
        logits = model(x).float().cpu().numpy().astype(np.float64)
        for (piece, _), out in zip(batch, logits):
            np.add.at(total, piece, out)
    return total, np.unique(np.concatenate(sampled)) if sampled else np.zeros(0, np.int64)


# ----------------------------------------------------------------------------- S3DIS blocks


class S3DISSplit:
    """S3DIS blocks ``base[indices]``: features ``(4096, C)`` (xyz block-centred first) and labels."""

    def __init__(self, blocks, indices: np.ndarray, channels: int):
        self.blocks, self.indices, self.channels = blocks, np.asarray(indices), channels

    def __len__(self) -> int:
        return len(self.indices)

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        j = int(self.indices[i])
        return self.blocks.features(j)[:, : self.channels].astype(np.float32), self.blocks.point_labels(j)


class TrainS3DIS:
    def __init__(self, split: S3DISSplit, seed: int):
        self.split, self.seed = split, seed

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, key):
        import torch

        i, epoch = key
        feats, labels = self.split.sample(i)
        order = np.random.default_rng([self.seed, epoch, i]).permutation(len(labels))  # the reference's shuffle
        return {"points": torch.from_numpy(feats[order]), "labels": torch.from_numpy(labels[order])}


# ----------------------------------------------------------------------------- the task


def room_split(rooms: np.ndarray, fraction: float, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Item indices ``(train, val)``: ``fraction`` of the distinct rooms (at least one, seeded), then
    ``val_fraction`` of those rooms (at least one when two or more) held out for validation."""
    names = np.unique(rooms)
    rng = np.random.default_rng([seed, 11])
    chosen = rng.permutation(names)[: max(1, int(np.ceil(fraction * len(names))))]
    n_val = 0 if len(chosen) < 2 else min(len(chosen) - 1, max(1, int(round(val_fraction * len(chosen)))))
    val_rooms, train_rooms = chosen[:n_val], chosen[n_val:]
    return np.flatnonzero(np.isin(rooms, train_rooms)), np.flatnonzero(np.isin(rooms, val_rooms))


class SemSegTask(Task):
    name = "semseg"
    selection_metric = "miou"
    report_metrics = ("miou", "overall_accuracy", "mean_class_accuracy", "miou_sampled_points")
    backbones = ("dgcnn-semseg",)
    settings = SemSegSettings
    presets = PRESETS
    default_preset = "builtin-rooms"

    def __init__(self):
        self._splits = None

    def _load(self, cfg):
        if self._splits is None:
            if cfg.dataset == "s3dis":
                from strl.formats.s3dis import S3DISBlocks

                if not cfg.root:
                    raise ConfigError("S3DIS needs --root: the indoor3d_sem_seg_hdf5_data folder")
                train, test = (S3DISBlocks(cfg.root, s, cfg.test_area) for s in ("train", "test"))
                self._splits = (train, test, list(train.point_class_names))
            else:
                from strl.train.data import scene_set

                test_split = "test" if cfg.dataset == "builtin-rooms" else "val"
                train, test = (scene_set(cfg.dataset, cfg.root, s, cfg.cache_dir, cfg.builtin_seed, cfg.builtin_size)
                               for s in ("train", test_split))
                if not train.semantic_class_names:
                    raise ConfigError(f"{cfg.dataset} carries no semantic labels")
                self._splits = (train, test, list(train.semantic_class_names))
            print(f"semseg on {cfg.dataset}: {len(train)} training and {len(test)} test "
                  f"{'blocks' if cfg.dataset == 's3dis' else 'scenes'}, {len(self._splits[2])} classes; "
                  f"{input_description(cfg)}")
        return self._splits

    def data(self, cfg, fraction: float, seed: int) -> TaskData:
        train, test, names = self._load(cfg)
        info = {"num_classes": len(names), "class_names": names, "in_channels": cfg.input_channels,
                "num_points": cfg.num_points, "dataset": cfg.dataset}
        if cfg.dataset == "s3dis":
            rooms = np.asarray(train.rooms)
            tr, va = room_split(rooms, fraction, cfg.val_fraction, seed)
            info.update(train_samples=len(tr), val_samples=len(va), test_samples=len(test))
            return TaskData(TrainS3DIS(S3DISSplit(train, tr, cfg.input_channels), seed),
                            S3DISSplit(train, va, cfg.input_channels),
                            S3DISSplit(test, np.arange(len(test)), cfg.input_channels), info=info)
        tr, va = room_split(np.arange(len(train)), fraction, cfg.val_fraction, seed)
        test_idx = np.arange(min(len(test), cfg.max_test_scenes) if cfg.max_test_scenes else len(test))
        info.update(train_samples=len(tr), val_samples=len(va), test_samples=len(test_idx), test_scenes_total=len(test))
        return TaskData(SceneBlocks(train, tr, cfg, seed), SceneSplit(train, va), SceneSplit(test, test_idx), info=info)

    def build_model(self, cfg, encoder, info: dict):
        from strl.models.semseg import SemanticSegmenter

        return SemanticSegmenter(encoder, info["num_classes"], in_channels=info["in_channels"],
                                 dropout=cfg.dropout if cfg is not None else 0.5)

    def loss(self, model, batch, cfg):
        from strl.models.losses import smoothed_cross_entropy

        return smoothed_cross_entropy(model(batch["points"]), batch["labels"], cfg.label_smoothing, ignore_index=-1)

    def evaluate(self, model, split, cfg, device) -> Evaluation:
        import torch

        from strl.metrics.classification import confusion_matrix
        from strl.metrics.prediction_files import semseg_scores

        c = model.num_classes
        if len(split) == 0:
            return Evaluation({k: float("nan") for k in self.report_metrics}, {})
        preds, labels, sampled_conf = [], [], np.zeros((c, c), dtype=np.int64)
        if isinstance(split, S3DISSplit):
            for start in range(0, len(split), cfg.batch_size):
                samples = [split.sample(i) for i in range(start, min(start + cfg.batch_size, len(split)))]
                x = torch.from_numpy(np.stack([s[0] for s in samples])).to(device)
                preds.append(model(x).argmax(dim=-1).cpu().numpy().ravel())
                labels.append(np.concatenate([s[1] for s in samples]))
        else:
            rng = np.random.default_rng(0)
            for i in range(len(split)):
                scene = split.scene(i)
                logits, sampled = scene_logits(model, scene, cfg, device, c, rng)
                pred = logits.argmax(axis=1)
                preds.append(pred)
                labels.append(scene.semantic)
                sampled_conf += confusion_matrix(pred[sampled], scene.semantic[sampled], c, ignore_index=-1)
        pred, label = np.concatenate(preds).astype(np.int64), np.concatenate(labels).astype(np.int64)
        scores = semseg_scores(confusion_matrix(pred, label, c, ignore_index=-1))
        sampled_scores = scores if isinstance(split, S3DISSplit) else semseg_scores(sampled_conf)
        metrics = {"miou": scores["miou"], "overall_accuracy": scores["overall_accuracy"],
                   "mean_class_accuracy": scores["mean_class_accuracy"], "miou_sampled_points": sampled_scores["miou"]}
        return Evaluation(metrics, {"pred": pred, "label": label, "ignore_index": np.int64(-1), "num_classes": np.int64(c)})

    def extra_outputs(self, record, metrics: dict, folder: str) -> None:
        from strl.metrics.classification import confusion_matrix
        from strl.metrics.prediction_files import semseg_scores

        p = record.predictions
        c = int(p["num_classes"])
        ious = semseg_scores(confusion_matrix(p["pred"], p["label"], c, ignore_index=-1))["iou_per_class"]
        names = metrics.get("class_names") or self._load_names()
        metrics["iou_per_class_first_run"] = dict(zip(names, ious))
        print("per-class IoU (test, first pre-trained run):")
        for name, iou in zip(names, ious):
            print(f"  {name:<14} {'  n/a' if iou is None else f'{100 * iou:5.1f}'} %")

    def _load_names(self):
        return self._splits[2] if self._splits else []

    def downstream_export(self, model, meta: dict):
        """dgcnn.pytorch's ``DGCNN_semseg``, head included: ``{"state_dict": ...}``."""
        return "dgcnn-semseg", "state_dict", model.downstream_state_dict()

    def head_description(self, info: dict) -> dict:
        return {key: info[key] for key in ("num_classes", "class_names", "in_channels", "num_points", "dataset")}

    def rebuild_model(self, encoder, head: dict, cfg=None):
        return self.build_model(cfg, encoder, head)
