"""The built-in streets as the pre-training source ``builtin-streets``, down to a training step."""

from __future__ import annotations

import os

import pytest
import torch

from strl.formats.builtin_streets import dataset as streets
from strl.sequences.kitti import KittiSequences
from strl.train.config import make_config
from strl.train.data import pretrain_sequences
from strl.train.run import pretrain

TINY = dict(sequences=1, sweeps=3, train_frames=1, val_frames=1, beams=8, azimuth_steps=128, max_range=30.0)


@pytest.fixture
def tiny_small(monkeypatch):
    """``builtin_size="small"`` made tinier still, so a test generates it in a fraction of a second."""
    monkeypatch.setitem(streets.SIZES, "small", TINY)


def test_builtin_streets_source_reads_the_cached_odometry_layout(tmp_path, tiny_small):
    cfg = make_config(dataset="builtin-streets", builtin_size="small", cache_dir=str(tmp_path), max_range=20.0)
    seqs = pretrain_sequences(cfg)
    assert isinstance(seqs, KittiSequences) and len(seqs) == 1 and seqs.num_frames(0) == 3
    assert seqs.max_range == 20.0 and (tmp_path / streets.sized_config("small").cache_name() / "odometry").is_dir()


@pytest.mark.slow
def test_pretrain_on_builtin_streets(tmp_path, tiny_small):
    cfg = make_config(dataset="builtin-streets", builtin_size="small", cache_dir=str(tmp_path / "cache"),
                      augment="scene", up_axis=1, num_points=128, frame_points=256, window=1, pair_mode="temporal",
                      emb_dims=32, hidden_dim=32, proj_dim=16, batch_size=3, epochs=1, num_workers=0, progress=False,
                      probe="none", final_eval=False, out_dir=str(tmp_path), name="streets", accelerator="cpu")
    folder, _ = pretrain(cfg)
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)
    assert ckpt["global_step"] == 1


def test_streets_pairs_arrive_in_the_anchor_velodyne_frame(tmp_path, tiny_small):
    """The streets are written with camera-0 poses (y down); pairs come out in the LiDAR frame (z up)."""
    import numpy as np

    from strl.sequences.kitti_files import read_velodyne
    from strl.sequences.pairs import PairDataset

    seqs = pretrain_sequences(make_config("pointpillars-streets", builtin_size="small", cache_dir=str(tmp_path)))
    sweep = read_velodyne(seqs.sweep_path(0, 1))[:, :3]
    item = PairDataset(seqs, frame_points=len(sweep), window=1, mode="temporal", seed=0)[1]
    rows = lambda c: np.asarray(c, np.float64)[np.lexsort(np.asarray(c, np.float64).T[::-1])]  # noqa: E731
    np.testing.assert_allclose(rows(item["a"]), rows(sweep), atol=1e-3)  # the anchor sweep as the sensor saw it
    partner = item["b"].numpy()
    assert abs(np.median(partner[:, 2]) - np.median(sweep[:, 2])) < 0.3  # the same ground height: z is up


@pytest.mark.slow
def test_pretrain_preset_pointpillars_streets_end_to_end(tmp_path, tiny_small, capsys):
    """``strl pretrain --preset pointpillars-streets`` (tiny settings), then the checkpoint's encoder
    is rebuilt from its description and exported for OpenPCDet."""
    from strl.checkpoints.load import load_encoder
    from strl.cli.main import main
    from strl.detection.pointpillars import PointPillarsEncoder

    argv = ["pretrain", "--preset", "pointpillars-streets", "--builtin-size", "small", "--cache-dir", str(tmp_path / "cache"),
            "--num-points", "2048", "--frame-points", "4096", "--batch-size", "2", "--epochs", "1", "--hidden-dim", "32",
            "--proj-dim", "16", "--num-workers", "0", "--no-progress", "--accelerator", "cpu",
            "--out-dir", str(tmp_path), "--name", "pp"]
    assert main(argv) == 0
    assert "byol loss, mean of the last epoch" in capsys.readouterr().out
    ckpt = tmp_path / "pp" / "checkpoints" / "last.ckpt"
    loaded = load_encoder(str(ckpt))
    assert isinstance(loaded.encoder, PointPillarsEncoder) and loaded.encoder.cfg.name == "pointpillars-laptop"
    assert loaded.description["config"] == "pointpillars-laptop" and loaded.report.lines() == ["all keys matched"]
    trained = torch.load(ckpt, weights_only=True)
    assert trained["global_step"] == 1 and loaded.global_step == 1
    for key, value in loaded.encoder.state_dict().items():
        assert torch.equal(value, trained["state_dict"]["method.backbone." + key]), key
    out = tmp_path / "pointpillar.pth"
    assert main(["export", str(ckpt), "--to", "openpcdet-pointpillar", str(out)]) == 0
    state = torch.load(out, weights_only=True)["model_state"]
    assert state["global_step"].tolist() == [1]
    assert list(state)[1:] == list(loaded.encoder.state_dict())
