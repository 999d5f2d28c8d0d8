"""A bad file met by a DataLoader worker during ``strl pretrain``: one line and exit 2, or skipped."""

import json

import numpy as np
import pytest

from strl.cli.main import main

FAST = ["--num-workers", "1", "--num-points", "64", "--batch-size", "4", "--window", "0", "--emb-dims", "32",
        "--hidden-dim", "32", "--proj-dim", "16", "--probe", "none", "--no-final-eval", "--no-progress",
        "--accelerator", "cpu"]


@pytest.fixture
def clouds(tmp_path):
    """Eight .npy clouds; c3.npy holds a NaN."""
    rng = np.random.default_rng(0)
    root = tmp_path / "clouds"
    root.mkdir()
    for i in range(8):
        points = rng.normal(size=(100, 3)).astype(np.float32)
        if i == 3:
            points[5, 1] = np.nan
        np.save(root / f"c{i}.npy", points)
    return root


def pretrain(tmp_path, clouds, *extra):
    return main(["pretrain", "--dataset", "folder", "--root", str(clouds), "--out-dir", str(tmp_path / "runs"),
                 "--name", "r", *FAST, *extra])


@pytest.mark.slow
def test_a_bad_file_in_a_worker_stops_with_one_line_naming_it(tmp_path, clouds, capsys):
    assert pretrain(tmp_path, clouds, "--epochs", "1") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "DataLoader worker" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == f"strl pretrain: error: {clouds / 'c3.npy'}: cloud has 1 point(s) with NaN or inf coordinates"


@pytest.mark.slow
def test_skip_replaces_the_bad_sample_logs_it_once_and_counts_it(tmp_path, clouds, capsys):
    assert pretrain(tmp_path, clouds, "--epochs", "2", "--on-bad-sample", "skip", "--max-bad-fraction", "0.2") == 0
    err = capsys.readouterr().err
    assert err.count("c3.npy") == 1 and "NaN" in err  # logged once, with its file and problem
    metrics = json.loads((tmp_path / "runs" / "r" / "metrics.json").read_text())
    assert metrics["skipped_samples"] == 2  # item 3 in each of the two epochs
    logged = (tmp_path / "runs" / "r" / "logs" / "metrics.csv").read_text().splitlines()
    column = logged[0].split(",").index("train/skipped_samples")
    assert [row.split(",")[column] for row in logged[1:] if row.split(",")[column]] == ["1.0", "2.0"]


@pytest.mark.slow
def test_skip_stops_anyway_when_too_many_samples_are_bad(tmp_path, clouds, capsys):
    assert pretrain(tmp_path, clouds, "--epochs", "1", "--on-bad-sample", "skip", "--max-bad-fraction", "0.1") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("strl pretrain: error: ") and "c3.npy" in last and "--max-bad-fraction 0.1" in last
