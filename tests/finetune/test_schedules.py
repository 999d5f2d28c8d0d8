"""Learning-rate schedules of a fine-tuning run and the task's per-epoch hook."""

import pytest
import torch

from strl.errors import ConfigError
from strl.finetune.module import FinetuneModule, cosine_to_floor, step_factor
from strl.finetune.settings import FinetuneSettings
from strl.models.base import TaskModel


def test_step_schedule_is_votenets():
    factor = step_factor([80, 120, 160], 0.1)
    assert [factor(e) for e in (0, 79, 80, 119, 120, 159, 160, 179)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    assert cosine_to_floor(10, 0.01)(0) == 1.0 and cosine_to_floor(10, 0.01)(10) == pytest.approx(0.01)


class Tiny(TaskModel):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Linear(2, 2)
        self.head = torch.nn.Linear(2, 1)


class Recorder:
    def __init__(self):
        self.epochs = []

    def on_train_epoch_start(self, model, epoch, cfg):
        self.epochs.append(epoch)


def test_configured_step_schedule_multiplies_every_group_and_the_task_hears_each_epoch():
    cfg = FinetuneSettings(optimizer="adam", lr=1e-3, scheduler="step", lr_decay_epochs=[2, 3], lr_decay_rate=0.5,
                           encoder_lr_scale=0.1)
    module = FinetuneModule(Recorder(), Tiny(), cfg, {})
    conf = module.configure_optimizers()
    opt, sched = conf["optimizer"], conf["lr_scheduler"]["scheduler"]
    lrs = []
    for _ in range(4):
        lrs += [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1e-3, 1e-4, 1e-3, 1e-4, 5e-4, 5e-5, 2.5e-4, 2.5e-5])
    module.on_train_epoch_start()
    assert module.task.epochs == [0]
    with pytest.raises(ConfigError, match="--lr-decay-epochs"):
        FinetuneSettings(scheduler="step").check()
