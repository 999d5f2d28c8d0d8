import math

import pytest
import torch
from torch import nn

from strl.backbones import build_backbone
from strl.methods import BYOL, SimCLR
from strl.methods.base import cosine_tau, ema_update
from strl.methods.heads import mlp_head
from strl.methods.losses import byol_loss, nt_xent_loss


def test_byol_loss_hand_computed():
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    z = torch.tensor([[1.0, 1.0], [0.0, -3.0]])
    # cos = 1/sqrt(2) and -1 -> losses 2 - sqrt(2) and 4
    assert byol_loss(p, z).item() == pytest.approx(((2 - math.sqrt(2)) + 4) / 2)


def test_nt_xent_hand_computed():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    t = 0.5
    # anchor a0: positive b0 (cos 1), negatives a1 (0), b1 (0)
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + 2 * math.exp(0)))
    assert nt_xent_loss(a, b, temperature=t).item() == pytest.approx(expected, rel=1e-5)


def test_nt_xent_with_gathered_negatives_uses_offset():
    torch.manual_seed(0)
    all_a, all_b = torch.randn(6, 4), torch.randn(6, 4)
    full = nt_xent_loss(all_a, all_b, 0.2)
    parts = [nt_xent_loss(all_a[i : i + 3], all_b[i : i + 3], 0.2, all_a, all_b, offset=i) for i in (0, 3)]
    assert torch.stack(parts).mean().item() == pytest.approx(full.item(), rel=1e-5)


def test_cosine_tau_schedule():
    assert cosine_tau(0, 100, 0.996) == pytest.approx(0.996)
    assert cosine_tau(50, 100, 0.996) == pytest.approx(0.998)
    assert cosine_tau(100, 100, 0.996) == pytest.approx(1.0)


def test_ema_update_hand_computed():
    online, target = nn.BatchNorm1d(2), nn.BatchNorm1d(2)
    online.weight.data = torch.tensor([1.0, 3.0])
    target.weight.data = torch.tensor([0.0, 1.0])
    online.running_mean.fill_(2.0)
    online.num_batches_tracked.fill_(7)
    ema_update(target, online, tau=0.75)
    assert torch.allclose(target.weight, torch.tensor([0.25, 1.5]))
    assert torch.allclose(target.running_mean, torch.tensor([0.5, 0.5]))
    assert target.num_batches_tracked.item() == 7


def test_byol_target_is_ema_and_not_optimised():
    torch.manual_seed(0)
    m = BYOL(build_backbone("pointnet", emb_dims=32), hidden_dim=16, proj_dim=8)
    trainable = {id(p) for p in m.trainable_parameters()}
    assert not any(id(p) in trainable for p in m.target_backbone.parameters())
    assert all(id(p) in trainable for p in m.predictor.parameters())
    a, b = torch.randn(4, 64, 3), torch.randn(4, 64, 3)
    loss, _ = m.loss(a, b)
    loss.backward()
    assert all(p.grad is None for p in m.target_backbone.parameters())
    before = m.target_backbone.conv1.weight.clone()
    with torch.no_grad():
        m.backbone.conv1.weight.add_(1.0)
    tau = m.update_momentum(0, 10)
    expected = tau * before + (1 - tau) * m.backbone.conv1.weight
    torch.testing.assert_close(m.target_backbone.conv1.weight, expected)


def test_heads_keys_match_original():
    assert list(mlp_head(1024).state_dict()) == [
        "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight",
    ]


def test_simclr_loss_decreases_with_training():
    torch.manual_seed(0)
    m = SimCLR(build_backbone("pointnet", emb_dims=32), hidden_dim=32, proj_dim=16)
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    x = torch.randn(8, 64, 3)
    first = None
    for _ in range(15):
        loss, _ = m.loss(x + 0.01 * torch.randn_like(x), x + 0.01 * torch.randn_like(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
