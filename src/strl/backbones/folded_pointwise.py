"""A shared per-point layer ``max_n ReLU(BN(x_n W^T))`` whose ``(B, N, C')`` output is never stored.

PointNet's last layer keeps only the max over points. For ``y = x W^T`` over all ``M = B*N``
points, the batch mean and biased variance of ``y`` follow from the mean ``m`` and covariance
``S`` of the *input* rows: ``mean_y = W m`` and ``var_y = diag(W S W^T)`` (gradients through the
statistics flow via ``m`` and ``S``, from a ``(C, C)`` Gram matrix of the rows). BatchNorm is
then a per-channel affine map ``y * scale + shift``, and ``max_n ReLU(y_n * scale + shift)`` is the
activation of ``max_n y_n`` (or ``min_n`` where ``scale < 0``): ``y`` is computed a block of clouds
at a time and reduced at once; the backward sends each gradient to the one point that gave the max
(as max pooling does; the last one among exact ties) instead of through a dense ``(M, C')``
gradient. Running statistics are updated as ``nn.BatchNorm1d`` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.batchnorm_stats import bn_scale, check_count, update_running_stats, updates_running_stats, uses_batch_stats

#: Entries of ``y`` one block of :func:`max_projection` holds on CPU (about 8 MB in fp32).
CPU_BLOCK_ENTRIES = 1 << 21
#: Up to this many points per cloud, CPU blocks find the max's row with :func:`_argmax_rows`
#: (row numbers stay exact in fp32); beyond it, and on GPU, with ``torch.max``.
SIGN_TRICK_MAX_POINTS = 1 << 22


def can_fold(bn: nn.Module) -> bool:
    """Whether ``bn`` is a plain ``nn.BatchNorm1d`` (not e.g. ``SyncBatchNorm``, whose statistics span processes)."""
    return type(bn) is nn.BatchNorm1d


class _Moments(torch.autograd.Function):
    """Mean ``(C,)`` and biased covariance ``(C, C)`` of ``(M, C)`` rows; the backward is one matrix product.

    ``centred=False`` skips the pass that centres the rows (``cov = rows^T rows / M - mean mean^T``),
    which loses precision when a mean is large against its spread; callers check and redo it centred.
    """

    @staticmethod
    def forward(ctx, rows, centred):
        count = rows.shape[0]
        mean = rows.mean(0)
        if centred:
            table = rows - mean
            cov = (table.t() @ table).div_(count)
        else:
            table = rows
            cov = (rows.t() @ rows).div_(count).sub_(torch.outer(mean, mean))
        ctx.centred = centred
        ctx.save_for_backward(table, mean)
        return mean, cov

    @staticmethod
    def backward(ctx, grad_mean, grad_cov):
        table, mean = ctx.saved_tensors
        count = table.shape[0]
        sym = (grad_cov + grad_cov.t()).div_(count)
        row = grad_mean / count  # d rows = (rows - mean) @ sym + grad_mean / M in both forms
        if not ctx.centred:
            row = row - sym @ mean
        return torch.addmm(row.expand_as(table), table, sym), None


def _projected_moments(rows: torch.Tensor, weight: torch.Tensor, centred: bool) -> tuple[torch.Tensor, torch.Tensor]:
    mean_in, cov = _Moments.apply(rows, centred)
    return weight @ mean_in, ((weight @ cov) * weight).sum(1).clamp_min(0.0)


def _output_moments(rows: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance ``(C',)`` of ``rows @ weight^T`` from the moments of ``rows`` ``(M, C)``.

    On CPU the covariance is first taken without centring; if some output's mean is large
    against its spread (``mean^2 > 99 var``, where that loses digits) it is redone centred.
    """
    if rows.device.type == "cpu":
        mean, var = _projected_moments(rows, weight, centred=False)
        if not bool((mean.detach().square() > 99.0 * var.detach()).any()):
            return mean, var
    return _projected_moments(rows, weight, centred=True)


