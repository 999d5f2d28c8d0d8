import math

import pytest
import torch

from strl.detection.votenet.augment import SceneTransform, draw_scannet, draw_sunrgbd


def inside(points, boxes, tol=1e-5):
    """``(N, 3), (K, 7) -> (N, K)``: the point in the box's own frame lies within its half sizes."""
    d = points[:, None, :] - boxes[None, :, :3]
    c, s = boxes[:, 6].cos(), boxes[:, 6].sin()
    local = torch.stack([c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1], d[..., 2]], -1)
    return (local.abs() <= boxes[None, :, 3:6] / 2 + tol).all(-1)


def scene(gen, oriented):
    k = 4
    boxes = torch.cat([torch.rand(k, 3, generator=gen) * 4 - 2, 0.3 + torch.rand(k, 3, generator=gen),
                       (torch.rand(k, 1, generator=gen) - 0.5) * 6 if oriented else torch.zeros(k, 1)], 1)
    owner = torch.arange(k).repeat_interleave(50)
    local = (torch.rand(owner.numel(), 3, generator=gen) - 0.5) * boxes[owner, 3:6]
    c, s = boxes[owner, 6].cos(), boxes[owner, 6].sin()
    points = boxes[owner, :3] + torch.stack([c * local[:, 0] - s * local[:, 1], s * local[:, 0] + c * local[:, 1], local[:, 2]], 1)
    offsets = (boxes[owner, :3] - points).repeat(1, 3)
    return points, boxes, owner, offsets


@pytest.mark.parametrize("name, draw, oriented", [("scannet", draw_scannet, False), ("sunrgbd", draw_sunrgbd, True)])
def test_points_stay_in_their_boxes_and_votes_on_the_centres(name, draw, oriented):
    gen = torch.Generator().manual_seed(0)
    points, boxes, owner, offsets = scene(gen, oriented)
    assert inside(points, boxes)[torch.arange(len(owner)), owner].all()
    for _ in range(20):
        t = draw(gen)
        p, b, o = t.apply_points(points), t.apply_boxes(boxes), t.apply_offsets(offsets)
        assert inside(p, b)[torch.arange(len(owner)), owner].all()
        for v in range(3):
            torch.testing.assert_close(p + o[:, 3 * v : 3 * v + 3], b[owner, :3])
        if name == "scannet":
            assert (b[:, 6] == 0).all()
        else:
            torch.testing.assert_close(b[:, 3:6], boxes[:, 3:6] * t.scale)


def test_draw_ranges():
    gen = torch.Generator().manual_seed(1)
    scannet = [draw_scannet(gen) for _ in range(200)]
    assert max(abs(t.angle) for t in scannet) <= math.pi / 36 and all(t.scale == 1 for t in scannet)
    assert 60 < sum(t.flip_x for t in scannet) < 140 and 60 < sum(t.flip_y for t in scannet) < 140
    sun = [draw_sunrgbd(gen) for _ in range(200)]
    assert max(abs(t.angle) for t in sun) <= math.pi / 6 and max(abs(t.angle) for t in sun) > math.pi / 7
    assert all(0.85 <= t.scale <= 1.15 for t in sun) and not any(t.flip_y for t in sun)
    again = torch.Generator().manual_seed(1)
    assert draw_scannet(again) == scannet[0]


def test_headings_and_refit_by_hand():
    box = torch.tensor([[1.0, 2.0, 0.5, 2.0, 1.0, 1.0, 0.3]])
    flipped = SceneTransform(flip_x=True).apply_boxes(box)
    torch.testing.assert_close(flipped, torch.tensor([[-1.0, 2.0, 0.5, 2.0, 1.0, 1.0, math.pi - 0.3]]))
    turned = SceneTransform(angle=math.pi / 2, scale=2.0).apply_boxes(box)
    torch.testing.assert_close(turned, torch.tensor([[-4.0, 2.0, 1.0, 4.0, 2.0, 2.0, 0.3 + math.pi / 2]]))
    # axis-aligned 2 x 1 box turned by 30°: re-fitted to 2cos30 + sin30 by 2sin30 + cos30
    aligned = torch.tensor([[0.0, 0, 0, 2, 1, 1, 0]])
    refit = SceneTransform(angle=math.pi / 6, refit_axis_aligned=True).apply_boxes(aligned)
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    torch.testing.assert_close(refit, torch.tensor([[0.0, 0, 0, 2 * c + s, 2 * s + c, 1, 0]]))
    pts = torch.tensor([[1.0, 0, 2, 1.5]])  # xyz + height
    torch.testing.assert_close(SceneTransform(scale=2.0).apply_points(pts, has_height=True), torch.tensor([[2.0, 0, 4, 3.0]]))
