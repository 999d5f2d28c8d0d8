"""DGCNN ``k``: one default per backbone, the same for training, the registry and checkpoint loading."""

import pytest
import torch

from strl.backbones import BACKBONES, build_backbone
from strl.backbones.dgcnn import DGCNN
from strl.backbones.dgcnn_partseg import DGCNNPartSeg
from strl.backbones.dgcnn_semseg import DGCNNSemSeg
from strl.checkpoints.load import load_encoder
from strl.train.config import make_config
from strl.train.module import build_method, encoder_description

# the original configurations (reference: original-code.md): cls k 40, semseg k 20, partseg k 40
ORIGINAL_K = {"dgcnn": 40, "dgcnn-semseg": 20, "dgcnn-partseg": 40}
CLASSES = {"dgcnn": DGCNN, "dgcnn-semseg": DGCNNSemSeg, "dgcnn-partseg": DGCNNPartSeg}


@pytest.mark.parametrize("name", sorted(ORIGINAL_K))
def test_every_path_to_a_dgcnn_uses_the_same_default_k(name, tmp_path):
    k = ORIGINAL_K[name]
    assert CLASSES[name](emb_dims=16).k == k
    assert BACKBONES[name](emb_dims=16).k == k
    assert build_backbone(name, emb_dims=16).k == k
    cfg = make_config(backbone=name, emb_dims=16)
    assert build_method(cfg).backbone.k == k
    assert encoder_description(cfg)["k"] == k
    path = tmp_path / "transformed.ckpt"
    torch.save({"state_dict": build_backbone(name, emb_dims=16).state_dict()}, path)
    loaded = load_encoder(str(path), backbone=name)
    assert loaded.encoder.k == loaded.description["k"] == k


def test_a_given_k_wins_and_backbones_without_a_graph_have_none():
    assert build_method(make_config(backbone="dgcnn", k=12, emb_dims=16)).backbone.k == 12
    assert encoder_description(make_config(backbone="pointnet"))["k"] is None
