"""The fine-tuning module's optimisers and schedules: OpenPCDet's adam_onecycle and gradient-norm clipping."""

import math

import lightning as L
import pytest
import torch
from torch import nn

from strl.finetune.module import FinetuneModule, one_cycle
from strl.finetune.settings import FinetuneSettings
from strl.models.base import TaskModel

pytestmark = pytest.mark.filterwarnings("ignore:.*isinstance\\(treespec, LeafSpec\\)")


def annealing_cos(start: float, end: float, pct: float) -> float:
    """fastai's cosine from ``start`` to ``end`` as ``pct`` goes from 0 to 1 (OpenPCDet's learning_schedules_fastai)."""
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def test_one_cycle_rises_then_falls_with_the_momentum_opposite():
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
    opt = torch.optim.AdamW([{"params": [a], "lr": 0.003}, {"params": [b], "lr": 0.0015}], betas=(0.95, 0.99))
    sched = one_cycle(opt, total_steps=100, pct_start=0.4, div_factor=10.0, moms=[0.95, 0.85])
    lrs, moms = [], []
    for _ in range(100):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(opt.param_groups[0]["betas"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx([0.0003, 0.00015])  # lr / div_factor
    assert lrs[39] == pytest.approx([0.003, 0.0015])  # the peak, after pct_start of the steps
    assert lrs[99] == pytest.approx([0.0003 / 1e4, 0.00015 / 1e4])  # the last: lr / div_factor / 1e4
    assert moms[0] == (0.95, 0.99) and moms[39][0] == pytest.approx(0.85) and moms[99][0] == pytest.approx(0.95)
    for i in (10, 20, 30):  # half cosines as fastai draws them (the peak step counted as torch does)
        assert lrs[i][0] == pytest.approx(annealing_cos(0.0003, 0.003, i / 39))
        assert moms[i][0] == pytest.approx(annealing_cos(0.95, 0.85, i / 39))
    assert lrs[70][0] == pytest.approx(annealing_cos(0.003, 0.0003 / 1e4, (70 - 39) / 60))


class Line(TaskModel):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(4, 4, bias=False)
        self.head = nn.Linear(4, 1, bias=False)

    def forward(self, x):
        return self.head(self.encoder(x))


class HugeLoss:
    """A task whose loss has a gradient far larger than any clipping threshold."""

    name = "line"

    def loss(self, model, batch, cfg):
        return 1e3 * model(batch).sum()

    def batch_size(self, batch):
        return len(batch)

    def on_train_epoch_start(self, model, epoch, cfg):
        pass


def one_step(**settings):
    torch.manual_seed(0)
    model = Line()
    before = [p.detach().clone() for p in model.parameters()]
    cfg = FinetuneSettings(epochs=1, **settings)
    module = FinetuneModule(HugeLoss(), model, cfg, {})
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0)
    trainer.fit(module, train_dataloaders=torch.utils.data.DataLoader(torch.ones(1, 8, 4), batch_size=None))
    step = torch.cat([(p.detach() - b).ravel() for p, b in zip(model.parameters(), before)])
    return float(step.norm()), trainer.optimizers[0]


def test_gradient_norm_clipping_bounds_the_sgd_step():
    plain = dict(optimizer="sgd", lr=1.0, momentum=0.0, weight_decay=0.0, scheduler="none")
    clipped, _ = one_step(grad_clip=10.0, **plain)
    unclipped, _ = one_step(**plain)
    assert clipped == pytest.approx(10.0, rel=1e-5)  # lr 1, no momentum: the step is the clipped gradient
    assert unclipped > 100


def test_adam_onecycle_is_decoupled_weight_decay_with_openpcdets_betas():
    _, opt = one_step(optimizer="adam_onecycle", scheduler="onecycle", lr=0.003, weight_decay=0.01, moms=[0.95, 0.85])
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["betas"][1] == 0.99
    assert opt.param_groups[0]["weight_decay"] == 0.01


def test_adam_onecycle_needs_the_onecycle_schedule_and_two_momenta():
    from strl.errors import ConfigError

    with pytest.raises(ConfigError, match="--scheduler onecycle"):
        FinetuneSettings(optimizer="adam_onecycle").check()
    with pytest.raises(ConfigError, match="--moms takes two"):
        FinetuneSettings(moms=[0.9]).check()
