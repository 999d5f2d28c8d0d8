import pytest
import torch


def _assert_same_step(ours, ref, x_ours, x_ref, out_tol=(1e-10, 1e-10), grad_tol=(1e-8, 1e-10), buffer_tol=(1e-10, 1e-12)):
    """Two models (either device) agree on outputs, on the gradients of a fixed weighted sum of them,
    and on their buffers afterwards (running statistics); tolerances are ``(rtol, atol)``."""
    out, expected = ours(x_ours), ref(x_ref)
    torch.testing.assert_close(out.cpu(), expected.cpu(), rtol=out_tol[0], atol=out_tol[1])
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view(out.shape)
    (out * weights.to(out.device)).sum().backward()
    (expected * weights.to(expected.device)).sum().backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad.cpu(), q.grad.cpu(), rtol=grad_tol[0], atol=grad_tol[1], msg=name)
    for (name, buf), other in zip(ours.named_buffers(), ref.buffers()):
        torch.testing.assert_close(buf.cpu(), other.cpu(), rtol=buffer_tol[0], atol=buffer_tol[1], msg=name)


@pytest.fixture
def assert_same_step():
    """:func:`_assert_same_step`: one training step's outputs, gradients and buffers of two models agree."""
    return _assert_same_step
