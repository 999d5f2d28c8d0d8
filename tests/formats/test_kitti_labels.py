"""KITTI label and results files: every field in its place, round trips, and each bad line named."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.kitti_labels import as_written
from strl.formats.kitti_object import KittiLabels, read_label_file, write_label_file

sys.path.insert(0, os.path.dirname(__file__))
from kitti_fixtures import LABEL_LINES, RESULT_LINE  # noqa: E402


def test_fields_of_a_label_file_with_dontcare(tmp_path):
    path = tmp_path / "000001.txt"
    path.write_text("\n".join(LABEL_LINES) + "\n\n")  # a blank line at the end is skipped
    labels = read_label_file(path)
    assert len(labels) == 5 and labels.score is None
    assert labels.name.tolist() == ["Car", "Pedestrian", "Cyclist", "Van", "DontCare"]
    assert labels.occluded.dtype == np.int64 and labels.occluded.tolist() == [0, 0, 3, 1, -1]
    np.testing.assert_array_equal(labels.truncated, [0, 0, 0, 0.27, -1])
    np.testing.assert_array_equal(labels.alpha, [1.85, -0.20, -1.65, -2.06, -10])
    np.testing.assert_array_equal(labels.bbox[1], [712.40, 143.00, 810.73, 307.92])
    np.testing.assert_array_equal(labels.dimensions[0], [1.67, 1.87, 3.69])  # h, w, l as in the file
    np.testing.assert_array_equal(labels.location[0], [-16.53, 2.39, 58.49])
    np.testing.assert_array_equal(labels.location[4], [-1000, -1000, -1000])
    np.testing.assert_array_equal(labels.rotation_y, [1.57, 0.01, -1.55, -2.70, -10])
    assert labels.bbox.shape == (5, 4) and labels.dimensions.shape == (5, 3) and labels.location.shape == (5, 3)


def test_results_file_has_scores_and_minus_one_fields(tmp_path):
    path = tmp_path / "000002.txt"
    path.write_text(RESULT_LINE + "\n" + RESULT_LINE.replace("0.9412", "0.25"))
    labels = read_label_file(path)
    np.testing.assert_array_equal(labels.score, [0.9412, 0.25])
    assert labels.truncated.tolist() == [-1, -1] and labels.occluded.tolist() == [-1, -1]


def test_empty_file_is_a_frame_without_objects(tmp_path):
    (tmp_path / "e.txt").write_text("")
    labels = read_label_file(tmp_path / "e.txt")
    assert len(labels) == 0 and labels.bbox.shape == (0, 4) and labels.dimensions.shape == (0, 3)


def test_write_then_read_round_trip_and_the_openpcdet_line(tmp_path):
    path = tmp_path / "000002.txt"
    path.write_text(RESULT_LINE + "\n")
    labels = read_label_file(path)
    write_label_file(tmp_path / "out.txt", labels)
    assert (tmp_path / "out.txt").read_text() == RESULT_LINE + "\n"  # byte for byte
    (tmp_path / "gt.txt").write_text("\n".join(LABEL_LINES))
    gt = read_label_file(tmp_path / "gt.txt")
    write_label_file(tmp_path / "gt2.txt", gt)
    again = read_label_file(tmp_path / "gt2.txt")
    assert again.score is None and len((tmp_path / "gt2.txt").read_text().splitlines()[0].split()) == 15
    for field in ("truncated", "occluded", "alpha", "bbox", "dimensions", "location", "rotation_y"):
        np.testing.assert_allclose(getattr(again, field), getattr(gt, field), atol=1e-4)
    write_label_file(tmp_path / "none.txt", KittiLabels.empty(with_score=True))
    assert (tmp_path / "none.txt").read_text() == ""


def test_select_keeps_every_field_aligned(tmp_path):
    (tmp_path / "a.txt").write_text("\n".join(LABEL_LINES))
    labels = read_label_file(tmp_path / "a.txt")
    cars = labels.select(labels.name != "DontCare")
    assert len(cars) == 4 and cars.bbox.shape == (4, 4) and cars.rotation_y[-1] == -2.70


@pytest.mark.parametrize("lines,message", [
    ([LABEL_LINES[0], "Car 0.00 0 1.85 387.63 181.54"], r"x\.txt: line 2: 6 values, expected 15 \(or 16 with a score\)"),
    ([LABEL_LINES[0], LABEL_LINES[1] + " 0.5 7"], r"x\.txt: line 2: 17 values"),
    (["", LABEL_LINES[0].replace("58.49", "5x.49")],
     r"x\.txt: line 2: field 14 \(location z\) is '5x\.49', expected a finite number"),
    ([LABEL_LINES[0].replace(" 0 1.85", " 0.5 1.85")], r"x\.txt: line 1: field 3 \(occluded\) is '0\.5'"),
    ([LABEL_LINES[1].replace("1.89", "nan")], r"x\.txt: line 1: field 9 \(height\) is 'nan'"),
    ([RESULT_LINE, LABEL_LINES[0]], r"x\.txt: line 2: 15 values, but the lines before have 16"),
], ids=["too-few", "too-many", "not-a-number", "fractional-occlusion", "nan", "mixed-widths"])
def test_bad_lines_name_the_file_and_line(tmp_path, lines, message):
    (tmp_path / "x.txt").write_text("\n".join(lines))
    with pytest.raises(DataError, match=message):
        read_label_file(tmp_path / "x.txt")


def test_missing_label_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.txt: label file not found"):
        read_label_file(tmp_path / "nope.txt")


def test_as_written_holds_exactly_what_a_written_file_reads_back(tmp_path):
    rng = np.random.default_rng(0)
    k = 50
    labels = KittiLabels(name=np.array(["Car", "Pedestrian"] * (k // 2)), truncated=np.where(rng.random(k) < 0.5, -1.0, rng.random(k)),
                         occluded=rng.integers(-1, 4, k), alpha=rng.normal(size=k) * 3, bbox=rng.random((k, 4)) * 1000,
                         dimensions=rng.random((k, 3)) * 4, location=rng.normal(size=(k, 3)) * 30,
                         rotation_y=rng.normal(size=k), score=rng.random(k))
    labels.location[0] = [0.00004, -0.00004, 12.34565]  # rounding to zero and at a half
    back = read_label_file(write_label_file(tmp_path / "r.txt", labels))
    ours = as_written(labels)
    for field in ("name", "truncated", "occluded", "alpha", "bbox", "dimensions", "location", "rotation_y", "score"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(back, field), err_msg=field)
    assert as_written(KittiLabels.empty(True)).score.shape == (0,)
