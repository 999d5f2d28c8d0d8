"""Pre-training data sources by name, including an end-to-end run on KITTI-layout sweeps."""

import os
import sys

import h5py
import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sequences"))
from test_kitti import write_sequence  # noqa: E402  (sweeps of a static scene from a moving sensor)
from test_rgbd import write_room  # noqa: E402  (ScanNet-layout frames of a ray-cast room)

from strl.errors import ConfigError, DataError  # noqa: E402
from strl.train.config import make_config  # noqa: E402
from strl.train.data import eval_clouds, pretrain_sequences  # noqa: E402
from strl.train.run import pretrain  # noqa: E402


def test_unknown_or_missing_sources_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="'dataset' must be one of builtin, .*got 'shapenet2'"):
        make_config(dataset="shapenet2")
    with pytest.raises(ConfigError, match="--root"):
        pretrain_sequences(make_config(dataset="shapenet"))
    with pytest.raises(DataError, match="nope.npz"):
        pretrain_sequences(make_config(dataset="shapenet", root=str(tmp_path / "nope.npz")))


def test_scannet_frames_are_read_at_the_configured_depth_scale(tmp_path):
    for name in ("scene0000_00", "scene0001_00"):
        write_room(tmp_path / name)
    settings = dict(dataset="scannet", root=str(tmp_path), val_fraction=0.0, depth_stride=1)
    mm = pretrain_sequences(make_config(**settings)).frame(0, 1)
    tum = pretrain_sequences(make_config(**settings, depth_scale=5000.0)).frame(0, 1)
    np.testing.assert_allclose(tum.points - tum.origin, (mm.points - mm.origin) / 5, atol=1e-5)


def test_modelnet40_pretrains_on_every_point_of_either_layout(tmp_path):
    rng = np.random.default_rng(0)
    h5 = tmp_path / "modelnet40_ply_hdf5_2048"
    h5.mkdir()
    with h5py.File(h5 / "ply_data_train0.h5", "w") as f:  # the release holds 2048 points per shape
        f["data"] = rng.normal(size=(3, 2048, 3)).astype(np.float32)
        f["label"] = np.array([[0], [5], [8]], np.uint8)
    normal = tmp_path / "modelnet40_normal_resampled"
    (normal / "chair").mkdir(parents=True)
    (normal / "modelnet40_shape_names.txt").write_text("airplane\nchair\n")
    (normal / "modelnet40_train.txt").write_text("chair_0001\n")
    np.savetxt(normal / "chair" / "chair_0001.txt", rng.normal(size=(300, 6)), delimiter=",", fmt="%.5f")
    for root, sequences, points in ((h5, 3, 2048), (normal, 1, 300)):
        seqs = pretrain_sequences(make_config(dataset="modelnet40", root=str(root)))
        assert len(seqs) == sequences and seqs.frame(0, 0).points.shape == (points, 3)


def test_scanobjectnn_evaluation_source(tmp_path):
    folder = tmp_path / "h5_files" / "main_split"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("training", "test"):
        with h5py.File(folder / f"{prefix}_objectdataset_augmentedrot_scale75.h5", "w") as f:
            f["data"] = rng.normal(size=(6, 64, 3)).astype(np.float32)
            f["label"] = np.arange(6) % 3
    clouds = eval_clouds("scanobjectnn-pb-t50-rs", str(tmp_path / "h5_files"), "test", 64)
    assert len(clouds) == 6 and list(clouds.labels) == [0, 1, 2, 0, 1, 2]


@pytest.mark.slow
def test_pretrain_on_kitti_sweeps(tmp_path):
    write_sequence(tmp_path / "kitti", sweeps=4)
    cfg = make_config(dataset="kitti", root=str(tmp_path / "kitti"), augment="scene", num_points=128, frame_points=256,
                      window=1, pair_mode="temporal", emb_dims=32, hidden_dim=32, proj_dim=16, batch_size=2,
                      epochs=1, num_workers=0, progress=False, probe="none", final_eval=False,
                      out_dir=str(tmp_path), name="kitti", accelerator="cpu")
    folder, _ = pretrain(cfg)
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)
    assert ckpt["global_step"] == 2


@pytest.mark.slow
def test_pretrain_on_rendered_views_of_shapenet_shapes(tmp_path):
    """``--dataset shapenet-views``: eight partial views per shape, paired within the window."""
    rng = np.random.default_rng(0)
    sphere = rng.normal(size=(4, 400, 3))
    np.savez(tmp_path / "shapenet57448xyzonly.npz",
             data=(sphere / np.linalg.norm(sphere, axis=-1, keepdims=True)).astype(np.float32))
    cfg = make_config(dataset="shapenet-views", root=str(tmp_path / "shapenet57448xyzonly.npz"), num_points=64,
                      window=1, pair_mode="temporal", emb_dims=16, hidden_dim=16, proj_dim=8, batch_size=8,
                      epochs=1, num_workers=0, progress=False, probe="none", final_eval=False,
                      out_dir=str(tmp_path), name="views", accelerator="cpu")
    views = pretrain_sequences(cfg)
    assert len(views) == 4 and views.num_frames(0) == 8
    first, second = views.frame(0, 0).points, views.frame(0, 1).points
    assert first.shape == (64, 3) and not np.allclose(first, second)  # another view of the same shape
    assert (first @ first.mean(0) > 0).mean() > 0.75  # mostly one side of the sphere (all of it: 0.5)
    folder, _ = pretrain(cfg)
    ckpt = torch.load(os.path.join(folder, "checkpoints", "last.ckpt"), weights_only=True)
    assert ckpt["global_step"] == 4  # 32 views in batches of 8


def test_kitti_raw_source_leaves_out_frames_near_object_val_frames(tmp_path, caplog):
    import logging

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
    from kitti_fixtures import write_mapping
    from kitti_raw_fixtures import write_drive

    write_mapping(tmp_path / "object")  # val holds raw frame 10 of 2011_09_26_drive_0001 (3 val frames in all)
    write_drive(tmp_path / "raw", drive="0001", frames=range(13))
    cfg = make_config(dataset="kitti-raw", root=str(tmp_path / "raw"), exclude_object_split="val",
                      object_root=str(tmp_path / "object"), exclude_window=2)
    with caplog.at_level(logging.INFO, logger="strl"):
        seqs = pretrain_sequences(cfg)
    assert seqs.excluded == 5 and [list(f) for f in seqs.frame_numbers] == [list(range(8))]  # 8..12 left out
    assert "left out 5 of 13 raw frames within 2 frames of the 3 KITTI object val frames" in caplog.text
    everything = pretrain_sequences(cfg.replace(exclude_object_split=""))
    assert everything.excluded == 0 and everything.num_frames(0) == 13
