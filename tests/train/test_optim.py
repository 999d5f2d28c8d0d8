import pytest
import torch

from strl.errors import ConfigError
from strl.train.optim import LARS, build_optimizer, cosine_lr_lambda


def test_lars_rescales_large_gradients_like_the_original():
    p = torch.nn.Parameter(torch.ones(4))  # |p| = 2
    opt = LARS(torch.optim.SGD([p], lr=0.01), eta=0.02, clip=True)
    p.grad = torch.full((4,), 10.0)  # |g| = 20 > (eta / lr) |p| = 4 -> scaled by eta |p| / |g| / lr = 0.2
    opt.step()
    assert torch.allclose(p.detach(), torch.ones(4) - 0.01 * 10.0 * 0.2)


def test_lars_applies_weight_decay_before_scaling():
    p = torch.nn.Parameter(torch.ones(4))
    opt = LARS(torch.optim.SGD([p], lr=0.1, weight_decay=0.5))
    p.grad = torch.full((4,), 0.01)
    opt.step()
    # norms of p and of the raw gradient: 2 and 0.02 -> local = 0.02 * 2 / (0.02 + 2 * 0.5) / lr
    scale = 0.02 * 2 / (0.02 + 1.0) / 0.1
    assert torch.allclose(p.detach(), torch.ones(4) - 0.1 * (0.01 + 0.5) * scale)
    assert opt.param_groups[0]["weight_decay"] == 0.5
    z = torch.nn.Parameter(torch.zeros(2))  # zero norm: the original dropped weight decay here
    opt2 = LARS(torch.optim.SGD([z], lr=1.0, weight_decay=0.1))
    z.grad = torch.ones(2)
    opt2.step()
    assert torch.allclose(z.detach(), -torch.ones(2))


def test_build_optimizer_names():
    params = [torch.nn.Parameter(torch.zeros(1))]
    assert isinstance(build_optimizer(params, "adamw", 1e-3), torch.optim.AdamW)
    assert isinstance(build_optimizer(params, "adam", 1e-3, lars=True), LARS)
    with pytest.raises(ConfigError):
        build_optimizer(params, "adagrad", 1e-3)


def test_cosine_lr_with_warmup():
    f = cosine_lr_lambda(100, warmup_steps=10)
    assert f(0) == pytest.approx(0.1)
    assert f(10) == pytest.approx(1.0)
    assert f(55) == pytest.approx(0.5)
    assert f(100) == pytest.approx(0.0)


def test_lars_follows_the_inner_optimizer_after_load_state_dict():
    p = torch.nn.Parameter(torch.ones(2))
    opt = LARS(torch.optim.Adam([p], lr=1e-3))
    opt.load_state_dict(LARS(torch.optim.Adam([torch.nn.Parameter(torch.ones(2))], lr=5e-4)).state_dict())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5)
    assert opt.inner.param_groups[0]["lr"] == pytest.approx(2.5e-4)
    assert opt.param_groups is opt.inner.param_groups and sched.optimizer is opt
