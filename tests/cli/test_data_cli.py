"""``strl data check`` and ``strl data preview`` on tiny datasets written in their real layouts."""

import argparse
import json

import numpy as np
import pytest
from PIL import Image

from strl.cli.data_preview import preview_pairs
from strl.cli.main import main
from strl.formats.detect import identify
from strl.formats.modelnet import MODELNET40_CLASSES
from strl.transforms.config import AugmentConfig

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def write_modelnet(root, rng, rows=64):
    """modelnet40_normal_resampled with 3 airplanes and 2 chairs for training, 1 chair for testing."""
    folder = root / "modelnet40_normal_resampled"
    folder.mkdir(parents=True)
    (folder / "modelnet40_shape_names.txt").write_text("\n".join(MODELNET40_CLASSES) + "\n")
    splits = {"train": ["airplane_0001", "airplane_0002", "airplane_0003", "chair_0001", "chair_0002"],
              "test": ["chair_0900"]}
    for split, ids in splits.items():
        (folder / f"modelnet40_{split}.txt").write_text("\n".join(ids) + "\n")
        for sid in ids:
            cls = sid.rsplit("_", 1)[0]
            (folder / cls).mkdir(exist_ok=True)
            np.savetxt(folder / cls / f"{sid}.txt", rng.uniform(-1, 1, (rows, 6)), fmt="%.6f", delimiter=",")
    return folder


def write_scene(scene, frames=4, h=24, w=32):
    """A camera sliding along x in front of a wall with a box: depth/*.png, pose/*.txt, intrinsics."""
    (scene / "depth").mkdir(parents=True)
    (scene / "pose").mkdir()
    for i in range(frames):
        depth = np.full((h, w), 2500, np.uint16)
        depth[h // 3:, max(0, w // 3 - 3 * i): w // 2 - 3 * i] = 1500
        Image.fromarray(depth).save(scene / "depth" / f"{100 * i:06d}.png")
        pose = np.eye(4)
        pose[0, 3] = 0.15 * i
        np.savetxt(scene / "pose" / f"{100 * i:06d}.txt", pose)
    np.savetxt(scene / "intrinsics_depth.txt", [[20.0, 0, w / 2], [0, 20.0, h / 2], [0, 0, 1]])
    return scene


def check(capsys, *argv):
    code = main(["data", "check", *map(str, argv)])
    return code, capsys.readouterr().out


def test_check_reports_counts_classes_and_ranges(tmp_path, rng, capsys):
    folder = write_modelnet(tmp_path, rng)
    code, out = check(capsys, tmp_path, "--json", tmp_path / "report.json")
    assert code == 0, out
    assert f"format modelnet40_normal_resampled: ModelNet40, normal-resampled text files at {folder}" in out
    assert "train: 5 clouds\n  read 5 of 5 clouds\n  points per cloud: min 64 / mean 64.0 / max 64" in out
    assert "labels 0..8; 2 of 40 classes present:\n    airplane 3, chair 2" in out
    assert "test: 1 cloud" in out and "problems: none" in out and out.strip().endswith("result: usable")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["usable"] and report["parts"]["train"]["items_checked"] == 5
    assert -1 <= report["parts"]["train"]["xyz_min"][0] < report["parts"]["train"]["xyz_max"][0] <= 1


def test_check_says_how_many_items_it_sampled_and_all_reads_every_item(tmp_path, rng, capsys):
    write_modelnet(tmp_path, rng)  # 5 training and 1 test clouds
    code, out = check(capsys, tmp_path, "--max-items", "2", "--json", tmp_path / "report.json")
    assert code == 0, out
    assert "train: 5 clouds\n  read 2 of 5 clouds (evenly spaced)" in out
    assert "sampled: read 3 of 6 items (at most 2 per part, evenly spaced); --all reads every item" in out
    assert out.strip().endswith("result: usable, as far as the items read show")
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["items_read"], report["items"]) == (3, 6)
    code, out = check(capsys, tmp_path, "--all")
    assert code == 0 and "read 5 of 5 clouds\n" in out and "\nsampled:" not in out
    assert out.strip().endswith("result: usable")
    assert main(["data", "check", str(tmp_path), "--all", "--max-items", "2"]) == 2  # one or the other
    assert "not allowed with argument --all" in capsys.readouterr().err


