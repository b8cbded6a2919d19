"""Reliability (issue 20): no silent wrong numbers, every bad input named, divergence caught."""

import warnings

import numpy as np
import pytest
from skorch.helper import SliceDict

from skpid._multimodal import check_multimodal
from skpid.augment import Augmenter
from skpid.decomposition import HCL, CoMM, LinearHCL, PIDDecomposer
from skpid.decomposition._training import apply_scaling, fit_scaling
from skpid.features import BandEnvelope, BandPower
from skpid.metrics import SmallSampleWarning, component_recovery, discrete_pid, gaussian_pid

ATOMS = ("R", "U1", "U2", "S")
AND_R = 1.5 - 0.75 * np.log2(3)
TINY = {"hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}


# ------------------------------------------------------------ discrete_pid, per-atom bias


def _case(name, n, rng):
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    return {
        "xor": (a, b, a ^ b, (0, 0, 0, 1)),
        "and": (a, b, a & b, (AND_R, 0, 0, 0.5)),
        "unique-copy": (a, b, a, (0, 1, 0, 0)),
        "redundant-copy": (a, a, a, (1, 0, 0, 0)),
        "independent": (a, b, rng.integers(0, 2, n), (0, 0, 0, 0)),
    }[name]


# tolerance on the mean over seeds: sampling error of the atoms shrinks as 1/sqrt(n)
TOL = {60: 0.08, 200: 0.04, 1000: 0.02}


@pytest.mark.parametrize("n", [60, 200, 1000])
@pytest.mark.parametrize("name", ["xor", "and", "unique-copy", "redundant-copy", "independent"])
def test_discrete_pid_true_values_at_small_n(name, n):
    seeds = range(4 if n == 60 else 2)
    est = []
    for seed in seeds:
        x1, x2, y, true = _case(name, n, np.random.default_rng(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            pid = discrete_pid(x1, x2, y, n_permutations=20, random_state=seed)
        est.append([pid[k] for k in ATOMS])
        assert sum(pid[k] for k in ATOMS) == pytest.approx(pid["I12"])
    np.testing.assert_allclose(np.mean(est, axis=0), true, atol=TOL[n])


def test_discrete_pid_no_spurious_redundancy_from_a_single_source_bias():
    """y is a bit seen by x1 only; x2 is noise in 10 clusters, n = 60.

    One correction factor driven by I(X1,X2;Y) (y is a function of x1, so ~0) left the
    whole bias of I(X2;Y) in R (about 0.15 bit); per-quantity corrections remove it.
    """
    reds = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, 60)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            pid = discrete_pid(y, rng.normal(size=(60, 2)), y, n_permutations=30, random_state=0)
        reds.append(pid["R"])
        assert pid["null_scale_I2"] > 0.5 > pid["null_scale_I1"]
    assert abs(np.mean(reds)) < 0.06
    assert pid["R_plugin"] > pid["R"]


def test_discrete_pid_refuses_and_warns_on_too_few_samples_per_cell():
    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=(30, 2)), rng.normal(size=(30, 2)), rng.normal(size=30)
    with pytest.raises(ValueError, match="per cell"):
        discrete_pid(x1, x2, y, n_permutations=5, random_state=0)
    a = rng.integers(0, 2, 12)
    with pytest.warns(SmallSampleWarning, match="per cell"):
        discrete_pid(a, a, a, n_permutations=5, random_state=0)
    with pytest.raises(ValueError, match="min_samples_per_cell"):
        discrete_pid(a, a, a, min_samples_per_cell=-1)


def test_discrete_pid_signed_atoms_documented_and_reported():
    """Atoms with true value 0 are reported signed (centred on zero), never clipped."""
    negative = 0
    for seed in range(6):
        x1, x2, y, _ = _case("independent", 200, np.random.default_rng(seed))
        pid = discrete_pid(x1, x2, y, n_permutations=20, random_state=seed)
        negative += sum(pid[k] < 0 for k in ATOMS)
        assert min(pid[f"{k}_plugin"] for k in ATOMS) >= -1e-9
        for k in ATOMS:
            assert pid[f"{k}_bias"] == pytest.approx(pid[f"{k}_plugin"] - pid[k])
    assert negative > 0


def test_discrete_pid_names_missing_labels():
    y = np.array(["a", "b", None, "a"] * 10, dtype=object)
    x = np.arange(40) % 2
    with pytest.raises(ValueError, match="missing labels"):
        discrete_pid(x, x, y, n_permutations=2)


# ---------------------------------------------------------------------- recovery


def test_component_recovery_refuses_a_constant_factor():
    z = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="constant"):
        component_recovery(z, {"c": np.full(40, 2.0)})
    with pytest.raises(ValueError, match="constant"):
        component_recovery(z, {"c": np.zeros(40, dtype=int)})


