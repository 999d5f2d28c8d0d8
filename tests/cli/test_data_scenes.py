"""``strl data check`` / ``strl data preview`` on VoteNet's ScanNet and SUN RGB-D layouts and the built-in rooms."""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
from scene_files import write_scannet, write_sunrgbd  # noqa: E402

from strl.cli.main import main  # noqa: E402
from strl.formats.detect import identify  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def run(capsys, *argv):
    code = main(["data", *map(str, argv)])
    return code, capsys.readouterr().out


def test_votenet_layouts_are_recognised(tmp_path, rng):
    scannet = write_scannet(tmp_path / "scannet", rng)
    for path in (scannet, scannet / "scannet_train_detection_data"):
        assert identify(path).format == "scannet_detection"
    assert identify(tmp_path).format == "scannet_detection"  # one level down
    sun = write_sunrgbd(tmp_path / "sun", rng)
    for path in (sun, sun / "sunrgbd_pc_bbox_votes_50k_v1_val"):
        found = identify(path)
        assert found.format == "sunrgbd_votes" and found.up == "z" and found.pipeline == "scene"
    assert list(identify(sun).open()) == ["train (v1)", "val (v1)"]


def test_check_scannet_counts_boxes_per_class_and_labels(tmp_path, rng, capsys):
    scannet = write_scannet(tmp_path / "scannet", rng)
    code, out = run(capsys, "check", scannet, "--json", tmp_path / "r.json")
    assert code == 0 and "format scannet_detection: ScanNet scenes as VoteNet prepares them" in out
    assert "train: 2 scenes" in out and "val: 1 scene" in out and "scenes: scene0000_00, scene0001_00" in out
    assert "boxes: 2 (per scene min 1 / mean 1.0 / max 1)" in out and "chair 2" in out
    assert "semantic points (14.3% unlabelled): floor 400, chair 200" in out  # the lamp is not a benchmark class
    assert "points on objects (voting): 28.6%; colours in 2 of 2 scenes" in out and "result: usable" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["parts"]["train"]["boxes"]["classes"]["chair"] == 2 and report["parts"]["val"]["items"] == 1
    assert report["parts"]["train"]["mean_sizes"][2] == [0.613, 0.615, 0.718]


def test_check_names_a_broken_file_and_fails(tmp_path, rng, capsys):
    scannet = write_scannet(tmp_path / "scannet", rng)
    bad = scannet / "scannet_train_detection_data" / "scene0001_00_bbox.npy"
    np.save(bad, np.array([[0, 0, 0, 1, 1, -1, 5.0]]))
    code, out = run(capsys, "check", scannet)
    assert code == 1 and "train: 2 scenes" in out and "read 2 of 2 scenes, 1 failed" in out
    assert f"{bad}: box(es) [0] have non-positive sizes" in out and "result: NOT usable" in out


def test_check_sunrgbd_reports_oriented_boxes_without_semantic_labels(tmp_path, rng, capsys):
    code, out = run(capsys, "check", write_sunrgbd(tmp_path / "sun", rng))
    assert code == 0 and "train (v1): 2 scenes" in out and "bed 2" in out
    assert "headings -0.300..-0.300" in out and "no per-point semantic labels" in out
    assert "points on objects (voting): 33.3%" in out


def test_preview_draws_scenes_from_above(tmp_path, rng, capsys):
    out_png = tmp_path / "scannet.png"
    code, out = run(capsys, "preview", write_scannet(tmp_path / "scannet", rng), "--out", out_png)
    assert code == 0 and out.splitlines()[-1] == str(out_png)
    assert "2 scenes of 'train' from above" in out and out_png.read_bytes()[:8] == PNG_SIGNATURE


def test_builtin_rooms_check_and_preview(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called "builtin-rooms" here
    cache = tmp_path / "cache"
    code, out = run(capsys, "check", "builtin-rooms", "--cache-dir", cache)
    assert code == 0 and "format builtin-rooms: strl's built-in generated rooms (size 'small', seed 0)" in out
    assert "frames: 3 sequences, 12 frames (per sequence min 4 / mean 4.0 / max 4)" in out
    assert "train: 3 scenes" in out and "val: 1 scene" in out and "test: 2 scenes" in out
    assert "semantic points (0.0% unlabelled): floor" in out and "result: usable" in out
    code, out = run(capsys, "preview", "builtin-rooms", "--cache-dir", cache, "--out", tmp_path / "rooms.png")
    assert code == 0 and "builtin-rooms: 2 scenes of 'train' from above" in out
    assert (tmp_path / "rooms.png").read_bytes()[:8] == PNG_SIGNATURE
    code, out = run(capsys, "preview", "builtin-rooms", "--cache-dir", cache, "--pair", "--out", tmp_path / "p.png")
    assert code == 0 and "temporal pairs of 'frames'" in out and "scene pipeline" in out
    code, out = run(capsys, "preview", "builtin-rooms", "--cache-dir", cache, "--part", "test", "--samples", "1",
                    "--out", tmp_path / "t.png")
    assert code == 0 and "1 scene of 'test' from above" in out