def test_check_names_every_bad_file_and_fails(tmp_path, rng, capsys):
    folder = write_modelnet(tmp_path, rng)
    bad = np.ones((64, 6))
    bad[5, 1] = np.nan
    np.savetxt(folder / "airplane" / "airplane_0002.txt", bad, delimiter=",")
    (folder / "chair" / "chair_0001.txt").write_text("not,a,number\n")
    code, out = check(capsys, folder, "--max-items", "10")
    assert code == 1
    assert "read 5 of 5 clouds, 2 failed" in out and "problems: 2" in out
    assert f"{folder / 'airplane' / 'airplane_0002.txt'}: cloud has 1 point(s) with NaN or inf coordinates" in out
    assert f"{folder / 'chair' / 'chair_0001.txt'}: cannot parse" in out
    assert "result: NOT usable" in out
    code, out = check(capsys, folder, "--max-items", "2")  # first and last items only: both good
    assert code == 0 and "read 2 of 5 clouds (evenly spaced)" in out
    assert main(["data", "preview", str(folder), "--samples", "5", "--out", str(tmp_path / "p.png")]) == 1
    err = capsys.readouterr().err
    assert "strl data preview: error: " in err and "airplane_0002.txt: cloud has 1 point(s) with NaN" in err
    assert not (tmp_path / "p.png").exists()


def test_check_rgbd_scene_reports_frames_and_reader_warnings(tmp_path, capsys):
    scene = write_scene(tmp_path / "scene0000_00")
    np.savetxt(scene / "pose" / "000200.txt", np.full((4, 4), -np.inf))  # tracking lost: frame dropped
    code, out = check(capsys, scene)
    assert code == 0, out
    assert "scenes: 1 sequence, 3 frames" in out and "sequences: scene0000_00" in out
    assert "points per frame: min 768 / mean 768.0 / max 768" in out
    assert "sensor origins min (0.000, 0.000, 0.000)  max (0.450, 0.000, 0.000)" in out
    assert "warnings: 1 (DataWarning 1)" in out and "pose/000200.txt" in out


def test_check_rgbd_shows_the_depth_range_in_metres_at_the_depth_scale(tmp_path, capsys):
    scene = write_scene(tmp_path / "scene0000_00")  # depths 1500 and 2500 units
    code, out = check(capsys, scene)
    assert code == 0 and "depth min 1.500 m / max 2.500 m (1000 depth units per metre)" in out
    code, out = check(capsys, scene, "--depth-scale", "5000")
    assert code == 0 and "depth min 0.300 m / max 0.500 m (5000 depth units per metre)" in out


def test_check_unreadable_or_unknown_data_exits_1_and_usage_errors_exit_2(tmp_path, capsys):
    (tmp_path / "readme.md").write_text("no data")
    code, out = check(capsys, tmp_path)
    assert code == 1 and "no known dataset here; looked for" in out
    scene = write_scene(tmp_path / "scene")
    (scene / "depth" / "000100.png").write_bytes(b"not a png")
    code, out = check(capsys, scene)
    assert code == 1 and f"{scene / 'depth' / '000100.png'}: cannot decode depth image" in out
    assert main(["data", "check", str(tmp_path), "--format", "nonsense"]) == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err