# ------------------------------------------------------- n_components and supervised y


def _tabular(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return SliceDict(eeg=rng.normal(size=(n, 4)), fnirs=rng.normal(size=(n, 4)))


@pytest.mark.parametrize(
    ("est", "k"),
    [
        (PIDDecomposer, 1),
        (PIDDecomposer, True),
        (PIDDecomposer, {"R": 1}),
        (HCL, 1),
        (HCL, True),
        (HCL, {"eeg+fnirs": 1}),
        (CoMM, True),
    ],
)
def test_deep_decomposers_refuse_one_wide_blocks(est, k):
    with pytest.raises(ValueError, match="n_components"):
        est(n_components=k, **TINY).fit(_tabular())


def test_one_wide_blocks_kept_where_they_vary():
    """CoMM's fused vector is not normalised per block: one column is a real feature."""
    Z = CoMM(n_components=1, **TINY).fit(_tabular()).transform(_tabular())
    assert Z.shape == (24, 1) and np.ptp(Z) > 0


@pytest.mark.parametrize("k", [True, 100])
def test_linear_hcl_refuses_bad_n_components(k):
    X = _tabular(40)
    with pytest.raises(ValueError, match="n_components"):
        LinearHCL(n_components=k, structure="hierarchical").fit(X)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.linspace(0, 1, 24), "continuous"),
        (np.r_[np.zeros(12), np.ones(11), np.nan], "missing"),
        (np.array(["a"] * 12 + ["b"] * 11 + [None], dtype=object), "missing"),
    ],
)
def test_supervised_refuses_continuous_or_missing_y(y, match):
    with pytest.raises(ValueError, match=match):
        PIDDecomposer(n_components=2, supervised=True, **TINY).fit(_tabular(), y)


# ----------------------------------------------------------------- features


def _flat(n_times=256):
    x = np.random.default_rng(0).normal(size=(3, 2, n_times))
    x[:, 1] = 5.0  # a flat (constant) channel
    return x


def test_band_power_relative_flat_channel_is_named():
    with pytest.raises(ValueError, match="relative"):
        BandPower(sfreq=128.0, relative=True, log=False).fit_transform(_flat())


def test_band_envelope_log_of_flat_channel_is_refused():
    with pytest.raises(ValueError, match="flat"):
        BandEnvelope(sfreq=128.0, log=True).fit_transform(_flat())


def test_band_features_of_huge_values_are_exact_in_log():
    x = np.random.default_rng(1).normal(size=(2, 2, 256))
    for est in (BandEnvelope(sfreq=128.0, log=True), BandPower(sfreq=128.0, log=True)):
        small = est.fit_transform(x)
        huge = est.fit_transform(x * 1e200)
        assert np.all(np.isfinite(huge))
        np.testing.assert_allclose(huge, small + 400, rtol=1e-9, atol=1e-6)
    with pytest.raises(ValueError, match="overflow"):
        BandEnvelope(sfreq=128.0).fit_transform(x * 1e200)


def test_zero_size_axes_are_named():
    with pytest.raises(ValueError, match="empty"):
        check_multimodal({"a": np.zeros((5, 0)), "b": np.zeros((5, 3))})
    with pytest.raises(ValueError, match="empty"):
        check_multimodal({"a": np.zeros((5, 2, 0)), "b": np.zeros((5, 3))})
    with pytest.raises(ValueError, match="no channels"):
        BandPower(sfreq=128.0).fit(np.zeros((4, 0, 256)))
    with pytest.raises(ValueError, match="empty"):
        LinearHCL().fit({"a": np.zeros((5, 0)), "b": np.ones((5, 3))})
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="times axis is empty"):
        PIDDecomposer(**TINY).fit({"a": np.zeros((8, 2, 0)), "b": rng.normal(size=(8, 3))})


# ---------------------------------------------------------------- scaling, overflow


def test_scaling_statistics_in_float64_beyond_float32_range():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)) * 1e40 + 1e41
    scaling = fit_scaling({"a": x})
    mean, scale = scaling["a"]
    assert mean.dtype == np.float64 and np.all(np.isfinite(scale))
    z = apply_scaling({"a": x}, scaling)["a"]
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, rtol=1e-4)
    huge = fit_scaling({"a": rng.normal(size=(50, 3)) * 1e200})
    assert np.all(np.isfinite(huge["a"][1])) and np.all(huge["a"][1] > 1e199)


