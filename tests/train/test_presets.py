"""Every preset pre-trains end to end on CPU on small data in its real format."""

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sequences"))
from test_rgbd import write_room  # noqa: E402  (ScanNet-layout frames of a ray-cast room)

from strl.train.config import PRESETS, make_config  # noqa: E402
from strl.train.run import pretrain  # noqa: E402

SMALL = dict(epochs=1, batch_size=4, num_workers=0, progress=False, probe="none", final_eval=False,
             limit_train_batches=2.0, hidden_dim=64, proj_dim=32, accelerator="cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    np.savez(root / "shapenet57448xyzonly.npz", data=rng.normal(size=(8, 512, 3)).astype(np.float32))
    for scene in ("scene0000_00", "scene0001_00", "scene0002_00"):
        write_room(root / "scannet_frames_25k" / scene)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["pointnet-cls", "dgcnn-cls", "dgcnn-partseg", "dgcnn-semseg", "votenet-detection"])
def test_preset_pretrains_on_small_data(preset, data, tmp_path):
    base = PRESETS[preset]
    scene = base["dataset"] == "scannet"
    root = data / "scannet_frames_25k" if scene else data / "shapenet57448xyzonly.npz"
    overrides = dict(SMALL, root=str(root), out_dir=str(tmp_path), name=preset, num_points=256,
                     frame_points=512 if scene else 0, depth_stride=1, val_fraction=0.34)
    if base["backbone"] != "votenet":
        overrides["emb_dims"] = 64
    else:  # 2048 seeds of 64 neighbours whatever the input size: keep it to one small step
        overrides.update(batch_size=2, limit_train_batches=1.0 / 3)
    folder, metrics = pretrain(make_config(preset, **overrides))
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == (1 if base["backbone"] == "votenet" else 2)
    assert ckpt["strl"]["encoder"]["backbone"] == base["backbone"]
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values() if v.is_floating_point())
    assert metrics["settings"]["preset"] == preset
