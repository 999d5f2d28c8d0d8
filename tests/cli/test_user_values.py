"""Values a user can reach are checked where settings resolve: one line, exit status 2, no work lost."""

import json

import numpy as np
import pytest
import torch

from strl.cli.main import main


@pytest.fixture
def checkpoint(tmp_path):
    from strl.backbones.pointnet import PointNet

    torch.manual_seed(0)
    path = tmp_path / "pn.ckpt"
    torch.save({"state_dict": PointNet(emb_dims=32).state_dict()}, path)
    return path


def last_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv, message", [
    (["pretrain", "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["pretrain", "--devices", "0,1", "--accelerator", "cpu", "--builtin-size", "small", "--epochs", "1"],
     "--devices 0,1 names GPU indices, but the run is on the CPU"),
    (["pretrain", "--backbone", "dgcnn", "--num-points", "30"], "k = 40 needs more points than neighbours"),
])
def test_pretrain_values(tmp_path, capsys, argv, message):
    assert main([*argv, "--out-dir", str(tmp_path / "runs"), "--no-progress"]) == 2
    assert message in last_error_line(capsys)


def test_an_output_folder_that_cannot_be_created_is_refused_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["pretrain", "--out-dir", str(blocker / "runs"), "--builtin-size", "small", "--no-progress"]) == 2
    line = last_error_line(capsys)
    assert str(blocker / "runs") in line and "cannot create the folder" in line


def test_evaluate_json_in_a_missing_folder_is_refused_before_the_features(tmp_path, capsys, checkpoint):
    missing = tmp_path / "nope" / "r.json"
    assert main(["evaluate", str(checkpoint), "--dataset", "builtin", "--json", str(missing)]) == 2
    line = last_error_line(capsys)
    assert "--json" in line and str(missing) in line and "does not exist" in line


def test_embed_output_in_a_missing_folder_is_refused_and_results_survive_a_failed_write(tmp_path, capsys, checkpoint,
                                                                                         monkeypatch):
    clouds = np.random.default_rng(0).normal(size=(3, 64, 3)).astype(np.float32)
    np.save(tmp_path / "in.npy", clouds)
    assert main(["embed", str(checkpoint), str(tmp_path / "in.npy"), str(tmp_path / "no" / "out.npy")]) == 2
    assert "OUTPUT" in last_error_line(capsys)

    # the folder is fine when checked but the write fails: the features go to a temporary file, named
    import strl.cli.embed as embed

    real_save = np.save

    def failing_save(path, array):
        if str(path).endswith("out.npy"):
            raise OSError(28, "No space left on device")
        real_save(path, array)

    monkeypatch.setattr(embed.np, "save", failing_save)
    assert main(["embed", str(checkpoint), str(tmp_path / "in.npy"), str(tmp_path / "out.npy"), "--no-progress"]) == 0
    captured = capsys.readouterr()
    fallback = captured.err.strip().split("the features are in ")[-1]
    assert np.load(fallback).shape == (3, 32) and "No space left on device" in captured.err


def test_embed_clouds_with_fewer_points_than_k_name_the_input(tmp_path, capsys):
    from strl.backbones.dgcnn import DGCNN

    torch.save({"state_dict": DGCNN(k=20, emb_dims=32).state_dict()}, tmp_path / "dg.ckpt")
    np.save(tmp_path / "few.npy", np.zeros((2, 10, 3), np.float32))
    assert main(["embed", str(tmp_path / "dg.ckpt"), str(tmp_path / "few.npy"), str(tmp_path / "o.npy"),
                 "--k", "20"]) == 2
    line = last_error_line(capsys)
    assert "few.npy" in line and "too few for the encoder's k = 20" in line


def test_write_json_result_keeps_the_result_when_the_path_fails(tmp_path, capsys):
    from strl.cli.outputs import write_json_result

    written = write_json_result({"accuracy": 0.5}, str(tmp_path / "missing" / "r.json"))
    assert json.loads(open(written).read()) == {"accuracy": 0.5}
    assert written in capsys.readouterr().err
