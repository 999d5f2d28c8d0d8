"""Scoring a KITTI results folder against a label folder: frames, split files and the errors."""

from __future__ import annotations

import os
import sys

import pytest

from strl.errors import DataError
from strl.formats.kitti_labels import write_label_file
from strl.metrics.kitti import evaluate_kitti, score_kitti_folders

sys.path.insert(0, os.path.dirname(__file__))
from kitti_scenes import frame, row_of_cars  # noqa: E402

N_FRAMES = 20


def scene():
    """20 frames of 4 cars; every other car detected (scores 4 decimals, as the writer keeps)."""
    gt = [row_of_cars(4, f) for f in range(N_FRAMES)]
    dt = [[{**o, "score": 1.0 - 0.001 * (4 * f + i)} for i, o in enumerate(row) if i % 2 == 0] for f, row in enumerate(gt)]
    return [frame(g, scores=False) for g in gt], [frame(d, scores=True) for d in dt]


def write_folders(tmp_path, ids=None):
    gt, dt = scene()
    ids = ids or [f"{i:06d}" for i in range(N_FRAMES)]
    (tmp_path / "label_2").mkdir()
    (tmp_path / "pred").mkdir()
    for frame_id, g, d in zip(ids, gt, dt):
        write_label_file(tmp_path / "label_2" / f"{frame_id}.txt", g)
        write_label_file(tmp_path / "pred" / f"{frame_id}.txt", d)
    return tmp_path / "pred", tmp_path / "label_2", gt, dt


def test_folders_score_as_the_frames_in_memory(tmp_path):
    pred, labels, gt, dt = write_folders(tmp_path)
    (labels / "README.md").write_text("not a frame")
    result = score_kitti_folders(pred, labels)
    assert result == evaluate_kitti(gt, dt)
    assert result["Car"]["3d_R40"] == pytest.approx([50.0] * 3)


def test_a_split_file_picks_the_frames(tmp_path):
    pred, labels, gt, dt = write_folders(tmp_path)
    split = tmp_path / "val.txt"
    split.write_text("000003\n000010\n\n000011")  # no final newline, as the released files
    (pred / "000003.txt").write_text("")  # a frame without detections: an empty results file
    dt[3] = frame([], scores=True)
    result = score_kitti_folders(pred, labels, split, classes=("Car",), metrics=("3d",), loose=True)
    assert result == evaluate_kitti([gt[3], gt[10], gt[11]], [dt[3], dt[10], dt[11]], classes=("Car",),
                                    metrics=("3d",), loose=True)


def test_folders_that_do_not_match(tmp_path):
    pred, labels, _, _ = write_folders(tmp_path)
    (pred / "000005.txt").unlink()
    with pytest.raises(DataError, match=r"pred: no results file for 1 frame\(s\): 000005 .*empty file"):
        score_kitti_folders(pred, labels)
    (pred / "000005.txt").write_text("")
    (pred / "000099.txt").write_text("")
    with pytest.raises(DataError, match="pred: results for 1 frame.*without a label file.*000099"):
        score_kitti_folders(pred, labels)
    split = tmp_path / "val.txt"
    split.write_text("000001\n000099\n000123\n")
    with pytest.raises(DataError, match=r"label_2: no label file for 2 frame\(s\) of val.txt: 000099, 000123"):
        score_kitti_folders(pred, labels, split)
    split.write_text("000001\n000002\n000001\n")
    with pytest.raises(DataError, match="val.txt: frame ids listed more than once: 000001"):
        score_kitti_folders(pred, labels, split)
    split.write_text("\n")
    with pytest.raises(DataError, match="val.txt: no frame ids"):
        score_kitti_folders(pred, labels, split)
    split.write_text("000001\nval_frame\n")
    with pytest.raises(DataError, match="val.txt: line 2"):
        score_kitti_folders(pred, labels, split)


def test_missing_and_empty_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    pred, labels, _, _ = write_folders(tmp_path)
    with pytest.raises(DataError, match="nowhere: label folder not found"):
        score_kitti_folders(pred, tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"empty: no results files \(NNNNNN.txt\)"):
        score_kitti_folders(tmp_path / "empty", labels)
    with pytest.raises(DataError, match="empty: no label files"):
        score_kitti_folders(pred, tmp_path / "empty")


@pytest.mark.parametrize("line, problem", [
    ("Car -1 -1 0 10 10 50 80 1.5 1.6 3.9 0 1.7 20 0", "000002.txt: results lines need 16 values"),
    ("Car -1 -1 0 10 10 50 80 1.5 1.6 3.9 0 1.7 20", "000002.txt: line 1: 14 values"),
    ("Car -1 -1 0 10 10 50 80 1.5 1.6 3.9 0 1.7 20 0 high", "000002.txt: line 1: field 16 .score."),
])
def test_malformed_results_files(tmp_path, line, problem):
    pred, labels, _, _ = write_folders(tmp_path)
    (pred / "000002.txt").write_text(line + "\n")
    with pytest.raises(DataError, match=problem):
        score_kitti_folders(pred, labels)


def test_results_without_2d_boxes_are_refused(tmp_path):
    pred, labels, _, _ = write_folders(tmp_path)
    for path in pred.glob("*.txt"):
        path.write_text("".join(" ".join(["Car", "-1", "-1", "-10", "-1", "-1", "-1", "-1"] + ln.split()[8:]) + "\n"
                                for ln in path.read_text().splitlines()))
    with pytest.raises(DataError, match="pred: no detection has a 2D image box"):
        score_kitti_folders(pred, labels)
