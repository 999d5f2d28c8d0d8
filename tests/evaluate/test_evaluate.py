import numpy as np
import pytest
import torch

from strl.evaluate.classifiers import few_label_svm_accuracy, knn_accuracy, label_subset, svm_accuracy
from strl.evaluate.features import extract_features, features_of_arrays, prepare_cloud


class Clouds:
    def __init__(self, arrays, labels):
        self.arrays, self.labels, self.class_names = arrays, np.asarray(labels), None

    def __len__(self):
        return len(self.arrays)

    def __getitem__(self, i):
        return self.arrays[i]


def test_prepare_cloud_takes_the_first_points_and_normalises():
    pts = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32) * 5 + 3
    out = prepare_cloud(pts, 64)
    ref = pts[:64] - pts[:64].mean(0)
    np.testing.assert_allclose(out, ref / np.linalg.norm(ref, axis=1).max(), rtol=1e-5, atol=1e-6)
    assert prepare_cloud(pts[:10], 25).shape == (25, 3)  # fewer points are repeated


def test_extract_features_uses_eval_mode_and_restores_training():
    enc = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.BatchNorm1d(24))
    enc.train()
    clouds = Clouds([np.random.default_rng(i).normal(size=(8, 3)).astype(np.float32) for i in range(5)], range(5))
    feats = extract_features(enc, clouds, num_points=8, batch_size=2, progress=False)
    assert feats.shape == (5, 24) and enc.training
    np.testing.assert_allclose(feats[0], prepare_cloud(clouds[0], 8).reshape(-1), rtol=1e-4, atol=1e-4)  # BN at init, eval
    raw = features_of_arrays(enc, np.stack(clouds.arrays), batch_size=3, progress=False)
    np.testing.assert_allclose(raw[1], clouds[1].reshape(-1), rtol=1e-4, atol=1e-4)


def separable(seed=0, n=40):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 5)) + 3 * y[:, None]
    return x, y


def test_svm_protocols_on_separable_features():
    x, y = separable()
    xt, yt = separable(1)
    assert svm_accuracy(x, y, xt, yt)["accuracy"] == 1.0
    # scale-invariance of the standardised protocol: tiny features still separate
    res = svm_accuracy(1e-4 * x, y, 1e-4 * xt, yt, standardize=True, cv_c=True)
    assert res["accuracy"] == 1.0 and res["C"] in (0.01, 0.1, 1.0, 10.0)
    few = few_label_svm_accuracy(x, y, xt, yt, per_class=2, draws=3)
    assert 0.5 <= few["accuracy"] <= 1.0 and few["draws"] == 3
    assert knn_accuracy(x, y, xt, yt, k=3) == 1.0


def test_label_subset_is_seeded_and_per_class():
    y = np.repeat(np.arange(3), 10)
    a, b = label_subset(y, 4, seed=1), label_subset(y, 4, seed=1)
    assert np.array_equal(a, b) and np.bincount(y[a]).tolist() == [4, 4, 4]
    assert not np.array_equal(a, label_subset(y, 4, seed=2))


def test_label_subset_by_fraction_keeps_at_least_one_of_each_class():
    y = np.array([0] * 10 + [1] * 3 + [2] * 1)
    picked = label_subset(y, fraction=0.25, seed=3)
    assert np.bincount(y[picked]).tolist() == [3, 1, 1]  # ceil(0.25 n), at least 1
    assert np.array_equal(picked, np.sort(picked)) and len(set(picked)) == len(picked)
    assert np.array_equal(label_subset(y, fraction=1.0, seed=3), np.arange(len(y)))
    with pytest.raises(ValueError):
        label_subset(y, 2, fraction=0.5, seed=0)


@pytest.mark.slow
def test_evaluate_few_shot_episodes_through_the_cli(tmp_path, capsys):
    import json

    import torch

    from strl.backbones.pointnet import PointNet
    from strl.cli.main import main

    torch.manual_seed(0)
    torch.save({"state_dict": PointNet(emb_dims=32).state_dict()}, tmp_path / "pn.ckpt")
    argv = ["evaluate", str(tmp_path / "pn.ckpt"), "--dataset", "builtin", "--builtin-size", "small", "--num-points", "64",
            "--cache-dir", str(tmp_path / "cache"), "--few-shot", "5,2", "3,1", "--episodes", "3", "--queries", "2",
            "--no-progress", "--json", str(tmp_path / "r.json")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "5-way 2-shot" in out and "CrossPoint protocol" in out
    shots = json.loads((tmp_path / "r.json").read_text())["few_shot"]
    assert set(shots) == {"5way_2shot", "3way_1shot"}
    assert len(shots["5way_2shot"]["accuracies"]) == 3 and 0 <= shots["5way_2shot"]["mean"] <= 1
    assert main(argv[:-2] + ["--few-shot", "1,5"]) == 2
    assert "WAYS,SHOTS with WAYS >= 2" in capsys.readouterr().err
