"""Object frames -> raw frames (devkit mapping), neighbourhoods, and the overlap with pre-training frames."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from strl.errors import DataError
from strl.formats.kitti_mapping import (
    RawFrame, find_mapping, frames_near, odometry_frames, pretraining_overlap, raw_frames_of_split,
    read_object_mapping, split_frames, split_neighbourhood,
)

sys.path.insert(0, os.path.dirname(__file__))
from kitti_fixtures import MAPPED_VAL, write_mapping, write_split  # noqa: E402


def test_rand_entries_are_one_based_lines_of_the_mapping(tmp_path):
    mapping = read_object_mapping(write_mapping(tmp_path))
    assert len(mapping) == 6
    assert mapping[0] == RawFrame("2011_09_28", "2011_09_28_drive_0106", 48)  # frame 000000 -> line 6
    assert mapping[3] == RawFrame("2011_09_26", "2011_09_26_drive_0001", 0)  # frame 000003 -> line 1
    assert raw_frames_of_split(mapping, ["000004", 1]) == [RawFrame("2011_10_03", "2011_10_03_drive_0027", 100),
                                                           RawFrame("2011_09_26", "2011_09_26_drive_0001", 4)]


@pytest.mark.parametrize("sub", ["mapping", "devkit/mapping", "devkit_object/mapping"])
def test_mapping_folder_is_found(tmp_path, sub):
    assert find_mapping(tmp_path) is None
    write_mapping(tmp_path, sub)
    assert find_mapping(tmp_path) == tmp_path / sub


def test_split_frames_and_their_neighbourhood(tmp_path):
    write_mapping(tmp_path)
    assert [f.frame for f in split_frames(tmp_path, "val")] == [3, 100, 10]
    assert [f.drive[-4:] for f in split_frames(tmp_path, "train")] == ["0106", "0001", "0001"]
    near = split_neighbourhood(tmp_path, "val", window=2)
    assert set(near) == {"2011_09_26_drive_0002", "2011_10_03_drive_0027", "2011_09_26_drive_0001"}
    assert near["2011_09_26_drive_0002"].tolist() == [1, 2, 3, 4, 5]
    assert near["2011_09_26_drive_0001"].tolist() == [8, 9, 10, 11, 12]
    assert frames_near([RawFrame("d", "d_drive_0001", 1)], 3)["d_drive_0001"].tolist() == [0, 1, 2, 3, 4]


def test_overlap_with_odometry_and_raw_pretraining(tmp_path):
    write_mapping(tmp_path)
    splits = {"train": split_frames(tmp_path, "train"), "val": split_frames(tmp_path, "val")}
    odo = odometry_frames()
    assert len(odo) == 11 and odo["2011_09_30_drive_0028"][[0, -1]].tolist() == [1100, 5170]
    report = pretraining_overlap(splits, odo)
    assert report["train"] == {"frames": 3, "drives": 2, "shared_drives": [], "frames_near": 0}
    assert report["val"] == {"frames": 3, "drives": 3, "shared_drives": ["2011_10_03_drive_0027"], "frames_near": 1}
    assert pretraining_overlap(splits, odometry_frames(["01", "08"]))["val"]["shared_drives"] == []
    raw = {"2011_09_26_drive_0001": np.array([0, 1, 2])}
    assert pretraining_overlap(splits, raw, window=0)["train"]["frames_near"] == 1  # raw frame 0
    assert pretraining_overlap(splits, raw, window=2)["train"]["frames_near"] == 2  # and raw frame 4
    assert pretraining_overlap(splits, raw, window=7)["val"]["frames_near"] == 0  # raw frame 10 is 8 away
    assert pretraining_overlap(splits, raw, window=8)["val"]["frames_near"] == 1


def test_bad_mapping_files_are_named(tmp_path):
    folder = write_mapping(tmp_path)
    (folder / "train_rand.txt").write_text("6,2,0,1")
    with pytest.raises(DataError, match=r"train_rand\.txt: entry 3 \(object frame 000002\) is '0', expected a line "
                                        r"number 1\.\.6"):
        read_object_mapping(folder)
    (folder / "train_mapping.txt").write_text("2011_09_26 2011_09_26_drive_0001_sync 0000000000\n2011_09_26 x 12\n")
    with pytest.raises(DataError, match=r"train_mapping\.txt: line 2: '2011_09_26 x 12' is not"):
        read_object_mapping(folder)
    write_mapping(tmp_path)
    write_split(tmp_path, "val", MAPPED_VAL + ["000009", "000012"])
    with pytest.raises(DataError, match=r"val\.txt: 2 frame id\(s\) beyond the 6 frames of the raw-data mapping: "
                                        r"000009, 000012"):
        split_frames(tmp_path, "val")
    with pytest.raises(DataError, match=r"no devkit mapping: expected train_mapping\.txt and train_rand\.txt"):
        split_frames(tmp_path / "ImageSets", "val")
