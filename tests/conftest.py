"""Shared test configuration."""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# Two cores per machine and pytest-xdist with two workers: one thread per worker.
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass

SHARED_DATA = Path(
    os.environ.get("SKPID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture
def shared_data():
    """Folder of the real recordings, or skip when it is absent (outside this workplace)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not found at {SHARED_DATA} (set SKPID_SHARED_DATA)")
    return SHARED_DATA
