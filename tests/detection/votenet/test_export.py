import torch

from strl.detection.votenet.box_config import SCANNET
from strl.detection.votenet.export import export_votenet
from strl.detection.votenet.model import VoteNet


def test_checkpoint_loads_as_votenet_eval_py_loads_it(tmp_path):
    torch.manual_seed(0)
    small = VoteNet(SCANNET, npoints=(64, 32, 16, 8), num_proposal=8)
    with torch.no_grad():
        small.pnet.conv3.bias.add_(1.0)
        small.backbone_net.sa1.mlp_module.layer0.bn.bn.running_mean.add_(0.5)
    path = export_votenet(small, str(tmp_path / "checkpoint.tar"), epoch=7)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    assert set(ckpt) == {"model_state_dict", "optimizer_state_dict", "epoch"} and ckpt["epoch"] == 7
    net = VoteNet(SCANNET)  # VoteNet's default structure
    net.load_state_dict(ckpt["model_state_dict"])  # strict
    for key, value in small.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    optimizer.load_state_dict(ckpt["optimizer_state_dict"])
    assert optimizer.param_groups[0]["lr"] == 0.001 and len(optimizer.param_groups[0]["params"]) == 77
