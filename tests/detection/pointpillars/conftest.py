import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from pointpillars_helpers import tiny_config  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread(one_thread):
    """Every test here runs on one thread (the ``one_thread`` of ``tests/conftest.py``)."""
    return one_thread


@pytest.fixture
def tiny_cfg():
    return tiny_config()
