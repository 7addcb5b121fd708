import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from conftest_common import workdir  # noqa: E402,F401


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="e2e tests need root (network namespaces)")
        for item in items:
            item.add_marker(skip)
