"""The built-in streets as the pre-training source ``builtin-streets``, down to a training step."""

from __future__ import annotations

import os

import pytest
import torch

from strl.formats.builtin_streets import dataset as streets
from strl.sequences.kitti import KittiSequences
from strl.train.config import make_config
from strl.train.data import pretrain_sequences
from strl.train.run import pretrain

TINY = dict(sequences=1, sweeps=3, train_frames=1, val_frames=1, beams=8, azimuth_steps=128, max_range=30.0)


@pytest.fixture
def tiny_small(monkeypatch):
    """``builtin_size="small"`` made tinier still, so a test generates it in a fraction of a second."""
    monkeypatch.setitem(streets.SIZES, "small", TINY)


def test_builtin_streets_source_reads_the_cached_odometry_layout(tmp_path, tiny_small):
    cfg = make_config(dataset="builtin-streets", builtin_size="small", cache_dir=str(tmp_path), max_range=20.0)
    seqs = pretrain_sequences(cfg)
    assert isinstance(seqs, KittiSequences) and len(seqs) == 1 and seqs.num_frames(0) == 3
    assert seqs.max_range == 20.0 and (tmp_path / streets.sized_config("small").cache_name() / "odometry").is_dir()


@pytest.mark.slow
def test_pretrain_on_builtin_streets(tmp_path, tiny_small):
    cfg = make_config(dataset="builtin-streets", builtin_size="small", cache_dir=str(tmp_path / "cache"),
                      augment="scene", up_axis=1, num_points=128, frame_points=256, window=1, pair_mode="temporal",
                      emb_dims=32, hidden_dim=32, proj_dim=16, batch_size=3, epochs=1, num_workers=0, progress=False,
                      probe="none", final_eval=False, out_dir=str(tmp_path), name="streets", accelerator="cpu")
    folder, _ = pretrain(cfg)
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)
    assert ckpt["global_step"] == 1
