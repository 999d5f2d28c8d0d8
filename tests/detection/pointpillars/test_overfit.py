"""End to end: the detector learns two synthetic frames of cars (points spread over car-sized boxes)."""

import math

import pytest
import torch

from pointpillars_helpers import car_scene, tiny_config
from strl.detection.pointpillars import PointPillars, pad_boxes


@pytest.mark.slow
def test_overfits_two_frames_and_decodes_the_cars():
    torch.manual_seed(0)
    cfg = tiny_config()
    scenes = [
        car_scene([(6.0, 3.0, 0.4), (14.0, -4.0, -1.2), (10.0, 5.5, 2.8)], seed=0),
        car_scene([(5.0, -5.0, 1.6), (15.0, 2.0, -2.5)], seed=1),
    ]
    gt_boxes, gt_classes = pad_boxes([boxes for _, boxes in scenes], [torch.zeros(len(boxes), dtype=torch.long) for _, boxes in scenes])
    model = PointPillars(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    pillars = model.pillarize([points for points, _ in scenes], generator=torch.Generator().manual_seed(0))
    losses = []
    for _ in range(30):
        parts = model.loss(model(pillars), gt_boxes, gt_classes)
        optimizer.zero_grad()
        parts.total.backward()
        optimizer.step()
        losses.append(parts.total.item())
    assert losses[-1] < 0.1 * losses[0], losses

    # BatchNorm's running statistics move by 1% a step (OpenPCDet's momentum 0.01), far from settled
    # after 30 steps: decode with the batch statistics the network was trained with.
    with torch.no_grad():
        detections = model.predict(model(pillars))
    for det, (_, boxes) in zip(detections, scenes):
        confident = det.scores > 0.5
        assert confident.sum() == len(boxes)
        for gt in boxes:
            nearest = (det.boxes[:, :2] - gt[:2]).norm(dim=1).argmin()
            found = det.boxes[nearest]
            assert (found[:3] - gt[:3]).norm() < 0.3 and det.labels[nearest] == 0 and confident[nearest]
            torch.testing.assert_close(found[3:6], gt[3:6], rtol=0.1, atol=0)
            assert abs(math.remainder(float(found[6] - gt[6]), 2 * math.pi)) < 0.2
