"""``strl evaluate --label-fraction``: the linear SVM sees a seeded share of each class's labels."""

import json

import numpy as np
import pytest
import torch

from strl.backbones.pointnet import PointNet
from strl.cli.main import main

ARGS = ["--dataset", "builtin", "--builtin-size", "small", "--num-points", "128", "--no-progress"]


@pytest.mark.slow
def test_label_fraction_keeps_a_seeded_share_of_each_class(tmp_path, capsys):
    torch.manual_seed(0)
    ckpt = tmp_path / "pointnet.ckpt"
    torch.save({"state_dict": PointNet(emb_dims=64).state_dict()}, ckpt)
    cache = ["--cache-dir", str(tmp_path / "cache")]

    def evaluate(*extra):
        out = tmp_path / "result.json"
        assert main(["evaluate", str(ckpt), *ARGS, *cache, "--json", str(out), *extra]) == 0
        return json.loads(out.read_text())

    full = evaluate()
    assert (full["train_size"], full["test_size"], full["label_fraction"]) == (70, 42, 1.0)  # 14 classes x 5 / x 3
    part = evaluate("--label-fraction", "0.3", "--seed", "1")
    assert part["train_size"] == 14 * 2  # ceil(0.3 * 5) of each class
    assert evaluate("--label-fraction", "0.3", "--seed", "1")["accuracy"] == part["accuracy"]
    few = [evaluate("--label-fraction", "0.1", "--seed", str(seed)) for seed in (0, 1, 2)]
    assert all(r["train_size"] == 14 for r in few)  # at least one per class
    assert len({r["accuracy"] for r in few}) > 1  # other seeds, other labelled shapes
    assert np.mean([r["accuracy"] for r in few]) < full["accuracy"]
    capsys.readouterr()
    assert main(["evaluate", str(ckpt), *ARGS, *cache, "--label-fraction", "0"]) == 2
    assert "--label-fraction" in capsys.readouterr().err
