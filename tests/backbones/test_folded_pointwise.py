import copy

import pytest
import torch
from torch import nn
import torch.nn.functional as F

from strl.backbones.folded_pointwise import can_fold, max_linear_bn_relu, max_projection
from strl.backbones.pointnet import PointNet
from strl.bench.original_step import OriginalPointNet


def _randomised(bn: nn.BatchNorm1d, gen: torch.Generator, negative: bool) -> nn.BatchNorm1d:
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.num_features, generator=gen, dtype=bn.weight.dtype) + 0.5)
        if negative:
            bn.weight[::3] *= -1.0  # channels where the max over points is taken at the min
        bn.bias.copy_(torch.randn(bn.num_features, generator=gen, dtype=bn.bias.dtype))
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=gen, dtype=bn.bias.dtype))
        bn.running_var.copy_(torch.rand(bn.num_features, generator=gen, dtype=bn.bias.dtype) + 0.5)
    return bn


def _pair(emb: int = 96, negative: bool = True, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    ours = PointNet(emb_dims=emb).double()
    for i in range(1, 6):
        _randomised(getattr(ours, f"bn{i}"), gen, negative)
    ref = OriginalPointNet(emb_dims=emb).double()
    ref.load_state_dict(ours.state_dict())
    return ours, ref


@pytest.mark.parametrize("train", [True, False])
def test_pointnet_matches_the_conv_batchnorm_reference_in_float64(train, assert_same_step):
    ours, ref = _pair()
    ours.train(train), ref.train(train)
    x = torch.randn(3, 50, 3, dtype=torch.float64) * 2.0 + 1.0
    assert_same_step(ours, ref, x, x.transpose(1, 2))


def test_point_table_matches_the_reference_features():
    ours, ref = _pair(negative=False)
    x = torch.randn(2, 40, 3, dtype=torch.float64)
    table = ours.point_table(x)  # (B, N, C)
    h = x.transpose(1, 2)
    for i in range(1, 6):
        h = F.relu(getattr(ref, f"bn{i}")(getattr(ref, f"conv{i}")(h)))
    torch.testing.assert_close(table, h.transpose(1, 2), rtol=1e-10, atol=1e-10)


def test_float32_training_step_agrees_with_the_reference():
    torch.manual_seed(0)
    ours = PointNet(emb_dims=256)
    ref = OriginalPointNet(emb_dims=256)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(4, 512, 3)
    out, expected = ours(x), ref(x.transpose(1, 2))
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    out.square().sum().backward()
    expected.square().sum().backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=2e-3, atol=1e-3, msg=name)


def test_syncbatchnorm_keeps_the_module_path():
    ours, ref = _pair(negative=False)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(ours))
    assert can_fold(ours.bn5) and not can_fold(converted.bn5)
    converted.eval(), ref.eval()
    x = torch.randn(2, 30, 3, dtype=torch.float64)
    torch.testing.assert_close(converted(x), ref(x.transpose(1, 2)))


def test_max_projection_values_and_gradient_go_to_the_max_point():
    x = torch.randn(2, 7, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    top = max_projection(x, w)
    dense = (x @ w.t()).amax(1)
    torch.testing.assert_close(top, dense)
    torch.autograd.gradcheck(lambda a, b: max_projection(a, b), (x, w))
    with torch.no_grad():
        torch.testing.assert_close(max_projection(x, w), dense)


def test_max_projection_blocks_give_the_same_result(monkeypatch):
    import strl.backbones.folded_pointwise as fp

    x = torch.randn(5, 33, 8)
    w = torch.randn(16, 8)
    whole = max_projection(x.requires_grad_(), w)
    monkeypatch.setattr(fp, "CPU_BLOCK_ENTRIES", 33 * 16)  # one cloud per block
    torch.testing.assert_close(max_projection(x, w), whole)


def test_exact_ties_send_the_gradient_to_one_point():
    x = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]], requires_grad=True)
    w = torch.tensor([[1.0, 0.0]])
    max_projection(x, w).sum().backward()
    assert x.grad[0, :, 0].tolist() == [0.0, 1.0, 0.0]  # on CPU, the last of the tied points


def test_folded_layer_refuses_one_value_per_channel_in_training():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match="more than 1 value"):
        max_linear_bn_relu(torch.randn(1, 1, 3), torch.randn(4, 3), bn)


