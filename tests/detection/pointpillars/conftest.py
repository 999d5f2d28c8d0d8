import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from pointpillars_helpers import tiny_config  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """These tests' tensors are small: on one thread they do not wait for a second one that a busy
    machine has descheduled (which made them up to 20 times slower on two shared cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_cfg():
    return tiny_config()
