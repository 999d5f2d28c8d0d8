import pytest
import torch


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def small_chunks(monkeypatch):
    """Force many tiny chunks so the chunked code paths are exercised on small inputs."""
    monkeypatch.setattr("strl.ops.ball_query.CHUNK_ELEMENTS", 37)


@pytest.fixture
def cuda_device():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch.device("cuda")
