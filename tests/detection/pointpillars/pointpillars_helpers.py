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


def car_scene(cars: list[tuple[float, float, float]], seed: int, points_per_car: int = 300, ground_points: int = 1500, extent=(20.48, 10.24)):
    """A frame of ground points and cars: ``(N, 4)`` points and ``(G, 7)`` car boxes.

    ``cars`` holds ``(x, y, heading)``; each car is a 3.9 x 1.6 x 1.56 m box standing on the ground
    (z = -1.73) with points spread over its volume; the ground covers ``[0, extent[0]] x [-extent[1], extent[1]]``.
    """
    gen = torch.Generator().manual_seed(seed)
    ground_z = -1.73
    size = torch.tensor([3.9, 1.6, 1.56])
    boxes = torch.tensor([[x, y, ground_z + 0.78, *size.tolist(), h] for x, y, h in cars])
    local = (torch.rand(len(cars), points_per_car, 3, generator=gen) - 0.5) * size
    cos, sin = torch.cos(boxes[:, 6])[:, None], torch.sin(boxes[:, 6])[:, None]
    world = torch.stack(
        [local[..., 0] * cos - local[..., 1] * sin, local[..., 0] * sin + local[..., 1] * cos, local[..., 2]], dim=-1
    ) + boxes[:, None, :3]
    ground = torch.rand(ground_points, 3, generator=gen) * torch.tensor([extent[0], 2 * extent[1], 0.0]) + torch.tensor([0.0, -extent[1], ground_z])
    xyz = torch.cat([world.reshape(-1, 3), ground])
    reflectance = torch.cat([torch.full((len(cars) * points_per_car, 1), 0.8), torch.full((ground_points, 1), 0.2)])
    return torch.cat([xyz, reflectance], dim=1), boxes
