"""OpenPCDet's world flip, rotation and scaling of a training frame, and the range filter of boxes."""

import math

import torch

from strl.detection.pointpillars.augment import boxes_in_range, draw_world_transform
from strl.geometry import points_in_boxes


def test_a_drawn_transform_matches_openpcdets_three_steps_in_order():
    gen = torch.Generator().manual_seed(3)
    points = torch.tensor([[10.0, 2.0, -1.0, 0.3], [4.0, -3.0, 0.5, 0.9]], dtype=torch.float64)
    boxes = torch.tensor([[10.0, 2.0, -0.9, 4.0, 1.6, 1.5, 0.4]], dtype=torch.float64)
    for _ in range(20):
        t = draw_world_transform(gen)
        assert -math.pi / 4 <= t.angle <= math.pi / 4 and 0.95 <= t.scale <= 1.05 and not t.flip_x
        # OpenPCDet: random_flip_along_x (y, heading negated), then rotate_points_along_z, then scale
        p, b = points.clone(), boxes.clone()
        if t.flip_y:
            p[:, 1], b[:, 1], b[:, 6] = -p[:, 1], -b[:, 1], -b[:, 6]
        c, s = math.cos(t.angle), math.sin(t.angle)
        p[:, :2] = torch.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c], dim=1)
        b[:, :2] = torch.stack([b[:, 0] * c - b[:, 1] * s, b[:, 0] * s + b[:, 1] * c], dim=1)
        b[:, 6] += t.angle
        p[:, :3] *= t.scale
        b[:, :6] *= t.scale
        got_p, got_b = t.apply_points(points), t.apply_boxes(boxes)
        torch.testing.assert_close(got_p, p)
        torch.testing.assert_close(got_b[:, :6], b[:, :6])
        assert torch.allclose(torch.cos(got_b[:, 6]), torch.cos(b[:, 6])) and torch.allclose(torch.sin(got_b[:, 6]), torch.sin(b[:, 6]))
        assert -math.pi <= float(got_b[0, 6]) < math.pi


def test_points_inside_a_box_stay_inside_and_all_three_steps_occur():
    gen = torch.Generator().manual_seed(0)
    box = torch.tensor([[12.0, -3.0, -0.8, 3.9, 1.6, 1.56, 0.7]])
    local = (torch.rand(200, 3, generator=gen) - 0.5) * 0.98 * box[0, 3:6]
    c, s = math.cos(0.7), math.sin(0.7)
    inside = torch.stack([local[:, 0] * c - local[:, 1] * s, local[:, 0] * s + local[:, 1] * c, local[:, 2]], 1) + box[0, :3]
    flips, angles = [], []
    for _ in range(40):
        t = draw_world_transform(gen)
        flips.append(t.flip_y)
        angles.append(t.angle)
        assert points_in_boxes(t.apply_points(inside), t.apply_boxes(box)).all()
    assert any(flips) and not all(flips) and min(angles) < -0.3 and max(angles) > 0.3
    assert not draw_world_transform(gen, rotation=0.0, scaling=(1.0, 1.0), flip=False).flip_y


def test_boxes_are_kept_by_their_centre_bounds_included():
    r = (0.0, -10.0, -3.0, 20.0, 10.0, 1.0)
    boxes = torch.tensor([[5.0, 0.0, -1.0, 4, 2, 1.5, 0],  # inside
                          [20.0, 10.0, 1.0, 4, 2, 1.5, 0],  # on the upper bounds
                          [-0.1, 0.0, -1.0, 4, 2, 1.5, 0],  # centre behind x_min, corners inside
                          [5.0, 0.0, 1.5, 4, 2, 1.5, 0]])  # above z_max
    assert boxes_in_range(boxes, r).tolist() == [True, True, False, False]
