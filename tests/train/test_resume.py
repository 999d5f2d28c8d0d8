"""Resuming from a checkpoint continues exactly: EMA schedule, optimizer, LR schedule and data RNG."""

import os
import sys

import lightning as L
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from toy_data import ToySequences  # noqa: E402

from strl.train.config import make_config  # noqa: E402
from strl.train.datamodule import PairDataModule  # noqa: E402
from strl.train.module import PretrainModule  # noqa: E402
from strl.train.run import build_trainer  # noqa: E402


class StopAfter(L.Callback):
    """Simulates an interrupted run: stops after ``epochs`` epochs."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.current_epoch + 1 >= self.epochs:
            trainer.should_stop = True


def fit(tmp, name, epochs, resume=None, callbacks=()):
    cfg = make_config(emb_dims=32, hidden_dim=32, proj_dim=16, num_points=64, batch_size=4, epochs=epochs,
                      num_workers=0, progress=False, probe="none", final_eval=False, out_dir=str(tmp), name=name,
                      checkpoint_every=1, accelerator="cpu", lars=True)
    L.seed_everything(0, verbose=False)
    module = PretrainModule(cfg)
    folder = os.path.join(str(tmp), name)
    trainer = build_trainer(cfg, folder, list(callbacks))
    trainer.fit(module, datamodule=PairDataModule(cfg, sequences=ToySequences(count=12)), ckpt_path=resume)
    return module, trainer, folder


@pytest.mark.slow
def test_resume_matches_an_uninterrupted_run(tmp_path):
    straight, trainer, _ = fit(tmp_path, "straight", 3)
    interrupted, _, folder = fit(tmp_path, "part", 3, callbacks=[StopAfter(1)])
    assert interrupted.global_step < trainer.global_step
    ckpt = os.path.join(folder, "checkpoints", "last.ckpt")
    resumed, rtrainer, _ = fit(tmp_path, "part-resumed", 3, resume=ckpt)
    assert rtrainer.global_step == trainer.global_step
    a, b = straight.state_dict(), resumed.state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
