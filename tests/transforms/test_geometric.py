import numpy as np
import torch
from scipy.spatial.transform import Rotation

from strl.transforms.geometric import Jitter, Normalize, RotatePerturbation, Scale, Translate, rotation_zyx


def cloud(b, n, device, seed=0):
    return (torch.randn((b, n, 3), generator=torch.Generator().manual_seed(seed)) * 3 + 5).to(device)


def gen(device, seed=1):
    return torch.Generator(device=device).manual_seed(seed)


def test_normalize_puts_valid_points_in_the_unit_sphere(device):
    pts = cloud(4, 200, device)
    mask = torch.ones(4, 200, dtype=torch.bool, device=device)
    mask[:, 150:] = False
    pts[:, 150:] = 1e4  # invalid points must not count
    out, out_mask = Normalize()(pts, mask, gen(device))
    valid = out[:, :150]
    assert torch.equal(out_mask, mask)
    torch.testing.assert_close(valid.mean(dim=1), torch.zeros(4, 3, device=device), atol=1e-5, rtol=0)
    torch.testing.assert_close(valid.norm(dim=-1).amax(dim=1), torch.ones(4, device=device))


def test_scale_factors_lie_in_range_and_are_isotropic(device):
    pts = cloud(64, 50, device)
    mask = torch.ones(64, 50, dtype=torch.bool, device=device)
    out, _ = Scale(0.8, 1.25)(pts, mask, gen(device))
    ratio = out / pts
    factor = ratio[:, 0, 0]
    torch.testing.assert_close(ratio, factor.view(-1, 1, 1).expand_as(ratio))
    assert factor.min() >= 0.8 and factor.max() <= 1.25
    assert factor.max() - factor.min() > 0.2  # really random per sample


def test_rotation_matrix_is_rz_ry_rx():
    angles = torch.tensor([[0.1, -0.2, 0.3], [0.0, 0.05, -0.15]], dtype=torch.float64)
    expected = Rotation.from_euler("xyz", angles.numpy()).as_matrix()  # extrinsic x, y, z = Rz Ry Rx
    np.testing.assert_allclose(rotation_zyx(angles).numpy(), expected, atol=1e-12)


def test_rotation_angles_are_clipped(device):
    pts = cloud(256, 20, device)
    mask = torch.ones(256, 20, dtype=torch.bool, device=device)
    out, _ = RotatePerturbation(sigma=0.5, clip=0.18)(pts, mask, gen(device))  # clipping is frequent
    # recover R from out = pts @ R^T by least squares, then its extrinsic x, y, z angles
    rot_t = torch.linalg.lstsq(pts.double().cpu(), out.double().cpu()).solution
    angles = Rotation.from_matrix(rot_t.transpose(1, 2).numpy()).as_euler("xyz")
    assert np.abs(angles).max() <= 0.18 + 1e-4
    assert (np.abs(np.abs(angles) - 0.18) < 1e-4).mean() > 0.3
    # rigid: lengths are kept
    torch.testing.assert_close(out.norm(dim=-1), pts.norm(dim=-1), rtol=1e-5, atol=1e-4)


def test_translation_is_bounded_by_the_extent(device):
    pts = cloud(64, 100, device)
    mask = torch.ones(64, 100, dtype=torch.bool, device=device)
    out, _ = Translate(0.1)(pts, mask, gen(device))
    shift = out - pts
    torch.testing.assert_close(shift, shift[:, :1].expand_as(shift))
    extent = pts.amax(dim=1) - pts.amin(dim=1)
    assert (shift[:, 0].abs() <= 0.1 * extent + 1e-5).all()
    assert (shift[:, 0].abs() > 0.05 * extent).any()


def test_jitter_is_small_clipped_noise(device):
    pts = cloud(8, 2000, device)
    mask = torch.ones(8, 2000, dtype=torch.bool, device=device)
    noise = Jitter(0.01, 0.05)(pts, mask, gen(device))[0] - pts
    assert noise.abs().max() <= 0.05 + 1e-5
    assert abs(noise.std().item() - 0.01) < 1e-3
    wide = Jitter(0.1, 0.05)(pts, mask, gen(device))[0] - pts
    assert wide.abs().max() <= 0.05 + 1e-5 and (wide.abs() > 0.0499).float().mean() > 0.4


def test_probability_zero_leaves_points_alone(device):
    pts = cloud(4, 30, device)
    mask = torch.ones(4, 30, dtype=torch.bool, device=device)
    for step in (Scale(p=0.0), RotatePerturbation(p=0.0), Translate(p=0.0), Jitter(p=0.0)):
        torch.testing.assert_close(step(pts, mask, gen(device))[0], pts)


def test_inputs_are_not_modified(device):
    pts = cloud(4, 30, device)
    mask = torch.ones(4, 30, dtype=torch.bool, device=device)
    before = pts.clone()
    for step in (Normalize(), Scale(), RotatePerturbation(), Translate(), Jitter()):
        step(pts, mask, gen(device))
    assert torch.equal(pts, before)
