"""Run under ``torchrun --nproc_per_node 2``: a short DDP pre-training on CPU (gloo); each rank saves
its final weights and the number of negatives its SimCLR loss saw."""

import json
import os
import sys

import lightning as L
import torch

sys.path.insert(0, os.path.dirname(__file__))
from toy_data import ToySequences  # noqa: E402

from strl.train.config import make_config  # noqa: E402
from strl.train.datamodule import PairDataModule  # noqa: E402
from strl.train.module import PretrainModule  # noqa: E402
from strl.train.run import build_trainer  # noqa: E402


class Record(L.Callback):
    def __init__(self):
        self.negatives = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if "train/negatives" in trainer.callback_metrics:
            self.negatives.append(float(trainer.callback_metrics["train/negatives"]))


def main(out_dir, method):
    cfg = make_config(
        method=method, emb_dims=32, hidden_dim=32, proj_dim=16, num_points=64, batch_size=4, epochs=2,
        num_workers=0, accelerator="cpu", devices="2", strategy="ddp", progress=False, probe="none",
        final_eval=False, out_dir=out_dir, name="ddp", window=1,
    )
    L.seed_everything(0, verbose=False)
    module = PretrainModule(cfg)
    data = PairDataModule(cfg, on_worker=True, sequences=ToySequences())
    record = Record()
    trainer = build_trainer(cfg, os.path.join(out_dir, "ddp"), [record])
    trainer.fit(module, datamodule=data)
    rank = trainer.global_rank
    torch.save(module.state_dict(), os.path.join(out_dir, f"rank{rank}.pt"))
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump({"negatives": record.negatives, "world": trainer.world_size, "steps": trainer.global_step}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
