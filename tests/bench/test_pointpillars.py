"""``strl bench --preset pointpillars-...``: pillarisation, detector and pre-training steps, as JSON."""

import json

import pytest
import torch

from strl.bench.pointpillars import SWEEP_POINTS, lidar_sweep
from strl.cli import bench
from strl.errors import ConfigError


def _args(argv):
    import argparse

    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(argv)


def test_pointpillars_presets_route_to_the_pillar_benchmark():
    assert bench.pointpillars_presets("pointpillars-kitti") == ("pointpillars-kitti", "pointpillars-kitti-seq")
    assert bench.pointpillars_presets("pointpillars-streets") == ("pointpillars-laptop", "pointpillars-streets")
    assert bench.pointpillars_presets("dgcnn-cls") is None and bench.pointpillars_presets(None) is None
    with pytest.raises(ConfigError, match="--steps must be at least 1"):
        bench.run(_args(["--preset", "pointpillars-kitti", "--steps", "0"]))
    with pytest.raises(ConfigError, match="at least 2 pairs"):
        bench.run(_args(["--preset", "pointpillars-laptop", "--batch-size", "1"]))


def test_synthetic_sweep_is_kitti_sized():
    sweep = lidar_sweep(SWEEP_POINTS, torch.Generator().manual_seed(0))
    in_range = (sweep[:, 0] >= 0) & (sweep[:, 0] < 69.12) & (sweep[:, 1].abs() < 39.68) & (sweep[:, 2] >= -3) & (sweep[:, 2] < 1)
    assert sweep.shape == (SWEEP_POINTS, 4) and 40_000 < int(in_range.sum()) < 65_000


@pytest.mark.slow
def test_tiny_pointpillars_benchmark_writes_all_fields(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["--preset", "pointpillars-laptop", "--batch-size", "2", "--points", "2048", "--steps", "1", "--warmup", "0",
            "--threads", "1", "--json", str(out)]
    assert bench.run(_args(argv)) == 0
    assert "pairs/s" in capsys.readouterr().out
    r = json.loads(out.read_text())
    for key in ("train_samples_per_s", "inference_samples_per_s", "pretrain_pairs_per_s", "train_step_cpu_seconds"):
        assert r[key] > 0, key
    assert r["pretrain_points_per_view"] == 2048 and r["settings"]["grid"] == [128, 128]
    rows = {(row["sweep"], row["mode"]): row for row in r["pillarize"]}
    assert set(rows) == {(s, m) for s in ("lidar", "uniform") for m in ("train", "test")}
    assert rows[("uniform", "train")]["pillars"] == 6000 and rows[("uniform", "test")]["pillars"] == 10000  # the limits
    assert all(row["ms"] > 0 and row["points"] == SWEEP_POINTS for row in rows.values())
    assert r["pillarize_threads"] == 1 and r["machine"]["torch_version"] == torch.__version__
