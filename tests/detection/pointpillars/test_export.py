import torch

from pointpillars_helpers import openpcdet_keys
from strl.detection.pointpillars import PointPillars, PointPillarsEncoder, export_openpcdet, preset


def load(path):
    checkpoint = torch.load(path, weights_only=True)
    assert list(checkpoint) == ["model_state"]
    return checkpoint["model_state"]


def test_whole_detector_export_holds_all_127_openpcdet_entries(tmp_path):
    model = PointPillars(preset("pointpillars-kitti"))
    export_openpcdet(model, str(tmp_path / "detector.pth"), global_step=1234)
    state = load(tmp_path / "detector.pth")
    table = openpcdet_keys()
    assert list(state) == list(table)
    assert {k: tuple(v.shape) for k, v in state.items()} == table
    assert state["global_step"].dtype == torch.int64 and state["global_step"].tolist() == [1234]
    torch.testing.assert_close(state["dense_head.conv_box.weight"], model.dense_head.conv_box.weight.detach())


def test_pretrained_encoder_export_holds_vfe_and_backbone_only(tmp_path):
    encoder = PointPillarsEncoder("pointpillars-kitti")
    state = export_openpcdet(encoder, str(tmp_path / "pretrained.pth"))
    loaded = load(tmp_path / "pretrained.pth")
    table = openpcdet_keys()
    expected = [k for k in table if not k.startswith("dense_head.")]
    assert list(loaded) == expected and len(expected) == 121
    assert {k: tuple(v.shape) for k, v in loaded.items()} == {k: table[k] for k in expected}
    for key in expected:
        assert torch.equal(loaded[key], state[key])
    assert all(type(v) is torch.Tensor for v in loaded.values())


def test_export_refuses_foreign_keys(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="projector.weight"):
        export_openpcdet({"projector.weight": torch.zeros(1)}, str(tmp_path / "x.pth"))
