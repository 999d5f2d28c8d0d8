"""Fixtures shared by every test folder."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Torch on one intra-op thread for the test, the previous count restored after it. Tests of small
    tensors through many small ops then do not wait for a second thread that a busy machine has
    descheduled (which made them up to 20 times slower on two shared cores). Use it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")`` in a module, or request it from an autouse
    fixture of a folder's conftest."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
