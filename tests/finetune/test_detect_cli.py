"""``strl finetune detect`` (VoteNet) on tiny ScanNet files in VoteNet's prepared layout and on small
built-in rooms; ``strl score detect`` and ``strl export`` of the result; bad input."""

import json
import os
import sys

import numpy as np
import pytest
import torch
import yaml

from strl.backbones.pointnet2 import VoteNetBackbone
from strl.cli.main import main
from strl.detection.votenet import SCANNET, VoteNet

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
from scene_files import write_scannet  # noqa: E402

TRAIN = ("scene0000_00", "scene0001_00", "scene0002_00")
#: a small VoteNet: few points, sample counts and proposals (the weights are those of the full one)
SMALL = ["--num-points", "256", "--votenet-npoints", "32", "16", "8", "4", "--num-proposals", "8", "--batch-size", "2",
         "--seeds", "0", "--label-fraction", "1", "--val-fraction", "0.2", "--eval-every", "1", "--num-workers", "0",
         "--no-progress"]

pytestmark = pytest.mark.usefixtures("one_thread")


def votenet_encoder_checkpoint(path):
    """A VoteNet backbone in STRL's transformed layout (``{"model_state_dict": {"backbone_net.*"}}``)."""
    torch.manual_seed(0)
    state = {"backbone_net." + k: v for k, v in VoteNetBackbone().state_dict().items()}
    torch.save({"model_state_dict": state}, path)
    return str(path)


def one_line_error(capsys, argv, *names):
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(str(n) in err for n in names), err
    return err


@pytest.mark.slow
def test_scannet_end_to_end_score_and_export(tmp_path, capsys):
    root = write_scannet(tmp_path / "scannet", np.random.default_rng(0), train=TRAIN, val=("scene0003_00",))
    ckpt = votenet_encoder_checkpoint(tmp_path / "encoder.pth")
    argv = ["finetune", "detect", ckpt, "--preset", "votenet-scannet", "--dataset", "scannet", "--root", str(root),
            *SMALL, "--epochs", "2", "--lr-decay-epochs", "1", "--out-dir", str(tmp_path), "--name", "run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "detect on scannet: 3 training scenes, 1 test scenes (val split)" in out and "no height channel" in out
    assert "per-class AP" in out and "chair" in out
    folder = tmp_path / "run"
    m = json.loads((folder / "metrics.json").read_text())
    for key in ("map_25", "map_50", "map_25_scratch", "map_50_scratch", "map_25_last", "map_25_best_on_test"):
        assert 0.0 <= m[key] <= 1.0, key
    assert set(m["ap_25"]) == set(SCANNET.class_names) and 0.0 <= m["ap_50_scratch"]["chair"] <= 1.0
    assert yaml.safe_load((folder / "config.yaml").read_text())["lr_decay_epochs"] == [1]

    # strl score detect recomputes the first pre-trained run's test score from predictions.npz
    preds = np.load(folder / "predictions.npz")
    assert set(preds["gt_scene"].tolist()) == {"scene0003_00"} and preds["pred_boxes"].shape[1] == 7
    assert main(["score", "detect", str(folder / "predictions.npz"), "--json", str(tmp_path / "score.json")]) == 0
    assert "AP@0.25" in capsys.readouterr().out
    assert json.loads((tmp_path / "score.json").read_text())["map_25"] == pytest.approx(m["map_25_per_seed"][0])

    # the fine-tuned model exports as VoteNet's checkpoint.tar and loads into VoteNet's default model
    best = folder / "checkpoints" / "pretrained-frac1-seed0" / "best.ckpt"
    assert main(["export", str(best), str(tmp_path / "checkpoint.tar")]) == 0
    capsys.readouterr()
    exported = torch.load(tmp_path / "checkpoint.tar", weights_only=True)
    assert set(exported) == {"model_state_dict", "optimizer_state_dict", "epoch"} and exported["epoch"] == 0
    net = VoteNet(SCANNET)
    net.load_state_dict(exported["model_state_dict"])  # strict
    torch.optim.Adam(net.parameters(), lr=1e-3).load_state_dict(exported["optimizer_state_dict"])
    trained = torch.load(best, weights_only=True)["state_dict"]
    assert torch.equal(net.pnet.conv3.weight, trained["model.pnet.conv3.weight"])
    assert torch.equal(net.backbone_net.sa1.mlp_module.layer0.conv.weight,
                       trained["model.encoder.sa1.mlp_module.layer0.conv.weight"])


@pytest.mark.slow
def test_builtin_rooms_with_the_preset_that_follows_a_votenet_checkpoint(tmp_path, capsys):
    ckpt = votenet_encoder_checkpoint(tmp_path / "encoder.pth")
    argv = ["finetune", "detect", ckpt, "--builtin-size", "small", "--cache-dir", str(tmp_path / "cache"), *SMALL,
            "--epochs", "1", "--out-dir", str(tmp_path), "--name", "rooms"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "detect on builtin-rooms: 3 training scenes, 2 test scenes (test split)" in out
    folder = tmp_path / "rooms"
    assert yaml.safe_load((folder / "config.yaml").read_text())["preset"] == "rooms-votenet"
    preds = np.load(folder / "predictions.npz")
    assert set(preds["gt_scene"].tolist()) == {"test0000", "test0001"}
    assert preds["class_names"].tolist()[:3] == ["bed", "table", "sofa"]
    m = json.loads((folder / "metrics.json").read_text())
    assert 0.0 <= m["map_25"] <= 1.0 and 0.0 <= m["map_25_scratch"] <= 1.0


def test_a_missing_split_file_stops_with_one_line_naming_it(tmp_path, capsys):
    root = write_scannet(tmp_path / "scannet", np.random.default_rng(1))
    os.remove(root / "meta_data" / "scannetv2_val.txt")
    one_line_error(capsys, ["finetune", "detect", "--scratch", "--dataset", "scannet", "--root", root, *SMALL,
                            "--out-dir", tmp_path], "scannetv2_val.txt", "split file not found")


def test_a_box_with_a_non_positive_size_stops_with_one_line_naming_its_file(tmp_path, capsys):
    root = write_scannet(tmp_path / "scannet", np.random.default_rng(2), train=TRAIN)
    for name in TRAIN:
        bbox_path = root / "scannet_train_detection_data" / f"{name}_bbox.npy"
        bbox = np.load(bbox_path)
        bbox[0, 4] = 0.0
        np.save(bbox_path, bbox)
    one_line_error(capsys, ["finetune", "detect", "--scratch", "--dataset", "scannet", "--root", root, *SMALL,
                            "--epochs", "1", "--out-dir", tmp_path], "_bbox.npy", "non-positive sizes")


def test_score_detect_refuses_mismatched_lengths_with_one_line_naming_the_file(tmp_path, capsys):
    path = tmp_path / "preds.npz"
    box = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.0]
    np.savez(path, pred_boxes=np.array([box, box]), pred_class=np.array([0, 0]), pred_score=np.array([0.5]),
             pred_scene=np.array([0, 0]), gt_boxes=np.array([box]), gt_class=np.array([0]), gt_scene=np.array([0]))
    one_line_error(capsys, ["score", "detect", path], path, "differ in length")
