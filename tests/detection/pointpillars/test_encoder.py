import pytest
import torch

from pointpillars_helpers import random_points, tiny_config
from strl.backbones import BACKBONES, build_backbone
from strl.detection.pointpillars import PointPillars, PointPillarsEncoder


def test_encoder_maps_xyz_or_xyzr_sweeps_to_pooled_features(tiny_cfg):
    torch.manual_seed(0)
    encoder = PointPillarsEncoder(tiny_cfg).eval()
    points = random_points(2, 2000, tiny_cfg)
    with torch.no_grad():
        with_r = encoder(points)
        without_r = encoder(points[..., :3])
        zero_r = encoder(torch.cat([points[..., :3], torch.zeros(2, 2000, 1)], dim=2))
    assert encoder.feature_dim == 2 * 96 and with_r.shape == (2, 192)
    torch.testing.assert_close(without_r, zero_r)
    assert not torch.allclose(with_r, without_r)
    with pytest.raises(ValueError, match=r"\(B, N, 3\) or \(B, N, 4\)"):
        encoder(points[..., :2])


def test_pooling_is_max_then_mean_of_the_backbone_map(tiny_cfg):
    torch.manual_seed(0)
    encoder = PointPillarsEncoder(tiny_cfg).eval()
    points = random_points(1, 1000, tiny_cfg)
    with torch.no_grad():
        bev = encoder.bev_features(encoder.pillarize(points))
        torch.testing.assert_close(encoder(points), torch.cat([bev.amax(dim=(2, 3)), bev.mean(dim=(2, 3))], dim=1))


def test_encoder_keys_are_the_detectors_trunk_and_weights_move_by_name(tiny_cfg):
    torch.manual_seed(0)
    encoder = PointPillarsEncoder(tiny_cfg)
    detector = PointPillars(tiny_cfg)
    trunk = [k for k in detector.state_dict() if k.startswith(("vfe.", "backbone_2d."))]
    assert list(encoder.state_dict()) == trunk
    missing, unexpected = detector.load_state_dict(encoder.state_dict(), strict=False)
    assert unexpected == [] and all(k.startswith("dense_head.") for k in missing) and missing
    points = random_points(1, 1500, tiny_cfg, seed=3)
    encoder.eval(), detector.eval()
    with torch.no_grad():
        torch.testing.assert_close(detector.bev_features(detector.pillarize(points)), encoder.bev_features(encoder.pillarize(points)))


def test_registered_backbone_is_the_kitti_encoder():
    assert "pointpillars" in BACKBONES.names()
    encoder = build_backbone("pointpillars")
    assert isinstance(encoder, PointPillarsEncoder) and encoder.feature_dim == 768
    d = encoder.description()
    assert d["backbone"] == "pointpillars" and d["config"] == "pointpillars-kitti" and d["grid_size"] == [432, 496, 1]
    assert BACKBONES["pointpillars"](config="pointpillars-laptop").cfg.name == "pointpillars-laptop"


def test_byol_trains_vfe_and_backbone_2d(tiny_cfg):
    from strl.methods import BYOL

    torch.manual_seed(0)
    method = BYOL(PointPillarsEncoder(tiny_cfg), hidden_dim=64, proj_dim=16)
    a, b = random_points(2, 1500, tiny_cfg, seed=4)[..., :3], random_points(2, 1500, tiny_cfg, seed=5)[..., :3]
    loss, _ = method.loss(a, b)
    loss.backward()
    grads = {name: p.grad for name, p in method.backbone.named_parameters()}
    assert any(k.startswith("vfe.") for k in grads) and any(k.startswith("backbone_2d.") for k in grads)
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values())
    method.update_momentum(0, 10)
