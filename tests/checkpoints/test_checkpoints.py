import json
from collections import OrderedDict

import pytest
import torch

from strl.backbones.dgcnn import DGCNN
from strl.backbones.pointnet import PointNet
from strl.checkpoints.export import export_checkpoint
from strl.checkpoints.load import load_encoder
from strl.checkpoints.read import read_encoder_state
from strl.errors import CheckpointError
from strl.methods.heads import mlp_head


def randomized(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for t in module.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5)
    return module


def official_lightning_checkpoint(encoder, feat_dim, hparams, prefix="online_network."):
    """The layout of an original STRL (PL 0.8.5) checkpoint: target_network.* then online_network.*."""
    state = OrderedDict()
    heads = {"projector": mlp_head(feat_dim), "predictor": mlp_head(256)}
    for net in ("target_network.", prefix):
        for k, v in encoder.state_dict().items():
            state[net + k] = v.clone()
        for name, head in heads.items():
            if name == "predictor" and net == "target_network.":
                continue
            for k, v in head.state_dict().items():
                state[f"{net}{name}.{k}"] = v
    return {"epoch": 59, "global_step": 100, "state_dict": state, "hyper_parameters": hparams}


@pytest.mark.parametrize("prefix", ["online_network.", "online_netwrok."])
def test_official_dgcnn_checkpoint_loads_with_its_hyper_parameters(tmp_path, prefix):
    enc = randomized(DGCNN(k=40))
    path = tmp_path / "epoch=59-val_loss=0.7221.ckpt"
    torch.save(official_lightning_checkpoint(enc, 2048, {"network": "DGCNN", "k": 40, "emb_dims": 1024}, prefix), path)
    loaded = load_encoder(str(path))
    assert loaded.layout == "official"
    assert loaded.description["backbone"] == "dgcnn" and loaded.description["k"] == 40
    assert loaded.report.missing == [] and loaded.report.unexpected == []
    for k, v in enc.state_dict().items():
        assert torch.equal(loaded.encoder.state_dict()[k], v), k


def test_transformed_legacy_checkpoint_and_export_round_trip(tmp_path):
    enc = randomized(PointNet())
    src = tmp_path / "transformed.ckpt"
    torch.save({"state_dict": OrderedDict(enc.state_dict())}, src, _use_new_zipfile_serialization=False)
    out = tmp_path / "export" / "pointnet.pth"
    written = export_checkpoint(str(src), str(out))
    assert str(out) in written and str(tmp_path / "export" / "pointnet.safetensors") in written
    exported = torch.load(out, map_location="cpu", weights_only=True)
    assert list(exported) == ["state_dict"]
    assert list(exported["state_dict"]) == list(PointNet().state_dict())
    strict = PointNet()
    strict.load_state_dict(exported["state_dict"], strict=True)
    x = torch.randn(2, 128, 3)
    torch.testing.assert_close(strict.eval()(x), enc.eval()(x))
    meta = json.loads((tmp_path / "export" / "pointnet.json").read_text())
    assert meta["encoder"]["backbone"] == "pointnet" and meta["encoder"]["emb_dims"] == 1024
    from_st = load_encoder(str(tmp_path / "export" / "pointnet.safetensors"))
    torch.testing.assert_close(from_st.encoder(x), enc(x))


def test_dgcnn_export_has_exactly_the_official_55_keys(tmp_path):
    enc = randomized(DGCNN(k=40))
    src = tmp_path / "in.ckpt"
    torch.save({"state_dict": {"method.backbone." + k: v for k, v in enc.state_dict().items()}, "strl": {"format_version": 1, "encoder": {"backbone": "dgcnn", "k": 40, "emb_dims": 1024}}}, src)
    export_checkpoint(str(src), str(tmp_path / "out.ckpt"))
    sd = torch.load(tmp_path / "out.ckpt", weights_only=True)["state_dict"]
    assert len(sd) == 55 and set(sd) == set(DGCNN().state_dict())
    assert torch.equal(sd["bn2.weight"], sd["conv2.1.weight"])


def test_wrong_backbone_and_bad_files_are_refused(tmp_path):
    src = tmp_path / "pn.ckpt"
    torch.save({"state_dict": PointNet().state_dict()}, src)
    with pytest.raises(CheckpointError, match="pointnet"):
        load_encoder(str(src), backbone="dgcnn")
    described = tmp_path / "ours.ckpt"
    torch.save({"state_dict": {"method.backbone." + k: v for k, v in PointNet().state_dict().items()}, "strl": {"encoder": {"backbone": "pointnet"}}}, described)
    with pytest.raises(CheckpointError, match="holds a pointnet encoder"):
        load_encoder(str(described), backbone="dgcnn")
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="garbage.ckpt"):
        read_encoder_state(garbage)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_encoder_state(tmp_path / "missing.ckpt")
    empty = tmp_path / "empty.ckpt"
    torch.save({"epoch": 3}, empty)
    with pytest.raises(CheckpointError, match="no state_dict"):
        read_encoder_state(empty)


def test_partial_checkpoint_reports_missing_keys(tmp_path):
    sd = PointNet().state_dict()
    del sd["bn5.running_var"]
    sd["extra.weight"] = torch.zeros(1)
    path = tmp_path / "partial.ckpt"
    torch.save({"state_dict": sd}, path)
    loaded = load_encoder(str(path))
    assert loaded.report.missing == ["bn5.running_var"]
    assert loaded.report.unexpected == ["extra.weight"]
    assert any("missing" in line for line in loaded.report.lines())


def test_loading_a_dgcnn_without_a_described_k_warns_with_the_assumed_k(tmp_path, caplog):
    path = tmp_path / "transformed.ckpt"
    torch.save({"state_dict": DGCNN(k=40, emb_dims=32).state_dict()}, path)
    with caplog.at_level("WARNING", logger="strl"):
        assert load_encoder(str(path)).description["k"] == 40
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "transformed.ckpt" in warning and "k = 40" in warning and "--k" in warning
    caplog.clear()
    with caplog.at_level("WARNING", logger="strl"):
        assert load_encoder(str(path), k=20).encoder.k == 20  # a k given: nothing assumed
        torch.save({"state_dict": PointNet().state_dict()}, path)
        load_encoder(str(path))  # no k-NN graph: nothing to assume
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