def test_decomposer_on_input_beyond_float32_range_matches_unit_input():
    """Input near 1e40 (beyond float32) is standardised in float64, not zeroed."""
    X = _tabular(32)
    ref = PIDDecomposer(n_components=2, **TINY).fit(X).transform(X)
    big = SliceDict(**{m: v * 1e40 for m, v in X.items()})
    out = PIDDecomposer(n_components=2, **TINY).fit(big).transform(big)
    assert np.std(out) > 0.1 * np.std(ref)
    np.testing.assert_allclose(out, ref, atol=1e-4)


def test_overflow_after_scaling_is_named():
    scaling = fit_scaling({"a": np.random.default_rng(0).normal(size=(20, 3))})
    with pytest.raises(ValueError, match="beyond the range of float32"):
        apply_scaling({"a": np.full((4, 3), 1e40)}, scaling)


def test_gaussian_pid_and_linear_hcl_near_1e200():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(300, 1)), rng.normal(size=(300, 1))
    y = x1 + x2 + 0.5 * rng.normal(size=(300, 1))
    ref = gaussian_pid(x1, x2, y, random_state=0)
    big = gaussian_pid(x1 * 1e200, x2 * 1e200, y * 1e200, random_state=0)
    for k in ATOMS:
        assert big[k] == pytest.approx(ref[k], abs=1e-6)
    with pytest.raises(ValueError, match="overflow"):
        LinearHCL().fit({"a": rng.normal(size=(20, 3)) * 1e200, "b": rng.normal(size=(20, 3))})


def test_linear_hcl_keeps_float32_input_and_matches_float64():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 2))
    X = {
        "a": (z @ rng.normal(size=(2, 5)) + 0.3 * rng.normal(size=(300, 5))).astype(np.float32),
        "b": (z @ rng.normal(size=(2, 4)) + 0.3 * rng.normal(size=(300, 4))).astype(np.float32),
    }
    est = LinearHCL(n_components=2, structure="hierarchical")
    z32 = est.fit(X).transform(X)
    z64 = est.fit({k: v.astype(np.float64) for k, v in X.items()}).transform(X)
    np.testing.assert_allclose(z32, z64, atol=1e-8)


# ------------------------------------------------------------------ augmentation


def test_unknown_augmentation_keyword_named_at_fit_time():
    with pytest.raises(ValueError, match="sigma"):
        Augmenter({"a": [("gaussian_noise", {"sigma": 0.1})]}, {"a": (4,)})
    with pytest.raises(ValueError, match="sigma"):
        PIDDecomposer(
            n_components=2, augmentations={"eeg": [("gaussian_noise", {"sigma": 1})]}, **TINY
        ).fit(_tabular())


# -------------------------------------------------------------- training health


def test_divergence_caught_before_nan_with_epoch_term_and_cause():
    rng = np.random.default_rng(0)
    X = SliceDict(eeg=rng.normal(size=(32, 3, 40)), fnirs=rng.normal(size=(32, 2, 10)))
    with pytest.raises(FloatingPointError) as info:
        CoMM(n_components=3, **{**TINY, "max_epochs": 20}, lr=1e3).fit(X)
    msg = str(info.value)
    assert "diverging" in msg and "epoch" in msg and "learning rate" in msg, msg
    assert "nan" not in msg.lower(), msg


# ------------------------------------------------------------------------ memory


def _heap_peak(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_transform_memory_bounded_by_the_batch():
    """The readout runs per batch: transform holds little more than its output."""
    rng = np.random.default_rng(0)
    n = 20000
    X = SliceDict(
        eeg=rng.normal(size=(n, 16)).astype(np.float32),
        fnirs=rng.normal(size=(n, 16)).astype(np.float32),
    )
    est = PIDDecomposer(n_components=8, **TINY).fit(X[:128])
    out_bytes = n * sum(est.n_components_.values()) * 8
    assert _heap_peak(lambda: est.transform(X)) < 1.3 * out_bytes + 2**20


def test_linear_hcl_does_not_copy_its_input_in_float64():
    rng = np.random.default_rng(0)
    n = 60000  # well above the float64 chunk of 4096 trials
    z = rng.normal(size=(n, 2))
    X = {
        "a": (z @ rng.normal(size=(2, 16)) + rng.normal(size=(n, 16))).astype(np.float32),
        "b": (z @ rng.normal(size=(2, 16)) + rng.normal(size=(n, 16))).astype(np.float32),
    }
    in_bytes = sum(v.nbytes for v in X.values())
    est = LinearHCL(n_components=2, structure="hierarchical")
    assert _heap_peak(lambda: est.fit(X)) < in_bytes
    assert _heap_peak(lambda: est.transform(X)) < in_bytes
