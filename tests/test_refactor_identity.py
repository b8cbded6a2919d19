"""Same seeds, same outputs: the deep decomposers against outputs saved before issue 17.

The reference file ``tests/data/refactor_reference.npz`` was written by running this
module as a script (``python tests/test_refactor_identity.py``) on the code before the
networks moved to :mod:`skpid.nn` and ``fit`` was restructured; the PIDDecomposer cases
were rewritten for issue 18 (a new network and objective, meant to change its outputs; the
other decomposers' saved outputs were reproduced unchanged). Regenerate it only for a
change that is meant to alter the outputs.
"""

from pathlib import Path

import numpy as np
import pytest
from skorch.helper import SliceDict

from skpid.decomposition import HCL, CoMM, FactorCL, PIDDecomposer

REFERENCE = Path(__file__).parent / "data" / "refactor_reference.npz"
TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}
NIRS_NAMES = ["S1_D1 hbo", "S1_D1 hbr", "S2_D1 hbo", "S2_D1 hbr"]


def _data(n=24, seed=0):
    """EEG (V, 100 Hz), fNIRS (M, 10 Hz) and a tabular third modality, labels, groups."""
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    t = np.arange(300) / 100.0
    burst = np.sin(2 * np.pi * 10 * t) * np.exp(-((t - 1.0) ** 2) / 0.01)
    eeg = 1e-5 * (rng.randn(n, 3, 300) + 2 * r[:, None, None] * burst)
    fnirs = 1e-6 * (
        rng.randn(n, 4, 100) + np.array([1, -1, 1, -1])[None, :, None] * r[:, None, None]
    )
    tab = rng.randn(n, 5) + r[:, None]
    data = {
        "eeg": eeg.astype(np.float32),
        "fnirs": fnirs.astype(np.float32),
        "tab": tab.astype(np.float32),
    }
    return data, r, np.repeat(np.arange(4), n // 4)


def _cases():
    """``{name: (estimator, X, y, groups)}``: every deep decomposer and its main paths."""
    data, y, groups = _data()
    two = SliceDict(eeg=data["eeg"], fnirs=data["fnirs"])
    three = SliceDict(**data)
    priors = {
        "priors": ("band_power", "haemodynamic_amplitude", "coupling_delay"),
        "sfreq": {"eeg": 100.0, "fnirs": 10.0},
        "ch_names": {"fnirs": NIRS_NAMES},
    }
    return {
        "pid": (PIDDecomposer(**TINY), two, None, None),
        "pid_three_groups": (PIDDecomposer(**TINY), three, None, groups),
        "pid_plain_heads": (PIDDecomposer(**TINY, orthogonalize=False), two, None, None),
        "pid_supervised_valid": (
            PIDDecomposer(**TINY, supervised=True, validation_fraction=0.25),
            two,
            y,
            None,
        ),
        "pid_priors": (PIDDecomposer(**TINY, **priors), two, None, groups),
        "comm": (CoMM(**TINY), three, None, None),
        "comm_groups": (CoMM(**TINY), two, None, groups),
        "factorcl": (FactorCL(**TINY), two, None, None),
        "hcl": (HCL(**TINY), three, None, None),
        "hcl_hierarchical": (HCL(**TINY, structure="hierarchical"), two, None, groups),
        "array_split": (PIDDecomposer(**TINY), data["tab"].astype(np.float64), None, None),
    }


def _outputs():
    out = {}
    for name, (est, X, y, groups) in _cases().items():
        est.fit(X, y, groups=groups)
        out[name] = est.transform(X)
    return out


@pytest.fixture(scope="module")
def outputs():
    return _outputs()


@pytest.mark.parametrize("name", list(_cases()))
def test_same_seed_same_output_as_before_the_moves(outputs, name):
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is missing; run this module as a script to write it.")
    with np.load(REFERENCE) as saved:
        expected = saved[name]
    assert outputs[name].shape == expected.shape
    np.testing.assert_array_equal(outputs[name], expected)


if __name__ == "__main__":
    np.savez_compressed(REFERENCE, **_outputs())
    print(f"wrote {REFERENCE}")
