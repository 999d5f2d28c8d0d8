import torch

from strl.backbones import BACKBONES, build_backbone
from strl.backbones.dgcnn import DGCNN
from strl.backbones.pointnet import PointNet
from strl.errors import ConfigError

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def test_pointnet_keys_and_shapes_match_the_original():
    sd = PointNet().state_dict()
    widths = [(64, 3), (64, 64), (64, 64), (128, 64), (1024, 128)]
    expected = {f"conv{i}.weight": (o, c, 1) for i, (o, c) in enumerate(widths, 1)}
    for i, (o, _) in enumerate(widths, 1):
        expected.update({f"bn{i}.{p}": ((o,) if p != "num_batches_tracked" else ()) for p in BN})
    assert len(sd) == 30
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected
    assert list(sd)[:5] == [f"conv{i}.weight" for i in range(1, 6)]


def test_dgcnn_keys_and_shapes_match_the_original():
    sd = DGCNN(k=40).state_dict()
    outs = [64, 64, 128, 256, 1024]
    conv = {1: (64, 6, 1, 1), 2: (64, 128, 1, 1), 3: (128, 128, 1, 1), 4: (256, 256, 1, 1), 5: (1024, 512, 1)}
    expected = {}
    for i, o in enumerate(outs, 1):
        for p in BN:
            shape = (o,) if p != "num_batches_tracked" else ()
            expected[f"bn{i}.{p}"] = shape
            expected[f"conv{i}.1.{p}"] = shape
        expected[f"conv{i}.0.weight"] = conv[i]
    assert len(sd) == 55
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected
    assert list(sd)[0] == "bn1.weight"
    # bnX and convX.1 are one module: loading either key set changes both
    model = DGCNN()
    model.bn3.weight.data.fill_(2.5)
    assert torch.equal(model.state_dict()["conv3.1.weight"], torch.full((128,), 2.5))
    assert sum(p.numel() for p in model.parameters()) == 617_856


def test_feature_shapes_and_batch_of_one():
    x = torch.randn(1, 256, 3)
    assert PointNet().eval()(x).shape == (1, 1024)
    assert DGCNN(k=10).eval()(x).shape == (1, 2048)
    assert PointNet(emb_dims=64).eval()(torch.randn(3, 100, 3)).shape == (3, 64)


def test_pointnet_is_permutation_invariant():
    net = PointNet().eval()
    x = torch.randn(2, 128, 3)
    perm = torch.randperm(128)
    torch.testing.assert_close(net(x), net(x[:, perm]))


def test_registry_lists_known_names_on_error():
    assert isinstance(build_backbone("dgcnn", k=7), DGCNN)
    assert build_backbone("dgcnn", k=7).k == 7
    try:
        BACKBONES["nope"]
    except ConfigError as exc:
        assert "pointnet" in str(exc) and "dgcnn" in str(exc)
    else:
        raise AssertionError("unknown backbone accepted")


def test_pointnet_matches_the_convolution_formulation():
    """The row-table forward equals the original Conv1d -> BN -> ReLU on (B, C, N), in train and eval mode."""
    import torch.nn.functional as F

    torch.manual_seed(4)
    net = PointNet(emb_dims=128)
    x = torch.randn(3, 64, 3)

    def reference(model):
        h = x.transpose(1, 2)
        for i in range(1, 6):
            h = F.relu(getattr(model, f"bn{i}")(getattr(model, f"conv{i}")(h)))
        return h.amax(dim=-1)

    twin = PointNet(emb_dims=128)
    twin.load_state_dict(net.state_dict())
    torch.testing.assert_close(net(x), reference(twin))
    torch.testing.assert_close(net.bn5.running_mean, twin.bn5.running_mean)
    net.eval(), twin.eval()
    torch.testing.assert_close(net(x), reference(twin))
