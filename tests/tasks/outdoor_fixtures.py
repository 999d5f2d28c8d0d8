"""Shared by the outdoor detection tests: a tiny KITTI object folder and PointPillars encoder checkpoints."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
from kitti_fixtures import LABEL_LINES, write_mapping, write_object_frame, write_split  # noqa: E402

from strl.detection.pointpillars import PointPillarsEncoder, preset  # noqa: E402

# the layers of OpenPCDet's KITTI PointPillar on a 10.24 x 10.24 m grid (weights do not depend on the grid)
KITTI_LAYERS_SMALL_GRID = dict(point_cloud_range=(0.0, -5.12, -3.0, 10.24, 5.12, 1.0))
# narrow layers on the same small grid, for runs that need no OpenPCDet shapes
TINY = dict(point_cloud_range=(0.0, -5.12, -3.0, 10.24, 5.12, 1.0), vfe_filters=(8,), layer_nums=(1, 1, 1),
            num_filters=(8, 16, 16), num_upsample_filters=(8, 8, 8), max_pillars_train=500, max_pillars_test=500)


def frame_points(rng: np.random.Generator, n: int = 600) -> np.ndarray:
    """``(n, 4)`` LiDAR points ahead of the car (most inside image_2's field of view): ground and a block."""
    ground = np.column_stack([rng.uniform(2, 30, n // 2), rng.uniform(-8, 8, n // 2), np.full(n // 2, -1.7), rng.random(n // 2)])
    block = np.column_stack([rng.uniform(6, 9, n - n // 2), rng.uniform(-1, 1, n - n // 2), rng.uniform(-1.7, 0, n - n // 2),
                             rng.random(n - n // 2)])
    return np.concatenate([ground, block]).astype(np.float32)


def write_kitti_object(root: Path, train_ids, val_ids, seed: int = 0, mapping: bool = False) -> Path:
    """``root/training/{velodyne,calib,image_2,label_2}`` for every id and ``ImageSets/{train,val}.txt``;
    with ``mapping``, the devkit's ``mapping/`` (frames 000000-000005 only)."""
    rng = np.random.default_rng(seed)
    for frame_id in [*train_ids, *val_ids]:
        write_object_frame(root / "training", frame_id, frame_points(rng), LABEL_LINES)
    write_split(root, "train", train_ids)
    write_split(root, "val", val_ids)
    if mapping:
        write_mapping(root)
        write_split(root, "train", train_ids)
        write_split(root, "val", val_ids)
    return root


def write_encoder_checkpoint(path: Path, name: str = "pointpillars-laptop", seed: int = 0, **changes) -> Path:
    """A pre-trained PointPillars encoder in strl's checkpoint layout, its configuration in the description."""
    torch.manual_seed(seed)
    encoder = PointPillarsEncoder(preset(name, **changes))
    description = {**encoder.description(), "detector_config": encoder.cfg.describe()}
    torch.save({"state_dict": {"method.backbone." + k: v for k, v in encoder.state_dict().items()},
                "strl": {"format_version": 1, "encoder": description}}, path)
    return path
