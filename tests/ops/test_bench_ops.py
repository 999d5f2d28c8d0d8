"""Smoke test of benchmarks/bench_ops.py so the script keeps working."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ops.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_ops", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_run_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    load_bench().main(["--sizes", "small", "--devices", "cpu", "--ops", "ball_query,gather_points",
                       "--repeat", "1", "--json", str(out)])
    results = json.loads(out.read_text())["results"]
    assert [r["op"] for r in results] == ["ball_query", "gather_points"]
    assert all(r["fast_s"] > 0 and r["loop_s"] > 0 and r["speedup"] > 0 for r in results)
    assert "ball_query" in capsys.readouterr().out


def test_unknown_size_is_rejected():
    with pytest.raises(SystemExit):
        load_bench().main(["--sizes", "huge"])
