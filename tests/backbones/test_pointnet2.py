import pytest
import torch

from strl.backbones.pointnet2 import FeaturePropagation, SetAbstraction, VoteNetBackbone
from strl.ops.reference import furthest_point_sample_loop, query_and_group_loop, three_interpolate_loop, three_nn_loop
from strl.ops.interpolate import inverse_distance_weights
from strl.errors import ConfigError

BN_KEYS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def expected_shapes(input_feature_dim=0):
    sa = {1: [(64, 3 + input_feature_dim), (64, 64), (128, 64)]}
    for k in (2, 3, 4):
        c_in = 131 if k == 2 else 259
        sa[k] = [(128, c_in), (128, 128), (256, 128)]
    shapes = {}
    for prefix, layers in [(f"sa{k}.mlp_module", sa[k]) for k in (1, 2, 3, 4)] + [
        (f"fp{k}.mlp", [(256, 512), (256, 256)]) for k in (1, 2)
    ]:
        for i, (c_out, c_in) in enumerate(layers):
            shapes[f"{prefix}.layer{i}.conv.weight"] = (c_out, c_in, 1, 1)
            for name in BN_KEYS:
                shapes[f"{prefix}.layer{i}.bn.bn.{name}"] = () if name == "num_batches_tracked" else (c_out,)
    return shapes


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VoteNetBackbone().eval()


def test_state_dict_keys_and_shapes_match_the_original(model):
    state = model.state_dict()
    expected = expected_shapes()
    assert len(state) == 96
    assert sorted(state) == sorted(expected)
    assert {k: tuple(v.shape) for k, v in state.items()} == expected
    assert sum(p.numel() for p in model.parameters()) == 641_856


def test_initialisation():
    torch.manual_seed(1)
    net = VoteNetBackbone()
    bn = net.sa2.mlp_module.layer1.bn.bn
    assert torch.equal(bn.weight, torch.ones(128)) and torch.equal(bn.bias, torch.zeros(128))
    conv = net.fp1.mlp.layer0.conv
    assert conv.bias is None
    std = conv.weight.std().item()  # kaiming normal, fan_in 512, gain sqrt(2)
    assert abs(std - (2 / 512) ** 0.5) < 0.1 * (2 / 512) ** 0.5


def test_height_channel_widens_the_first_layer():
    net = VoteNetBackbone(input_feature_dim=1)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected_shapes(1)
    with pytest.raises(ValueError, match=r"\(B, N, 4\)"):
        net(torch.rand(1, 100, 3))


@torch.no_grad()
def test_forward_seeds_shapes(model):
    points = torch.rand(2, 4096, 3)
    seeds = model.forward_seeds(points)
    assert seeds["seed_xyz"].shape == (2, 1024, 3)
    assert seeds["seed_features"].shape == (2, 256, 1024)
    assert seeds["seed_inds"].shape == (2, 1024) and seeds["seed_inds"].dtype == torch.int64
    # seeds are input points, the first 1024 farthest-point samples
    assert torch.equal(points.gather(1, seeds["seed_inds"][..., None].expand(-1, -1, 3)), seeds["seed_xyz"])
    assert len(set(seeds["seed_inds"][0].tolist())) == 1024
    assert torch.isfinite(seeds["seed_features"]).all()


def test_batch_of_one_in_training_mode_is_deterministic():
    torch.manual_seed(2)
    net = VoteNetBackbone().train()
    points = torch.rand(1, 2048, 3)
    pooled = net(points)
    assert pooled.shape == (1, VoteNetBackbone.feature_dim) and pooled.dtype == torch.float32
    # a second pass gives the same result, and the pooled feature is the max over the seeds
    assert torch.equal(pooled, net.forward_seeds(points)["seed_features"].amax(-1))


@torch.no_grad()
def test_fewer_points_than_samples_repeats_indices(model):
    seeds = model.forward_seeds(torch.rand(1, 300, 3) + 0.1)
    assert seeds["seed_features"].shape == (1, 256, 1024)
    assert len(set(seeds["seed_inds"][0].tolist())) == 300  # all points, then repeats


def test_set_abstraction_grouping_matches_naive_reference():
    gen = torch.Generator().manual_seed(3)
    xyz = torch.rand(2, 30, 3, generator=gen)
    feats = torch.randn(2, 2, 30, generator=gen)
    sa = SetAbstraction(npoint=6, radius=0.3, nsample=5, widths=[2, 8, 16]).eval()
    new_xyz, grouped, inds = sa.group(xyz, feats)
    ref_inds = furthest_point_sample_loop(xyz, 6)
    assert torch.equal(inds, ref_inds)
    ref_xyz = torch.stack([xyz[b, ref_inds[b]] for b in range(2)])
    assert torch.equal(new_xyz, ref_xyz)
    torch.testing.assert_close(grouped, query_and_group_loop(xyz, ref_xyz, feats, 0.3, 5), rtol=1e-6, atol=1e-6)
    out_xyz, out, _ = sa(xyz, feats)
    assert out.shape == (2, 16, 6)
    torch.testing.assert_close(out, sa.mlp_module(grouped).amax(-1))


