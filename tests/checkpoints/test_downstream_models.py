"""Our encoders' weights, written as a checkpoint file, load into the downstream models and give the
same features there.

The checkpoint files come from the functions in ``WRITERS``: ``write_transformed`` writes the layout
of the original transform scripts straight from the encoder's state_dict; ``write_via_export`` goes
through ``strl.checkpoints.export``. A new export path is tested by adding a writer there.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from downstream_models import (  # noqa: E402
    DGCNNCls,
    DGCNNPartSegNet,
    DGCNNSemSegNet,
    DownstreamModel,
    PointNetCls,
    VoteNetStandIn,
    assert_loads_into,
    load_like_downstream,
    randomize_,
    transformed_checkpoint,
)

from strl.backbones.dgcnn import DGCNN  # noqa: E402
from strl.backbones.dgcnn_partseg import DGCNNPartSeg  # noqa: E402
from strl.backbones.dgcnn_semseg import DGCNNSemSeg  # noqa: E402
from strl.backbones.pointnet import PointNet  # noqa: E402
from strl.backbones.pointnet2 import VoteNetBackbone  # noqa: E402

K = 16


@dataclass
class Case:
    backbone: str  # strl's registry name
    encoder: Callable[[], torch.nn.Module]
    downstream: Callable[[], DownstreamModel]
    channels_first: bool = True  # the downstream model takes (B, C, N)
    num_points: int = 128


CASES = {
    "dgcnn-cls": Case("dgcnn", lambda: DGCNN(k=K), lambda: DGCNNCls(k=K)),
    "pointnet-cls": Case("pointnet", lambda: PointNet(), lambda: PointNetCls()),
    "dgcnn-semseg": Case("dgcnn-semseg", lambda: DGCNNSemSeg(k=K), lambda: DGCNNSemSegNet(k=K)),
    "dgcnn-partseg": Case("dgcnn-partseg", lambda: DGCNNPartSeg(k=K), lambda: DGCNNPartSegNet(k=K)),
    "votenet": Case("votenet", lambda: VoteNetBackbone(), lambda: VoteNetStandIn(), channels_first=False,
                    num_points=2048),
}


def write_transformed(case: Case, encoder: torch.nn.Module, folder) -> str:
    """The original transform scripts' layout, written from the encoder's state_dict."""
    path = os.path.join(folder, f"{case.backbone}_transformed.ckpt")
    key = "model_state_dict" if case.backbone == "votenet" else "state_dict"
    torch.save(transformed_checkpoint(encoder.state_dict(), key), path)
    return path


def write_via_export(case: Case, encoder: torch.nn.Module, folder) -> str:
    """A strl Lightning-style checkpoint of ``encoder``, exported by ``strl.checkpoints.export``."""
    from strl.checkpoints.export import export_checkpoint

    src = os.path.join(folder, "strl.ckpt")
    desc = {"backbone": case.backbone, "k": getattr(encoder, "k", None), "emb_dims": getattr(encoder, "emb_dims", 1024)}
    torch.save({"state_dict": {"method.backbone." + k: v for k, v in encoder.state_dict().items()}, "strl": {"format_version": 1, "encoder": desc}}, src)
    out = os.path.join(folder, f"{case.backbone}_exported.ckpt")
    export_checkpoint(src, out)
    return out


WRITERS = [write_transformed, write_via_export]


def downstream_input(case: Case, points: torch.Tensor) -> torch.Tensor:
    return points.transpose(1, 2) if case.channels_first else points


@pytest.fixture(params=list(CASES))
def case(request):
    return CASES[request.param]


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__name__)
def test_checkpoint_fills_exactly_the_encoder_part(case, writer, tmp_path):
    encoder = randomize_(case.encoder())
    path = writer(case, encoder, str(tmp_path))
    model = case.downstream()
    state = assert_loads_into(model, path)
    loaded = model.state_dict()
    for key in model.encoder_state_keys():
        assert torch.equal(loaded[key], encoder.state_dict()[key.removeprefix("backbone_net.")]), key


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("name", [n for n in CASES if n != "votenet"])
def test_downstream_encoder_reproduces_our_features(name, writer, tmp_path):
    """VoteNet (whose forward takes seconds) has a test of its own below."""
    case = CASES[name]
    encoder = randomize_(case.encoder()).eval()
    path = writer(case, encoder, str(tmp_path))
    model = case.downstream().eval()
    assert_loads_into(model, path)
    points = torch.randn(2, case.num_points, 3, generator=torch.Generator().manual_seed(1))
    x = downstream_input(case, points)
    with torch.no_grad():
        ours = encoder(points)
        if hasattr(encoder, "point_features") and hasattr(model, "encoder_point_features"):
            per_point, theirs_per_point = encoder.point_features(points), model.encoder_point_features(x)
            for a, b in zip(theirs_per_point, per_point, strict=True):
                torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
            theirs = theirs_per_point[3].amax(dim=-1)
        else:
            theirs = model.encoder_features(x)
    assert ours.shape == theirs.shape == (2, encoder.feature_dim)
    assert ours.abs().max() > 0.1  # a non-trivial feature
    torch.testing.assert_close(theirs, ours, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_votenet_export_reproduces_our_seeds_in_an_independent_votenet(tmp_path):
    """The exported file in the stand-in VoteNet (its own modules and point ops) gives our seed points,
    seed features and pooled feature."""
    case = CASES["votenet"]
    encoder = randomize_(case.encoder()).eval()
    model = case.downstream().eval()
    assert_loads_into(model, write_via_export(case, encoder, str(tmp_path)))
    points = torch.randn(1, case.num_points, 3, generator=torch.Generator().manual_seed(1))
    points = points * (1 + 0.3 / points.norm(dim=-1, keepdim=True))  # none near the origin: sa1 samples each once
    with torch.no_grad():
        ours = encoder.forward_seeds(points)
        theirs = model.backbone_net(points)
    pooled = ours["seed_features"].max(dim=-1)[0]  # what VoteNetBackbone.forward returns
    torch.testing.assert_close(theirs["fp2_inds"], ours["seed_inds"].long())
    torch.testing.assert_close(theirs["fp2_xyz"], ours["seed_xyz"])
    torch.testing.assert_close(theirs["fp2_features"], ours["seed_features"], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(theirs["fp2_features"].max(dim=-1)[0], pooled, rtol=1e-4, atol=1e-4)
    assert pooled.shape == (1, 256) and pooled.abs().max() > 0.1


def test_segmentation_heads_take_our_per_point_features(tmp_path):
    """``with_global()`` is the 1216-channel input of the semseg head, in the downstream order; the
    partseg head runs on what our encoder's weights produce."""
    points = torch.randn(2, 128, 3, generator=torch.Generator().manual_seed(2))
    semseg, partseg = CASES["dgcnn-semseg"], CASES["dgcnn-partseg"]
    encoder = randomize_(semseg.encoder()).eval()
    model = randomize_(semseg.downstream(), seed=3).eval()
    with torch.no_grad():
        model.encoder_part().load_state_dict(encoder.state_dict(), strict=False)
        ours = model.conv9(model.conv8(model.conv7(encoder.point_features(points).with_global())))
        torch.testing.assert_close(model(points.transpose(1, 2)), ours, rtol=1e-4, atol=1e-4)
    assert ours.shape == (2, 13, 128)
    model = partseg.downstream().eval()
    assert_loads_into(model, write_transformed(partseg, randomize_(partseg.encoder()), str(tmp_path)))
    with torch.no_grad():
        logits = model(points.transpose(1, 2), torch.eye(16)[[3, 7]])
    assert logits.shape == (2, 50, 128) and torch.isfinite(logits).all()


