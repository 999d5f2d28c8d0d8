"""Random box crop and cutout, as masks (:class:`BoxStep`).

Both draw ``tries`` candidate boxes per sample at once, relative to the bounding box of the
valid points, and take the first candidate that passes their acceptance test; a sample with no
acceptable candidate (or not chosen with probability ``p``) is left as it was. "Inside" means
strictly inside on all three axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from strl.transforms.masked import coin, uniform, valid_bbox, valid_count, where_samples


def first_accepted_box(
    points: torch.Tensor,
    mask: torch.Tensor,
    start: torch.Tensor,
    size: torch.Tensor,
    accept: Callable[[torch.Tensor], torch.Tensor],
    wanted: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Try candidate boxes in order; return the inside-mask of the first accepted one.

    points ``(B, M, 3)``, mask ``(B, M)``; start and size ``(B, T, 3)`` are fractions of the
    valid points' bounding box. ``accept`` maps an inside-mask ``(B, M)`` to ``(B,)`` bool;
    only samples where ``wanted (B,)`` is true are searched.
    Returns ``inside (B, M)`` (all false where nothing was accepted) and ``found (B,)``.
    """
    lo, hi = valid_bbox(points, mask)
    extent = (hi - lo).unsqueeze(1)
    box_lo = (lo.unsqueeze(1) + extent * start).permute(2, 0, 1)  # (3, B, T)
    box_hi = (lo.unsqueeze(1) + extent * (start + size)).permute(2, 0, 1)
    axes = points.permute(2, 0, 1).contiguous()  # (3, B, M): one comparison pass per axis
    chosen = torch.zeros_like(mask)
    found = torch.zeros(mask.shape[0], dtype=torch.bool, device=mask.device)
    done = ~wanted
    if bool(done.all()):
        return chosen, found
    for t in range(start.shape[1]):
        inside = mask.clone()
        for a in range(3):
            inside &= axes[a] > box_lo[a, :, t : t + 1]
            inside &= axes[a] < box_hi[a, :, t : t + 1]
        ok = accept(inside) & ~done
        chosen = torch.where(ok.unsqueeze(1), inside, chosen)
        found = found | ok
        done = done | ok
        if t + 1 < start.shape[1] and bool(done.all()):
            break
    return chosen, found


class BoxStep:
    """A step that, with probability ``p`` per sample, tries ``tries`` random boxes and changes the
    mask by the first one accepted; samples without an accepted box keep their mask.

    Subclasses (frozen dataclasses with ``p`` and ``tries`` fields) define ``box_sizes`` (drawn
    after each sample's coin; the box starts are drawn after them), ``accepts`` and ``new_mask``.
    """

    p: float
    tries: int

    def box_sizes(self, gen: torch.Generator, batch: int, like: torch.Tensor) -> torch.Tensor:
        """``(B, tries, 3)`` box sides as fractions of the valid points' bounding box."""
        raise NotImplementedError

    def accepts(self, inside: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``(B,)`` bool from the ``(B,)`` counts of points inside a candidate box and of valid points."""
        raise NotImplementedError

    def new_mask(self, mask: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        """The mask of a sample whose accepted box holds the points ``inside (B, M)``."""
        raise NotImplementedError

    def __call__(self, points, mask, gen):
        apply = coin(gen, points.shape[0], self.p, points)
        size = self.box_sizes(gen, points.shape[0], points)
        start = uniform(gen, tuple(size.shape), 0.0, 1.0, points) * (1.0 - size)
        n = valid_count(mask)
        inside, found = first_accepted_box(points, mask, start, size,
                                           lambda box: self.accepts(box.sum(dim=1), n), apply)
        return points, where_samples(found, self.new_mask(mask, inside), mask)


@dataclass(frozen=True)
class RandomCrop(BoxStep):
    """Keep the points inside a random box of sides ``(s, s*ar, s/ar)``.

    ``s ~ U(side)`` and ``ar ~ U(aspect)`` are fractions of the valid points' bounding box.

    The box start is ``U(0, 1 - s)`` per axis (negative when ``s > 1``, as in the original). A
    candidate is accepted iff it keeps at least ``min_points`` points and fewer than all of them.
    """

    min_points: int
    side: tuple[float, float] = (0.6, 1.1)
    aspect: tuple[float, float] = (0.75, 1.33)
    tries: int = 10
    p: float = 0.5

    def box_sizes(self, gen, batch, like):
        side = uniform(gen, (batch, self.tries), *self.side, like)
        ar = uniform(gen, (batch, self.tries), *self.aspect, like)
        return torch.stack([side, side * ar, side / ar], dim=-1)

    def accepts(self, kept, valid):
        return (kept >= self.min_points) & (kept < valid)

    def new_mask(self, mask, inside):
        return inside


@dataclass(frozen=True)
class RandomCutout(BoxStep):
    """Remove the points inside a random box of per-axis fractions ``r ~ U(ratio)``.

    The box start is ``U(0, 1 - r)`` per axis. A candidate is accepted iff it removes at least
    one point and leaves at least ``min_points``.
    """

    min_points: int
    ratio: tuple[float, float] = (0.3, 0.6)
    tries: int = 10
    p: float = 0.5

    def box_sizes(self, gen, batch, like):
        return uniform(gen, (batch, self.tries, 3), *self.ratio, like)

    def accepts(self, removed, valid):
        return (removed > 0) & (valid - removed >= self.min_points)

    def new_mask(self, mask, inside):
        return mask & ~inside
