import math

import torch

from strl.transforms.config import AugmentConfig
from strl.transforms.up_rotation import RotateUp


def test_rotation_about_y_keeps_heights_and_radii():
    torch.manual_seed(0)
    pts = torch.randn(6, 50, 3)
    mask = torch.ones(6, 50, dtype=torch.bool)
    out, _ = RotateUp(axis=1)(pts, mask, torch.Generator().manual_seed(1))
    torch.testing.assert_close(out[..., 1], pts[..., 1])
    torch.testing.assert_close(out[..., [0, 2]].norm(dim=-1), pts[..., [0, 2]].norm(dim=-1))
    angles = torch.atan2(out[:, 0, 2], out[:, 0, 0]) - torch.atan2(pts[:, 0, 2], pts[:, 0, 0])
    assert len({round(float(a) % (2 * math.pi), 3) for a in angles}) == 6  # a different angle per sample


def test_step_runs_only_when_enabled():
    assert "rotate_up" not in AugmentConfig().steps()
    steps = AugmentConfig(rotate_up_p=1.0).steps()
    assert steps.index("rotate_up") == steps.index("rotate") - 1