def test_semseg_and_partseg_load_as_the_reference_reports(tmp_path):
    """BYOL-Semseg's 88 keys all match, only conv9 stays fresh; BYOL-Partseg's 128 keys all match,
    conv7..conv11 stay fresh (reference, downstream loading rules)."""
    semseg = CASES["dgcnn-semseg"]
    _, missing, unexpected = load_like_downstream(semseg.downstream(), write_transformed(semseg, semseg.encoder(), str(tmp_path)))
    assert unexpected == [] and missing == ["conv9.weight"]
    partseg = CASES["dgcnn-partseg"]
    _, missing, unexpected = load_like_downstream(partseg.downstream(), write_transformed(partseg, partseg.encoder(), str(tmp_path)))
    assert unexpected == []
    assert {k.split(".")[0] for k in missing} == {"conv7", "conv8", "conv9", "conv10", "conv11"}
    assert not any(k.startswith("bn") for k in missing)


def test_our_untrained_modules_are_only_head_modules_downstream():
    for name in ("dgcnn-semseg", "dgcnn-partseg"):
        case = CASES[name]
        encoder, model = case.encoder(), case.downstream()
        untrained = [k for k in encoder.state_dict() if k.startswith(encoder.untrained_prefixes)]
        assert untrained and set(untrained) <= set(model.head_state_keys())
        trained = set(encoder.state_dict()) - set(untrained)
        assert trained == set(model.encoder_state_keys())


def test_checker_rejects_files_that_would_load_nothing(tmp_path):
    """An untransformed checkpoint (keys still prefixed) or another backbone's weights are caught."""
    case = CASES["dgcnn-cls"]
    prefixed = {"online_network." + k: v for k, v in case.encoder().state_dict().items()}
    path = tmp_path / "untransformed.ckpt"
    torch.save({"state_dict": prefixed}, path)
    with pytest.raises(AssertionError, match="does not have"):
        assert_loads_into(case.downstream(), path)
    torch.save({"state_dict": DGCNN(k=K).state_dict()}, path)
    with pytest.raises(RuntimeError, match="size mismatch"):
        assert_loads_into(CASES["dgcnn-semseg"].downstream(), path)
    torch.save({"state_dict": {k: v for k, v in PointNet().state_dict().items() if not k.startswith("bn5")}}, path)
    with pytest.raises(AssertionError, match="unloaded"):
        assert_loads_into(PointNetCls(), path)


def test_votenet_with_a_height_channel_cannot_take_the_weights(tmp_path):
    """Downstream VoteNet needs --no_height: sa1's first layer would see 4 input channels, not 3."""
    case = CASES["votenet"]
    path = write_transformed(case, case.encoder(), str(tmp_path))
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_like_downstream(VoteNetStandIn(input_feature_dim=1), path)
