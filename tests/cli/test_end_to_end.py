"""A tiny pre-train -> evaluate -> export -> embed round trip through the command line."""

import json

import numpy as np
import pytest
import torch

from strl.cli.main import main

TINY = ["--builtin-size", "small", "--batch-size", "8", "--num-points", "128", "--eval-points", "128",
        "--emb-dims", "64", "--hidden-dim", "64", "--proj-dim", "32", "--num-workers", "0", "--no-progress"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    cache = str(tmp / "cache")
    return tmp, cache


@pytest.mark.slow
def test_pretrain_evaluate_export_embed(run, capsys):
    tmp, cache = run
    argv = ["pretrain", *TINY, "--epochs", "2", "--probe-every", "1", "--cache-dir", cache, "--out-dir", str(tmp), "--name", "r"]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    metrics_path = tmp / "r" / "metrics.json"
    assert out[-1] == str(metrics_path)
    metrics = json.loads(metrics_path.read_text())
    for key in ("svm_accuracy", "svm_accuracy_random_init", "svm_accuracy_paper", "svm_accuracy_random_init_paper",
                "svm_accuracy_few", "svm_accuracy_few_random_init"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["seconds"] > 0 and metrics["settings"]["epochs"] == 2
    assert (tmp / "r" / "training.png").stat().st_size > 1000
    ckpt = tmp / "r" / "checkpoints" / "last.ckpt"
    assert ckpt.exists()
    raw = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert raw["strl"]["encoder"]["backbone"] == "pointnet" and raw["strl"]["format_version"] == 1
    history = next(v for k, v in raw["callbacks"].items() if "CurvePlot" in k)["history"]
    assert history["probe_epoch"] == [0, 1, 2] and history["epoch"] == [1, 2]  # 0: the initial random weights
    assert all(0.0 <= a <= 1.0 for a in history["probe"])

    res = tmp / "eval.json"
    assert main(["evaluate", str(ckpt), "--dataset", "builtin", "--builtin-size", "small", "--cache-dir", cache,
                 "--num-points", "128", "--standardize", "--json", str(res), "--no-progress"]) == 0
    result = json.loads(res.read_text())
    assert 0.0 <= result["accuracy"] <= 1.0 and result["encoder"]["emb_dims"] == 64
    # the standardised SVM on the same features is what pre-training reported
    assert result["accuracy"] == pytest.approx(metrics["svm_accuracy"])

    exported = tmp / "enc.pth"
    assert main(["export", str(ckpt), str(exported)]) == 0
    assert list(torch.load(exported, weights_only=True)["state_dict"])[:2] == ["conv1.weight", "conv2.weight"]

    clouds = np.random.default_rng(0).normal(size=(5, 100, 3)).astype(np.float32)
    np.save(tmp / "in.npy", clouds)
    for source in (ckpt, exported, tmp / "enc.safetensors"):
        assert main(["embed", str(source), str(tmp / "in.npy"), str(tmp / "out.npy"), "--no-progress"]) == 0
        feats = np.load(tmp / "out.npy")
        assert feats.shape == (5, 64) and np.isfinite(feats).all()
        if source == ckpt:
            first = feats
        np.testing.assert_allclose(feats, first, rtol=1e-5, atol=1e-6)


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 3)))
    ckpt = tmp_path / "pn.ckpt"
    from strl.backbones.pointnet import PointNet

    torch.save({"state_dict": PointNet().state_dict()}, ckpt)
    assert main(["embed", str(ckpt), str(bad), str(tmp_path / "o.npy")]) == 2
    err = capsys.readouterr().err
    assert "bad.npy" in err and "(M, N, 3)" in err and "Traceback" not in err
    assert main(["evaluate", str(tmp_path / "nope.ckpt"), "--dataset", "builtin"]) == 2
    assert "nope.ckpt" in capsys.readouterr().err
    assert main(["evaluate", str(ckpt), "--dataset", "modelnet40", "--root", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(["pretrain", "--backbone", "pointnet++", "--no-final-eval", "--probe", "none", "--out-dir", str(tmp_path)]) == 2
    assert "invalid choice: 'pointnet++'" in capsys.readouterr().err


@pytest.mark.parametrize("backbone", ["dgcnn-semseg", "dgcnn-partseg"])
def test_embed_with_a_scene_encoder_from_a_transformed_checkpoint(tmp_path, backbone):
    from strl.backbones import build_backbone

    torch.manual_seed(0)
    enc = build_backbone(backbone, emb_dims=64).eval()
    torch.save({"state_dict": enc.state_dict()}, tmp_path / "t.ckpt")
    clouds = np.random.default_rng(1).normal(size=(3, 64, 3)).astype(np.float32)
    np.save(tmp_path / "in.npy", clouds)
    assert main(["embed", str(tmp_path / "t.ckpt"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy"),
                 "--backbone", backbone, "--k", "8", "--no-progress"]) == 0
    feats = np.load(tmp_path / "out.npy")
    enc.k = 8
    with torch.no_grad():
        expected = enc(torch.from_numpy(clouds)).numpy()
    np.testing.assert_allclose(feats, expected, rtol=1e-4, atol=1e-5)