def test_feature_propagation_matches_naive_reference():
    gen = torch.Generator().manual_seed(4)
    fine, coarse = torch.rand(1, 12, 3, generator=gen), torch.rand(1, 5, 3, generator=gen)
    skip, coarse_feats = torch.randn(1, 3, 12, generator=gen), torch.randn(1, 4, 5, generator=gen)
    fp = FeaturePropagation([7, 6]).eval()
    dist, idx = three_nn_loop(fine, coarse)
    interpolated = three_interpolate_loop(coarse_feats, idx, inverse_distance_weights(dist))
    expected = fp.mlp(torch.cat([interpolated, skip], 1).unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(fp(fine, coarse, skip, coarse_feats), expected)


def test_layer_settings(model):
    settings = [(sa.npoint, sa.radius, sa.nsample) for sa in (model.sa1, model.sa2, model.sa3, model.sa4)]
    assert settings == [(2048, 0.2, 64), (1024, 0.4, 32), (512, 0.8, 16), (256, 1.2, 16)]


def test_gradients_reach_every_parameter():
    torch.manual_seed(5)
    sa = SetAbstraction(npoint=8, radius=0.5, nsample=4, widths=[0, 8, 8])
    xyz = torch.rand(2, 40, 3, requires_grad=True)
    _, feats, _ = sa(xyz, None)
    feats.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in sa.parameters())
    assert xyz.grad is not None


@torch.no_grad()
def test_smaller_sample_counts_keep_the_weights():
    net = VoteNetBackbone(npoints=(256, 128, 64, 32)).eval()
    assert {k: v.shape for k, v in net.state_dict().items()} == {k: torch.Size(v) for k, v in expected_shapes().items()}
    assert [s.npoint for s in (net.sa1, net.sa2, net.sa3, net.sa4)] == [256, 128, 64, 32] and net.num_seeds == 128
    points = torch.rand(1, 500, 3)
    seeds = net.forward_seeds(points)
    assert seeds["seed_features"].shape == (1, 256, 128)
    assert torch.equal(points[0, seeds["seed_inds"][0]], seeds["seed_xyz"][0])
    with pytest.raises(ConfigError, match="sa2's <= sa1's"):
        VoteNetBackbone(npoints=(64, 128, 32, 16))


def test_set_abstraction_takes_given_centres():
    gen = torch.Generator().manual_seed(5)
    xyz, feats = torch.rand(1, 40, 3, generator=gen), torch.randn(1, 2, 40, generator=gen)
    sa = SetAbstraction(npoint=4, radius=0.4, nsample=8, widths=[2, 8]).eval()
    inds = torch.tensor([[7, 3, 30, 3]])
    new_xyz, grouped, out_inds = sa.group(xyz, feats, inds)
    assert torch.equal(out_inds, inds) and torch.equal(new_xyz, xyz[:, [7, 3, 30, 3]])
    torch.testing.assert_close(grouped, query_and_group_loop(xyz, new_xyz, feats, 0.4, 8), rtol=1e-6, atol=1e-6)


@torch.no_grad()
def test_sample_counts_change_in_place_and_the_registry_builds_them():
    from strl.backbones import build_backbone

    net = build_backbone("votenet", npoints=[128, 64, 32, 16]).eval()
    assert net.npoints == (128, 64, 32, 16) and net.num_seeds == 64
    net.set_sample_counts((32, 16, 8, 4))
    assert net.npoints == (32, 16, 8, 4) and net.forward_seeds(torch.rand(2, 100, 3))["seed_xyz"].shape == (2, 16, 3)
    with pytest.raises(ConfigError, match="four positive sample counts"):
        net.set_sample_counts((32, 16, 8))
    assert build_backbone("votenet").npoints == VoteNetBackbone.default_npoints


@torch.no_grad()
def test_widened_input_starts_at_zero_weight_and_loads_into_a_height_model():
    torch.manual_seed(3)
    net = VoteNetBackbone(npoints=(64, 32, 16, 8)).eval()
    points = torch.rand(2, 200, 3) * 2
    before = net(points)
    net.widen_input(1)
    assert net.input_feature_dim == 1 and net.sa1.mlp_module.layer0.conv.weight.shape == (64, 4, 1, 1)
    with_height = torch.cat([points, torch.rand(2, 200, 1)], dim=2)
    torch.testing.assert_close(net(with_height), before)
    VoteNetBackbone(input_feature_dim=1).load_state_dict(net.state_dict())  # strict: VoteNet's layout with height
    with pytest.raises(ConfigError, match="cannot narrow"):
        net.widen_input(0)