def bn_scale_shift(rows: torch.Tensor, weight: torch.Tensor, bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """``BN(rows @ weight^T) = (rows @ weight^T) * scale + shift``: rows ``(M, C)``, weight ``(C', C)`` -> two ``(C',)``.

    Uses (and updates) the statistics exactly when ``bn`` would; they are computed in the
    weight's precision, outside autocast.
    """
    with torch.autocast(rows.device.type, enabled=False):
        return _scale_shift(rows.to(weight.dtype), weight, bn)


def _scale_shift(rows: torch.Tensor, weight: torch.Tensor, bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    if uses_batch_stats(bn):
        count = rows.shape[0]
        check_count(count)
        mean, var = _output_moments(rows, weight)
        if updates_running_stats(bn):
            update_running_stats(bn, mean.detach(), var.detach(), count)
    else:
        mean, var = bn.running_mean, bn.running_var
    scale = bn_scale(bn, var)
    shift = -mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def _block_clouds(b: int, n: int, c_out: int, device: torch.device) -> int:
    """Clouds per block of :func:`max_projection`: whole problem on GPU, a cache-sized block on CPU."""
    if device.type != "cpu":
        return b
    return max(1, min(b, CPU_BLOCK_ENTRIES // max(1, n * c_out)))


def _argmax_rows(y: torch.Tensor, top: torch.Tensor, numbered: torch.Tensor) -> torch.Tensor:
    """Row of the max of each column of ``y`` ``(c, N, C')`` given its max ``top`` ``(c, C')``; ``y`` is overwritten.

    Floating point only (faster than ``max`` with indices on CPU): ``sign(y - top)`` is 0 at the
    max and -1 elsewhere, so ``amax_n (n + (N + 1) * sign)`` is the last row holding the max.
    """
    y.sub_(top.unsqueeze(1)).sign_()
    torch.add(numbered, y, alpha=y.shape[1] + 1, out=y)
    return y.amax(1).long()


class _MaxProjection(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, track):
        b, n, _ = x.shape
        c_out = weight.shape[0]
        step = _block_clouds(b, n, c_out, x.device)
        top = x.new_empty(b, c_out)
        rows = torch.empty(b, c_out, dtype=torch.long, device=x.device) if track else None
        sign_trick = x.device.type == "cpu" and n <= SIGN_TRICK_MAX_POINTS
        buf = x.new_empty(step, n, c_out)
        numbered = torch.arange(n, dtype=x.dtype, device=x.device).view(1, n, 1)
        for start in range(0, b, step):
            stop = min(start + step, b)
            y = torch.matmul(x[start:stop], weight.t(), out=buf[: stop - start])
            if not track:
                torch.amax(y, 1, out=top[start:stop])
            elif sign_trick:
                torch.amax(y, 1, out=top[start:stop])
                rows[start:stop] = _argmax_rows(y, top[start:stop], numbered)
            else:
                torch.max(y, 1, out=(top[start:stop], rows[start:stop]))
        if track:
            ctx.save_for_backward(x, weight, rows)
        return top

    @staticmethod
    def backward(ctx, grad):
        x, weight, rows = ctx.saved_tensors
        b, c_out, c_in = x.shape[0], weight.shape[0], x.shape[2]
        where = rows.unsqueeze(-1).expand(b, c_out, c_in)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.zeros_like(x).scatter_add_(1, where, grad.unsqueeze(-1) * weight)
        if ctx.needs_input_grad[1]:
            grad_w = torch.einsum("bc,bci->ci", grad, torch.gather(x, 1, where))
        return grad_x, grad_w, None


def max_projection(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``max_n x_n . w_c`` per cloud and row of ``weight``: ``(B, N, C), (C', C) -> (B, C')``, ``(B, N, C')`` never stored."""
    track = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    with torch.autocast(x.device.type, enabled=False):
        return _MaxProjection.apply(x.to(weight.dtype), weight, track)


def max_linear_bn_relu(x: torch.Tensor, weight: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
    """``max_n ReLU(BN(x_n @ weight^T))``: ``(B, N, C)``, weight ``(C', C)`` -> ``(B, C')``.

    BatchNorm statistics are over all ``B*N`` points, as for the unpooled layer.
    """
    b, n, c = x.shape
    scale, shift = bn_scale_shift(x.reshape(b * n, c), weight, bn)
    sign = torch.where(scale < 0, -1.0, 1.0).to(weight.dtype).detach()
    extreme = max_projection(x, weight * sign.unsqueeze(1)) * sign  # max_n y_n, or min_n where scale < 0
    return F.relu(torch.addcmul(shift, extreme, scale))
