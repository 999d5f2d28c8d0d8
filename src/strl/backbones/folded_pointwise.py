"""A shared per-point layer ``max_n ReLU(BN(x_n W^T))`` whose ``(B, N, C')`` output is never stored.

PointNet's last layer keeps only the max over points. For ``y = x W^T`` over all ``M = B*N``
points, the batch mean and biased variance of ``y`` follow from the mean ``m`` and covariance
``S`` of the *input* rows: ``mean_y = W m`` and ``var_y = diag(W S W^T)`` (gradients through the
statistics flow via ``m`` and ``S``, from a ``(C, C)`` Gram matrix of the rows). BatchNorm is
then a per-channel affine map ``y * scale + shift``, and ``max_n ReLU(y_n * scale + shift)`` is the
activation of ``max_n y_n`` (or ``min_n`` where BN's weight is negative): ``y`` is computed a block
of clouds at a time and reduced at once; the backward sends each gradient to the one point that
gave the max (as max pooling does; among exact ties, the last one on CPU) instead of through a
dense ``(M, C')`` gradient, adding it into the dense ``(M, C)`` gradient of the statistics.
Running statistics are updated as ``nn.BatchNorm1d`` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.batchnorm_stats import bn_scale, check_count, update_running_stats, updates_running_stats, uses_batch_stats

#: Entries of ``y`` one block of :func:`_max_over_points` holds on CPU (64 MB in fp32): eight
#: clouds of 2048 points by 1024 channels, which split over threads better than one (measured).
CPU_BLOCK_ENTRIES = 1 << 24
#: Up to this many points per cloud, CPU blocks find the max's point with :func:`_last_max_rows`
#: (point numbers stay exact in fp32); beyond it, and on GPU, with ``torch.max``.
FLOAT_ROWS_MAX_POINTS = 1 << 24


def can_fold(bn: nn.Module) -> bool:
    """Whether ``bn`` is a plain ``nn.BatchNorm1d`` (not e.g. ``SyncBatchNorm``, whose statistics span processes)."""
    return type(bn) is nn.BatchNorm1d


def _input_moments(rows: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
    """Mean ``(C,)`` and biased covariance ``(C, C)`` of ``(M, C)`` rows, the table they came from, and whether it was centred.

    On CPU the covariance is first taken without centring (``rows^T rows / M - mean mean^T``); if
    an output of ``rows @ weight^T`` has a mean large against its spread (``mean^2 > 99 var``, where
    that loses digits) it is redone from centred rows.
    """
    count = rows.shape[0]
    mean = rows.mean(0)
    if rows.device.type == "cpu":
        cov = (rows.t() @ rows).div_(count).sub_(torch.outer(mean, mean))
        mean_out, var_out = _projected(mean, cov, weight)
        if not bool((mean_out.square() > 99.0 * var_out).any()):
            return rows, mean, cov, False
    table = rows - mean
    return table, mean, (table.t() @ table).div_(count), True


def _projected(mean: torch.Tensor, cov: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance ``(C',)`` of ``rows @ weight^T`` from the mean ``(C,)`` and covariance ``(C, C)`` of the rows."""
    return weight @ mean, ((weight @ cov) * weight).sum(1).clamp_min(0.0)


def _moments_grad(table, mean, grad_mean, grad_cov, centred: bool) -> torch.Tensor:
    """Gradient ``(M, C)`` on the rows from those on their mean and covariance: one matrix product."""
    count = table.shape[0]
    sym = (grad_cov + grad_cov.t()).div_(count)
    row = grad_mean / count  # d rows = (rows - mean) @ sym + grad_mean / M in both forms
    if not centred:
        row = row - sym @ mean
    return torch.addmm(row.expand_as(table), table, sym)


