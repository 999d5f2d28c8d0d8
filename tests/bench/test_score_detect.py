import numpy as np

from strl.bench.score_detect import synthesise_detections, time_score_detect


def test_synthesised_inputs_emit_each_proposal_once_per_class():
    data = synthesise_detections(scenes=2, proposals=5, classes=3, gt_per_scene=(2, 4), seed=1)
    assert data["pred_boxes"].shape == (2 * 5 * 3, 7)
    assert 4 <= data["gt_boxes"].shape[0] <= 8
    first = data["pred_scene"] == "scene0000_00"
    boxes, classes = data["pred_boxes"][first], data["pred_class"][first]
    assert np.array_equal(boxes[classes == 0], boxes[classes == 2])
    assert (data["pred_boxes"][:, 3:6] > 0).all()


def test_time_score_detect_small_run_agrees():
    out = time_score_detect(scenes=3, proposals=8, classes=3, gt_per_scene=(2, 4))
    assert out["max_ap_diff"] < 1e-9
    assert out["num_predictions"] == 3 * 8 * 3
    assert out["strl_s"] > 0 and out["reference_s"] > 0 and out["speedup"] > 0


def test_bench_task_score_detect_prints_and_writes_the_comparison(tmp_path, capsys, monkeypatch):
    import json

    import strl.bench.score_detect as score_detect
    from strl.cli.main import main

    full = score_detect.time_score_detect
    monkeypatch.setattr(score_detect, "time_score_detect",
                        lambda repeats=1: full(scenes=2, proposals=4, classes=3, gt_per_scene=(1, 3), repeats=repeats))
    assert main(["bench", "--task", "score-detect", "--steps", "1", "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "score-detect: 24 detections" in out and "VoteNet's evaluator" in out and "largest AP difference" in out
    assert json.loads((tmp_path / "b.json").read_text())["num_predictions"] == 24
