"""The indoor detection task's parts on tiny SUN RGB-D files (VoteNet's prepared layout)."""

import os
import sys

import numpy as np
import pytest
import torch

from strl.backbones.pointnet2 import VoteNetBackbone
from strl.metrics.prediction_files import validate_predictions
from strl.settings.resolve import resolve_settings
from strl.tasks.detect import DetectTask

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "formats"))
from scene_files import write_sunrgbd, write_sunrgbd_view  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")  # small tensors through many small ops


@pytest.fixture
def sunrgbd(tmp_path):
    root = write_sunrgbd(tmp_path, np.random.default_rng(0))
    write_sunrgbd_view(root / "sunrgbd_pc_bbox_votes_50k_v1_train", "000004", np.random.default_rng(4))
    return root


def settings(task, root, **changes):
    values = {**task.presets["votenet-sunrgbd"], "root": str(root), "num_points": 128,
              "votenet_npoints": [32, 16, 8, 4], "num_proposals": 8, "batch_size": 2, **changes}
    return resolve_settings(task.settings, [("test", values)])


def test_sunrgbd_data_model_and_scored_predictions(sunrgbd):
    task = DetectTask()
    cfg = settings(task, sunrgbd, label_fraction=[1.0], val_fraction=0.3)
    data = task.data(cfg, 1.0, seed=0)
    info = data.info
    assert info["dataset"] == "sunrgbd" and info["num_heading_bin"] == 12 and info["class_names"][0] == "bed"
    assert (info["train_samples"], info["val_samples"], info["test_samples"]) == (2, 1, 1)
    first, again = data.train[(0, 3)], data.train[(0, 3)]
    assert first.points.shape == (128, 3) and torch.equal(first.points, again.points)  # keyed by (index, epoch)
    assert not torch.equal(first.points, data.train[(0, 4)].points)
    batch = data.collate([data.train[(i, 0)] for i in range(2)])
    torch.manual_seed(0)
    model = task.build_model(cfg, VoteNetBackbone(), info)
    loss = task.loss(model, batch, cfg)
    assert loss.ndim == 0 and torch.isfinite(loss) and task.batch_size(batch) == 2
    task.on_train_epoch_start(model, 20, cfg)  # VoteNet's BatchNorm momentum: halved after 20 epochs
    assert model.vgen.bn1.momentum == 0.25
    evaluation = task.evaluate(model.eval(), data.test, cfg, torch.device("cpu"))
    assert set(evaluation.metrics) == {"map_25", "map_50", "ar_25", "ar_50"}
    checked = validate_predictions("detect", evaluation.predictions)
    assert set(checked["gt_scene"].tolist()) == {"000003"} and len(checked["gt_boxes"]) == 1
    assert checked["class_names"].tolist() == info["class_names"]
    rebuilt = task.rebuild_model(VoteNetBackbone(), task.head_description(info))
    rebuilt.load_state_dict(model.state_dict())  # strict: the head description rebuilds the same model


def test_the_height_channel_is_a_fourth_input_and_logged(sunrgbd, capsys):
    task = DetectTask()
    cfg = settings(task, sunrgbd, use_height=True)
    data = task.data(cfg, 1.0, seed=0)
    assert "with VoteNet's height channel" in capsys.readouterr().out
    assert data.train[(0, 0)].points.shape == (128, 4)
    model = task.build_model(cfg, VoteNetBackbone(), data.info)
    assert model.encoder.sa1.mlp_module.layer0.conv.weight.shape == (64, 4, 1, 1)
