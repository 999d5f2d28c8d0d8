"""The KITTI object and raw layouts in ``identify`` and in ``strl data check`` / ``strl data preview``."""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from strl.cli.main import main
from strl.formats.detect import identify
from strl.formats.kitti_object_check import KittiObjectClouds
from strl.sequences.kitti import KittiSequences
from strl.sequences.kitti_raw import KittiRawSequences

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sequences"))
from kitti_fixtures import LABEL_LINES, write_mapping, write_object_frame, write_split  # noqa: E402
from kitti_raw_fixtures import write_drive  # noqa: E402


def write_object(root, frames=6):
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(2, 40, 200), rng.uniform(-20, 20, 200), rng.uniform(-2, 1, 200),
                              rng.uniform(0, 1, 200)])
    for i in range(frames):
        write_object_frame(root / "training", f"{i:06d}", points, LABEL_LINES)
    write_object_frame(root / "testing", "000000", points)
    write_split(root, "test", ["000000"])
    write_mapping(root)  # train 000000 000001 000003, val 000002 000004 000005
    return root


def test_object_root_and_training_folder_are_kitti_object_not_odometry(tmp_path):
    root = write_object(tmp_path / "kitti")
    for path in (root, root / "training", tmp_path):
        found = identify(path)
        assert found.format == "kitti_object" and found.path == root and found.pipeline == "scene" and found.up == "z"
    parts = identify(root).open()
    assert list(parts) == ["train", "val", "test"] and isinstance(parts["val"], KittiObjectClouds)
    assert len(parts["train"]) == 3 and parts["train"][0].shape[1] == 3 and parts["train"].files[0].name == "000000.bin"
    for sub in ("ImageSets", "mapping"):
        for p in (root / sub).iterdir():
            p.unlink()
    assert list(identify(root).open()) == ["training", "testing"]


def test_raw_root_date_and_drive_folders_are_kitti_raw(tmp_path):
    drive = write_drive(tmp_path / "raw", frames=range(3))
    for path in (tmp_path / "raw", drive.parent, drive):
        found = identify(path)
        assert found.format == "kitti_raw" and found.path == path
        assert isinstance(found.open()["drives"], KittiRawSequences)
    (tmp_path / "odo" / "sequences" / "00" / "velodyne").mkdir(parents=True)
    assert identify(tmp_path / "odo").format == "kitti"  # the odometry layout is unchanged
    assert KittiSequences  # its reader stays the odometry reader


def check(capsys, *argv):
    code = main(["data", "check", *map(str, argv)])
    return code, capsys.readouterr().out


def test_check_counts_objects_and_reports_the_raw_overlap(tmp_path, capsys):
    root = write_object(tmp_path)
    code, out = check(capsys, root, "--json", tmp_path / "r.json")
    assert code == 0 and "result: usable" in out
    assert "KITTI object split 'train': 3 frame(s) with all their files" in out
    assert "objects: Car 3, Cyclist 3, DontCare 3, Pedestrian 3, Van 3" in out
    assert "raw data (mapping/): 3 frame(s) from 3 drive(s); 1 drive(s) shared with the other split" in out
    assert "odometry 00-10 (pre-training): 1 of these drives, 1 of these frames" in out  # val frame 000004
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["parts"]["val"]["files"]["objects"]["DontCare"] == 3
    assert report["parts"]["test"]["files"]["objects"] == {} and report["parts"]["test"]["files"]["frames"] == 1


def test_check_names_each_bad_file(tmp_path, capsys):
    root = write_object(tmp_path)
    train = root / "training"
    (train / "label_2" / "000001.txt").write_text("\n".join(LABEL_LINES[:2] + ["Car 0.00 0 x"]))
    calib = (train / "calib" / "000003.txt").read_text()
    (train / "calib" / "000003.txt").write_text("\n".join(ln for ln in calib.splitlines() if not ln.startswith("P2:")))
    with open(train / "velodyne" / "000005.bin", "ab") as f:
        f.write(b"\0\0\0")
    write_split(root, "val", ["000002", "000004", "000005", "000031", "000032"])
    code, out = check(capsys, root)
    assert code == 1 and "result: NOT usable" in out
    assert f"{train / 'label_2' / '000001.txt'}: line 3: 4 values, expected 15" in out
    assert f"{train / 'calib' / '000003.txt'}: no 'P2:' line" in out
    assert f"{train / 'velodyne' / '000005.bin'}: size 3203 bytes is not a multiple of 16" in out
    assert (f"{root / 'ImageSets' / 'val.txt'}: 2 frame id(s) without their files in {train}: "
            f"000031 (no velodyne/000031.bin), 000032") in out
    assert out.count("000005.bin: size") == 1  # read by the point check and the file check, reported once


def test_preview_of_object_frames_and_raw_pairs(tmp_path, capsys):
    root = write_object(tmp_path / "object")
    write_drive(tmp_path / "raw", frames=range(4))
    cases = ((root, [], "frames of 'train' with their boxes"), (root, ["--no-pair"], "samples of 'train'"),
             (tmp_path / "raw", [], "temporal pairs of 'drives'"))
    for path, flags, what in cases:
        assert main(["data", "preview", str(path), "--out", str(tmp_path / "p.png"), "--num-points", "64", *flags]) == 0
        out = capsys.readouterr().out
        assert what in out and (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
