import math

import numpy as np
import pytest
import torch

from strl.geometry import boxes_to_aabb, corners_3d, corners_bev, limit_period, points_in_boxes


def test_limit_period_wraps_into_minus_pi_pi():
    angle = torch.tensor([0.0, math.pi, -math.pi, 3 * math.pi / 2, -3 * math.pi / 2, 7.0], dtype=torch.float64)
    out = limit_period(angle)
    expected = torch.tensor([0.0, -math.pi, -math.pi, -math.pi / 2, math.pi / 2, 7.0 - 2 * math.pi], dtype=torch.float64)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(limit_period(angle, offset=0.0), torch.remainder(angle, 2 * math.pi))
    torch.testing.assert_close(limit_period(torch.tensor([2.0]), 0.5, math.pi), torch.tensor([2.0 - math.pi]))


def test_corners_bev_hand_case_and_counter_clockwise():
    box = torch.tensor([[1.0, 2.0, 4.0, 2.0, math.pi / 2]], dtype=torch.float64)
    # turned by 90 degrees: dx runs along +y, dy along -x
    expected = torch.tensor([[[2.0, 0.0], [2.0, 4.0], [0.0, 4.0], [0.0, 0.0]]], dtype=torch.float64)
    torch.testing.assert_close(corners_bev(box), expected)
    gen = torch.Generator().manual_seed(0)
    many = torch.rand(50, 5, generator=gen) * torch.tensor([10, 10, 3, 3, 20]) + torch.tensor([-5, -5, 0.1, 0.1, -10])
    c = corners_bev(many).double()
    nxt = c.roll(-1, dims=1)
    signed = (c[..., 0] * nxt[..., 1] - c[..., 1] * nxt[..., 0]).sum(-1) / 2
    torch.testing.assert_close(signed, (many[:, 2] * many[:, 3]).double(), rtol=1e-5, atol=1e-5)


def test_corners_bev_batch_shapes():
    assert corners_bev(torch.zeros(2, 3, 5)).shape == (2, 3, 4, 2)
    assert corners_bev(torch.zeros(0, 5)).shape == (0, 4, 2)


def test_corners_3d_order_bottom_then_top():
    box = torch.tensor([[0.0, 0.0, 1.0, 2.0, 4.0, 2.0, 0.0]])
    c = corners_3d(box)[0]
    assert c.shape == (8, 3)
    torch.testing.assert_close(c[:4, 2], torch.zeros(4))
    torch.testing.assert_close(c[4:, 2], torch.full((4,), 2.0))
    torch.testing.assert_close(c[4:, :2], c[:4, :2])
    torch.testing.assert_close(c[:4, :2], corners_bev(box[:, [0, 1, 3, 4, 6]])[0])
    torch.testing.assert_close(c[0], torch.tensor([-1.0, -2.0, 0.0]))


def test_boxes_to_aabb_of_turned_box():
    box = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0, 2.0, math.pi / 4]], dtype=torch.float64)
    h = math.sqrt(0.5)
    expected = torch.tensor([[1 - h, -h, -1.0, 1 + h, h, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(boxes_to_aabb(box), expected)
    assert boxes_to_aabb(torch.zeros(0, 7)).shape == (0, 6)


def _points_in_boxes_loop(points, boxes):
    out = np.zeros((len(points), len(boxes)), dtype=bool)
    for j, (cx, cy, cz, dx, dy, dz, h) in enumerate(boxes):
        rot = np.array([[math.cos(h), math.sin(h)], [-math.sin(h), math.cos(h)]])
        for i, p in enumerate(points):
            lx, ly = rot @ (p[:2] - [cx, cy])
            out[i, j] = abs(lx) <= dx / 2 and abs(ly) <= dy / 2 and abs(p[2] - cz) <= dz / 2
    return out


def test_points_in_boxes_against_loop():
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, (200, 3))
    boxes = np.concatenate([rng.uniform(-2, 2, (6, 3)), rng.uniform(0.5, 3, (6, 3)), rng.uniform(-4, 4, (6, 1))], 1)
    out = points_in_boxes(torch.from_numpy(points), torch.from_numpy(boxes))
    assert out.shape == (200, 6) and out.dtype == torch.bool
    assert np.array_equal(out.numpy(), _points_in_boxes_loop(points, boxes))
    assert out.any() and not out.all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_points_on_faces_of_turned_box_count_as_inside(dtype):
    box = torch.tensor([[1.0, -2.0, 0.5, 2.0, 1.0, 3.0, 0.3]], dtype=dtype)
    h = 0.3
    ux = torch.tensor([math.cos(h), math.sin(h), 0.0], dtype=dtype)
    uy = torch.tensor([-math.sin(h), math.cos(h), 0.0], dtype=dtype)
    uz = torch.tensor([0.0, 0.0, 1.0], dtype=dtype)
    centre = box[0, :3]
    on_faces = torch.stack([centre + ux, centre - uy * 0.5, centre + uz * 1.5, centre + ux + uy * 0.5 - uz * 1.5])
    outside = torch.stack([centre + ux * 1.001, centre + uy * 0.501, centre - uz * 1.501])
    assert points_in_boxes(on_faces, box).all()
    assert not points_in_boxes(outside, box).any()
