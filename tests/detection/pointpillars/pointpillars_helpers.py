"""Shared by the PointPillars tests: a tiny configuration, the OpenPCDet key table, synthetic frames."""

from __future__ import annotations

from pathlib import Path

import torch

from strl.detection.pointpillars import preset

KEY_TABLE = Path(__file__).with_name("openpcdet_pointpillar_keys.txt")


def tiny_config(**changes):
    """A small configuration for fast tests: a 20.48 x 20.48 m range on a 64 x 64 grid, narrow layers."""
    settings = dict(
        name="tiny",
        point_cloud_range=(0.0, -10.24, -3.0, 20.48, 10.24, 1.0),
        voxel_size=(0.32, 0.32, 4.0),
        max_pillars_train=2000,
        max_pillars_test=4000,
        vfe_filters=(16,),
        layer_nums=(1, 1, 1),
        num_filters=(16, 32, 64),
        num_upsample_filters=(32, 32, 32),
    )
    settings.update(changes)
    return preset("pointpillars-kitti", **settings)


def openpcdet_keys() -> dict[str, tuple[int, ...]]:
    """The sheet's 127 checkpoint entries as ``{key: shape}``, in its order (``global_step`` first)."""
    keys = {}
    for line in KEY_TABLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key, shape = line.split(" ", 1)
        keys[key] = tuple(int(s) for s in shape.strip("()").split(",") if s.strip())
    return keys


def random_points(batch: int, n: int, cfg, seed: int = 0) -> torch.Tensor:
    """``(batch, n, 4)`` points uniform over the configuration's range, reflectance in [0, 1)."""
    gen = torch.Generator().manual_seed(seed)
    low = torch.tensor([*cfg.point_cloud_range[:3], 0.0])
    extent = torch.tensor([*cfg.point_cloud_range[3:], 1.0]) - low
    return torch.rand(batch, n, 4, generator=gen) * extent + low
