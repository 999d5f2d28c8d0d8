"""The outdoor detector family: splits, training samples, scores as the written KITTI results give them."""

import os
import sys

import numpy as np
import pytest
import torch

from strl.formats.builtin_streets import builtin_streets_object_root
from strl.metrics.kitti import score_kitti_folders
from strl.tasks.detect import DetectSettings
from strl.tasks.detect_outdoor import PRESETS, OutdoorDetectTask, flat_scores, metric_keys, nest_scores, write_result_files
from strl.tasks.outdoor_frames import labelled_frames, road_height

sys.path.insert(0, os.path.dirname(__file__))
from outdoor_fixtures import TINY, write_kitti_object  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def streets(tmp_path_factory):
    """The small built-in streets (4 training and 2 test frames), generated once for this module."""
    return builtin_streets_object_root(0, "small", tmp_path_factory.mktemp("cache"))


def settings(**changes):
    """The laptop preset's settings on the small streets, with ``changes``."""
    return DetectSettings.model_validate({**PRESETS["pointpillars-streets"], "builtin_size": "small", **changes})


def test_scores_flat_for_the_runner_and_nested_as_the_devkit_prints_them():
    results = {"Car": {"3d_R40": [90.0, 80.0, 70.0], "bev_R40": [95.0, 85.0, 75.0]},
               "Pedestrian": {"3d_R40": [50.0, 40.0, 30.0], "bev_R40": [55.0, 45.0, 35.0], "aos_R40": [1.0, 2.0, 3.0]}}
    flat = flat_scores(results)
    assert flat["Car/3d_R40/moderate"] == pytest.approx(0.8) and flat["Pedestrian/aos_R40/hard"] == pytest.approx(0.03)
    assert flat["mean/3d_R40/moderate"] == pytest.approx(0.6) and flat["mean/bev_R40/easy"] == pytest.approx(0.75)
    assert "mean/aos_R40/easy" not in flat  # Car has no aos: no mean of it
    assert set(flat) <= set(metric_keys(["Car", "Pedestrian"]))
    summary = {**flat, "Car/3d_R40/moderate_std": 0.01, "Car/3d_R40/easy_scratch": 0.5,
               "Car/3d_R40/easy_per_seed": [0.9, 0.8], "Car/3d_R40/moderate_per_seed": [0.7, 0.6],
               "Car/3d_R40/hard_per_seed": [0.5, 0.4], "Car/bbox_R40/easy": float("nan"), "selected_epochs": [3, 4]}
    nested = nest_scores(summary)
    assert nested["Car"]["3d_R40"] == [90.0, 80.0, 70.0] and nested["mean"]["3d_R40"] == [70.0, 60.0, 50.0]
    assert nested["Car"]["3d_R40_std"] == [None, 1.0, None] and nested["Car"]["3d_R40_scratch"] == [50.0, None, None]
    assert nested["Car"]["3d_R40_per_seed"] == [[90.0, 70.0, 50.0], [80.0, 60.0, 40.0]]
    assert "bbox_R40" not in nested["Car"] and nested["selected_epochs"] == [3, 4]


def test_labelled_share_is_seeded_and_validation_takes_whole_raw_drives(tmp_path):
    # object frames 000000 (drive 0106), 000001 and 000003 (drive 0001), 000002 (drive 0002): the fixture's mapping
    root = write_kitti_object(tmp_path / "kitti", ["000000", "000001", "000002", "000003"], ["000004", "000005"], mapping=True)
    drive = {"000000": "0106", "000001": "0001", "000003": "0001", "000002": "0002"}
    task = OutdoorDetectTask()
    seen = set()
    for seed in range(10):
        data = task.data(settings(dataset="kitti", root=str(root), val_fraction=0.3), 1.0, seed)
        train_ids = [data.train.split.frame_id(i) for i in range(len(data.train))]
        val_ids = [data.val.frame_id(i) for i in range(len(data.val))]
        assert not {drive[i] for i in train_ids} & {drive[i] for i in val_ids} and val_ids
        assert sorted(train_ids + val_ids) == sorted(drive) and data.info["validation"] == "raw drives"
        seen.add(tuple(val_ids))
        assert [data.test.frame_id(i) for i in range(len(data.test))] == ["000004", "000005"]
    assert len(seen) > 1
    plain = write_kitti_object(tmp_path / "plain", ["000000", "000001", "000002"], ["000003"])
    assert OutdoorDetectTask().data(settings(dataset="kitti", root=str(plain)), 1.0, 0).info["validation"] == "frames"
    assert labelled_frames(100, 0.05, 0).tolist() == labelled_frames(100, 0.05, 0).tolist()
    assert len(labelled_frames(100, 0.05, 0)) == 5 and len(labelled_frames(10, 0.01, 0)) == 2


def test_training_samples_are_seeded_augmented_frames_with_their_boxes(streets):
    data = OutdoorDetectTask().data(settings(cache_dir=str(streets.parent.parent)), 1.0, 0)
    frame = data.train.split
    a, again, other = data.train[(0, 0)], data.train[(0, 0)], data.train[(0, 1)]
    assert torch.equal(a["points"], again["points"]) and not torch.equal(a["points"], other["points"])
    assert a["points"].shape == (len(frame.points(0)), 4) and a["gt_boxes"].shape == (len(frame.meta(0).boxes), 7)
    # the distances between box centres survive a flip and a turn, and scale with the frame
    d_before = torch.cdist(*[torch.from_numpy(frame.meta(0).boxes[:, :2]).double()] * 2)
    d_after = torch.cdist(*[a["gt_boxes"][:, :2].double()] * 2)
    ratio = (d_after.sum() / d_before.sum()).item()
    assert 0.95 <= ratio <= 1.05 and torch.allclose(d_after, d_before * ratio, atol=1e-3)
    plain = OutdoorDetectTask().data(settings(cache_dir=str(streets.parent.parent), pillar_world_augment=False), 1.0, 0)
    sample = plain.train[(1, 0)]
    assert sorted(map(tuple, sample["points"].tolist())) == sorted(map(tuple, plain.train.split.points(1).tolist()))
    batch = data.collate([data.train[(0, 0)], data.train[(1, 0)]])
    assert len(batch["points"]) == 2 and batch["gt_classes"].shape[0] == 2 and (batch["gt_classes"] >= -1).all()


