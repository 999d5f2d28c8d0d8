"""``strl finetune semseg`` on a tiny S3DIS release (xyz and 9 channels), scene blocks, and the export."""

import json
import os
import sys

import h5py
import numpy as np
import pytest
import torch

from strl.cli.main import main
from strl.tasks.semseg import block_centres, in_block, room_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "checkpoints"))
from downstream_models import DGCNNSemSegNet  # noqa: E402

ROOMS = ["Area_1_office_1"] * 3 + ["Area_2_hallway_3"] * 3 + ["Area_3_lobby_1"] * 2 + ["Area_5_office_10"] * 3


def write_s3dis(root, rng, points=32):
    """Blocks whose label follows the height: floor (1) low, ceiling (0) high, wall (2) between."""
    folder = root / "indoor3d_sem_seg_hdf5_data"
    folder.mkdir(parents=True)
    xyz = rng.uniform(-0.5, 0.5, (len(ROOMS), points, 3)) + [0, 0, 1.5]
    labels = np.where(xyz[..., 2] < 1.2, 1, np.where(xyz[..., 2] > 1.8, 0, 2)).astype(np.uint8)
    data = np.concatenate([xyz, rng.uniform(0, 1, (len(ROOMS), points, 6))], axis=2).astype(np.float32)
    with h5py.File(folder / "ply_data_all_0.h5", "w") as f:
        f.create_dataset("data", data=data)
        f.create_dataset("label", data=labels)
    (folder / "room_filelist.txt").write_text("\n".join(ROOMS) + "\n")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("channels", [3, 9])
def test_s3dis_end_to_end_and_export(tmp_path, capsys, channels):
    from strl.backbones.dgcnn_semseg import DGCNNSemSeg

    folder = write_s3dis(tmp_path, np.random.default_rng(0))
    torch.manual_seed(0)
    torch.save({"state_dict": DGCNNSemSeg(k=8, emb_dims=32).state_dict()}, tmp_path / "enc.ckpt")
    argv = ["finetune", "semseg", str(tmp_path / "enc.ckpt"), "--preset", "dgcnn-s3dis", "--root", str(folder), "--k", "8",
            "--num-points", "32", "--batch-size", "4", "--epochs", "2", "--seeds", "0", "--val-fraction", "0.4",
            "--input-channels", str(channels), "--num-workers", "0", "--no-progress", "--out-dir", str(tmp_path), "--name", "s"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "per-class IoU" in out and "ceiling" in out
    assert ("S3DIS's 9 channels" if channels == 9 else "block-centred xyz only, as pre-trained") in out  # says which ran
    m = json.loads((tmp_path / "s" / "metrics.json").read_text())
    for key in ("miou", "overall_accuracy", "mean_class_accuracy", "miou_scratch", "miou_best_on_test", "miou_sampled_points"):
        assert 0.0 <= m[key] <= 1.0, key
    assert main(["score", "semseg", str(tmp_path / "s" / "predictions.npz"), "--json", str(tmp_path / "sc.json")]) == 0
    assert json.loads((tmp_path / "sc.json").read_text())["miou"] == pytest.approx(m["miou_per_seed"][0])
    best = tmp_path / "s" / "checkpoints" / "pretrained-frac1-seed0" / "best.ckpt"
    assert main(["export", str(best), str(tmp_path / "semseg.pth")]) == 0
    capsys.readouterr()
    reference = DGCNNSemSegNet(k=8, emb_dims=32, classes=13, in_channels=channels)
    reference.load_state_dict(torch.load(tmp_path / "semseg.pth", weights_only=True)["state_dict"], strict=True)


def test_room_split_keeps_rooms_whole_and_validation_inside_the_labelled_share():
    rooms = np.repeat(np.arange(10), 3)
    train, val = room_split(rooms, 0.5, 0.2, seed=0)
    assert len(np.unique(rooms[train])) == 4 and len(np.unique(rooms[val])) == 1
    assert not set(rooms[train]) & set(rooms[val])
    one_train, one_val = room_split(rooms, 0.05, 0.5, seed=0)
    assert len(np.unique(rooms[one_train])) == 1 and one_val.size == 0


def test_sliding_blocks_cover_every_point():
    points = np.random.default_rng(0).uniform([0, 0, 0], [4.3, 2.1, 2], (2000, 3))
    centres = block_centres(points, 1.5, 0.75)
    covered = np.zeros(len(points), bool)
    for c in centres:
        covered |= in_block(points, c, 1.5)
    assert covered.all()
    assert block_centres(points[:1], 1.5, 0.75).shape == (1, 2)
