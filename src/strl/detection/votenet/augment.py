"""VoteNet's scene augmentations on points, boxes and vote targets together.

Every augmentation is a similarity transform ``x -> s·R(α)·F·x`` (``F`` flips x and/or y, ``R``
turns about +z, ``s`` scales), applied alike to point coordinates, box centres, vote offsets
and (for the scale) box sizes and the height channel, so a point inside its box stays inside.

- ``scannet``: flip x (p 0.5), flip y (p 0.5), α ~ U(±5°); the boxes are then re-fitted as
  axis-aligned boxes around the turned ones (heading 0), as VoteNet's ``rotate_aligned_boxes``.
- ``sunrgbd``: flip x (p 0.5), α ~ U(±30°), s ~ U(0.85, 1.15). Headings follow strl's convention
  (counter-clockwise from +x): a flip gives π - heading, a turn adds α. VoteNet subtracts α
  instead because its SUN RGB-D files store clockwise headings; the boxes move the same way.
  (VoteNet's colour jitter is not applied: strl feeds no colour.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SceneTransform:
    """A drawn augmentation: flips, turn ``angle`` (radians, about +z), uniform ``scale``."""

    flip_x: bool = False
    flip_y: bool = False
    angle: float = 0.0
    scale: float = 1.0
    refit_axis_aligned: bool = False

    def matrix(self, like: torch.Tensor) -> torch.Tensor:
        """``(3, 3)`` linear map ``s·R(α)·F`` in the dtype and device of ``like``."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        rot = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=like.dtype, device=like.device)
        flips = torch.tensor([-1.0 if self.flip_x else 1.0, -1.0 if self.flip_y else 1.0, 1.0], dtype=like.dtype, device=like.device)
        return self.scale * rot * flips  # R @ diag(flips)

    def apply_points(self, points: torch.Tensor, has_height: bool = False) -> torch.Tensor:
        """Points ``(N, 3 + F)``: xyz mapped; the last channel scaled when it is the height."""
        out = points.clone()
        out[:, :3] = points[:, :3] @ self.matrix(points).T
        if has_height:
            out[:, -1] = points[:, -1] * self.scale
        return out

    def apply_offsets(self, offsets: torch.Tensor) -> torch.Tensor:
        """Vote offsets ``(N, 3·k)``: each 3-vector mapped (the linear part only)."""
        n = offsets.shape[0]
        return (offsets.reshape(n, -1, 3) @ self.matrix(offsets).T).reshape(n, -1)

    def apply_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        """Boxes ``(K, 7)``: centres mapped, sizes scaled, headings flipped and turned, wrapped to [-π, π)."""
        out = boxes.clone()
        out[:, :3] = boxes[:, :3] @ self.matrix(boxes).T
        out[:, 3:6] = boxes[:, 3:6] * self.scale
        heading = boxes[:, 6]
        if self.flip_x:
            heading = math.pi - heading
        if self.flip_y:
            heading = -heading
        heading = heading + self.angle
        if self.refit_axis_aligned:
            c, s = heading.cos().abs(), heading.sin().abs()
            dx, dy = out[:, 3], out[:, 4]
            out[:, 3], out[:, 4] = c * dx + s * dy, s * dx + c * dy
            heading = torch.zeros_like(heading)
        out[:, 6] = torch.remainder(heading + math.pi, 2 * math.pi) - math.pi
        return out


def draw_scannet(generator: torch.Generator) -> SceneTransform:
    """ScanNet: flip x and flip y each with p 0.5, turn U(-5°, 5°), boxes re-fitted axis-aligned."""
    u = torch.rand(3, generator=generator, dtype=torch.float64).tolist()
    return SceneTransform(u[0] > 0.5, u[1] > 0.5, (u[2] - 0.5) * math.pi / 18, 1.0, refit_axis_aligned=True)


def draw_sunrgbd(generator: torch.Generator) -> SceneTransform:
    """SUN RGB-D: flip x with p 0.5, turn U(-30°, 30°), scale U(0.85, 1.15)."""
    u = torch.rand(3, generator=generator, dtype=torch.float64).tolist()
    return SceneTransform(u[0] > 0.5, False, (u[1] - 0.5) * math.pi / 3, 0.85 + 0.3 * u[2])


AUGMENTATIONS = {"scannet": draw_scannet, "sunrgbd": draw_sunrgbd}
