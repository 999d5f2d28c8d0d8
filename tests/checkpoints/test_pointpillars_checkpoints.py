"""Pre-trained PointPillars checkpoints: the encoder description rebuilds the same encoder, and the
OpenPCDet export holds exactly the backbone entries of OpenPCDet's PointPillar."""

from __future__ import annotations

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "detection", "pointpillars"))
from pointpillars_helpers import openpcdet_keys  # noqa: E402

from strl.checkpoints.export import export_checkpoint  # noqa: E402
from strl.checkpoints.load import load_encoder  # noqa: E402
from strl.detection.pointpillars import PointPillarsEncoder  # noqa: E402
from strl.errors import CheckpointError  # noqa: E402
from strl.train.config import make_config  # noqa: E402
from strl.train.module import PretrainModule  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_thread")


def write_pretrained(path, preset: str, global_step: int = 0, **changes) -> PretrainModule:
    """A checkpoint laid out as ``strl pretrain`` writes it (Lightning state_dict + the ``strl`` entry)."""
    torch.manual_seed(0)
    module = PretrainModule(make_config(preset, hidden_dim=16, proj_dim=8, **changes))
    for name, buffer in module.method.backbone.named_buffers():  # non-default statistics, so a load shows
        if buffer.is_floating_point():
            buffer.uniform_(0.5, 1.5)
    checkpoint = {"state_dict": module.state_dict(), "global_step": global_step}
    module.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, path)
    return module


@pytest.mark.parametrize("preset, grid, width", [("pointpillars-kitti-seq", [432, 496, 1], 768),
                                                 ("pointpillars-streets", [128, 128, 1], 384)])
def test_description_rebuilds_the_same_encoder(tmp_path, preset, grid, width):
    module = write_pretrained(tmp_path / "last.ckpt", preset)
    loaded = load_encoder(str(tmp_path / "last.ckpt"))
    desc = loaded.description
    assert desc["backbone"] == "pointpillars" and desc["config"] == module.cfg.detector_config
    assert desc["grid_size"] == grid and desc["emb_dims"] == width and desc["in_channels"] == 4
    encoder = loaded.encoder
    assert isinstance(encoder, PointPillarsEncoder) and encoder.cfg == module.encoder.cfg
    assert loaded.report.lines() == ["all keys matched"]
    ours = module.encoder.state_dict()
    assert list(encoder.state_dict()) == list(ours)
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, ours[key]), key


def test_checkpoint_of_another_grid_is_refused(tmp_path):
    write_pretrained(tmp_path / "last.ckpt", "pointpillars-streets")
    checkpoint = torch.load(tmp_path / "last.ckpt", weights_only=True)
    checkpoint["strl"]["encoder"]["config"] = "pointpillars-kitti"  # the description names the wrong grid
    torch.save(checkpoint, tmp_path / "wrong.ckpt")
    with pytest.raises(CheckpointError, match="does not fit"):
        load_encoder(str(tmp_path / "wrong.ckpt"))


def test_openpcdet_export_holds_exactly_the_backbone_entries_of_the_reference_table(tmp_path):
    module = write_pretrained(tmp_path / "last.ckpt", "pointpillars-kitti-seq", global_step=1234)
    written = export_checkpoint(str(tmp_path / "last.ckpt"), str(tmp_path / "pointpillar.pth"), to="openpcdet-pointpillar")
    assert written[0] == str(tmp_path / "pointpillar.pth")
    checkpoint = torch.load(tmp_path / "pointpillar.pth", weights_only=True)
    assert list(checkpoint) == ["model_state"]
    state = checkpoint["model_state"]
    table = openpcdet_keys()
    backbone = {k: shape for k, shape in table.items() if not k.startswith("dense_head.")}
    assert list(state) == list(backbone) and len(state) == 121
    assert {k: tuple(v.shape) for k, v in state.items()} == backbone
    assert state["global_step"].dtype == torch.int64 and state["global_step"].tolist() == [1234]
    ours = module.encoder.state_dict()
    assert all(torch.equal(state[k], ours[k]) for k in ours)


def test_openpcdet_export_is_the_default_for_pointpillars_and_refused_for_others(tmp_path):
    write_pretrained(tmp_path / "last.ckpt", "pointpillars-streets", global_step=3)
    export_checkpoint(str(tmp_path / "last.ckpt"), str(tmp_path / "pp.pth"))
    state = torch.load(tmp_path / "pp.pth", weights_only=True)["model_state"]
    assert list(state)[0] == "global_step" and all(k.startswith(("vfe.", "backbone_2d.")) for k in list(state)[1:])
    with pytest.raises(CheckpointError, match="holds a pointpillars encoder; the votenet code base takes votenet"):
        export_checkpoint(str(tmp_path / "last.ckpt"), str(tmp_path / "v.pth"), to="votenet")
