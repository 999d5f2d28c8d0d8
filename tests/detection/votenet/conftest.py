import pytest


@pytest.fixture(autouse=True)
def one_thread(one_thread):
    """Every test here runs on one thread (the ``one_thread`` of ``tests/conftest.py``)."""
    return one_thread