def test_momentum_none_is_a_cumulative_average():
    ours, ref = _pair(negative=False)
    for model in (ours, ref):
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.momentum = None
    for seed in range(3):
        x = torch.randn(2, 20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
        ours(x), ref(x.transpose(1, 2))
    torch.testing.assert_close(ours.bn5.running_var, ref.bn5.running_var)
    assert int(ours.bn5.num_batches_tracked) == 3


@pytest.mark.parametrize("offset,centred", [(0.0, False), (50.0, True)])
def test_moments_and_max_gradient(offset, centred):
    from strl.backbones.folded_pointwise import _input_moments, _MomentsAndMax

    gen = torch.Generator().manual_seed(5)
    x = (torch.randn(3, 6, 4, dtype=torch.float64, generator=gen) + offset).requires_grad_()
    w = torch.randn(5, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    rows = x.detach().reshape(18, 4)
    assert _input_moments(rows, w.detach())[3] is centred  # far from zero: redone from centred rows
    torch.autograd.gradcheck(lambda a, b: _MomentsAndMax.apply(a, b, True, True, torch.float64), (x, w))
    top, mean, cov = _MomentsAndMax.apply(x, w, True, True, torch.float64)
    torch.testing.assert_close(top, (x @ w.t()).amax(1))
    torch.testing.assert_close(mean, rows.mean(0))
    torch.testing.assert_close(cov, torch.cov(rows.t(), correction=0))


def test_far_from_zero_inputs_keep_their_variance_in_float32():
    # means 1000x the spread: the uncentred covariance would lose every digit; the layer redoes it centred
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(4, 300, 8, generator=gen) + 1000.0
    w = torch.randn(16, 8, generator=gen)
    bn = nn.BatchNorm1d(16)
    out = max_linear_bn_relu(x, w, bn)
    y = (x.double() @ w.double().t()).reshape(-1, 16)
    ref = F.relu((y - y.mean(0)) / (y.var(0, unbiased=False) + bn.eps).sqrt()).view(4, 300, 16).amax(1)
    torch.testing.assert_close(out.double(), ref, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(bn.running_var.double(), 0.9 + 0.1 * y.var(0), rtol=1e-4, atol=1e-4)


def test_torch_max_path_agrees_with_the_float_point_numbers(monkeypatch):
    import strl.backbones.folded_pointwise as fp

    gen = torch.Generator().manual_seed(4)
    x = torch.randn(3, 40, 6, generator=gen, requires_grad=True)
    w = torch.randn(12, 6, generator=gen, requires_grad=True)
    max_projection(x, w).sum().backward()
    grads = (x.grad.clone(), w.grad.clone())
    x.grad = w.grad = None
    monkeypatch.setattr(fp, "FLOAT_ROWS_MAX_POINTS", 0)  # the GPU path: torch.max with indices
    max_projection(x, w).sum().backward()
    torch.testing.assert_close(x.grad, grads[0])
    torch.testing.assert_close(w.grad, grads[1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("train", [True, False])
def test_pointnet_on_cuda_matches_cpu_in_float64(train, assert_same_step):
    cpu, _ = _pair()
    gpu = copy.deepcopy(cpu).cuda()
    cpu.train(train), gpu.train(train)
    x = torch.randn(3, 50, 3, dtype=torch.float64) * 2.0 + 1.0
    assert_same_step(gpu, cpu, x.cuda(), x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_pointnet_under_cuda_bf16_autocast_stays_close_to_fp32():
    torch.manual_seed(8)
    model = PointNet(emb_dims=256).cuda()
    x = torch.randn(4, 512, 3, device="cuda")
    ref = model(x)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = model(x)
    assert out.dtype == torch.float32  # statistics in fp32, the product in bf16, the result in fp32
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=5e-2)


def test_under_autocast_only_the_product_runs_in_low_precision():
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(3, 300, 8, generator=gen, requires_grad=True)
    w = torch.randn(16, 8, generator=gen, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        top = max_projection(x, w)
    assert top.dtype == torch.float32
    expected = (x.detach().bfloat16() @ w.detach().bfloat16().t()).amax(1).float()
    torch.testing.assert_close(top, expected, rtol=0, atol=0)  # one rounding of fp32 sums to bf16
    top.sum().backward()
    assert x.grad.dtype == torch.float32 and torch.isfinite(w.grad).all()
    # the whole encoder under autocast stays close to the original layers under autocast
    ours, ref = _pair(negative=True)
    ours, ref = ours.float(), ref.float()
    pts = torch.randn(2, 200, 3, generator=gen)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, expected = ours(pts), ref(pts.transpose(1, 2))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, expected.float(), rtol=5e-2, atol=5e-2)
