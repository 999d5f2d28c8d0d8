"""Batch augmentation seeds: a hash of the batch's item keys, the same with any number of workers."""

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from toy_data import ToySequences  # noqa: E402

from strl.train.augmenting import augment_pairs, batch_seed  # noqa: E402
from strl.train.config import make_config  # noqa: E402
from strl.train.datamodule import PairDataModule  # noqa: E402
from strl.transforms.config import AugmentConfig  # noqa: E402


def keys(*indices, seed=0, epoch=1):
    return torch.tensor([[seed, epoch, i] for i in indices], dtype=torch.int64)


def test_batches_whose_keys_have_equal_sums_get_different_seeds():
    # items 0 + 3 and 1 + 2 (and seed 0 epoch 3 vs seed 3 epoch 0 ...) sum to the same numbers
    collisions = [
        (keys(0, 3), keys(1, 2)),
        (keys(5, 6, 7), keys(4, 6, 8)),
        (keys(2, epoch=3), keys(2, seed=1, epoch=0)),
        (keys(0, 1), keys(1, 0)),  # the same items in another order are another batch
    ]
    for a, b in collisions:
        assert batch_seed(a) != batch_seed(b), (a.tolist(), b.tolist())
    assert batch_seed(keys(0, 3)) == batch_seed(keys(0, 3).clone())
    assert 0 <= batch_seed(keys(0, 3)) < 2**63


def test_colliding_batches_draw_different_augmentations():
    points = torch.randn(2, 64, 3, generator=torch.Generator().manual_seed(0))
    cfg = AugmentConfig(num_points=32)
    first = augment_pairs({"a": points, "b": points, "key": keys(0, 3)}, cfg)
    second = augment_pairs({"a": points, "b": points, "key": keys(1, 2)}, cfg)
    assert not torch.allclose(first["a"], second["a"])


def batches(workers: int) -> list[dict]:
    cfg = make_config(num_points=32, frame_points=64, batch_size=4, num_workers=workers, seed=5)
    data = PairDataModule(cfg, on_worker=True, sequences=ToySequences(count=5, frames=2, points=64))
    data.setup()
    loader = data.train_dataloader()
    loader.batch_sampler.sampler.set_epoch(1)
    return list(loader)


def test_augmented_batches_do_not_depend_on_the_number_of_workers():
    serial, parallel = batches(0), batches(2)
    assert len(serial) == len(parallel) == 2
    for x, y in zip(serial, parallel):
        assert torch.equal(x["key"], y["key"])
        assert torch.equal(x["a"], y["a"]) and torch.equal(x["b"], y["b"])


@pytest.mark.slow
def test_augmenting_on_the_device_trains_as_augmenting_on_workers(tmp_path, monkeypatch):
    """``--augment-on device`` on a CPU: the module augments each batch after the transfer, with the
    same draws, so training ends with the same weights."""
    import strl.train.module
    from strl.train.run import pretrain

    root = tmp_path / "clouds"
    root.mkdir()
    for i in range(8):
        np.save(root / f"c{i}.npy", np.random.default_rng(i).normal(size=(64, 3)).astype(np.float32))
    on_device = []
    monkeypatch.setattr(strl.train.module, "augment_pairs",
                        lambda batch, cfg: on_device.append(1) or augment_pairs(batch, cfg))
    states = {}
    for where in ("worker", "device"):
        cfg = make_config(dataset="folder", root=str(root), augment_on=where, accelerator="cpu", num_points=32,
                          batch_size=4, epochs=1, emb_dims=16, hidden_dim=16, proj_dim=8, num_workers=0,
                          probe="none", final_eval=False, progress=False, out_dir=str(tmp_path), name=where)
        folder, _ = pretrain(cfg)
        states[where] = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)["state_dict"]
        assert len(on_device) == (2 if where == "device" else 0)
    for key, value in states["worker"].items():
        torch.testing.assert_close(states["device"][key], value, msg=key)
