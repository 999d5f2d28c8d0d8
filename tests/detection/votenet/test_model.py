import pytest
import torch

from strl.detection.votenet.box_config import SCANNET, SUNRGBD
from strl.detection.votenet.model import VoteNet
from strl.errors import ConfigError

BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
SMALL = dict(npoints=(128, 64, 32, 16), num_proposal=16)


def expected_state_shapes(input_feature_dim: int, head_outputs: int) -> dict[str, tuple]:
    """VoteNet's ``model_state_dict`` as the fact sheet's table lists it (§4.3)."""
    shapes = {}

    def shared_mlp(prefix, widths):
        for i, (c_out, c_in) in enumerate(widths):
            shapes[f"{prefix}.layer{i}.conv.weight"] = (c_out, c_in, 1, 1)
            for name in BN:
                shapes[f"{prefix}.layer{i}.bn.bn.{name}"] = () if name == "num_batches_tracked" else (c_out,)

    def conv_bn(prefix, convs, bns):
        for name, (c_out, c_in) in convs.items():
            shapes[f"{prefix}.{name}.weight"] = (c_out, c_in, 1)
            shapes[f"{prefix}.{name}.bias"] = (c_out,)
        for name, c in bns.items():
            for key in BN:
                shapes[f"{prefix}.{name}.{key}"] = () if key == "num_batches_tracked" else (c,)

    shared_mlp("backbone_net.sa1.mlp_module", [(64, 3 + input_feature_dim), (64, 64), (128, 64)])
    shared_mlp("backbone_net.sa2.mlp_module", [(128, 131), (128, 128), (256, 128)])
    for k in (3, 4):
        shared_mlp(f"backbone_net.sa{k}.mlp_module", [(128, 259), (128, 128), (256, 128)])
    for k in (1, 2):
        shared_mlp(f"backbone_net.fp{k}.mlp", [(256, 512), (256, 256)])
    conv_bn("vgen", {"conv1": (256, 256), "conv2": (256, 256), "conv3": (259, 256)}, {"bn1": 256, "bn2": 256})
    shared_mlp("pnet.vote_aggregation.mlp_module", [(128, 259), (128, 128), (128, 128)])
    conv_bn("pnet", {"conv1": (128, 128), "conv2": (128, 128), "conv3": (head_outputs, 128)}, {"bn1": 128, "bn2": 128})
    return shapes


@pytest.mark.parametrize(
    "box, feature_dim, outputs, parameters",
    [(SCANNET, 0, 97, 953_764), (SCANNET, 1, 97, 953_828), (SUNRGBD, 1, 79, 951_506)],
)
def test_state_dict_is_votenets(box, feature_dim, outputs, parameters):
    model = VoteNet(box, input_feature_dim=feature_dim)
    state = model.state_dict()
    assert len(state) == 146
    assert list(state) == list(dict.fromkeys(state))  # no duplicates
    assert {k: tuple(v.shape) for k, v in state.items()} == expected_state_shapes(feature_dim, outputs)
    assert sum(p.numel() for p in model.parameters()) == parameters
    # sample counts hold no weights: a small model has the same state_dict layout
    small = VoteNet(box, input_feature_dim=feature_dim, **SMALL).state_dict()
    assert {k: v.shape for k, v in small.items()} == {k: v.shape for k, v in state.items()}


def test_default_settings_are_votenets():
    model = VoteNet(SCANNET)
    sa = [model.backbone_net.sa1, model.backbone_net.sa2, model.backbone_net.sa3, model.backbone_net.sa4]
    assert [(s.npoint, s.radius, s.nsample) for s in sa] == [(2048, 0.2, 64), (1024, 0.4, 32), (512, 0.8, 16), (256, 1.2, 16)]
    agg = model.pnet.vote_aggregation
    assert (agg.npoint, agg.radius, agg.nsample, model.pnet.sampling) == (256, 0.3, 16, "vote_fps")
    assert model.vgen.vote_factor == 1


@pytest.fixture(scope="module")
def small_run():
    """One training-mode forward and backward of a small SUN RGB-D model."""
    torch.manual_seed(0)
    model = VoteNet(SUNRGBD, input_feature_dim=1, **SMALL).train()
    points = torch.rand(2, 300, 4) * torch.tensor([4.0, 4.0, 2.0, 1.0])
    out = model(points)
    keys = ("center", "objectness_scores", "size_residuals", "sem_cls_scores", "heading_residuals", "vote_xyz")
    sum(out[k].square().mean() for k in keys).backward()
    return model, points, {k: v.detach() for k, v in out.items()}


@pytest.fixture(scope="module")
def small_outputs(small_run):
    return small_run[1], small_run[2]


def test_forward_shapes(small_outputs):
    points, out = small_outputs
    b, s, k, nh, ns, nc = 2, 64, 16, 12, 10, 10
    expected = {
        "seed_xyz": (b, s, 3), "seed_inds": (b, s), "vote_xyz": (b, s, 3), "vote_features": (b, 256, s),
        "aggregated_vote_xyz": (b, k, 3), "aggregated_vote_inds": (b, k), "objectness_scores": (b, k, 2),
        "center": (b, k, 3), "heading_scores": (b, k, nh), "heading_residuals_normalized": (b, k, nh),
        "heading_residuals": (b, k, nh), "size_scores": (b, k, ns), "size_residuals_normalized": (b, k, ns, 3),
        "size_residuals": (b, k, ns, 3), "sem_cls_scores": (b, k, nc),
    }
    assert {key: tuple(v.shape) for key, v in out.items()} == expected
    assert all(torch.isfinite(v.float()).all() for v in out.values())


def test_seeds_votes_and_clusters_are_consistent(small_outputs):
    points, out = small_outputs
    seeds = points[..., :3].gather(1, out["seed_inds"][..., None].expand(-1, -1, 3))
    assert torch.equal(seeds, out["seed_xyz"])
    torch.testing.assert_close(out["vote_features"].norm(dim=1), torch.ones(2, 64))
    # vote_fps: the cluster centres are votes, picked by farthest point sampling
    picked = out["vote_xyz"].gather(1, out["aggregated_vote_inds"][..., None].expand(-1, -1, 3))
    assert torch.equal(picked, out["aggregated_vote_xyz"])


def test_seed_fps_clusters_around_the_votes_of_sampled_seeds():
    torch.manual_seed(1)
    model = VoteNet(SCANNET, sampling="seed_fps", **SMALL).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 200, 3) * 3)
    from strl.ops.fps import furthest_point_sample

    inds = furthest_point_sample(out["seed_xyz"], 16)
    assert torch.equal(out["aggregated_vote_inds"], inds)
    assert torch.equal(out["aggregated_vote_xyz"], out["vote_xyz"][0, inds[0]][None])
    with pytest.raises(ConfigError, match="cluster sampling"):
        VoteNet(SCANNET, sampling="random")


def test_backward_reaches_every_parameter(small_run):
    model = small_run[0]
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []


def test_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    torch.manual_seed(3)
    model = VoteNet(SCANNET, input_feature_dim=1, **SMALL).double().eval()
    points = torch.rand(2, 400, 4, dtype=torch.float64) * 3
    with torch.no_grad():
        cpu = model(points)
        gpu = model.cuda()(points.cuda())
    for key, value in cpu.items():
        torch.testing.assert_close(gpu[key].cpu(), value, msg=key)
