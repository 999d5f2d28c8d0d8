"""Steps that change which points a cloud holds: up-sampling, input dropout, the final subset."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from math import comb

import torch
import torch.nn.functional as F

from strl.errors import DataError
from strl.transforms.masked import coin, first_valid, gather_points, random_valid_points, uniform, valid_count
from strl.transforms.neighbours import nearest_valid


@lru_cache(maxsize=8)
def _all_subsets(k: int, size: int) -> torch.Tensor:
    return torch.tensor(list(combinations(range(k), size)), dtype=torch.int64)


def random_subsets(
    gen: torch.Generator, shape: tuple[int, ...], k: int, size: int, device
) -> torch.Tensor:
    """``shape + (size,)`` int64: a uniformly random ``size``-subset of ``range(k)`` per entry."""
    if comb(k, size) <= 4096:  # draw one row of the table of all subsets
        table = _all_subsets(k, size).to(device)
        row = torch.randint(0, table.shape[0], shape, generator=gen, device=device)
        return table[row]
    keys = torch.rand((*shape, k), generator=gen, device=device)
    return keys.topk(size, dim=-1).indices


@dataclass(frozen=True)
class Upsample:
    """Grow clouds with fewer than ``min_points`` valid points (default ``target``) to ``target``.

    Each new point is the mean of ``nsample`` random points among the ``k`` nearest valid
    neighbours (itself included) of a random valid point, drawn with replacement. The
    originals keep their slots; new points are appended, so the output has
    ``M + max(target - n)`` slots and the mask marks which of them hold points.
    """

    target: int
    min_points: int | None = None
    k: int = 10
    nsample: int = 5
    knn: str = "auto"

    def __call__(self, points, mask, gen):
        b, m = mask.shape
        n = valid_count(mask)
        below = self.target if self.min_points is None else self.min_points
        add = torch.where(n < below, (self.target - n).clamp_min(0), torch.zeros_like(n))
        q = int(add.max())
        if q == 0:
            return points, mask
        if bool(((add > 0) & (n < self.k)).any()):
            raise DataError(
                None,
                f"up-sampling needs clouds of at least {self.k} points, got one of {int(n.min())}",
            )
        centre = random_valid_points(gen, mask, q, points)
        pick = random_subsets(gen, (b, q), self.k, self.nsample, points.device)
        needed = torch.arange(q, device=points.device).unsqueeze(0) < add.unsqueeze(1)
        neighbours = nearest_valid(points, mask, centre, needed, self.k, self.knn)
        chosen = torch.gather(neighbours, 2, pick)
        chosen = chosen + m * torch.arange(b, device=points.device).view(-1, 1, 1)
        new = F.embedding_bag(chosen.view(b * q, self.nsample), points.reshape(-1, 3), mode="mean").view(b, q, 3)
        return torch.cat([points, new], dim=1), torch.cat([mask, needed], dim=1)


@dataclass(frozen=True)
class InputDropout:
    """Replace each valid point by the first valid point, with probability ``U(0, 1) * max_ratio``.

    The ratio is drawn once per sample; the number of points does not change.
    """

    max_ratio: float = 0.875
    p: float = 1.0

    def __call__(self, points, mask, gen):
        b, m = mask.shape
        apply = coin(gen, b, self.p, points)
        ratio = uniform(gen, (b,), 0.0, 1.0, points) * self.max_ratio
        u = torch.rand((b, m), generator=gen, device=points.device, dtype=points.dtype)
        drop = (u <= ratio.unsqueeze(1)) & mask & apply.unsqueeze(1)
        first = gather_points(points, first_valid(mask).unsqueeze(1))
        return torch.where(drop.unsqueeze(-1), first, points), mask


@dataclass(frozen=True)
class RandomSubset:
    """``num_points`` valid points per cloud, uniformly without replacement, in random order.

    Returns ``(B, num_points, 3)`` and an all-true mask; a cloud with fewer valid points raises.
    """

    num_points: int

    def __call__(self, points, mask, gen):
        n = valid_count(mask)
        if bool((n < self.num_points).any()):
            raise DataError(
                None, f"a cloud has {int(n.min())} points, fewer than num_points={self.num_points}"
            )
        keys = torch.rand(mask.shape, generator=gen, device=points.device).masked_fill(~mask, 2.0)
        idx = keys.topk(self.num_points, dim=1, largest=False).indices
        out_mask = torch.ones(idx.shape, dtype=torch.bool, device=mask.device)
        return gather_points(points, idx), out_mask
