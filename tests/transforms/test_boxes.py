import torch

from strl.transforms.boxes import RandomCrop, RandomCutout


def cloud(b, n, device, seed=0):
    return torch.rand((b, n, 3), generator=torch.Generator().manual_seed(seed)).to(device)


def gen(device, seed=1):
    return torch.Generator(device=device).manual_seed(seed)


def inside_closed_box(pts, lo, hi):
    return ((pts >= lo) & (pts <= hi)).all(-1)


def test_crop_keeps_exactly_the_points_of_a_box(device):
    pts = cloud(32, 400, device)
    mask = torch.ones(32, 400, dtype=torch.bool, device=device)
    out, kept = RandomCrop(min_points=100, p=1.0)(pts, mask, gen(device))
    assert torch.equal(out, pts)
    count = kept.sum(dim=1)
    changed = count < 400
    assert changed.float().mean() > 0.8
    assert (count >= 100).all()
    for b in torch.nonzero(changed).flatten().tolist():
        inner = pts[b][kept[b]]
        # every point within the kept points' bounding box lies strictly inside the crop box
        hull = inside_closed_box(pts[b], inner.amin(0), inner.amax(0))
        assert torch.equal(hull, kept[b])


def test_crop_box_size_follows_the_side_and_aspect(device):
    pts = cloud(32, 2000, device)
    mask = torch.ones(32, 2000, dtype=torch.bool, device=device)
    _, kept = RandomCrop(min_points=10, side=(0.5, 0.5), aspect=(2.0, 2.0), p=1.0)(pts, mask, gen(device))
    for b in range(32):
        inner = pts[b][kept[b]]
        extent = inner.amax(0) - inner.amin(0)
        # sides 0.5, 1.0, 0.25 of the (about unit) bounding box
        assert extent[0] <= 0.5 + 1e-6 and extent[2] <= 0.25 + 1e-6
        assert extent[0] > 0.4 and extent[1] > 0.85


def test_crop_that_cannot_succeed_keeps_the_input(device):
    pts = cloud(4, 100, device)
    mask = torch.ones(4, 100, dtype=torch.bool, device=device)
    _, kept = RandomCrop(min_points=100, p=1.0)(pts, mask, gen(device))  # kept < N is impossible
    assert torch.equal(kept, mask)
    _, kept = RandomCrop(min_points=10, p=0.0)(pts, mask, gen(device))
    assert torch.equal(kept, mask)


def test_crop_takes_the_first_valid_candidate():
    """Replays the generator and tries the candidate boxes one by one, as the original does."""
    pts = cloud(16, 300, "cpu", seed=3)
    mask = torch.rand(16, 300, generator=torch.Generator().manual_seed(4)) < 0.9
    g = torch.Generator().manual_seed(5)
    replay = torch.Generator().manual_seed(5)
    _, kept = RandomCrop(min_points=150, p=0.5)(pts, mask, g)

    apply = torch.rand(16, generator=replay) < 0.5
    side = 0.6 + 0.5 * torch.rand((16, 10), generator=replay)
    ar = 0.75 + (1.33 - 0.75) * torch.rand((16, 10), generator=replay)
    frac = torch.rand((16, 10, 3), generator=replay)
    for b in range(16):
        valid = pts[b][mask[b]]
        lo, hi = valid.amin(0), valid.amax(0)
        expected = mask[b]
        for t in range(10) if apply[b] else []:
            size = torch.stack([side[b, t], side[b, t] * ar[b, t], side[b, t] / ar[b, t]])
            start = frac[b, t] * (1 - size)
            box_lo, box_hi = lo + (hi - lo) * start, lo + (hi - lo) * (start + size)
            inside = mask[b] & ((pts[b] > box_lo) & (pts[b] < box_hi)).all(-1)
            if 150 <= inside.sum() < mask[b].sum():
                expected = inside
                break
        assert torch.equal(kept[b], expected), b


def test_cutout_removes_one_box_and_keeps_enough(device):
    pts = cloud(32, 500, device)
    mask = torch.ones(32, 500, dtype=torch.bool, device=device)
    _, left = RandomCutout(min_points=300, p=1.0)(pts, mask, gen(device))
    removed = mask & ~left
    count = removed.sum(dim=1)
    assert (count > 0).float().mean() > 0.8
    assert (left.sum(dim=1) >= 300).all()
    for b in torch.nonzero(count).flatten().tolist():
        gone = pts[b][removed[b]]
        hull = inside_closed_box(pts[b], gone.amin(0), gone.amax(0))
        assert torch.equal(hull, removed[b])  # the removed points are exactly those of a box
        extent = gone.amax(0) - gone.amin(0)
        assert (extent <= 0.6 * (pts[b].amax(0) - pts[b].amin(0)) + 1e-6).all()


def test_cutout_respects_the_mask_and_the_minimum(device):
    pts = cloud(8, 200, device)
    mask = torch.ones(8, 200, dtype=torch.bool, device=device)
    mask[:, ::2] = False
    _, left = RandomCutout(min_points=50, p=1.0)(pts, mask, gen(device))
    assert not (left & ~mask).any()
    _, left = RandomCutout(min_points=100, p=1.0)(pts, mask, gen(device))  # nothing may go
    assert torch.equal(left, mask)


def test_boxes_do_not_modify_inputs(device):
    pts = cloud(4, 100, device)
    mask = torch.ones(4, 100, dtype=torch.bool, device=device)
    p0, m0 = pts.clone(), mask.clone()
    RandomCrop(min_points=10, p=1.0)(pts, mask, gen(device))
    RandomCutout(min_points=10, p=1.0)(pts, mask, gen(device))
    assert torch.equal(pts, p0) and torch.equal(mask, m0)
