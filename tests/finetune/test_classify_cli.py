"""``strl finetune classify`` end to end on the small built-in data, then predict, score and export."""

import json
import os
import sys

import numpy as np
import pytest
import torch

from strl.cli.main import main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "checkpoints"))
from downstream_models import PointNetCls  # noqa: E402

TINY = ["--builtin-size", "small", "--num-points", "128", "--batch-size", "8", "--epochs", "2", "--seeds", "0", "1",
        "--label-fraction", "0.8", "--val-fraction", "0.25", "--no-progress"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ft")
    from strl.backbones.pointnet import PointNet

    torch.manual_seed(0)
    ckpt = tmp / "transformed.ckpt"
    torch.save({"state_dict": PointNet(emb_dims=64).state_dict()}, ckpt)
    argv = ["finetune", "classify", str(ckpt), *TINY, "--cache-dir", str(tmp / "cache"), "--out-dir", str(tmp), "--name", "run"]
    return tmp, ckpt, argv


@pytest.mark.slow
def test_finetune_writes_the_run_folder_and_the_honest_summary(finished, capsys):
    tmp, _, argv = finished
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    folder = tmp / "run"
    assert out[-1] == str(folder / "metrics.json")
    assert any("best on test (*)" in line for line in out) and any("optimistic protocol" in line for line in out)
    m = json.loads((folder / "metrics.json").read_text())
    for key in ("overall_accuracy", "overall_accuracy_std", "mean_class_accuracy", "overall_accuracy_scratch",
                "overall_accuracy_scratch_std", "mean_class_accuracy_scratch", "overall_accuracy_best_on_test",
                "overall_accuracy_last"):
        assert 0.0 <= m[key] <= 1.0, key
    assert m["seeds"] == [0, 1] and m["label_fraction"] == 0.8 and m["seconds"] > 0 and m["task"] == "classify"
    for suffix in ("", "_scratch"):  # the selected epoch's test score never beats the best test score over epochs
        sel, best = m[f"overall_accuracy{suffix}_per_seed"], m[f"overall_accuracy_best_on_test{suffix}_per_seed"]
        assert all(s <= b for s, b in zip(sel, best)) and len(sel) == 2
        assert m[f"overall_accuracy{suffix}"] == pytest.approx(np.mean(sel))
        assert m[f"overall_accuracy{suffix}_std"] == pytest.approx(np.std(sel))
    for name in ("config.yaml", "curves.png", "confusion.png", "predictions.npz", "logs/metrics.csv"):
        assert (folder / name).is_file(), name
    for run in ("pretrained-frac0.8-seed0", "scratch-frac0.8-seed1"):
        assert (folder / "checkpoints" / run / "best.ckpt").is_file() and (folder / "checkpoints" / run / "last.ckpt").is_file()
    rows = (folder / "logs" / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("label_fraction,init,seed,epoch") and len(rows) == 1 + 4 * 2  # 4 runs x 2 epochs

    # strl score recomputes the first pre-trained run's test score from predictions.npz
    assert main(["score", "classify", str(folder / "predictions.npz"), "--json", str(tmp / "score.json")]) == 0
    capsys.readouterr()
    scored = json.loads((tmp / "score.json").read_text())
    assert scored["overall_accuracy"] == pytest.approx(m["overall_accuracy_per_seed"][0])


@pytest.mark.slow
def test_predict_and_export_of_a_finetuned_model_agree_with_the_reference_structure(finished, capsys):
    tmp, _, _ = finished
    best = tmp / "run" / "checkpoints" / "pretrained-frac0.8-seed0" / "best.ckpt"
    clouds = np.random.default_rng(0).normal(size=(5, 128, 3)).astype(np.float32) * [1.0, 0.5, 2.0]
    np.save(tmp / "clouds.npy", clouds.astype(np.float32))
    assert main(["predict", str(best), str(tmp / "clouds.npy"), str(tmp / "logits.npy"), "--no-progress"]) == 0
    logits = np.load(tmp / "logits.npy")
    assert logits.shape == (5, 14)
    assert main(["export", str(best), str(tmp / "cls.pth")]) == 0
    capsys.readouterr()
    reference = PointNetCls(emb_dims=64, classes=14)
    state = torch.load(tmp / "cls.pth", weights_only=True)["state_dict"]
    reference.load_state_dict(state, strict=True)
    from strl.evaluate.features import normalize_unit_sphere

    x = torch.from_numpy(np.stack([normalize_unit_sphere(c) for c in clouds]).astype(np.float32)).transpose(1, 2)
    with torch.no_grad():
        expected = reference.eval()(x).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_bad_inputs_stop_with_one_line(finished, tmp_path, capsys):
    tmp, ckpt, argv = finished
    cases = [
        (["finetune", "classify", str(ckpt), "--label-fraction", "1.5"], "every label fraction must be in (0, 1]"),
        (["finetune", "classify", str(ckpt), "--label-fraction", "0"], "every label fraction must be in (0, 1]"),
        (["finetune", "classify"], "give a pre-trained CHECKPOINT, or --scratch"),
        (["finetune", "partseg", str(ckpt), "--root", str(tmp_path)], "holds a pointnet encoder; partseg fine-tuning takes dgcnn-partseg"),
        (["predict", str(ckpt), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")], "is not a fine-tuned model"),
        (["finetune", "classify", str(tmp_path / "none.ckpt")], "no such checkpoint file"),
    ]
    np.save(tmp_path / "x.npy", np.zeros((2, 64, 3), np.float32))
    for args, message in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        last = err.strip().splitlines()[-1]
        assert message in last and last.startswith("strl ") and "Traceback" not in err, (args, err)
