"""Anchor boxes on the head map (OpenPCDet ``AnchorGenerator`` with ``align_center`` False).

x and y positions include both range ends: ``n`` positions with stride ``extent / (n - 1)`` over the
head map's ``(ny, nx)``. Each class has one box size, one bottom height (the anchor centre is lifted
by half its height) and its rotations. Anchors are ordered ``(y, x, class, rotation)``, the layout of
:class:`strl.detection.pointpillars.anchor_head.AnchorHeadSingle`'s outputs.
"""

from __future__ import annotations

import torch

from strl.detection.pointpillars.config import PointPillarsConfig


def make_anchors(cfg: PointPillarsConfig, device=None, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``(A, 7)`` anchor boxes ``(x, y, z, dx, dy, dz, heading)`` and ``(A,)`` int64 class index of each.

    ``A = ny * nx * anchors_per_location`` for the head map ``(ny, nx)`` = ``cfg.feature_map_size``.
    """
    ny, nx = cfg.feature_map_size
    r = cfg.point_cloud_range
    xs = torch.linspace(r[0], r[3], nx, device=device, dtype=torch.float64)
    ys = torch.linspace(r[1], r[4], ny, device=device, dtype=torch.float64)
    per_location = torch.tensor(
        [[*c.size, c.bottom_height + c.size[2] / 2, rot, k] for k, c in enumerate(cfg.classes) for rot in c.rotations],
        device=device, dtype=torch.float64,
    )  # (a, 6): dx, dy, dz, z centre, heading, class
    a = len(per_location)
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    anchors = torch.empty(ny, nx, a, 7, device=device, dtype=torch.float64)
    anchors[..., 0] = x[..., None]
    anchors[..., 1] = y[..., None]
    anchors[..., 2] = per_location[:, 3]
    anchors[..., 3:6] = per_location[:, 0:3]
    anchors[..., 6] = per_location[:, 4]
    classes = per_location[:, 5].long().repeat(ny * nx)
    return anchors.reshape(-1, 7).to(dtype), classes
