"""The per-point input of PillarVFE: raw features, offsets to the pillar mean and to the pillar centre."""

from __future__ import annotations

import torch


def augment_pillar_points(
    points: torch.Tensor,
    num_points: torch.Tensor,
    coords: torch.Tensor,
    point_cloud_range,
    voxel_size,
    use_absolute_xyz: bool = True,
    with_distance: bool = False,
) -> torch.Tensor:
    """``(P, M, C)`` pillar points -> ``(P, M, C')`` features as OpenPCDet's ``PillarVFE`` builds them.

    Channels, in order: the raw features (x, y, z, reflectance, ...; without ``use_absolute_xyz``
    only those after xyz), ``xyz - mean`` (the mean of the pillar's real points), ``xyz - centre``
    (centre = ``cell * voxel + voxel / 2 + range_min`` for x, y and z; ``coords`` is ``(P, 4)``
    ``(batch, z, y, x)``), and with ``with_distance`` the point's distance ``|xyz|``. With
    C = 4 and the defaults, C' = 10. Padded slots (index >= ``num_points``) are all zeros.

    The features are computed for the real points only and scattered into the padded layout.
    """
    p, m, c = points.shape
    real = torch.arange(m, device=points.device)[None, :] < num_points[:, None]
    slots = real.view(-1).nonzero().squeeze(1)
    pillar = slots // m
    raw = points.reshape(p * m, c).index_select(0, slots)
    xyz = raw[:, :3]
    count = num_points.to(points.dtype).clamp(min=1)[:, None]
    mean = points.new_zeros(p, 3).index_add_(0, pillar, xyz) / count
    size = torch.as_tensor(voxel_size, dtype=points.dtype, device=points.device)
    low = torch.as_tensor(point_cloud_range[:3], dtype=points.dtype, device=points.device)
    centre = coords[:, [3, 2, 1]].to(points.dtype) * size + size / 2 + low
    parts = [raw if use_absolute_xyz else raw[:, 3:], xyz - mean[pillar], xyz - centre[pillar]]
    if with_distance:
        parts.append(xyz.norm(dim=1, keepdim=True))
    features = torch.cat(parts, dim=1)
    out = points.new_zeros(p * m, features.shape[1])
    return out.index_copy_(0, slots, features).view(p, m, features.shape[1])
