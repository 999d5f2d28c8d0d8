import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """These tests run small tensors through many small ops: a second intra-op thread only adds
    synchronisation (and stalls badly on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
