import copy

import pytest
import torch
from torch import nn

import strl.backbones.dgcnn as dgcnn_module
import strl.backbones.edgeconv as edgeconv_module
from strl.backbones.dgcnn import DGCNN
from strl.backbones.edgeconv import conv_bn_lrelu_2d, edge_conv, graph_feature
from strl.backbones.fused_edgeconv import (
    NeighbourGraph,
    fused_edge_conv,
    knn_indices,
    neighbour_max,
    neighbour_sum,
    smallest_k,
)
from strl.ops.knn import knn


def exact_knn(points, k, *args, **kwargs):
    """k-NN in float64 with a stable sort: one neighbour choice for both paths under test."""
    pts = points.detach().double()
    d = ((pts.unsqueeze(2) - pts.unsqueeze(1)) ** 2).sum(-1)
    return torch.argsort(d, dim=-1, stable=True)[..., :k]


def random_layer(cin, cout, seed):
    """A conv-BN-LReLU layer in float64 with mixed-sign BN scales and non-trivial running stats."""
    torch.manual_seed(seed)
    layer = conv_bn_lrelu_2d(2 * cin, cout).double()
    bn = layer[1]
    with torch.no_grad():
        bn.weight.copy_(torch.linspace(-1.5, 1.5, cout, dtype=torch.float64)[torch.randperm(cout)])
        bn.bias.normal_()
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
    return layer


def reference_edge_conv(x, idx, layer):
    """The original computation on ``(B, N, C)`` points with given neighbours -> ``(B, N, C')``."""
    return layer(graph_feature(x.transpose(1, 2), idx.shape[-1], idx=idx)).amax(-1).transpose(1, 2)


def test_smallest_k_selects_the_same_set_as_topk():
    torch.manual_seed(0)
    for n, k in [(2048, 40), (100, 10), (256, 40), (96, 5)]:
        d = torch.randn(37, n)
        got = smallest_k(d, k).sort(-1).values
        ref = d.topk(k, dim=1, largest=False).indices.sort(-1).values
        assert torch.equal(got, ref), (n, k)


def test_knn_indices_match_the_reference_knn_as_sets():
    torch.manual_seed(1)
    x = torch.randn(3, 200, 3)
    ref = knn(x, 20).sort(-1).values
    assert torch.equal(knn_indices(x, 20).sort(-1).values, ref)
    assert torch.equal(knn_indices(x, 20, max_entries=3000).sort(-1).values, ref)  # blocks of rows
    with pytest.raises(ValueError):
        knn_indices(x, 201)
    far = x * 0.1 + 1000.0  # fp32 distances would cancel without centring
    assert torch.equal(knn_indices(far, 8).sort(-1).values, exact_knn(far, 8).sort(-1).values)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_fused_layer_matches_reference_in_training_mode(momentum):
    b, n, c, cout, k = 2, 40, 5, 8, 6
    layer = random_layer(c, cout, seed=2)
    layer[1].momentum = momentum
    ref_layer = copy.deepcopy(layer)
    torch.manual_seed(3)
    x = torch.randn(b, n, c, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    idx = exact_knn(x, k)
    out = fused_edge_conv(x, NeighbourGraph.from_indices(idx), layer)
    ref = reference_edge_conv(x_ref, idx, ref_layer)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(layer[1], name), getattr(ref_layer[1], name), rtol=1e-12, atol=1e-12)
    grad = torch.randn_like(out)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-9, atol=1e-10)
    for p, p_ref in zip(layer.parameters(), ref_layer.parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, rtol=1e-9, atol=1e-10)


def test_fused_layer_matches_reference_in_eval_mode():
    layer = random_layer(4, 6, seed=4).eval()
    torch.manual_seed(5)
    x = torch.randn(2, 30, 4, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    idx = exact_knn(x, 5)
    out = fused_edge_conv(x, NeighbourGraph.from_indices(idx), layer)
    ref = reference_edge_conv(x_ref, idx, layer)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-9, atol=1e-10)
    assert int(layer[1].num_batches_tracked) == 0


def test_neighbour_ops_gradcheck():
    torch.manual_seed(6)
    idx = torch.stack([torch.randperm(12)[:4] for _ in range(2 * 12)]).view(2, 12, 4)
    graph = NeighbourGraph.from_indices(idx)
    table = torch.randn(24, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: neighbour_sum(t, graph), (table,))
    assert torch.autograd.gradcheck(lambda t: neighbour_max(t, graph), (table,))
    torch.testing.assert_close(neighbour_max(table, graph), table[graph.rows].amax(1))


