"""Lightning data module: sequences -> pair dataset -> batches of augmented pairs."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader

from strl.formats.base import SequenceSet
from strl.sequences.pairs import EpochSampler, PairDataset
from strl.train.augmenting import PairCollate, augment_config
from strl.train.config import PretrainConfig
from strl.train.data import pretrain_sequences


def augment_on_worker(cfg: PretrainConfig, accelerator_is_gpu: bool) -> bool:
    if cfg.augment_on == "auto":
        return not accelerator_is_gpu
    return cfg.augment_on == "worker"


class PairDataModule(L.LightningDataModule):
    """``sequences`` overrides the data named by ``cfg.dataset`` (any :class:`SequenceSet`)."""

    def __init__(self, cfg: PretrainConfig, on_worker: bool = True, sequences: SequenceSet | None = None):
        super().__init__()
        self.cfg = cfg
        self.on_worker = on_worker
        self.sequences = sequences
        self.dataset: PairDataset | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            cfg = self.cfg
            sequences = self.sequences if self.sequences is not None else pretrain_sequences(cfg)
            self.dataset = PairDataset(sequences, cfg.frame_points or cfg.num_points, cfg.window, cfg.pair_mode, cfg.seed)

    def train_dataloader(self) -> DataLoader:
        cfg = self.cfg
        sampler = EpochSampler(len(self.dataset), seed=cfg.seed, shuffle=True)
        batch_sampler = torch.utils.data.BatchSampler(sampler, cfg.batch_size, drop_last=len(sampler) >= cfg.batch_size)
        return DataLoader(
            self.dataset,
            batch_sampler=batch_sampler,
            num_workers=cfg.num_workers,
            collate_fn=PairCollate(augment_config(cfg), self.on_worker),
            persistent_workers=cfg.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
        )
