"""strl's task models against the reference models rebuilt in ``tests/checkpoints/downstream_models.py``
(their own plain forward: full edge tensors, repeated global features, one-hot categories)."""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "checkpoints"))
from downstream_models import DGCNNCls, DGCNNPartSegNet, DGCNNSemSegNet, PointNetCls, randomize_  # noqa: E402

from strl.backbones.dgcnn import DGCNN  # noqa: E402
from strl.backbones.dgcnn_partseg import DGCNNPartSeg  # noqa: E402
from strl.backbones.dgcnn_semseg import DGCNNSemSeg  # noqa: E402
from strl.backbones.pointnet import PointNet  # noqa: E402
from strl.models import Classifier, PartSegmenter, SemanticSegmenter  # noqa: E402

K = 8
E = 128  # emb_dims: small, so that the tests are quick
B, N = 4, 48


@dataclass
class Case:
    model: Callable[[], torch.nn.Module]
    reference: Callable[[], torch.nn.Module]
    channels: int = 3
    categories: bool = False  # the model also takes (B,) categories; the reference their one-hot


CASES = {
    "dgcnn-cls": Case(lambda: Classifier(DGCNN(k=K, emb_dims=E), 40), lambda: DGCNNCls(k=K, emb_dims=E, classes=40)),
    "pointnet-cls": Case(lambda: Classifier(PointNet(emb_dims=E), 10), lambda: PointNetCls(emb_dims=E, classes=10)),
    "partseg": Case(lambda: PartSegmenter(DGCNNPartSeg(k=K, emb_dims=E)), lambda: DGCNNPartSegNet(k=K, emb_dims=E), categories=True),
    "semseg-xyz": Case(lambda: SemanticSegmenter(DGCNNSemSeg(k=K, emb_dims=E)), lambda: DGCNNSemSegNet(k=K, emb_dims=E)),
    "semseg-9ch": Case(lambda: SemanticSegmenter(DGCNNSemSeg(k=K, emb_dims=E), in_channels=9),
                       lambda: DGCNNSemSegNet(k=K, emb_dims=E, in_channels=9), channels=9),
}


def inputs(case: Case, dtype=torch.float32, seed: int = 1):
    """Our inputs ``((B, N, C)[, (B,)])`` and the reference's ``((B, C, N)[, (B, 16)])``."""
    gen = torch.Generator().manual_seed(seed)
    points = torch.randn(B, N, case.channels, generator=gen, dtype=torch.float64).to(dtype)
    if not case.categories:
        return (points,), (points.transpose(1, 2),)
    category = torch.tensor([3, 0, 15, 3])
    return (points, category), (points.transpose(1, 2), F.one_hot(category, 16).to(dtype))


def as_ours(case: Case, reference_out: torch.Tensor) -> torch.Tensor:
    """Reference logits in our layout: segmentation ``(B, C, N)`` -> ``(B, N, C)``."""
    return reference_out if reference_out.ndim == 2 else reference_out.transpose(1, 2)


def model_and_reference(name: str, dtype=torch.float32):
    case = CASES[name]
    model = randomize_(case.model(), seed=3).to(dtype)
    reference = case.reference().to(dtype)
    reference.load_state_dict(model.downstream_state_dict(), strict=True)
    return case, model, reference