def test_neighbour_max_gradient_is_conserved_at_ties():
    table = torch.ones(6, 2, dtype=torch.float64, requires_grad=True)  # every neighbour ties
    graph = NeighbourGraph.from_indices(torch.tensor([[[0, 1, 2]] * 3, [[0, 1, 2]] * 3]))
    grad = torch.arange(12, dtype=torch.float64).view(6, 2)
    neighbour_max(table, graph).backward(grad)
    torch.testing.assert_close(table.grad.sum(0), grad.sum(0))


def test_multi_layer_edge_conv_matches_reference(monkeypatch):
    monkeypatch.setattr(edgeconv_module, "knn_indices", exact_knn)
    monkeypatch.setattr(edgeconv_module, "knn", exact_knn)
    torch.manual_seed(7)
    layers = [conv_bn_lrelu_2d(6, 8).double(), conv_bn_lrelu_2d(8, 5).double()]
    x = torch.randn(2, 3, 25, dtype=torch.float64)  # (B, C, N)
    fused = edge_conv(x, 4, layers)
    ref = edge_conv(x, 4, layers, fused=False)
    torch.testing.assert_close(fused, ref, rtol=1e-10, atol=1e-10)


def _dgcnn_pair():
    torch.manual_seed(8)
    model = DGCNN(k=6, emb_dims=32).double()
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                module.weight.uniform_(-1.5, 1.5)
                module.bias.normal_()
    ref = copy.deepcopy(model)
    ref.fused = False
    return model, ref


def test_dgcnn_fused_path_equals_reference_path(monkeypatch):
    monkeypatch.setattr(dgcnn_module, "knn_indices", exact_knn)
    monkeypatch.setattr(edgeconv_module, "knn", exact_knn)
    model, ref = _dgcnn_pair()
    assert model.fused and list(model.state_dict()) == list(ref.state_dict()) and len(model.state_dict()) == 55
    torch.manual_seed(9)
    x = torch.randn(3, 50, 3, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    out, out_ref = model(x), ref(x_ref)
    assert out.shape == (3, 64)
    torch.testing.assert_close(out, out_ref, rtol=1e-9, atol=1e-10)
    grad = torch.randn_like(out)
    out.backward(grad)
    out_ref.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-8, atol=1e-9)
    for (name, p), p_ref in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, rtol=1e-8, atol=1e-9, msg=name)
    for (name, buf), buf_ref in zip(model.named_buffers(), ref.buffers()):
        torch.testing.assert_close(buf, buf_ref, rtol=1e-12, atol=1e-12, msg=name)
    model.eval()
    ref.eval()
    torch.testing.assert_close(model(x), ref(x), rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(model.point_features(x), ref.point_features(x), rtol=1e-9, atol=1e-10)


def test_dgcnn_float32_fused_forward_is_close_to_reference():
    model = DGCNN(k=10, emb_dims=64).eval()
    x = torch.rand(2, 128, 3, generator=torch.Generator().manual_seed(10))
    with torch.no_grad():
        fused = model(x)
        model.fused = False
        ref = model(x)
    torch.testing.assert_close(fused, ref, rtol=1e-4, atol=1e-4)


def test_fused_layer_keeps_batchnorm_in_fp32_under_autocast():
    layer = random_layer(8, 16, seed=11).float()
    ref_layer = copy.deepcopy(layer)
    torch.manual_seed(12)
    x = torch.randn(2, 64, 8)
    idx = exact_knn(x, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = fused_edge_conv(x, NeighbourGraph.from_indices(idx), layer)
    ref = reference_edge_conv(x, idx, ref_layer)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.05)
    torch.testing.assert_close(layer[1].running_var, ref_layer[1].running_var, rtol=0.02, atol=1e-3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_dgcnn_on_cuda_matches_cpu_in_float64(assert_same_step):
    torch.manual_seed(7)
    cpu = DGCNN(k=8, emb_dims=32).double()
    gpu = copy.deepcopy(cpu).cuda()
    x = torch.randn(2, 64, 3, dtype=torch.float64)
    assert_same_step(gpu, cpu, x.cuda(), x, out_tol=(1e-9, 1e-9), grad_tol=(1e-7, 1e-9), buffer_tol=(1e-7, 1e-7))
