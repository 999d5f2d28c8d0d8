"""The training step's EMA: after the optimizer step (default) or before it (``--ema-before-step``)."""

import os
import sys

import lightning as L
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from toy_data import ToySequences  # noqa: E402

from strl.methods.base import cosine_tau  # noqa: E402
from strl.train.config import make_config  # noqa: E402
from strl.train.datamodule import PairDataModule  # noqa: E402
from strl.train.module import PretrainModule  # noqa: E402
from strl.train.run import build_trainer  # noqa: E402


class SecondStep(L.Callback):
    """Keeps the method's state before the second step and stops after it (at the first step the
    target still equals the online network, so the order cannot show there)."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.before = {k: v.clone() for k, v in pl_module.method.state_dict().items()}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        trainer.should_stop = trainer.global_step == 2


def second_step(tmp_path, ema_before_step: bool):
    cfg = make_config(method="byol", tau0=0.5, emb_dims=16, hidden_dim=16, proj_dim=8, num_points=32, batch_size=4,
                      epochs=4, num_workers=0, progress=False, probe="none", final_eval=False, accelerator="cpu",
                      ema_before_step=ema_before_step, out_dir=str(tmp_path), name=str(ema_before_step))
    L.seed_everything(0, verbose=False)
    module, step = PretrainModule(cfg), SecondStep()
    trainer = build_trainer(cfg, os.path.join(str(tmp_path), cfg.name), [step])
    trainer.fit(module, datamodule=PairDataModule(cfg, sequences=ToySequences(count=8, frames=1, points=64)))
    assert trainer.global_step == 2
    parameters = dict(module.method.named_parameters())  # (BatchNorm statistics also move in the forward)
    before = {k: v for k, v in step.before.items() if k in parameters}
    return before, {k: v.detach() for k, v in parameters.items()}, int(trainer.estimated_stepping_batches)


@pytest.mark.parametrize("ema_before_step", [False, True])
def test_ema_follows_the_online_weights_after_or_before_the_optimizer_step(tmp_path, ema_before_step):
    before, after, total = second_step(tmp_path, ema_before_step)
    assert total == 8
    # the original's order: EMA at step 1 towards the online weights the optimizer has not yet
    # updated; ours: EMA at step 2 towards the updated ones
    step, online = (1, before) if ema_before_step else (2, after)
    other_step, other_online = (2, after) if ema_before_step else (1, before)
    targets = [key for key in after if key.startswith(("target_backbone.", "target_projector."))]
    for key in targets:
        expected = torch.lerp(before[key], online[key.replace("target_", "", 1)], 1 - cosine_tau(step, total, 0.5))
        torch.testing.assert_close(after[key], expected, msg=key)
    other = [torch.lerp(before[key], other_online[key.replace("target_", "", 1)], 1 - cosine_tau(other_step, total, 0.5))
             for key in targets]
    assert not all(torch.allclose(after[key], o) for key, o in zip(targets, other))  # the orders differ