def seeded(seed: int, fn, *args):
    """``fn(*args)`` with the global RNG (dropout's) seeded, leaving the caller's RNG state alone."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return fn(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_downstream_state_dict_loads_strictly_and_gives_the_same_logits(name):
    case, model, reference = model_and_reference(name)
    assert list(model.downstream_state_dict()) == list(reference.state_dict())  # the reference order too
    ours_in, ref_in = inputs(case)
    model.eval(), reference.eval()
    with torch.no_grad():
        ours, theirs = model(*ours_in), as_ours(case, reference(*ref_in))
    assert ours.abs().max() > 0.1
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(CASES))
def test_training_step_matches_the_reference_in_float64(name):
    """Train mode (batch statistics, dropout with the same masks): outputs, every parameter's
    gradient under the reference key, and the running statistics afterwards."""
    case, model, reference = model_and_reference(name, torch.float64)
    model.train(), reference.train()
    ours_in, ref_in = inputs(case, torch.float64)
    ours, theirs = seeded(5, model, *ours_in), as_ours(case, seeded(5, reference, *ref_in))
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-10)
    weights = torch.linspace(-1, 1, ours.numel(), dtype=torch.float64).view(ours.shape)
    (ours * weights).sum().backward()
    (theirs * weights).sum().backward()
    our_state = model.downstream_state_dict(keep_vars=True)
    checked = set()
    for key, value in reference.state_dict(keep_vars=True).items():
        if isinstance(value, torch.nn.Parameter):
            assert value.grad is not None and our_state[key].grad is not None, key
            torch.testing.assert_close(our_state[key].grad, value.grad, rtol=1e-8, atol=1e-10, msg=key)
            checked.add(id(value))
        else:
            torch.testing.assert_close(our_state[key], value, rtol=1e-10, atol=1e-12, msg=key)
    assert len(checked) == len(list(reference.parameters()))


@pytest.mark.parametrize(
    "build, keys, params",
    [
        (lambda: Classifier(DGCNN(k=20), 40), 70, 1_809_576),
        (lambda: Classifier(PointNet(), 40), 38, 147_648 + 2 * 1344 + 1024 * 512 + 2 * 512 + 512 * 40 + 40),
        (lambda: PartSegmenter(DGCNNPartSeg(k=40)), 153, 1_460_361),
        (lambda: SemanticSegmenter(DGCNNSemSeg(k=20), in_channels=9), 89, 983_552),
        (lambda: SemanticSegmenter(DGCNNSemSeg(k=20)), 89, 983_552 - 64 * 12),
    ],
)
def test_key_and_parameter_counts_are_the_reference_ones(build, keys, params):
    model = build()
    assert len(model.downstream_state_dict()) == keys
    assert sum(p.numel() for p in model.parameters()) == params
    assert sum(p.numel() for p in model.encoder_parameters() + model.head_parameters()) == params


def test_the_nine_channel_model_starts_as_the_xyz_model():
    xyz_model = randomize_(SemanticSegmenter(DGCNNSemSeg(k=K, emb_dims=E)), seed=4).double()
    old = xyz_model.encoder.conv1[0].weight.detach().clone().squeeze()
    nine = SemanticSegmenter(copy.deepcopy(xyz_model.encoder), in_channels=9).double()
    nine.conv9.load_state_dict(xyz_model.conv9.state_dict())
    w = nine.encoder.conv1[0].weight.detach().squeeze()
    assert w.shape == (64, 18)
    assert torch.equal(w[:, 0:3], old[:, 0:3]) and torch.equal(w[:, 9:12], old[:, 3:6])
    assert not w[:, 3:9].any() and not w[:, 12:18].any()
    gen = torch.Generator().manual_seed(2)
    xyz = torch.randn(B, N, 3, generator=gen, dtype=torch.float64)
    points = torch.cat((xyz, torch.rand(B, N, 6, generator=gen, dtype=torch.float64)), dim=-1)
    for train in (False, True):
        xyz_model.train(train), nine.train(train)
        torch.testing.assert_close(seeded(0, nine, points), seeded(0, xyz_model, xyz), rtol=1e-12, atol=1e-12)
    with torch.no_grad():  # once the colour weights are trained, the extra channels count
        nine.encoder.conv1[0].weight[:, 3:9] += 0.5
    nine.eval(), xyz_model.eval()
    assert not torch.allclose(nine(points), xyz_model(xyz))
    with pytest.raises(ValueError, match="9 channels"):
        nine(xyz)


def test_encoder_and_head_parameters_split_the_model():
    """The head modules the Semseg/Partseg encoders carry (conv7/conv8, bn7..bn10) are head."""
    for model, head_in_encoder in [
        (Classifier(DGCNN(k=K, emb_dims=E), 40), set()),
        (SemanticSegmenter(DGCNNSemSeg(k=K, emb_dims=E)), {"conv7", "conv8", "bn7", "bn8"}),
        (PartSegmenter(DGCNNPartSeg(k=K, emb_dims=E)), {"bn7", "bn8", "bn9", "bn10"}),
    ]:
        names = {id(p): n for n, p in model.named_parameters()}
        encoder = {names[id(p)] for p in model.encoder_parameters()}
        head = {names[id(p)] for p in model.head_parameters()}
        assert not encoder & head and len(encoder | head) == len(names)
        assert all(n.startswith("encoder.") for n in encoder)
        assert {n.split(".")[1] for n in head if n.startswith("encoder.")} == head_in_encoder
        assert not any(n.split(".")[1] in head_in_encoder for n in encoder)


def test_frozen_encoder_keeps_its_weights_and_statistics_while_the_head_trains():
    model = SemanticSegmenter(DGCNNSemSeg(k=K, emb_dims=E))
    model.freeze_encoder()
    model.train()
    assert not model.encoder.bn1.training and not model.encoder.conv6.training
    assert model.encoder.bn7.training and model.encoder.conv8.training and model.dp1.training
    before = copy.deepcopy(model.encoder.state_dict())
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == len(model.head_parameters())
    model(torch.randn(2, N, 3)).square().mean().backward()
    opt.step()
    after = model.encoder.state_dict()
    for key, value in before.items():
        changed = not torch.equal(value, after[key])
        assert changed == key.startswith(("conv7.", "conv8.", "bn7.", "bn8.")) or key.endswith("num_batches_tracked"), key
    model.freeze_encoder(False)
    assert model.encoder.bn1.training and all(p.requires_grad for p in model.parameters())


def test_reference_state_dict_loads_back_even_with_a_dataparallel_prefix():
    source = randomize_(Classifier(DGCNN(k=K, emb_dims=E), 40), seed=6)
    state = {"module." + k: v for k, v in DGCNNCls(k=K, emb_dims=E, classes=40).state_dict().items()}
    state.update({"module." + k: v for k, v in source.downstream_state_dict().items()})
    model = Classifier(DGCNN(k=K, emb_dims=E), 40)
    model.load_downstream_state_dict(state)
    for key, value in source.downstream_state_dict().items():
        assert torch.equal(model.downstream_state_dict()[key], value), key


def test_wrong_encoders_are_refused():
    with pytest.raises(TypeError, match="classification head"):
        Classifier(DGCNNSemSeg(), 40)
    with pytest.raises(TypeError, match="DGCNNPartSeg"):
        PartSegmenter(DGCNN())
    with pytest.raises(TypeError, match="DGCNNSemSeg"):
        SemanticSegmenter(DGCNNPartSeg())
