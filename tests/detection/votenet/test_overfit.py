"""End to end: a small VoteNet fits one synthetic scene (targets, loss, model and decoding agree)."""

import pytest
import torch

from strl.detection.votenet import (
    BoxConfig, ParseSettings, VoteNet, box_vote_targets, collate_detection, parse_predictions, prepare_scene,
    votenet_loss,
)
from strl.geometry.iou import iou_3d

BOX = BoxConfig("toy", ("cube", "slab"), 1, ((0.6, 0.6, 0.6), (1.2, 0.8, 0.3)))


def toy_batch(gen):
    """One scene: 256 points filling a cube and a slab 3 m apart."""
    boxes = torch.tensor([[0.0, 0.0, 0.3, 0.6, 0.6, 0.6, 0.0], [3.0, 0.0, 0.15, 1.2, 0.8, 0.3, 0.0]])
    owner = torch.arange(2).repeat_interleave(128)
    points = boxes[owner, :3] + (torch.rand(256, 3, generator=gen) - 0.5) * boxes[owner, 3:6]
    offsets, mask = box_vote_targets(points, boxes)
    sample = prepare_scene(points, boxes, [0, 1], offsets, mask, num_point=256, use_height=False, augment=None, generator=gen)
    return collate_detection([sample], max_objects=4)


@pytest.mark.slow
def test_small_votenet_overfits_a_scene():
    gen = torch.Generator().manual_seed(0)
    batch = toy_batch(gen)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        model = VoteNet(BOX, npoints=(64, 32, 16, 8), num_proposal=32)
    steps = 150
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, [int(0.7 * steps)], 0.2)
    losses = []
    for _ in range(steps):
        loss = votenet_loss(model(batch.points), batch, BOX)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    assert sum(losses[-10:]) / 10 < 0.25 * losses[0]
    with torch.no_grad():  # batch statistics, as in training: the fitted function itself
        (det,) = parse_predictions(model(batch.points), BOX, ParseSettings(cls_nms=False, per_class_proposal=False))
    for gt, cls in zip(batch.boxes[0, :2], batch.box_classes[0, :2]):
        match = (det.classes == cls) & (det.scores > 0.5)
        assert match.any()
        assert iou_3d(det.boxes[match], gt[None]).max() > 0.25
        assert (det.boxes[match, :3] - gt[:3]).norm(dim=1).min() < 0.3
