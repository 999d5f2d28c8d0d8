"""Points -> pillars, vectorised (sort + unique + scatter), on any device.

The rules are those of OpenPCDet's voxeliser (spconv ``VoxelGenerator`` with ``MAX_POINTS_PER_VOXEL``
and ``MAX_NUMBER_OF_VOXELS``) with a BEV grid of one voxel in z:

- a point's cell is ``floor((p - range_min) / voxel_size)``; points whose cell falls outside the grid
  in x, y or z are dropped (this also drops points on the upper range boundary);
- each pillar keeps its first ``max_points`` points in input order (OpenPCDet shuffles the points
  of a training frame beforehand, which makes that a random choice);
- a frame keeps at most ``max_pillars`` pillars. Without a generator these are the pillars met first
  in the input order, exactly as OpenPCDet keeps them; with a ``torch.Generator`` they are a
  uniformly random subset drawn from it, so that a frame over the limit does not always lose the
  same (far, last-scanned) part of the scene.

Pillars come out sorted by ``(batch, y, x)``; the order carries no meaning for the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Pillars:
    """A batch of pillars.

    ``points``: ``(P, max_points, C)`` raw point features (x, y, z, reflectance, ...), zero-padded;
    ``coords``: ``(P, 4)`` int64 ``(batch, z, y, x)`` cell of each pillar (OpenPCDet's ``voxel_coords``);
    ``num_points``: ``(P,)`` int64 real points per pillar (1..max_points);
    ``batch_size``: frames in the batch (a frame may have no pillar).
    """

    points: torch.Tensor
    coords: torch.Tensor
    num_points: torch.Tensor
    batch_size: int


def batch_points(clouds: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
    """Frames as one ``(sum N, 1 + C)`` tensor whose first column is the frame index.

    ``clouds``: a ``(B, N, C)`` tensor or a list of ``(N_i, C)`` tensors.
    """
    if isinstance(clouds, torch.Tensor):
        if clouds.dim() != 3:
            raise ValueError(f"expected (B, N, C) points, got {tuple(clouds.shape)}")
        b, n, _ = clouds.shape
        index = torch.arange(b, device=clouds.device, dtype=clouds.dtype).repeat_interleave(n)
        return torch.cat([index[:, None], clouds.reshape(b * n, -1)], dim=1)
    sizes = torch.tensor([len(c) for c in clouds], device=clouds[0].device)
    index = torch.arange(len(clouds), device=clouds[0].device).repeat_interleave(sizes).to(clouds[0].dtype)
    return torch.cat([index[:, None], torch.cat(list(clouds))], dim=1)


def pillarize(
    points: torch.Tensor,
    point_cloud_range,
    voxel_size,
    max_points: int,
    max_pillars: int,
    batch_size: int | None = None,
    generator: torch.Generator | None = None,
) -> Pillars:
    """Group ``points (N, 1 + C)`` (frame index, x, y, z, ...) into pillars; see the module docstring.

    ``point_cloud_range`` = ``(x_min, y_min, z_min, x_max, y_max, z_max)``; ``voxel_size`` =
    ``(vx, vy, vz)`` with one cell in z. ``batch_size`` defaults to the largest frame index + 1.
    """
    device = points.device
    frame = points[:, 0].long()
    if batch_size is None:
        batch_size = int(frame.max()) + 1 if len(frame) else 1
    nx, ny, nz = (int(round((point_cloud_range[i + 3] - point_cloud_range[i]) / voxel_size[i])) for i in range(3))
    if nz != 1:
        raise ValueError(f"pillars need one cell in z, the grid is {(nx, ny, nz)}")
    cx = torch.floor((points[:, 1] - point_cloud_range[0]) / voxel_size[0]).long()
    cy = torch.floor((points[:, 2] - point_cloud_range[1]) / voxel_size[1]).long()
    cz = torch.floor((points[:, 3] - point_cloud_range[2]) / voxel_size[2])
    inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny) & (cz == 0) & (frame >= 0) & (frame < batch_size)
    outside_id = batch_size * ny * nx  # sorts after every real pillar
    key_dtype = torch.int32 if outside_id < 2**31 - 1 else torch.int64
    pillar_id = torch.where(inside, (frame * ny + cy) * nx + cx, outside_id).to(key_dtype)

    # Stable sort: points of one pillar become a run, in input order; a run's first point is the
    # pillar's first point met. The points outside the grid form the last run, which is dropped.
    pillar_id, order = torch.sort(pillar_id, stable=True)
    unique_id, counts = torch.unique_consecutive(pillar_id, return_counts=True)
    if len(unique_id) and int(unique_id[-1]) == outside_id:
        unique_id, counts = unique_id[:-1], counts[:-1]
    unique_id = unique_id.long()
    num_in = int(counts.sum())
    starts = torch.cumsum(counts, 0) - counts
    pillar_of_point = torch.repeat_interleave(torch.arange(len(unique_id), device=device), counts, output_size=num_in)
    slot = torch.arange(num_in, device=device) - starts[pillar_of_point]

    keep_pillar = _pillar_limit(unique_id // (ny * nx), order[starts], max_pillars, generator)
    new_index = torch.cumsum(keep_pillar, 0) - 1
    take = (keep_pillar[pillar_of_point] & (slot < max_points)).nonzero().squeeze(1)
    flat_slot = new_index[pillar_of_point[take]] * max_points + slot[take]

    unique_id = unique_id[keep_pillar]
    channels = points.shape[1] - 1
    out = points.new_zeros(len(unique_id) * max_points, channels)
    out.index_copy_(0, flat_slot, points[:, 1:].index_select(0, order[take]))
    plane = ny * nx
    coords = torch.stack(
        [unique_id // plane, torch.zeros_like(unique_id), (unique_id % plane) // nx, unique_id % nx], dim=1
    )
    return Pillars(out.view(-1, max_points, channels), coords, counts[keep_pillar].clamp(max=max_points), batch_size)


def _pillar_limit(frame: torch.Tensor, first_point: torch.Tensor, limit: int, generator: torch.Generator | None) -> torch.Tensor:
    """``(P,)`` bool: the at most ``limit`` pillars of each frame to keep.

    ``frame (P,)`` is each pillar's frame (non-decreasing), ``first_point (P,)`` the input row of its
    first point. The kept pillars are those of lowest ``first_point`` (no generator) or of lowest
    random key drawn from ``generator``.
    """
    num = len(frame)
    per_frame = torch.bincount(frame) if num else frame.new_zeros(0)
    if num == 0 or int(per_frame.max()) <= limit:
        return torch.ones(num, dtype=torch.bool, device=frame.device)
    if generator is None:
        key = first_point
    else:
        key = torch.randperm(num, generator=generator, device=generator.device).to(frame.device)
    # rank of each pillar within its frame by key: sort by (frame, key)
    order = torch.argsort(frame * (int(key.max()) + 1) + key)
    frame_start = torch.cumsum(per_frame, 0) - per_frame
    rank = torch.empty_like(order)
    rank[order] = torch.arange(num, device=frame.device) - frame_start[frame[order]]
    return rank < limit