def test_ground_truth_sampling_pastes_objects_of_the_labelled_training_frames(streets):
    task = OutdoorDetectTask()
    data = task.data(settings(cache_dir=str(streets.parent.parent), gt_sampling=True, pillar_world_augment=False), 1.0, 0)
    db = data.train.aug.database
    train_boxes = np.concatenate([data.train.split.meta(i).boxes for i in range(len(data.train))])
    assert 0 < len(db) <= len(train_boxes)
    assert all(np.isclose(train_boxes, b).all(axis=1).any() for b in db.boxes)  # every object from a training frame
    sample = data.train[(0, 0)]
    assert len(sample["gt_boxes"]) > len(data.train.split.meta(0).boxes)


def test_road_height_is_the_streets_road_below_the_lidar(streets):
    data = OutdoorDetectTask().data(settings(cache_dir=str(streets.parent.parent)), 1.0, 0)
    meta = data.test.meta(0)
    centres = np.array([[10.0, 2.0, 0.0], [30.0, -5.0, -1.0]])
    np.testing.assert_allclose(road_height(meta.road_plane, meta.calib)(centres), -1.73, atol=1e-6)


def scored_both_ways(task, data, detections, tmp_path, monkeypatch):
    """The evaluation's metrics with ``detections`` per test frame, and ``strl score kitti``'s of the written files."""
    monkeypatch.setattr(task, "detect", lambda model, split, batch_size, device: detections)
    ev = task.evaluate(None, data.test, settings(), torch.device("cpu"))
    write_result_files(task, data.test, ev.predictions, str(tmp_path / "results"))
    info = data.info
    return ev, flat_scores(score_kitti_folders(tmp_path / "results", info["gt"], info["split"]))


def test_evaluation_scores_are_exactly_those_of_the_written_result_files(streets, tmp_path, monkeypatch):
    task = OutdoorDetectTask()
    data = task.data(settings(cache_dir=str(streets.parent.parent)), 1.0, 0)
    rng = np.random.default_rng(0)
    detections = []
    for i in range(len(data.test)):  # the ground truth, jittered, with random scores, plus a few false boxes
        meta = data.test.meta(i)
        boxes = meta.boxes.astype(np.float64) + rng.normal(0, 0.05, meta.boxes.shape) * [1, 1, 1, 0.2, 0.2, 0.2, 0.2]
        false = boxes[:3] + [4.0, 3.0, 0, 0, 0, 0, 0]
        detections.append((np.concatenate([boxes, false]), rng.random(len(boxes) + len(false)),
                           np.concatenate([meta.classes, meta.classes[:3]])))
    ev, rescored = scored_both_ways(task, data, detections, tmp_path, monkeypatch)
    assert ev.metrics == rescored
    # two frames hold few objects, and the devkit's R40 counts at most one recall position per true positive
    assert all(ev.metrics[f"Car/{m}_R40/hard"] > 0.1 for m in ("3d", "bev", "bbox", "aos"))
    empty = [(np.zeros((0, 7)), np.zeros(0), np.zeros(0, np.int64)) for _ in range(len(data.test))]
    ev, rescored = scored_both_ways(task, data, empty, tmp_path / "none", monkeypatch)
    assert ev.metrics == rescored and ev.metrics["mean/3d_R40/moderate"] == 0.0
    assert sorted(os.listdir(tmp_path / "none" / "results")) == [f"{data.test.frame_id(i)}.txt" for i in range(len(data.test))]


def test_a_models_detections_go_through_the_same_path(streets, tmp_path):
    from strl.detection.pointpillars import PointPillarsEncoder, preset

    task = OutdoorDetectTask()
    data = task.data(settings(cache_dir=str(streets.parent.parent), pillar_nms_pre_max_size=300), 1.0, 0)
    encoder = PointPillarsEncoder(preset("pointpillars-laptop", **TINY))
    model = task.build_model(None, encoder, data.info).eval()
    assert model.cfg.nms_pre_max_size == 300 and encoder.cfg.nms_pre_max_size == 4096
    torch.nn.init.constant_(model.dense_head.conv_cls.bias, 3.0)  # every anchor scores 0.95: many boxes
    with torch.no_grad():
        model.dense_head.conv_box.bias[3] = 100.0  # the first anchor of each place decodes an infinite length
    ev = task.evaluate(model, data.test, settings(), torch.device("cpu"))
    assert len(ev.predictions["pred_score"]) > 10 and set(ev.predictions["pred_scene"]) <= {data.test.frame_id(i) for i in range(2)}
    assert np.isfinite(ev.predictions["pred_boxes"]).all()
    write_result_files(task, data.test, ev.predictions, str(tmp_path / "r"))
    assert flat_scores(score_kitti_folders(tmp_path / "r", data.info["gt"], data.info["split"])) == ev.metrics