def _assert_png(path, min_bytes=5000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > min_bytes
    with Image.open(path) as image:
        assert image.size[0] > 400 and image.size[1] > 200


def test_preview_object_folder_writes_png(tmp_path, rng, capsys):
    for cls in ("mug", "lamp"):
        (tmp_path / "mine" / cls).mkdir(parents=True)
        np.save(tmp_path / "mine" / cls / "a.npy", rng.standard_normal((300, 3)).astype(np.float32))
    out = tmp_path / "figs" / "p.png"
    assert main(["data", "preview", str(tmp_path / "mine"), "--out", str(out), "--samples", "2",
                 "--num-points", "128"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(out)
    assert "2 samples of 'all' as read (top) and augmented (bottom; object pipeline, 128 -> 128 points)" in lines[0]
    _assert_png(out)
    # one file per sub-folder: pairs of a file with itself, augmented twice
    assert main(["data", "preview", str(tmp_path / "mine"), "--out", str(out), "--pair", "--no-augment"]) == 0
    assert "2 spatial pairs of 'all' (partner = anchor" in capsys.readouterr().out


def test_preview_rgbd_pair_writes_png(tmp_path, capsys):
    scene = write_scene(tmp_path / "scene0000_00")
    out = tmp_path / "pair.png"
    assert main(["data", "preview", str(scene), "--out", str(out), "--samples", "1", "--num-points", "128"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(out)
    assert "1 temporal pair of 'scenes' (partner within 1 frame)" in lines[0] and "scene pipeline" in lines[0]
    _assert_png(out)


def test_pair_titles_name_the_frames_drawn(tmp_path):
    from matplotlib.figure import Figure

    from strl.sequences.pairs import PairDataset

    scene = write_scene(tmp_path / "scene0000_00")
    detected = identify(scene)
    seqs = detected.open()["scenes"]
    args = argparse.Namespace(samples=2, window=1, seed=3, augment=False)
    fig, _ = preview_pairs(lambda w, h: Figure(figsize=(w, h)), detected, "scenes", seqs, args,
                           AugmentConfig(num_points=64, pipeline="scene"), 64)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 6  # anchor, partner, overlay per pair, no augmented columns
    pairs = PairDataset(seqs, 64, window=1, mode="temporal", seed=3)
    for row in range(2):
        t = int(titles[3 * row].rsplit(" ", 1)[1])
        u = int(titles[3 * row + 1].rsplit(" ", 1)[1])
        assert abs(t - u) == 1
        # the partner PairDataset draws for anchor t (item t: one scene) is frame u, shifted by t's origin
        b = pairs[t]["b"].numpy() + seqs.frame(0, t).origin
        frame_u = {tuple(p) for p in np.round(seqs.frame(0, u).points, 4)}
        assert {tuple(p) for p in np.round(b, 4)} <= frame_u


def test_check_sequences_reports_bad_frames_of_any_sequence_set():
    from strl.cli.data_check import check_sequences
    from strl.formats.base import Frame

    class Seqs:
        names = ["walk"]

        def __len__(self):
            return 1

        def num_frames(self, s):
            return 3

        def frame(self, s, t):
            pts = np.zeros((5, 3), np.float32) + t
            if t == 1:
                pts[2, 0] = np.inf
            return Frame(pts, np.full(3, t, np.float32))

    problems = []
    part = check_sequences("seq", Seqs(), 10, problems)
    assert problems == ["seq walk frame 1: has 1 point(s) with NaN or inf coordinates"]
    assert part["items_failed"] == 1 and part["xyz_max"] == [2.0, 2.0, 2.0]
    assert part["origin_min"] == [0.0, 0.0, 0.0] and part["origin_max"] == [2.0, 2.0, 2.0]


def test_check_builtin_reads_its_sequences_and_splits(monkeypatch, capsys, tmp_path):
    """``builtin`` names strl's generated data (a small stand-in here, to skip the generation)."""
    import strl.train.data as train_data
    from strl.formats.builtin import BuiltinClouds, BuiltinSequences

    names = ["chair", "mug"]
    gen = np.random.default_rng(1)

    class Small:
        def sequences(self):
            return BuiltinSequences(gen.standard_normal((2, 3, 16, 3)).astype(np.float32), np.array([0, 1]),
                                    np.zeros((2, 3, 3), np.float32), names)

        def clouds(self, split):
            return BuiltinClouds(gen.standard_normal((4, 32, 3)).astype(np.float32), np.array([0, 0, 1, 1]), names)

    asked = {}
    monkeypatch.setattr(train_data, "builtin_data", lambda **kw: asked.update(kw) or Small())
    monkeypatch.chdir(tmp_path)  # no file called "builtin" here
    code, out = check(capsys, "builtin", "--cache-dir", "c")
    assert code == 0 and asked == {"seed": 0, "cache_dir": "c", "size": "small"}
    assert "format builtin: strl's built-in generated objects (size 'small', seed 0)" in out
    assert "sequences: 2 sequences, 6 frames" in out and "train: 4 clouds" in out and "chair 2, mug 2" in out
