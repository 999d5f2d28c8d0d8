"""The KITTI object reader: splits, frames, FOV crop, the arrays a detector needs, predictions, errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.kitti_object import (
    KittiObjectDataset, read_image_shape, read_label_file, read_road_plane, read_split_ids, write_predictions,
)

sys.path.insert(0, os.path.dirname(__file__))
from kitti_fixtures import IMAGE_SIZE, LABEL_LINES, RESULT_LINE, write_object_frame, write_split  # noqa: E402

# x, y, z, reflectance: three points in the camera's view, two outside it (behind, far left)
POINTS = np.array([[10, 0, -1, 0.1], [20, 2, -1.5, 0.2], [40, -3, 0, 0.3], [-10, 0, -1, 0.4], [5, 30, 0, 0.5]],
                  np.float32)


def write_object_root(root, train=("000000", "000002"), val=("000001",)):
    for frame_id in ("000000", "000001", "000002"):
        write_object_frame(root / "training", frame_id, POINTS, LABEL_LINES)
    write_object_frame(root / "testing", "000000", POINTS[:4])
    write_split(root, "train", train)
    write_split(root, "val", val)
    write_split(root, "test", ["000000"])
    return root


def test_a_training_frame_holds_what_a_detector_needs(tmp_path):
    ds = KittiObjectDataset(write_object_root(tmp_path), "train")
    assert len(ds) == 2 and ds.ids == ["000000", "000002"] and ds.split_file == tmp_path / "ImageSets" / "train.txt"
    frame = ds[1]
    assert frame.frame_id == "000002" and frame.image_shape == IMAGE_SIZE
    assert frame.points.dtype == np.float32 and frame.points.shape == (3, 4)
    np.testing.assert_array_equal(frame.points, POINTS[[0, 1, 2]])  # the FOV crop keeps reflectance
    assert frame.gt_names.tolist() == ["Car", "Pedestrian", "Cyclist"]  # no Van, no DontCare
    assert frame.gt_boxes.dtype == np.float32 and frame.gt_boxes.shape == (3, 7)
    np.testing.assert_allclose(frame.gt_boxes[:, 3:6], [[3.69, 1.87, 1.67], [1.20, 0.48, 1.89], [2.02, 0.60, 1.86]],
                               rtol=1e-6)  # (l, w, h)
    assert frame.labels.name.tolist()[-1] == "DontCare" and len(frame.labels) == 5  # everything for the evaluator
    assert frame.labels.occluded.tolist() == [0, 0, 3, 1, -1]
    assert frame.calib.P2.shape == (3, 4) and frame.road_plane is None


def test_class_filter_fov_switch_and_other_splits(tmp_path):
    root = write_object_root(tmp_path)
    every = KittiObjectDataset(root, "val", class_names=None, fov_only=False)[0]
    assert every.gt_names.tolist() == ["Car", "Pedestrian", "Cyclist", "Van"] and len(every.points) == 5
    assert KittiObjectDataset(root, "train", class_names=["Van"])[0].gt_names.tolist() == ["Van"]
    test = KittiObjectDataset(root, "test")
    frame = test[0]
    assert test.folder == root / "testing" and frame.labels is None and frame.gt_boxes.shape == (0, 7)
    assert len(frame.points) == 3
    assert KittiObjectDataset(root, "training").ids == ["000000", "000001", "000002"]
    with pytest.raises(ConfigError, match="unknown KITTI object split 'trainval'"):
        KittiObjectDataset(root, "trainval")


def test_road_plane_is_flipped_up_and_normalised(tmp_path):
    root = write_object_root(tmp_path)
    (root / "training" / "planes").mkdir()
    (root / "training" / "planes" / "000002.txt").write_text("# Plane\nWidth 4\nHeight 1\n0.0 2.0 0.0 -3.4\n")
    plane = KittiObjectDataset(root, "train")[1].road_plane
    np.testing.assert_allclose(plane, [0, -1, 0, 1.7])
    (root / "p.txt").write_text("# Plane\nWidth 4\n")
    with pytest.raises(DataError, match=r"p\.txt: line 4: expected the 4 numbers a b c d of a plane"):
        read_road_plane(root / "p.txt")


def test_split_naming_missing_frames_is_an_error_naming_the_split_file(tmp_path):
    root = write_object_root(tmp_path, val=("000001", "000007", "000009"))
    (root / "training" / "image_2" / "000001.png").unlink()
    with pytest.raises(DataError, match=r"ImageSets/val\.txt: 3 frame id\(s\) without their files in .*training: "
                                        r"000001 \(no image_2/000001\.png\), 000007 \(no velodyne/000007\.bin\), 000009"):
        KittiObjectDataset(root, "val")
    lenient = KittiObjectDataset(root, "val", strict=False)
    assert len(lenient) == 0 and [i for i, _ in lenient.missing] == ["000001", "000007", "000009"]


def test_missing_label_folder_and_bad_split_line(tmp_path):
    root = write_object_root(tmp_path)
    for p in (root / "training" / "label_2").iterdir():
        p.unlink()
    with pytest.raises(DataError, match=r"train\.txt: 2 frame id\(s\) .*000000 \(no label_2/000000\.txt\)"):
        KittiObjectDataset(root, "train")
    write_split(root, "val", ["000001", "frame2"])
    with pytest.raises(DataError, match=r"val\.txt: line 2: 'frame2' is not a frame id"):
        read_split_ids(root / "ImageSets" / "val.txt")


def test_bad_files_of_a_frame_are_named(tmp_path):
    root = write_object_root(tmp_path)
    ds = KittiObjectDataset(root, "train")
    with open(root / "training" / "velodyne" / "000002.bin", "ab") as f:
        f.write(b"\0" * 6)
    with pytest.raises(DataError, match=r"velodyne/000002\.bin: size 86 bytes is not a multiple of 16"):
        ds[1]
    (root / "training" / "calib" / "000000.txt").write_text("P2: " + " ".join(["1"] * 12) + "\n")
    with pytest.raises(DataError, match=r"calib/000000\.txt: no 'R0_rect:', 'Tr_velo_to_cam:' line"):
        ds[0]
    (root / "training" / "image_2" / "000000.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"image_2/000000\.png: not a readable image"):
        read_image_shape(root / "training" / "image_2" / "000000.png")
    (root / "training" / "label_2" / "000000.txt").write_text(LABEL_LINES[0] + "\nCar 0 0\n")
    with pytest.raises(DataError, match=r"label_2/000000\.txt: line 2: 3 values"):
        ds.labels(0)


def test_image_shape_comes_from_the_header(tmp_path):
    from kitti_fixtures import write_png

    path = write_png(tmp_path / "x.png", (7, 13))
    assert read_image_shape(path) == (7, 13)


def test_write_predictions_makes_the_frame_file(tmp_path):
    ds = KittiObjectDataset(write_object_root(tmp_path), "val")
    frame = ds[0]
    out = write_predictions(tmp_path / "pred", frame.frame_id, frame.gt_boxes, np.array([0.9, 0.8, 0.7]),
                            frame.gt_names, frame.calib, frame.image_shape)
    assert out == tmp_path / "pred" / "000001.txt"
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and all(len(line.split()) == 16 for line in lines)
    assert lines[0].startswith("Car -1 -1 ") and len(RESULT_LINE.split()) == 16
    back = read_label_file(out)
    np.testing.assert_allclose(back.location, frame.labels.location[:3], atol=1e-4)
    empty = write_predictions(tmp_path / "pred", "000002", np.zeros((0, 7)), np.zeros(0), [], frame.calib,
                              frame.image_shape)
    assert empty.read_text() == ""


def test_write_road_plane_is_read_back(tmp_path):
    from strl.formats.kitti_object import write_road_plane

    path = write_road_plane(tmp_path / "000000.txt", [-0.01, -0.9999, 0.01, 1.65])
    assert path.read_text().splitlines()[:3] == ["# Plane", "Width 4", "Height 1"]
    plane = read_road_plane(path)
    assert np.allclose(plane, np.array([-0.01, -0.9999, 0.01, 1.65]) / np.linalg.norm([-0.01, -0.9999, 0.01]))
