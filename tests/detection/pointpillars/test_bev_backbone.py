import torch

from pointpillars_helpers import tiny_config
from strl.detection.pointpillars import preset
from strl.detection.pointpillars.bev_backbone import BaseBEVBackbone


def test_kitti_backbone_upsamples_every_level_to_the_head_map():
    backbone = BaseBEVBackbone(preset("pointpillars-kitti")).eval()
    with torch.no_grad():
        out = backbone(torch.randn(1, 64, 24, 16))  # any size divisible by 8 (KITTI: 496 x 432)
    assert out.shape == (1, 384, 12, 8)
    assert [b[1].weight.shape[0] for b in backbone.blocks] == [64, 128, 256]
    assert [len(b) for b in backbone.blocks] == [4 + 3 * 3, 4 + 3 * 5, 4 + 3 * 5]


def test_backbone_output_is_the_concatenation_of_the_deblocks():
    torch.manual_seed(0)
    backbone = BaseBEVBackbone(tiny_config()).eval()
    x = torch.randn(2, 16, 64, 64)
    first = backbone.blocks[0](x)
    second = backbone.blocks[1](first)
    third = backbone.blocks[2](second)
    expected = torch.cat([backbone.deblocks[0](first), backbone.deblocks[1](second), backbone.deblocks[2](third)], dim=1)
    torch.testing.assert_close(backbone(x), expected)
    assert expected.shape == (2, 96, 32, 32)
