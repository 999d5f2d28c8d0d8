"""``strl finetune detect`` with PointPillars: built-in streets and a hand-written KITTI object folder,
metrics.json in the devkit's structure, result files that ``strl score kitti`` rescores, the export
for OpenPCDet, and bad input stopping with one line."""

import json
import os
import sys

import pytest
import torch

from strl.cli.main import main
from strl.metrics.detection_predictions import read_detection_predictions

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "tasks"))
sys.path.insert(0, os.path.join(HERE, "..", "detection", "pointpillars"))
from outdoor_fixtures import KITTI_LAYERS_SMALL_GRID, TINY, write_encoder_checkpoint, write_kitti_object  # noqa: E402
from pointpillars_helpers import openpcdet_keys  # noqa: E402

pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.filterwarnings("ignore:.*isinstance\\(treespec, LeafSpec\\)")]

QUICK = ["--epochs", "1", "--seeds", "0", "--label-fraction", "1", "--batch-size", "2", "--no-progress", "--num-workers", "0"]


@pytest.mark.slow
def test_streets_metrics_rescored_results_and_the_openpcdet_export(tmp_path, capsys):
    ckpt = write_encoder_checkpoint(tmp_path / "enc.ckpt", "pointpillars-kitti", **KITTI_LAYERS_SMALL_GRID)
    argv = ["finetune", "detect", str(ckpt), "--preset", "pointpillars-streets", "--builtin-size", "small",
            "--cache-dir", str(tmp_path / "cache"), "--out-dir", str(tmp_path), "--name", "run", *QUICK]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "KITTI AP (%), pre-trained" in out and "KITTI AP (%), scratch" in out and "rescore: strl score kitti" in out
    run = tmp_path / "run"
    m = json.loads((run / "metrics.json").read_text())
    for cls in ("Car", "Pedestrian", "Cyclist", "mean"):
        for key in ("3d_R40", "3d_R11", "bev_R40", "bev_R11"):
            for form in ("", "_std", "_scratch", "_scratch_std", "_last", "_best_on_test"):
                row = m[cls][key + form]
                assert len(row) == 3 and all(0.0 <= v <= 100.0 for v in row), (cls, key + form)
        assert len(m[cls]["3d_R40_per_seed"]) == 1
    assert not any(k.count("/") == 2 for k in m) and "Car" in m["by_label_fraction"]["1"]
    assert "mean/3d_R40/moderate" in m["selection"]
    results = m["kitti_results"]
    assert sorted(os.listdir(results["folder"])) == ["000004.txt", "000005.txt"]  # the small streets' test frames
    command = results["command"].split()
    assert main([*command[1:], "--json", str(tmp_path / "scores.json")]) == 0
    rescored = json.loads((tmp_path / "scores.json").read_text())
    for cls, table in rescored.items():
        for key, row in table.items():
            assert row == pytest.approx(results["scores"][cls][key], abs=1e-4), (cls, key)
    preds = read_detection_predictions(run / "predictions.npz")
    assert preds["class_names"] == ["Car", "Pedestrian", "Cyclist"] and len(preds["gt_boxes"]) > 0
    best = run / "checkpoints" / "pretrained-frac1-seed0" / "best.ckpt"
    assert main(["export", str(best), str(tmp_path / "pointpillar.pth")]) == 0
    state = torch.load(tmp_path / "pointpillar.pth", weights_only=True)["model_state"]
    assert {k: tuple(v.shape) for k, v in state.items()} == openpcdet_keys() and list(state) == list(openpcdet_keys())
    trained = torch.load(best, weights_only=True)["state_dict"]
    assert torch.equal(state["dense_head.conv_box.weight"], trained["model.dense_head.conv_box.weight"])


@pytest.mark.slow
def test_kitti_object_folder_end_to_end(tmp_path, capsys):
    root = write_kitti_object(tmp_path / "kitti", ["000000", "000001", "000002"], ["000003", "000004"])
    ckpt = write_encoder_checkpoint(tmp_path / "enc.ckpt", **TINY)
    assert main(["finetune", "detect", str(ckpt), "--dataset", "kitti", "--root", str(root), "--val-fraction", "0.3",
                 "--out-dir", str(tmp_path), "--name", "k", *QUICK]) == 0
    m = json.loads((tmp_path / "k" / "metrics.json").read_text())
    assert m["settings"]["dataset"] == "kitti" and len(m["Car"]["3d_R40"]) == 3
    assert sorted(os.listdir(m["kitti_results"]["folder"])) == ["000003.txt", "000004.txt"]
    assert m["kitti_results"]["command"].endswith(f"--split {root / 'ImageSets' / 'val.txt'}")
    capsys.readouterr()


def break_label(root):
    (root / "training" / "label_2" / "000001.txt").write_text("Car 0.00 0 1.85 387.63 181.54 423.81 203.12 1.67 1.87 3.69 -16.53 2.39 58.49\n")
    return "training/label_2/000001.txt: line 1: 14 values, expected 15"


def break_calib(root):
    path = root / "training" / "calib" / "000002.txt"
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if not line.startswith("P2:")))
    return "training/calib/000002.txt"


def break_split(root):
    (root / "ImageSets" / "train.txt").write_text("000000\n000001\n000007")
    return "ImageSets/train.txt: 1 frame id(s) without their files"


@pytest.mark.parametrize("damage", [break_label, break_calib, break_split])
def test_bad_kitti_input_stops_with_one_line_naming_the_file(tmp_path, capsys, damage):
    root = write_kitti_object(tmp_path / "kitti", ["000000", "000001", "000002"], ["000003"])
    ckpt = write_encoder_checkpoint(tmp_path / "enc.ckpt", **TINY)
    where = damage(root)
    assert main(["finetune", "detect", str(ckpt), "--dataset", "kitti", "--root", str(root),
                 "--out-dir", str(tmp_path), "--name", "bad", *QUICK]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("strl ")]
    assert len(errors) == 1 and errors[0].startswith("strl finetune: error: ") and where in errors[0], err
    assert "Traceback" not in err and errors[0] == err.strip().splitlines()[-1]
    if damage is break_calib:
        assert "P2" in errors[0]
