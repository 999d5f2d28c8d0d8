import torch

from pointpillars_helpers import tiny_config
from strl.detection.pointpillars import batch_points, pillarize
from strl.detection.pointpillars.pillar_features import augment_pillar_points
from strl.detection.pointpillars.vfe import PFNLayer, PillarVFE


def test_pfn_layer_normalises_over_every_slot_as_openpcdet_does():
    torch.manual_seed(0)
    x = torch.randn(5, 4, 10)
    x[:, 3:] = 0  # padded slots
    layer = PFNLayer(10, 8, last_layer=True)
    reference_bn = torch.nn.BatchNorm1d(8, eps=1e-3, momentum=0.01)
    reference_bn.load_state_dict(layer.norm.state_dict())
    out = layer(x)
    # OpenPCDet: BatchNorm1d on (P, C, M), then ReLU and max over the points
    y = torch.relu(reference_bn(torch.nn.functional.linear(x, layer.linear.weight).permute(0, 2, 1)).permute(0, 2, 1))
    torch.testing.assert_close(out, y.max(dim=1).values)
    torch.testing.assert_close(layer.norm.running_mean, reference_bn.running_mean)
    torch.testing.assert_close(layer.norm.running_var, reference_bn.running_var)
    assert layer.linear.bias is None


def test_pfn_layer_before_the_last_appends_the_pillar_max():
    torch.manual_seed(0)
    layer = PFNLayer(10, 16, last_layer=False).eval()
    out = layer(torch.randn(3, 4, 10))
    assert out.shape == (3, 4, 16)
    torch.testing.assert_close(out[:, :, 8:], out[:, :, :8].max(dim=1, keepdim=True).values.expand(3, 4, 8))


def test_vfe_runs_on_the_augmented_features():
    cfg = tiny_config(vfe_filters=(16, 24))
    vfe = PillarVFE(cfg).eval()
    assert [type(m).__name__ for m in vfe.pfn_layers] == ["PFNLayer", "PFNLayer"]
    assert vfe.pfn_layers[0].linear.weight.shape == (8, 10) and vfe.pfn_layers[1].linear.weight.shape == (24, 16)
    points = torch.rand(300, 4) * torch.tensor([20.0, 20.0, 4.0, 1.0]) + torch.tensor([0.0, -10.0, -3.0, 0.0])
    p = pillarize(batch_points([points]), cfg.point_cloud_range, cfg.voxel_size, 32, 100)
    features = augment_pillar_points(p.points, p.num_points, p.coords, cfg.point_cloud_range, cfg.voxel_size)
    expected = vfe.pfn_layers[1](vfe.pfn_layers[0](features))
    torch.testing.assert_close(vfe(p), expected)
    assert vfe(p).shape == (len(p.coords), 24)
