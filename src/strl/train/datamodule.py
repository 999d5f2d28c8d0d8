"""Lightning data module: sequences -> pair dataset -> batches of augmented pairs."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader

from strl.formats.base import SequenceSet
from strl.sequences.pairs import EpochSampler, PairDataset
from strl.train.augmenting import PairCollate, augment_config
from strl.train.bad_samples import BadSampleLog, GuardedPairs
from strl.train.config import PretrainConfig
from strl.train.data import pretrain_sequences


def augment_on_worker(cfg: PretrainConfig, accelerator_is_gpu: bool) -> bool:
    if cfg.augment_on == "auto":
        return not accelerator_is_gpu
    return cfg.augment_on == "worker"


class PairDataModule(L.LightningDataModule):
    """``sequences`` overrides the data named by ``cfg.dataset`` (any :class:`SequenceSet`).

    A sample that cannot be read stops training with the reader's error, or is skipped
    (``cfg.on_bad_sample``, see :mod:`strl.train.bad_samples`); ``bad_samples.count`` is the
    number skipped so far (kept in checkpoints).
    """

    def __init__(self, cfg: PretrainConfig, on_worker: bool = True, sequences: SequenceSet | None = None):
        super().__init__()
        self.cfg = cfg
        self.on_worker = on_worker
        self.sequences = sequences
        self.dataset: GuardedPairs | None = None
        self.bad_samples = BadSampleLog(cfg.on_bad_sample, cfg.max_bad_fraction)

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            cfg = self.cfg
            sequences = self.sequences if self.sequences is not None else pretrain_sequences(cfg)
            pairs = PairDataset(sequences, cfg.frame_points or cfg.num_points, cfg.window, cfg.pair_mode, cfg.seed)
            self.dataset = GuardedPairs(pairs, cfg.on_bad_sample)

    def train_dataloader(self) -> DataLoader:
        cfg = self.cfg
        sampler = EpochSampler(len(self.dataset), seed=cfg.seed, shuffle=True)
        self.bad_samples.samples_per_epoch = len(sampler)
        batch_sampler = torch.utils.data.BatchSampler(sampler, cfg.batch_size, drop_last=len(sampler) >= cfg.batch_size)
        return DataLoader(
            self.dataset,
            batch_sampler=batch_sampler,
            num_workers=cfg.num_workers,
            collate_fn=PairCollate(augment_config(cfg), self.on_worker),
            persistent_workers=cfg.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
        )

    def on_before_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        return self.bad_samples.check(batch)

    def state_dict(self) -> dict:
        return {"bad_samples": self.bad_samples.state_dict()}

    def load_state_dict(self, state_dict: dict) -> None:
        self.bad_samples.load_state_dict(state_dict.get("bad_samples", {}))
