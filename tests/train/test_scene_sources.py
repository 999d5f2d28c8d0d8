"""The built-in rooms as a pre-training source, and labelled scene sets by name."""

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
from scene_files import write_scannet, write_sunrgbd  # noqa: E402

from strl.errors import ConfigError, DataError  # noqa: E402
from strl.formats.builtin_rooms import RoomFrames, RoomScenes  # noqa: E402
from strl.formats.scannet_detection import ScanNetDetection  # noqa: E402
from strl.formats.sunrgbd import SunRGBDVotes  # noqa: E402
from strl.sequences.pairs import PairDataset  # noqa: E402
from strl.train.augmenting import augment_config, augment_pairs  # noqa: E402
from strl.train.config import make_config  # noqa: E402
from strl.train.data import pretrain_sequences, scene_set  # noqa: E402
from strl.train.run import pretrain  # noqa: E402


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def test_builtin_rooms_pair_and_augment_like_scannet_frames(cache):
    cfg = make_config(dataset="builtin-rooms", builtin_size="small", cache_dir=cache, augment="scene", up_axis=2,
                      num_points=256, frame_points=512, window=1, pair_mode="temporal")
    frames = pretrain_sequences(cfg)
    assert isinstance(frames, RoomFrames) and len(frames) == 3
    pairs = PairDataset(frames, 512, window=1, mode="temporal", seed=0)
    items = [pairs[i] for i in range(4)]
    batch = {k: torch.stack([it[k] for it in items]) for k in ("a", "b", "key")}
    assert batch["a"].shape == (4, 512, 3) and batch["a"].abs().max() < 10  # shifted by the anchor's camera
    views = augment_pairs(batch, augment_config(cfg))
    assert views["a"].shape == (4, 256, 3) and torch.isfinite(views["b"]).all()


def test_scene_sets_by_name(cache, tmp_path):
    rng = np.random.default_rng(0)
    rooms = scene_set("builtin-rooms", "", "val", cache_dir=cache, size="small")
    assert isinstance(rooms, RoomScenes) and len(rooms) == 1
    scannet = scene_set("scannet", str(write_scannet(tmp_path / "scannet", rng)), "val")
    assert isinstance(scannet, ScanNetDetection) and len(scannet) == 1
    sun = scene_set("sunrgbd", str(write_sunrgbd(tmp_path / "sunrgbd", rng)), "train")
    assert isinstance(sun, SunRGBDVotes) and len(sun) == 2
    with pytest.raises(ConfigError, match="known: builtin-rooms, scannet, sunrgbd"):
        scene_set("s3dis", "", "train")
    with pytest.raises(DataError, match="nowhere"):
        scene_set("scannet", str(tmp_path / "nowhere"), "train")


@pytest.mark.slow
def test_pretrain_on_builtin_rooms(cache, tmp_path):
    cfg = make_config(dataset="builtin-rooms", builtin_size="small", cache_dir=cache, augment="scene", up_axis=2,
                      num_points=128, frame_points=256, window=1, pair_mode="temporal", emb_dims=32, hidden_dim=32,
                      proj_dim=16, batch_size=4, epochs=1, num_workers=0, progress=False, probe="none",
                      final_eval=False, out_dir=str(tmp_path), name="rooms", accelerator="cpu")
    folder, _ = pretrain(cfg)
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)
    assert ckpt["global_step"] == 3  # 12 frames, batches of 4
