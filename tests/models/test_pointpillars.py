"""PointPillars as a fine-tuning model: OpenPCDet's keys, the detector's outputs, an encoder part to freeze."""

import os
import sys

import pytest
import torch

from strl.detection.pointpillars import PointPillars, PointPillarsEncoder, openpcdet_state, preset
from strl.models.pointpillars import PointPillarsDetector

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "detection", "pointpillars"))
from pointpillars_helpers import car_scene, openpcdet_keys, tiny_config  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


def test_downstream_state_is_openpcdets_127_entries_for_the_kitti_layers():
    # the layers of OpenPCDet's KITTI configuration on a reduced grid: weights do not depend on the grid
    cfg = preset("pointpillars-kitti", point_cloud_range=(0.0, -5.12, -3.0, 10.24, 5.12, 1.0))
    state = openpcdet_state(PointPillarsDetector(PointPillarsEncoder(cfg), cfg).downstream_state_dict())
    assert {k: tuple(v.shape) for k, v in state.items()} == openpcdet_keys()
    assert list(state) == list(openpcdet_keys())


def test_same_weights_same_outputs_and_loss_as_the_detector():
    torch.manual_seed(0)
    cfg = tiny_config()
    reference = PointPillars(cfg).eval()
    model = PointPillarsDetector(PointPillarsEncoder(cfg), cfg).eval()
    model.load_downstream_state_dict(reference.state_dict())
    points, boxes = car_scene([(8.0, 2.0, 0.3), (14.0, -4.0, 1.2)], seed=1)
    with torch.no_grad():
        ours, theirs = model(model.pillarize([points])), reference(reference.pillarize([points]))
        torch.testing.assert_close(ours.cls, theirs.cls)
        classes = torch.zeros(1, 2, dtype=torch.long)
        assert float(model.loss(ours, boxes[None], classes).total) == pytest.approx(float(reference.loss(theirs, boxes[None], classes).total))


def test_the_encoder_is_vfe_and_backbone_and_freezes_alone():
    cfg = tiny_config()
    model = PointPillarsDetector(PointPillarsEncoder(cfg), cfg)
    enc, head = {id(p) for p in model.encoder_parameters()}, {id(p) for p in model.head_parameters()}
    assert enc == {id(p) for p in model.encoder.parameters()} and head == {id(p) for p in model.dense_head.parameters()}
    model.freeze_encoder()
    model.train()
    assert not any(p.requires_grad for p in model.encoder_parameters()) and all(p.requires_grad for p in model.head_parameters())
    assert not model.encoder.backbone_2d.training and model.dense_head.training


def test_a_detector_configuration_other_than_its_encoders_is_refused():
    cfg = tiny_config()
    with pytest.raises(ValueError, match="voxel_size"):
        PointPillarsDetector(PointPillarsEncoder(cfg), cfg.replace(voxel_size=(0.16, 0.16, 4.0)))
    only_cars = cfg.replace(classes=cfg.classes[:1])  # other classes: another head, the same trunk
    assert PointPillarsDetector(PointPillarsEncoder(cfg), only_cars).dense_head.conv_cls.out_channels == 2
