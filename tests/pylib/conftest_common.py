"""pytest fixtures shared by integration and e2e tests."""

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def workdir():
    """A fresh directory for configs, sockets and logs; removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="tandem-test-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)
