import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from pointpillars_helpers import tiny_config  # noqa: E402


@pytest.fixture
def tiny_cfg():
    return tiny_config()
