import torch

from pointpillars_helpers import tiny_config
from strl.detection.pointpillars.anchor_head import AnchorHeadSingle


def test_channels_map_to_anchor_rows_in_openpcdet_order():
    cfg = tiny_config()
    head = AnchorHeadSingle(cfg, 4)
    for conv in (head.conv_cls, head.conv_box, head.conv_dir_cls):
        torch.nn.init.zeros_(conv.weight)
        conv.bias.data = torch.arange(conv.out_channels, dtype=torch.float32)
    out = head(torch.zeros(2, 4, 3, 5))  # H 3, W 5
    a = 6
    assert out.cls.shape == (2, 3 * 5 * a, 3) and out.box.shape == (2, 3 * 5 * a, 7) and out.dir.shape == (2, 3 * 5 * a, 2)
    location = 2 * 5 + 4  # y 2, x 4
    for anchor in range(a):
        row = location * a + anchor
        assert out.cls[1, row].tolist() == [anchor * 3 + k for k in range(3)]
        assert out.box[1, row].tolist() == [anchor * 7 + k for k in range(7)]
        assert out.dir[1, row].tolist() == [anchor * 2 + k for k in range(2)]
