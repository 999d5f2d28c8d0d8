"""``strl finetune partseg`` on a tiny ShapeNetPart h5 release, then predict, score and export."""

import json
import os
import sys

import h5py
import numpy as np
import pytest
import torch

from strl.cli.main import main
from strl.metrics.segmentation import PART_START, PARTS_PER_CATEGORY

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "checkpoints"))
from downstream_models import DGCNNPartSegNet  # noqa: E402

POINTS = 64


def shapes(rng, categories):
    """Clouds of two boxes per shape; the part id says which box (within the category's parts)."""
    data, pid = [], []
    for c in categories:
        lower = rng.normal(size=(POINTS // 2, 3)) * [0.4, 0.1, 0.4]
        upper = rng.normal(size=(POINTS // 2, 3)) * [0.1, 0.3, 0.1] + [0, 0.6, 0]
        data.append(np.concatenate([lower, upper]))
        pid.append(np.repeat([PART_START[c], PART_START[c] + 1], POINTS // 2))
    return np.asarray(data, np.float32), np.asarray(categories)[:, None], np.asarray(pid)


def write_release(root, rng, bad_part=False):
    root.mkdir(parents=True, exist_ok=True)
    for name, cats in (("ply_data_train0.h5", [0, 1, 4, 0, 1, 4, 0, 1, 4, 4]), ("ply_data_val0.h5", [0, 1, 4]),
                       ("ply_data_test0.h5", [0, 1, 4, 4])):
        data, label, pid = shapes(rng, cats)
        if bad_part and "train" in name:
            pid[1, 0] = PART_START[4]  # a chair part on a bag
        with h5py.File(root / name, "w") as f:
            f.create_dataset("data", data=data)
            f.create_dataset("label", data=label)
            f.create_dataset("pid", data=pid)
    return root


@pytest.mark.slow
def test_partseg_end_to_end(tmp_path, capsys):
    from strl.backbones.dgcnn_partseg import DGCNNPartSeg

    root = write_release(tmp_path / "hdf5_data", np.random.default_rng(0))
    torch.manual_seed(0)
    torch.save({"state_dict": DGCNNPartSeg(k=8, emb_dims=32).state_dict()}, tmp_path / "enc.ckpt")
    argv = ["finetune", "partseg", str(tmp_path / "enc.ckpt"), "--root", str(root), "--k", "8", "--num-points", str(POINTS),
            "--batch-size", "4", "--epochs", "2", "--seeds", "0", "--val-fraction", "0.2", "--no-progress", "--num-workers", "0",
            "--out-dir", str(tmp_path), "--name", "ps"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "per-category mIoU" in out and "Bag" in out
    m = json.loads((tmp_path / "ps" / "metrics.json").read_text())
    for key in ("instance_miou", "class_miou", "instance_miou_scratch", "class_miou_scratch", "instance_miou_best_on_test"):
        assert 0.0 <= m[key] <= 1.0, key
    assert set(m["per_category_first_run"]) >= {"Airplane", "Bag", "Chair"}

    # the predictions file rescored by strl score gives the same instance mIoU
    assert main(["score", "partseg", str(tmp_path / "ps" / "predictions.npz"), "--json", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["instance_miou"] == pytest.approx(m["instance_miou_per_seed"][0])

    # predict the part logits of three chairs; export loads strictly into dgcnn.pytorch's structure, same logits
    best = tmp_path / "ps" / "checkpoints" / "pretrained-frac1-seed0" / "best.ckpt"
    clouds, _, _ = shapes(np.random.default_rng(1), [4, 4, 4])
    np.save(tmp_path / "chairs.npy", clouds)
    assert main(["predict", str(best), str(tmp_path / "chairs.npy"), str(tmp_path / "parts.npy"), "--category", "Chair",
                 "--no-normalize", "--no-progress"]) == 0
    logits = np.load(tmp_path / "parts.npy")
    assert logits.shape == (3, POINTS, 50)
    assert main(["export", str(best), str(tmp_path / "partseg.pth")]) == 0
    capsys.readouterr()
    reference = DGCNNPartSegNet(k=8, emb_dims=32)
    reference.load_state_dict(torch.load(tmp_path / "partseg.pth", weights_only=True)["state_dict"], strict=True)
    with torch.no_grad():
        one_hot = torch.nn.functional.one_hot(torch.full((3,), 4), 16).float()
        expected = reference.eval()(torch.from_numpy(clouds).transpose(1, 2), one_hot).transpose(1, 2).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_a_part_label_outside_its_category_names_the_file(tmp_path, capsys):
    from strl.backbones.dgcnn_partseg import DGCNNPartSeg

    root = write_release(tmp_path / "hdf5_data", np.random.default_rng(0), bad_part=True)
    torch.save({"state_dict": DGCNNPartSeg(k=8, emb_dims=32).state_dict()}, tmp_path / "enc.ckpt")
    argv = ["finetune", "partseg", str(tmp_path / "enc.ckpt"), "--root", str(root), "--k", "8", "--num-points", str(POINTS),
            "--batch-size", "4", "--epochs", "1", "--seeds", "0", "--no-scratch-baseline", "--no-progress", "--num-workers", "1",
            "--out-dir", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "ply_data_train0.h5" in err and f"part label {PART_START[4]} is outside the parts 4..5 of its category Bag" in err
    assert PARTS_PER_CATEGORY[1] == 2
