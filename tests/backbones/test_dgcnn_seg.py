import pytest
import torch

from strl.backbones.dgcnn_partseg import DGCNNPartSeg
from strl.backbones.dgcnn_semseg import DGCNNSemSeg

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def bn_keys(prefix, channels):
    return {f"{prefix}.{p}": ((channels,) if p != "num_batches_tracked" else ()) for p in BN}


def seq_keys(name, weight_shape):
    return {f"{name}.0.weight": weight_shape, **bn_keys(f"{name}.1", weight_shape[0])}


# The original encoders' key tables (reference §1.4 / §1.5), in state_dict order.
EDGE = {1: (64, 6, 1, 1), 2: (64, 64, 1, 1), 3: (64, 128, 1, 1), 4: (64, 64, 1, 1), 5: (64, 128, 1, 1), 6: (1024, 192, 1)}
SEMSEG = {}
for i, c in enumerate([64, 64, 64, 64, 64, 1024, 512, 256], 1):
    SEMSEG.update(bn_keys(f"bn{i}", c))
for i, shape in {**EDGE, 7: (512, 1216, 1), 8: (256, 512, 1)}.items():
    SEMSEG.update(seq_keys(f"conv{i}", shape))

TRANSFORM_NET = {
    **bn_keys("transform_net.bn1", 64),
    **bn_keys("transform_net.bn2", 128),
    **bn_keys("transform_net.bn3", 512),
    **seq_keys("transform_net.conv1", (64, 6, 1, 1)),
    **seq_keys("transform_net.conv2", (128, 64, 1, 1)),
    **seq_keys("transform_net.conv3", (1024, 128, 1)),
    "transform_net.linear1.weight": (512, 1024),
    "transform_net.linear2.weight": (256, 512),
    **bn_keys("transform_net.bn4", 256),
    "transform_net.transform.weight": (9, 256),
    "transform_net.transform.bias": (9,),
}
PARTSEG = dict(TRANSFORM_NET)
for i, c in enumerate([64, 64, 64, 64, 64, 1024, 64, 256, 256, 128], 1):
    PARTSEG.update(bn_keys(f"bn{i}", c))
for i, shape in EDGE.items():
    PARTSEG.update(seq_keys(f"conv{i}", shape))


def shapes(module):
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


def test_semseg_has_the_original_88_keys_in_order():
    assert len(SEMSEG) == 88
    assert shapes(DGCNNSemSeg()) == list(SEMSEG.items())


def test_partseg_has_the_original_128_keys_in_order():
    assert len(PARTSEG) == 128 and len(TRANSFORM_NET) == 42
    assert shapes(DGCNNPartSeg()) == list(PARTSEG.items())


def test_parameter_counts_match_the_original():
    semseg = DGCNNSemSeg()
    assert sum(p.numel() for p in semseg.parameters()) == 979_456
    unused = sum(p.numel() for n, p in semseg.named_parameters() if n.startswith(semseg.untrained_prefixes))
    assert unused == 755_200
    partseg = DGCNNPartSeg()
    assert sum(p.numel() for p in partseg.parameters()) == 1_026_953
    assert sum(p.numel() for n, p in partseg.named_parameters() if n.startswith(partseg.untrained_prefixes)) == 1_408


def test_batchnorm_aliases_are_one_module():
    semseg, partseg = DGCNNSemSeg(), DGCNNPartSeg()
    for i in range(1, 9):
        assert getattr(semseg, f"bn{i}") is getattr(semseg, f"conv{i}")[1]
    for i in range(1, 7):
        assert getattr(partseg, f"bn{i}") is getattr(partseg, f"conv{i}")[1]
    tn = partseg.transform_net
    assert tn.bn1 is tn.conv1[1] and tn.bn2 is tn.conv2[1]
    assert tn.bn3 is not tn.conv3[1] and tn.bn3.num_features == 512 and tn.conv3[1].num_features == 1024
    semseg.bn6.running_var.fill_(3.0)
    assert torch.equal(semseg.state_dict()["conv6.1.running_var"], torch.full((1024,), 3.0))


def test_untrained_modules_are_not_used_by_the_forward():
    torch.manual_seed(0)
    x = torch.randn(2, 128, 3)
    for model in (DGCNNSemSeg(k=8), DGCNNPartSeg(k=8)):
        model(x).square().sum().backward()
        for name, p in model.named_parameters():
            used = not name.startswith(model.untrained_prefixes)
            assert (p.grad is not None) == used, name


@pytest.mark.parametrize("batch", [1, 2])
def test_semseg_shapes(batch):
    torch.manual_seed(0)
    model = DGCNNSemSeg(k=16, emb_dims=96)
    x = torch.randn(batch, 256, 3)
    assert model.feature_dim == 96
    assert model.train()(x).shape == (batch, 96)  # B = 1 works in training mode too
    feats = model.eval().point_features(x)
    assert [tuple(f.shape) for f in feats] == [(batch, 64, 256)] * 3 + [(batch, 96, 256)]
    assert feats.with_global().shape == (batch, 96 + 192, 256)
    torch.testing.assert_close(model(x), feats.embedding.amax(dim=-1))


@pytest.mark.parametrize("batch", [1, 2])
def test_partseg_shapes(batch):
    torch.manual_seed(0)
    model = DGCNNPartSeg(k=16).eval()
    x = torch.randn(batch, 256, 3)
    assert model.feature_dim == 1024
    assert model(x).shape == (batch, 1024)
    assert [tuple(f.shape) for f in model.point_features(x)] == [(batch, 64, 256)] * 3 + [(batch, 1024, 256)]


def test_default_semseg_width_is_1216_for_the_downstream_head():
    feats = DGCNNSemSeg(k=8).eval().point_features(torch.randn(1, 64, 3))
    assert feats.with_global().shape == (1, 1216, 64)


def test_partseg_uses_only_xyz():
    torch.manual_seed(0)
    model = DGCNNPartSeg(k=8).eval()
    xyz = torch.randn(2, 128, 3)
    with_normals = torch.cat([xyz, torch.randn(2, 128, 3)], dim=-1)
    torch.testing.assert_close(model(with_normals), model(xyz))


def test_transform_net_starts_as_the_identity():
    torch.manual_seed(0)
    model = DGCNNPartSeg(k=8)
    x = torch.randn(2, 128, 3)
    torch.testing.assert_close(model.train().align(x), x)
    torch.testing.assert_close(model.eval().align(x), x)
    assert torch.equal(model.transform_net.transform.weight, torch.zeros(9, 256))
    # ... and a non-identity transform does change the input: (x^T t)^T, i.e. xyz @ t
    with torch.no_grad():
        model.transform_net.transform.bias.copy_(torch.tensor([0.0, 1, 0, -1, 0, 0, 0, 0, 2]))
    t = torch.tensor([[0.0, 1, 0], [-1, 0, 0], [0, 0, 2]])
    torch.testing.assert_close(model.align(x), x @ t)


def test_partseg_is_invariant_to_the_point_order():
    torch.manual_seed(0)
    model = DGCNNPartSeg(k=8).eval()
    x = torch.randn(2, 128, 3)
    perm = torch.randperm(128)
    torch.testing.assert_close(model(x[:, perm]), model(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3, 128), (2, 0, 3), (128, 3)])
def test_bad_point_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="points must have shape"):
        DGCNNSemSeg(k=4)(torch.zeros(shape))
    if shape[-1] != 128:
        with pytest.raises(ValueError, match="points must have shape"):
            DGCNNPartSeg(k=4)(torch.zeros(shape))