def _block_clouds(b: int, n: int, c_out: int, device: torch.device) -> int:
    """Clouds per block of :func:`_max_over_points`: the whole batch on GPU, a bounded block on CPU."""
    if device.type != "cpu":
        return b
    return max(1, min(b, CPU_BLOCK_ENTRIES // max(1, n * c_out)))


def _last_max_rows(y: torch.Tensor, top: torch.Tensor, numbered: torch.Tensor) -> torch.Tensor:
    """Point of the max of each row of ``y`` ``(c, C', N)`` given the max ``top`` ``(c, C')``; ``y`` is overwritten.

    Floating point only (faster than ``max`` with indices on CPU): ``y == top`` is 1 at the max
    and 0 elsewhere, so ``amax_n ((n + 1) * (y_n == top))`` is one more than the last point
    holding the max. ``numbered`` is ``(1, 1, N)``: ``1, ..., N``.
    """
    y.eq_(top.unsqueeze(2)).mul_(numbered)
    return y.amax(2).long().sub_(1)


def _max_over_points(x: torch.Tensor, weight: torch.Tensor, track: bool, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Max ``(B, C')`` over points of ``x @ weight^T`` (the product in ``dtype``) and, with ``track``,
    the last point ``(B, C')`` holding it."""
    b, n, _ = x.shape
    c_out = weight.shape[0]
    step = _block_clouds(b, n, c_out, x.device)
    top = x.new_empty(b, c_out)
    rows = torch.empty(b, c_out, dtype=torch.long, device=x.device) if track else None
    float_rows = x.device.type == "cpu" and dtype in (torch.float32, torch.float64) and n <= FLOAT_ROWS_MAX_POINTS
    weight = weight.to(dtype)
    buf = x.new_empty(step, c_out, n, dtype=dtype)  # (clouds, C', N): the max runs along contiguous memory
    numbered = torch.arange(1, n + 1, dtype=dtype, device=x.device).view(1, 1, n)
    for start in range(0, b, step):
        stop = min(start + step, b)
        y = torch.matmul(weight, x[start:stop].transpose(1, 2).to(dtype), out=buf[: stop - start])
        if not track or float_rows:
            top[start:stop] = y.amax(2)
            if track:
                rows[start:stop] = _last_max_rows(y, top[start:stop].to(dtype), numbered)
        else:
            top[start:stop], rows[start:stop] = torch.max(y, 2)
    return top, rows


def _product_dtype(device_type: str, default: torch.dtype) -> torch.dtype:
    """The dtype autocast gives matrix products on ``device_type`` now, or ``default`` where it is off."""
    try:
        on = torch.is_autocast_enabled(device_type)
        return torch.get_autocast_dtype(device_type) if on else default
    except TypeError:  # torch < 2.4 has one switch per device type
        if device_type == "cpu":
            return torch.get_autocast_cpu_dtype() if torch.is_autocast_cpu_enabled() else default
        return torch.get_autocast_gpu_dtype() if torch.is_autocast_enabled() else default


class _MomentsAndMax(torch.autograd.Function):
    """``(B, N, C), (C', C)`` -> ``max_n x_n . w_c`` ``(B, C')`` and, with ``moments``, the mean ``(C,)``
    and covariance ``(C, C)`` of all ``B*N`` rows (else empty): one backward for both, so the
    sparse gradient of the max lands in the dense one of the moments."""

    @staticmethod
    def forward(ctx, x, weight, moments, track, dtype):
        b, n, c = x.shape
        top, rows = _max_over_points(x, weight, track, dtype)
        table, mean, cov = None, x.new_empty(0), x.new_empty(0)
        if moments:
            table, mean, cov, ctx.centred = _input_moments(x.reshape(b * n, c), weight)
        ctx.moments = moments
        if track:
            ctx.save_for_backward(x, weight, rows, table, mean)
        return top, mean, cov

    @staticmethod
    def backward(ctx, grad_top, grad_mean, grad_cov):
        x, weight, rows, table, mean = ctx.saved_tensors
        b, n, c = x.shape
        picked = (rows + torch.arange(0, b * n, n, device=x.device).unsqueeze(1)).flatten()  # (B*C',) flat rows
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            if ctx.moments:
                grad_x = _moments_grad(table, mean, grad_mean, grad_cov, ctx.centred)
            else:
                grad_x = torch.zeros(b * n, c, dtype=x.dtype, device=x.device)
            grad_x = grad_x.index_add_(0, picked, (grad_top.unsqueeze(-1) * weight).flatten(0, 1)).view(b, n, c)
        if ctx.needs_input_grad[1]:
            grad_w = (grad_top.unsqueeze(-1) * x.reshape(b * n, c).index_select(0, picked).view(b, -1, c)).sum(0)
        return grad_x, grad_w, None, None, None


def max_projection(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``max_n x_n . w_c`` per cloud and row of ``weight``: ``(B, N, C), (C', C) -> (B, C')``, ``(B, N, C')`` never stored.

    Under autocast the product runs in autocast's dtype (as ``nn.Linear`` would); the result is in
    the weight's dtype.
    """
    track = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    dtype = _product_dtype(x.device.type, weight.dtype)
    with torch.autocast(x.device.type, enabled=False):
        return _MomentsAndMax.apply(x.to(weight.dtype), weight, False, track, dtype)[0]


def max_linear_bn_relu(x: torch.Tensor, weight: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
    """``max_n ReLU(BN(x_n @ weight^T))``: ``(B, N, C)``, weight ``(C', C)`` -> ``(B, C')``.

    BatchNorm statistics are over all ``B*N`` points, as for the unpooled layer, computed (and
    used, and the running ones updated) exactly when ``bn`` would, in the weight's precision; under
    autocast only the ``(B, N, C')`` product runs in autocast's dtype, as ``nn.Conv1d`` would.
    """
    b, n, c = x.shape
    batch_stats = uses_batch_stats(bn)
    if batch_stats:
        check_count(b * n)
    # BN(y) grows with y where BN's weight is >= 0, else shrinks: keep max_n y_n there, min_n y_n here
    sign = torch.ones_like(weight[:, 0]) if bn.weight is None else torch.where(bn.weight.detach() < 0, -1.0, 1.0).to(weight.dtype)
    dtype = _product_dtype(x.device.type, weight.dtype)
    with torch.autocast(x.device.type, enabled=False):
        x = x.to(weight.dtype)
        track = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
        top, mean_in, cov_in = _MomentsAndMax.apply(x, weight * sign.unsqueeze(1), batch_stats, track, dtype)
        if batch_stats:
            mean, var = _projected(mean_in, cov_in, weight)
            if updates_running_stats(bn):
                update_running_stats(bn, mean.detach(), var.detach(), b * n)
        else:
            mean, var = bn.running_mean, bn.running_var
        scale = bn_scale(bn, var)
        shift = -mean * scale if bn.bias is None else bn.bias - mean * scale
        return F.relu(torch.addcmul(shift, top * sign, scale))
