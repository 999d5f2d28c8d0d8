"""Predicted boxes from VoteNet's outputs: the most likely heading bin and size cluster."""

from __future__ import annotations

import torch

from strl.detection.votenet.box_coding import decode_heading, decode_size
from strl.detection.votenet.box_config import BoxConfig


def decode_boxes(outputs: dict[str, torch.Tensor], box: BoxConfig) -> torch.Tensor:
    """``(B, K, 7)`` boxes ``(cx, cy, cz, dx, dy, dz, heading)`` in the input (upright, z-up) frame.

    Heading: argmax bin plus its residual, wrapped to (-π, π]; size: argmax cluster's mean size
    plus its residual. A negative predicted length is taken by its magnitude: VoteNet's corners
    of such a box are those of the box with the positive length.
    """
    head_bin = outputs["heading_scores"].argmax(-1)
    head_res = outputs["heading_residuals"].gather(-1, head_bin.unsqueeze(-1)).squeeze(-1)
    size_cls = outputs["size_scores"].argmax(-1)
    res = outputs["size_residuals"]
    size_res = res.gather(2, size_cls[..., None, None].expand(-1, -1, 1, 3)).squeeze(2)
    heading = decode_heading(head_bin, head_res, box.num_heading_bin)
    sizes = decode_size(size_cls, size_res, box.mean_size_tensor(res)).abs()
    return torch.cat([outputs["center"], sizes, heading.unsqueeze(-1)], dim=-1)
