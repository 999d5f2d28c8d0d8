"""``strl data check builtin-streets`` and ``strl data preview builtin-streets`` (the bird's-eye view
of labelled frames with their boxes, which KITTI object folders get too)."""

from __future__ import annotations

import pytest
from PIL import Image

from strl.cli.main import main
from strl.formats.builtin_streets import dataset as streets

TINY = dict(sequences=1, sweeps=3, train_frames=2, val_frames=1, beams=16, azimuth_steps=256, max_range=40.0)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setitem(streets.SIZES, "small", TINY)
    monkeypatch.chdir(tmp_path)  # no file called "builtin-streets" here
    return str(tmp_path / "cache")


def test_check_builtin_streets_reports_sweeps_and_labelled_splits(cache, capsys):
    assert main(["data", "check", "builtin-streets", "--cache-dir", cache]) == 0
    out = capsys.readouterr().out
    assert "format builtin-streets: strl's built-in generated streets (size 'small', seed 0)" in out
    assert "sequences: 1 sequence, 3 frames" in out
    assert "KITTI object split 'train': 2 frame(s) with all their files" in out
    assert "objects: Car" in out and "image_2 sizes (w x h): 1242x375 (2)" in out
    assert out.rstrip().endswith("result: usable")


def test_preview_draws_labelled_frames_from_above_unless_pairs_are_asked(cache, capsys, tmp_path):
    assert main(["data", "preview", "builtin-streets", "--cache-dir", cache, "--out", "bev.png"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].startswith("builtin-streets: 2 frames of 'train' with their boxes")
    assert Image.open(tmp_path / "bev.png").size == (1200, 560)
    assert main(["data", "preview", "builtin-streets", "--cache-dir", cache, "--out", "pairs.png", "--pair"]) == 0
    assert "temporal pairs of 'sequences'" in capsys.readouterr().out
    assert main(["data", "preview", "builtin-streets", "--cache-dir", cache, "--out", "val.png", "--part", "val",
                 "--samples", "1"]) == 0
    assert "1 frame of 'val' with their boxes" in capsys.readouterr().out
