import os
import sys

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.scenes import SceneSet, points_in_boxes
from strl.formats.sunrgbd import CLASSES, MEAN_SIZES, SunRGBDVotes, box7_to_votenet, votenet_to_box7

sys.path.insert(0, os.path.dirname(__file__))
from scene_files import write_sunrgbd, write_sunrgbd_view  # noqa: E402

SHEET_MEANS = [(2.114, 1.620, .927), (.791, 1.280, .718), (.924, 1.867, .845), (.592, .553, .827),
               (.699, .454, .756), (.695, 1.346, .736), (.529, 1.003, 1.173), (.501, .632, .683),
               (.405, 1.071, 1.689), (.766, 1.398, .473)]


def rotz(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def votenet_corners(bbox):
    """VoteNet's SUN RGB-D box corners: half sizes (l, w, h) turned by rotz(-heading)."""
    l, w, h = bbox[3:6]
    local = np.array([[sx * l, sy * w, sz * h] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    return local @ rotz(-bbox[6]).T + bbox[:3]


def box7_corners(box):
    """Corners of a box7: full sizes, turned counter-clockwise by the heading."""
    half = box[3:6] / 2
    local = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half
    return local @ rotz(box[6]).T + box[:3]


def same_corners(a, b):
    return np.allclose(np.sort(a.round(6), axis=0), np.sort(b.round(6), axis=0), atol=1e-5)


def test_box_conversion_keeps_the_box_and_inverts():
    rng = np.random.default_rng(1)
    bbox = np.column_stack([rng.normal(0, 2, (20, 3)), rng.uniform(0.1, 1, (20, 3)), rng.uniform(-4, 4, 20),
                            rng.integers(0, 10, 20)])
    box7 = votenet_to_box7(bbox)
    assert np.allclose(box7[:, 3:6], 2 * bbox[:, 3:6]) and (np.abs(box7[:, 6]) <= np.pi).all()
    for a, b in zip(bbox, box7):
        assert same_corners(votenet_corners(a), box7_corners(b))
    back = box7_to_votenet(box7, bbox[:, 7])
    assert np.allclose(np.cos(back[:, 6]), np.cos(bbox[:, 6])) and np.allclose(np.sin(back[:, 6]), np.sin(bbox[:, 6]))
    assert np.allclose(back[:, :6], bbox[:, :6]) and np.array_equal(back[:, 7], bbox[:, 7])


def test_votenet_rotation_augmentation_agrees_with_box7():
    # VoteNet turns the points by rotz(a) and subtracts a from its heading; box7 adds a
    bbox = np.array([[1.0, 2.0, 0.5, 1.0, 0.4, 0.5, 0.7, 3]])
    a = 0.4
    turned = bbox.copy()
    turned[0, :3] = rotz(a) @ bbox[0, :3]
    turned[0, 6] -= a
    assert np.allclose(votenet_to_box7(turned)[0, 6], votenet_to_box7(bbox)[0, 6] + a)


def test_mean_sizes_round_to_the_sheet():
    assert np.allclose(MEAN_SIZES, SHEET_MEANS, atol=5e-4) and len(CLASSES) == 10


def test_reads_views_boxes_and_votes(tmp_path, rng):
    root = write_sunrgbd(tmp_path / "sunrgbd", rng)
    train = SunRGBDVotes(root, "train")
    assert isinstance(train, SceneSet) and train.names == ["000001", "000002"] and train.semantic_class_names == []
    assert len(SunRGBDVotes(root, "val")) == 1
    assert len(SunRGBDVotes(root / "sunrgbd_pc_bbox_votes_50k_v1_train", "train")) == 2
    written = write_sunrgbd_view(root / "sunrgbd_pc_bbox_votes_50k_v1_train", "000001", rng)
    scene = train.scene(0)
    assert np.allclose(scene.points, written["pc"][:, :3], atol=1e-6)
    assert np.allclose(scene.colors, written["pc"][:, 3:])
    assert scene.semantic.tolist() == [-1] * 300 and scene.box_classes.tolist() == [0]
    assert np.allclose(scene.boxes[0], [1.0, 2.0, 0.5, 2.0, 1.6, 1.0, -0.3])
    assert scene.vote_mask.sum() == 100 and np.allclose(scene.votes, written["point_votes"][:, 1:])
    # a corner region of the box placed the VoteNet way (rotz(-heading)) is inside the converted box,
    # the same region turned the other way is not
    local = np.array([0.95, 0.9, 0.4]) * [1.0, 0.8, 0.5]
    points = np.stack([local @ rotz(-0.3).T, local @ rotz(0.3).T]) + [1.0, 2.0, 0.5]
    assert points_in_boxes(points.astype(np.float32), scene.boxes)[:, 0].tolist() == [True, False]


def test_versions_and_missing_folders(tmp_path, rng):
    root = write_sunrgbd(tmp_path / "sunrgbd", rng, version="v2")
    assert len(SunRGBDVotes(root, "train", "v2")) == 2
    with pytest.raises(DataError, match="sunrgbd_pc_bbox_votes_50k_v1_train: SUN RGB-D split folder not found"):
        SunRGBDVotes(root, "train")
    with pytest.raises(ConfigError):
        SunRGBDVotes(root, "test")


@pytest.mark.parametrize("break_it, message", [
    (lambda f: np.savez(f / "000001_votes.npz", point_votes=np.zeros((5, 10))), r"point_votes has shape \(5, 10\)"),
    (lambda f: (f / "000001_votes.npz").unlink(), "votes file is missing"),
    (lambda f: np.savez(f / "000001_votes.npz", votes=np.zeros((300, 10))), "has no key 'point_votes'"),
    (lambda f: np.save(f / "000001_bbox.npy", np.array([[0, 0, 0, 1, 1, 1, 0, 12.0]])), "box classes span 12..12"),
    (lambda f: np.save(f / "000001_bbox.npy", np.array([[0, 0, 0, 1, 0, 1, 0, 1.0]])), "non-positive sizes"),
    (lambda f: np.save(f / "000001_bbox.npy", np.array([[0, 0, 0, 1, 1, 1, 0, 1.5]])), "whole numbers"),
    (lambda f: np.savez(f / "000001_pc.npz", pc=np.zeros((300, 2))), r"pc has shape \(300, 2\)"),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, rng, break_it, message):
    folder = tmp_path / "sunrgbd_pc_bbox_votes_50k_v1_train"
    write_sunrgbd_view(folder, "000001", rng)
    break_it(folder)
    with pytest.raises(DataError, match=message) as info:
        SunRGBDVotes(folder, "train").scene(0)
    assert "000001" in str(info.value)
