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


# -- through the command line: --resume RUN_FOLDER, --resume last, --resume CHECKPOINT ---------------

TINY = ["--dataset", "folder", "--num-points", "32", "--batch-size", "4", "--emb-dims", "16", "--hidden-dim", "16",
        "--proj-dim", "8", "--num-workers", "0", "--probe", "none", "--no-final-eval", "--no-progress",
        "--accelerator", "cpu", "--checkpoint-every", "1", "--seed", "3", "--scheduler", "none"]  # no schedule: epochs can grow


def encoder_state(folder):
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), map_location="cpu", weights_only=True)
    return ckpt["global_step"], {k: v for k, v in ckpt["state_dict"].items() if k.startswith("method.backbone.")}


@pytest.mark.slow
def test_resume_a_run_folder_last_or_a_checkpoint_from_the_command_line(tmp_path):
    import numpy as np

    from strl.cli.main import main

    root = tmp_path / "clouds"
    root.mkdir()
    for i in range(8):
        np.save(root / f"c{i}.npy", np.random.default_rng(i).normal(size=(64, 3)).astype(np.float32))
    runs = tmp_path / "runs"
    common = [*TINY, "--root", str(root), "--out-dir", str(runs)]
    assert main(["pretrain", *common, "--epochs", "2", "--name", "straight"]) == 0
    assert main(["pretrain", *common, "--epochs", "1", "--name", "part"]) == 0
    step, straight = encoder_state(runs / "straight")

    # the run folder alone: its settings, its folder, no --name (and a longer schedule)
    assert main(["pretrain", "--resume", str(runs / "part"), "--epochs", "2"]) == 0
    assert sorted(p.name for p in runs.iterdir()) == ["part", "straight"]
    resumed_step, resumed = encoder_state(runs / "part")
    assert resumed_step == step
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], msg=key)

    # "last" in the folder --name names, and a checkpoint file
    assert main(["pretrain", *common, "--epochs", "3", "--name", "part", "--resume", "last"]) == 0
    assert encoder_state(runs / "part")[0] == 3 * step // 2
    first_epoch = runs / "straight" / "checkpoints" / "epoch000.ckpt"
    assert main(["pretrain", *common, "--epochs", "2", "--name", "from-file", "--resume", str(first_epoch)]) == 0
    assert encoder_state(runs / "from-file")[0] == step
    with pytest.raises(Exception, match="does not exist"):
        from strl.train.config import make_config
        from strl.train.run import pretrain

        pretrain(make_config(resume="last", name="nothing-here", out_dir=str(runs)))
