import pytest
import torch

from strl.errors import DataError
from strl.transforms.config import OBJECT_ORDER, SCENE_ORDER, AugmentConfig
from strl.transforms import augment, augment_pair, build_pipeline


def cloud(b, n, device, seed=0):
    return (torch.randn((b, n, 3), generator=torch.Generator().manual_seed(seed)) * 2 + 3).to(device)


def gen(device, seed=1):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("pipeline", ["object", "scene"])
@pytest.mark.parametrize("b, n", [(1, 64), (3, 64), (2, 40), (2, 200), (2, 128)])
def test_shape_dtype_and_finite(device, pipeline, b, n):
    cfg = AugmentConfig(num_points=64, pipeline=pipeline, crop_p=1.0, cutout_p=1.0)
    out = augment(cloud(b, n, device), cfg, gen(device))
    assert out.shape == (b, 64, 3) and out.dtype == torch.float32 and out.device.type == device.type
    assert torch.isfinite(out).all()
    # normalised then scaled (<= 1.25), rotated, shifted (<= 0.1 * extent), jittered (<= 0.05)
    assert out.norm(dim=-1).max() < 1.25 + 0.25 * 3**0.5 + 0.05 * 3**0.5 + 1e-4


def test_pipelines_list_their_steps():
    assert build_pipeline(AugmentConfig()).names == OBJECT_ORDER
    assert build_pipeline(AugmentConfig(pipeline="scene")).names == SCENE_ORDER
    assert "cutout" not in build_pipeline(AugmentConfig(disabled=("cutout",))).names


def test_input_is_not_modified(device):
    x = cloud(4, 128, device)
    before = x.clone()
    augment(x, AugmentConfig(num_points=64, crop_p=1.0, cutout_p=1.0), gen(device))
    augment(x, AugmentConfig(num_points=256, pipeline="scene"), gen(device))
    assert torch.equal(x, before)


def test_seeded_generator_is_deterministic(device):
    x = cloud(4, 128, device)
    cfg = AugmentConfig(num_points=96)
    a = augment(x, cfg, gen(device, 7))
    b = augment(x, cfg, gen(device, 7))
    c = augment(x, cfg, gen(device, 8))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_views_of_one_cloud_differ(device):
    x = cloud(1, 128, device).expand(2, -1, -1)
    out = augment(x, AugmentConfig(num_points=64), gen(device))
    assert not torch.allclose(out[0], out[1])


def test_normalise_alone_gives_the_unit_sphere(device):
    keep = {"normalize", "subset"}
    cfg = AugmentConfig(num_points=100, disabled=tuple(s for s in OBJECT_ORDER if s not in keep))
    x = cloud(3, 100, device)
    out = augment(x, cfg, gen(device))
    torch.testing.assert_close(out.norm(dim=-1).amax(dim=1), torch.ones(3, device=device))
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(3, 3, device=device), atol=1e-5, rtol=0)


def test_only_subset_returns_input_points(device):
    cfg = AugmentConfig(num_points=50, disabled=tuple(s for s in OBJECT_ORDER if s != "subset"))
    x = cloud(2, 80, device)
    out = augment(x, cfg, gen(device))
    for b in range(2):
        assert (out[b].unsqueeze(1) == x[b].unsqueeze(0)).all(-1).any(dim=1).all()


def test_disabled_upsampling_needs_enough_points(device):
    cfg = AugmentConfig(num_points=64, disabled=("upsample",))
    with pytest.raises(DataError, match="fewer than num_points"):
        augment(cloud(2, 40, device), cfg, gen(device))


@pytest.mark.parametrize(
    "points, word",
    [
        (torch.zeros(4, 3), "shape"),
        (torch.zeros(2, 10, 2), "shape"),
        (torch.zeros(2, 0, 3), "empty"),
        (torch.zeros(2, 10, 3, dtype=torch.int64), "floating"),
        (torch.full((2, 10, 3), float("nan")), "NaN"),
    ],
)
def test_bad_input(points, word):
    with pytest.raises(DataError, match=word):
        augment(points, AugmentConfig(num_points=8), gen("cpu"))


def test_one_cloud_with_too_few_points_to_upsample():
    with pytest.raises(DataError, match="at least 10 points"):
        augment(cloud(1, 5, "cpu"), AugmentConfig(num_points=8), gen("cpu"))


def test_augment_pair_matches_one_call_on_both(device):
    x = cloud(3, 100, device)
    cfg = AugmentConfig(num_points=64)
    a, b = augment_pair(x, x, cfg, gen(device, 3))
    both = augment(torch.cat([x, x]), cfg, gen(device, 3))
    assert a.shape == b.shape == (3, 64, 3)
    assert torch.equal(torch.cat([a, b]), both)
    assert not torch.allclose(a, b)
