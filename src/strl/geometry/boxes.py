"""Box layouts and conversions: corners, axis-aligned bounds, points inside boxes.

Layouts (z up, heading in radians about +z, counter-clockwise seen from above, 0 = dx along +x):
- ``box7`` = ``(cx, cy, cz, dx, dy, dz, heading)``: centre and full sizes;
- ``box5`` = ``(cx, cy, dx, dy, heading)``: the same box seen from above (bird's-eye view);
- ``aabb6`` = ``(xmin, ymin, zmin, xmax, ymax, zmax)``; ``aabb4`` = ``(xmin, ymin, xmax, ymax)``.
Every function takes tensors of any float dtype on any device and returns the same.
"""

from __future__ import annotations

import math

import torch

# corner signs in the box frame, counter-clockwise seen from above: (-,-), (+,-), (+,+), (-,+)
_BEV_SIGNS = ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5))


def limit_period(angle: torch.Tensor, offset: float = 0.5, period: float = 2 * math.pi) -> torch.Tensor:
    """Wrap ``angle`` into ``[-offset * period, (1 - offset) * period)``.

    ``angle - floor(angle / period + offset) * period``; the default gives ``[-pi, pi)``.
    """
    return angle - torch.floor(angle / period + offset) * period


def bev_of(boxes: torch.Tensor) -> torch.Tensor:
    """The bird's-eye view of 3-D boxes: ``(..., 7) -> (..., 5)`` = ``(cx, cy, dx, dy, heading)``."""
    return boxes[..., [0, 1, 3, 4, 6]]


def rotate_xy(x: torch.Tensor, y: torch.Tensor, heading: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate the plane vectors ``(x, y)`` by ``heading`` (counter-clockwise); broadcasting shapes."""
    c, s = torch.cos(heading), torch.sin(heading)
    return c * x - s * y, s * x + c * y


def corners_bev(boxes: torch.Tensor) -> torch.Tensor:
    """Corners of BEV boxes ``(..., 5) -> (..., 4, 2)``, counter-clockwise seen from above.

    In the box frame the corners are ``(-dx, -dy), (+dx, -dy), (+dx, +dy), (-dx, +dy)`` times
    one half, then rotated by the heading and moved to the centre.
    """
    signs = boxes.new_tensor(_BEV_SIGNS)  # (4, 2)
    local_x = boxes[..., 2:3] * signs[:, 0]  # (..., 4)
    local_y = boxes[..., 3:4] * signs[:, 1]
    x, y = rotate_xy(local_x, local_y, boxes[..., 4:5])
    return torch.stack((x + boxes[..., 0:1], y + boxes[..., 1:2]), dim=-1)


def corners_3d(boxes: torch.Tensor) -> torch.Tensor:
    """Corners of 3-D boxes ``(..., 7) -> (..., 8, 3)``.

    Corners 0-3 are the bottom face (``z = cz - dz / 2``) and 4-7 the top face, each in the
    counter-clockwise order of :func:`corners_bev`; corner ``i + 4`` lies above corner ``i``.
    """
    xy = corners_bev(bev_of(boxes))  # (..., 4, 2)
    half = boxes[..., 5:6] / 2
    bottom = (boxes[..., 2:3] - half).unsqueeze(-1).expand(*xy.shape[:-1], 1)
    top = (boxes[..., 2:3] + half).unsqueeze(-1).expand(*xy.shape[:-1], 1)
    return torch.cat((torch.cat((xy, bottom), -1), torch.cat((xy, top), -1)), dim=-2)


def boxes_to_aabb(boxes: torch.Tensor) -> torch.Tensor:
    """Axis-aligned bounds of 3-D boxes ``(..., 7) -> (..., 6)``: min and max of the 8 corners."""
    corners = corners_3d(boxes)
    return torch.cat((corners.amin(dim=-2), corners.amax(dim=-2)), dim=-1)


def points_in_boxes(points: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Which points lie in which boxes: ``(N, 3), (M, 7) -> (N, M)`` bool.

    A point on a face counts as inside. The test runs in each box's frame, where a rotation can
    move a point on a face by a rounding error, so the faces are widened by a few units in the
    last place of the coordinates involved.
    """
    dtype = torch.promote_types(points.dtype, boxes.dtype)
    points, boxes = points.to(dtype), boxes.to(dtype)
    d = points[:, None, :] - boxes[None, :, :3]  # (N, M, 3)
    local_x, local_y = rotate_xy(d[..., 0], d[..., 1], -boxes[:, 6])
    local = torch.stack((local_x, local_y, d[..., 2]), dim=-1)
    half = boxes[:, 3:6] / 2
    slack = 8 * torch.finfo(dtype).eps * (d.abs().amax(dim=-1, keepdim=True) + half)
    return (local.abs() <= half + slack).all(dim=-1)
