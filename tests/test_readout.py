"""Tests of the lattice readout of the PID blocks (plain functions on arrays)."""

import numpy as np

from skpid.decomposition._readout import (
    fit_lattice_readout,
    fit_shared_directions,
    lattice_blocks,
)
from skpid.nn import cross_products

MODS = ["eeg", "fnirs"]


def _r2(x, y):
    """In-sample R^2 of the least-squares fit of y (n,) or (n, k) on x, with intercept."""
    x1 = np.hstack([x, np.ones((len(x), 1))])
    fitted = x1 @ np.linalg.lstsq(x1, y, rcond=None)[0]
    return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean(0)) ** 2).sum()


def _heads(n=2000, seed=0):
    """Head outputs with known content: z shared, a and q fNIRS-private, e and p
    EEG-private (p and q signs: their product is synergy)."""
    rng = np.random.RandomState(seed)
    z, a, e = rng.randn(3, n)
    p, q = np.sign(rng.randn(2, n))

    def noisy(*cols):
        return np.column_stack(cols) + 0.1 * rng.randn(n, len(cols))

    raw = {
        "R_eeg": noisy(z, e),
        "R_fnirs": noisy(z, a),  # a private part leaks into fNIRS's redundancy head
        "U_eeg": noisy(e, p),
        "U_fnirs": noisy(a, q + 0.8 * z),  # the redundant z leaks into the unique block
    }
    return raw, {"z": z, "a": a, "e": e, "s": p * q}


def test_readout_peels_lower_atoms_out_of_higher_blocks():
    raw, truth = _heads()
    blocks = lattice_blocks(raw, MODS, fit_lattice_readout(raw, MODS))
    assert list(blocks) == ["R", "U_eeg", "U_fnirs", "S"]
    # R keeps z, not the private a or e
    assert _r2(blocks["R"], truth["z"]) > 0.95
    assert _r2(blocks["R"], truth["a"]) < 0.02 and _r2(blocks["R"], truth["e"]) < 0.02
    # U_fnirs keeps a, loses z; S holds the product of the signs, linearly nothing else
    assert _r2(blocks["U_fnirs"], truth["a"]) > 0.95
    assert _r2(blocks["U_fnirs"], truth["z"]) < 0.02
    assert blocks["S"].shape == (2000, 4)
    assert _r2(blocks["S"], truth["s"]) > 0.9
    assert max(_r2(blocks["S"], truth[k]) for k in "zae") < 0.02
    assert _r2(np.hstack([blocks["R"], blocks["U_eeg"], blocks["U_fnirs"]]), truth["s"]) < 0.02
    # before the readout, the leaks were there
    plain = lattice_blocks(raw, MODS)
    assert _r2(plain["R"], truth["a"]) > 0.2 and _r2(plain["U_fnirs"], truth["z"]) > 0.3


def test_shared_directions_are_ordered_by_correlation_whatever_their_variance():
    rng = np.random.RandomState(4)
    n = 2000
    strong, weak, private = rng.randn(3, n)
    # the weakly shared latent (correlation 1 / sqrt(1 + 0.75**2) = 0.8) has a small
    # variance, the private one of fNIRS's head a large one
    eeg = np.column_stack([strong, 0.1 * weak, rng.randn(n)]) + 0.01 * rng.randn(n, 3)
    noisy_weak = 0.1 * (weak + 0.75 * rng.randn(n))
    fnirs = np.column_stack([10 * private, strong + 0.1 * rng.randn(n), noisy_weak])
    maps, correlation = fit_shared_directions([eeg, fnirs], size=3)
    np.testing.assert_allclose(correlation, [0.99, 0.8, 0.0], atol=0.03)
    redundant = sum(h @ coef + icpt for h, (coef, icpt) in zip([eeg, fnirs], maps, strict=True))
    assert _r2(redundant[:, :1], strong) > 0.98
    assert _r2(redundant[:, 1:2], weak) > 0.5
    np.testing.assert_array_equal(redundant[:, 2], 0.0)
    assert _r2(redundant, private) < 0.01
    # three modalities: the mean correlation between them
    third = np.column_stack([strong, rng.randn(n)]) + 0.1 * rng.randn(n, 2)
    _, correlation = fit_shared_directions([eeg, fnirs, third], size=2)
    assert correlation[0] > 0.95 and correlation[1] == 0


def test_readout_leaves_unrelated_blocks_alone():
    # independent heads: every ridge shrinks to ~0, so the blocks are kept as they are
    rng = np.random.RandomState(1)
    raw = {k: rng.randn(300, 4) for k in ("R_eeg", "R_fnirs", "U_eeg", "U_fnirs")}
    blocks = lattice_blocks(raw, MODS, fit_lattice_readout(raw, MODS))
    for name in ("U_eeg", "U_fnirs"):
        assert _r2(raw[name], blocks[name]) > 0.97
    standard = [(u - u.mean(0)) / u.std(0) for u in (raw["U_eeg"], raw["U_fnirs"])]
    assert _r2(cross_products(standard), blocks["S"]) > 0.97
    # a coupling head's output joins S
    raw["C"] = rng.randn(300, 2)
    with_coupling = lattice_blocks(raw, MODS, fit_lattice_readout(raw, MODS))
    assert with_coupling["S"].shape == (300, 16 + 2)
    assert _r2(raw["C"], with_coupling["S"][:, 16:]) > 0.97
    assert np.abs(blocks["R"] - blocks["R"].mean(0)).max() < 0.3 * raw["R_eeg"].std()


def test_readout_takes_any_number_of_modalities():
    rng = np.random.RandomState(2)
    mods = ["a", "b", "c"]
    z = rng.randn(500)
    raw = {f"R_{m}": np.column_stack([z, rng.randn(500)]) for m in mods}
    raw.update({f"U_{m}": rng.randn(500, 3) for m in mods})
    blocks = lattice_blocks(raw, mods, fit_lattice_readout(raw, mods))
    assert [b.shape for b in blocks.values()] == [(500, 2), (500, 3), (500, 3), (500, 3), (500, 27)]
    assert _r2(blocks["R"], z) > 0.95


def test_readout_takes_blocks_of_one_component():
    rng = np.random.RandomState(3)
    z = rng.randn(100, 1)
    raw = {"R_eeg": z + 0.1 * rng.randn(100, 1), "R_fnirs": z + 0.1 * rng.randn(100, 1)}
    raw.update({k: rng.randn(100, 1) for k in ("U_eeg", "U_fnirs")})
    blocks = lattice_blocks(raw, MODS, fit_lattice_readout(raw, MODS))
    assert [b.shape for b in blocks.values()] == [(100, 1)] * 4
    assert _r2(blocks["R"], z[:, 0]) > 0.95
