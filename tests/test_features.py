"""Tests of the EEG/fNIRS feature transformers (skpid.features)."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skpid.features import (
    DEFAULT_BANDS,
    BandEnvelope,
    BandPower,
    HemodynamicFeatures,
    band_envelope,
    band_power,
    hemodynamic_features,
)

SFREQ = 100.0


def _sine(freq, amp=1.0, n_times=400, sfreq=SFREQ, phase=0.0):
    t = np.arange(n_times) / sfreq
    return amp * np.sin(2 * np.pi * freq * t + phase)


# scikit-learn's generic checks pass 2-D arrays (n_samples, n_features) of a few columns;
# the transformers read them as one channel of n_features time samples. The settings below
# keep every band/window valid for epochs that short (a band reaching down to 0 Hz always
# holds the DC bin; log=False because integer-cast check data can be flat).
@parametrize_with_checks(
    [
        BandPower(sfreq=SFREQ, bands={"all": (0.0, 50.0)}, log=False),
        BandPower(
            sfreq=SFREQ, bands={"all": (0.0, 50.0)}, method="multitaper", bandwidth=60.0, log=False
        ),
        BandEnvelope(sfreq=10.0, bands={"all": (0.0, 5.0)}, out_sfreq=5.0),
        BandEnvelope(sfreq=10.0, bands={"low": (1.0, 4.0)}, out_sfreq=5.0),
        HemodynamicFeatures(sfreq=10.0),
        HemodynamicFeatures(sfreq=10.0, ch_types="hbr", features=["peak", "time_to_peak"]),
    ]
)
@pytest.mark.filterwarnings("ignore:filter_length")  # mne: filters longer than tiny epochs
@pytest.mark.filterwarnings("ignore:Could not properly use low_bias")  # mne: few tapers
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- BandPower


@pytest.mark.parametrize("method", ["welch", "multitaper"])
def test_band_power_sine_lands_in_its_band(method):
    # A sine of amplitude A has power A**2 / 2, all of it at its frequency.
    X = np.stack([np.stack([_sine(10, 2.0), _sine(20, 1.0)])] * 3)
    bp = BandPower(sfreq=SFREQ, method=method, log=False, ch_names=["Oz", "Cz"]).fit(X)
    power = bp.transform(X).reshape(3, 2, len(DEFAULT_BANDS))
    bands = list(DEFAULT_BANDS)
    assert [bands[i] for i in power[0].argmax(axis=1)] == ["alpha", "beta"]
    assert_allclose(power[:, 0, bands.index("alpha")], 2.0, rtol=0.01)
    assert_allclose(power[:, 1, bands.index("beta")], 0.5, rtol=0.01)
    assert np.all(power[:, 0, bands.index("beta")] < 1e-3)


def test_band_power_white_noise_total_variance():
    # Power over 0 Hz to Nyquist is the variance (1) of unit white noise.
    x = np.random.default_rng(0).standard_normal((1, 1, 8000))
    assert_allclose(band_power(x, SFREQ, {"all": (0, 50)}, log=False), 1.0, rtol=0.03)


def test_band_power_relative_and_log():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 3, 300))
    rel = BandPower(sfreq=SFREQ, relative=True, log=False).fit_transform(X)
    # the default bands tile 1-45 Hz, so relative powers of a channel sum to one
    assert_allclose(rel.reshape(4, 3, 5).sum(axis=-1), 1.0)
    absolute = BandPower(sfreq=SFREQ, log=False).fit_transform(X)
    logged = BandPower(sfreq=SFREQ).fit_transform(X)
    assert_allclose(logged, np.log10(absolute))


def test_band_power_names_and_2d_input():
    X = np.random.default_rng(2).standard_normal((5, 2, 256))
    bp = BandPower(sfreq=128, bands={"theta": (4, 8), "alpha": (8, 13)}, ch_names=["Fz", "Pz"])
    bp.fit(X)
    assert list(bp.get_feature_names_out()) == ["Fz_theta", "Fz_alpha", "Pz_theta", "Pz_alpha"]
    assert list(bp.get_feature_names_out(["a", "b"])) == [
        "a_theta",
        "a_alpha",
        "b_theta",
        "b_alpha",
    ]
    default = BandPower(sfreq=128, bands={"alpha": (8, 13)}).fit(X)
    assert list(default.get_feature_names_out()) == ["ch0_alpha", "ch1_alpha"]
    # 2-D (n_trials, n_times) is one channel
    single = BandPower(sfreq=128).fit(X[:, 0])
    assert_allclose(single.transform(X[:, 0]), BandPower(sfreq=128).fit_transform(X[:, :1]))
    assert list(single.get_feature_names_out())[:2] == ["ch0_delta", "ch0_theta"]


def test_band_power_set_output_pandas_clone_pickle():
    X = np.random.default_rng(3).standard_normal((4, 2, 200))
    bp = BandPower(sfreq=SFREQ, ch_names=["C3", "C4"]).set_output(transform="pandas")
    df = bp.fit_transform(X)
    assert list(df.columns) == list(bp.get_feature_names_out())
    assert "C4_gamma" in df.columns
    restored = pickle.loads(pickle.dumps(bp))
    assert_allclose(restored.transform(X).to_numpy(), df.to_numpy())
    assert_allclose(clone(bp).fit_transform(X).to_numpy(), df.to_numpy())


# ------------------------------------------------------------------------- BandEnvelope


def test_band_envelope_rate_shape_and_amplitude():
    # 10 Hz sine switched on halfway: the alpha envelope is ~0, then A**2 (Hilbert) or
    # A**2 / 2 (squared signal), at out_sfreq.
    step = np.r_[np.zeros(200), np.ones(200)]
    X = np.stack([np.stack([step * _sine(10, 2.0), _sine(30, 1.0)])] * 2)
    bands = {"alpha": (8, 13), "beta": (13, 25)}
    env = BandEnvelope(sfreq=SFREQ, bands=bands, out_sfreq=10, ch_names=["O1", "O2"]).fit(X)
    out = env.transform(X)
    assert out.shape == (2, 4, 40) and env.n_times_out_ == 40
    assert list(env.get_feature_names_out()) == ["O1_alpha", "O1_beta", "O2_alpha", "O2_beta"]
    alpha = out[0, 0]
    assert np.all(alpha[2:15] < 0.01)  # the first bin holds the Hilbert wrap-around edge
    assert_allclose(alpha[24:36], 4.0, rtol=0.05)
    assert np.all(out[0, 3, 2:-2] < 0.05)  # 30 Hz lies outside O2's beta (13-25 Hz)
    square = band_envelope(X, SFREQ, bands, out_sfreq=10, envelope="square")
    assert_allclose(square[0, 0, 24:36], 2.0, rtol=0.1)
    logged = band_envelope(X[:, 1:], SFREQ, {"beta": (25, 35)}, out_sfreq=10, log=True)
    assert_allclose(logged, np.log10(band_envelope(X[:, 1:], SFREQ, {"beta": (25, 35)})))


def test_band_envelope_non_integer_ratio_and_no_set_output():
    X = np.random.default_rng(4).standard_normal((3, 2, 200))
    out = BandEnvelope(sfreq=SFREQ, bands={"alpha": (8, 13)}, out_sfreq=30).fit_transform(X)
    assert out.shape == (3, 2, 60)  # floor(200 * 30 / 100)
    assert not hasattr(BandEnvelope(sfreq=SFREQ), "set_output")  # 3-D output


def test_band_envelope_bins_average_exactly():
    # With no filtering (0 Hz to Nyquist) and the squared signal, each output sample is
    # the mean of x**2 over its bin of sfreq / out_sfreq samples.
    x = np.arange(20.0).reshape(1, 1, 20)
    out = band_envelope(x, 10, {"all": (0, 5)}, out_sfreq=2, envelope="square")
    assert_allclose(out[0, 0], (x[0, 0] ** 2).reshape(4, 5).mean(axis=1))


# ------------------------------------------------------------------ HemodynamicFeatures


def test_hemodynamic_features_on_a_ramp():
    sfreq, tmin = 10.0, -2.0
    t = tmin + np.arange(150) / sfreq
    hbo, hbr = 0.5 * t + 1.0, -0.2 * t
    X = np.stack([np.stack([hbo, hbr])] * 2)
    hf = HemodynamicFeatures(
        sfreq=sfreq, windows=[(0, 5), (5, 10)], tmin=tmin, ch_names=["S1_D1 hbo", "S1_D1 hbr"]
    ).fit(X)
    names = list(hf.get_feature_names_out())
    assert names[:5] == [
        f"S1_D1 hbo_{f}_0-5s" for f in ("mean", "slope", "peak", "time_to_peak", "area")
    ]
    assert hf.ch_types_ == ["hbo", "hbr"]  # inferred from mne-style names
    out = hf.transform(X).reshape(2, 2, 2, 5)
    # window [0, 5) s: samples t = 0.0 .. 4.9
    tw = np.arange(50) / sfreq
    assert_allclose(
        out[0, 0, 0], [0.5 * tw.mean() + 1, 0.5, 0.5 * 4.9 + 1, 4.9, np.trapezoid(0.5 * tw + 1, tw)]
    )
    # HbR falls: its peak is the minimum, at the end of each window
    assert_allclose(out[0, 1, 1, 1:4], [-0.2, -0.2 * 9.9, 9.9])


def test_hemodynamic_features_gamma_peak_exact():
    # h(t) = t**5 exp(-t) peaks at t = 5 s exactly (derivative zero at t = shape * scale).
    sfreq = 10.0
    t = np.arange(200) / sfreq
    h = t**5 * np.exp(-t)
    out = hemodynamic_features(h[None, None], sfreq, [(0, 20)], features=["peak", "time_to_peak"])
    assert_allclose(out[0, 0, 0], [5**5 * np.exp(-5), 5.0])


def test_hemodynamic_features_chromophores_and_types():
    X = np.random.default_rng(5).standard_normal((3, 4, 100))
    hf = HemodynamicFeatures(
        sfreq=10,
        windows=[(0, 5)],
        features=["mean"],
        ch_types=["hbo", "hbr", "hbo", "hbr"],
        chromophores=["hbr"],
    ).fit(X)
    assert_array_equal(hf.picks_, [1, 3])
    assert list(hf.get_feature_names_out()) == ["ch1_mean_0-5s", "ch3_mean_0-5s"]
    assert list(hf.get_feature_names_out(["a", "b", "c", "d"])) == ["b_mean_0-5s", "d_mean_0-5s"]
    assert_allclose(hf.transform(X), X[:, [1, 3], :50].mean(axis=-1))
    # untyped channels: peak is the maximum
    untyped = HemodynamicFeatures(sfreq=10, features=["peak"]).fit_transform(X)
    assert_allclose(untyped, X.max(axis=-1))


def test_transformers_are_deterministic_and_picklable():
    X = np.random.default_rng(6).standard_normal((4, 2, 300))
    for est in (
        BandPower(sfreq=SFREQ),
        BandEnvelope(sfreq=SFREQ, bands={"alpha": (8, 13)}),
        HemodynamicFeatures(sfreq=SFREQ, windows=[(0, 1), (1, 3)]),
    ):
        first = est.fit_transform(X)
        assert_array_equal(clone(est).fit_transform(X), first)
        assert_array_equal(pickle.loads(pickle.dumps(est)).transform(X), first)


# ------------------------------------------------------------------------------ errors

X3 = np.random.default_rng(7).standard_normal((4, 2, 100))


@pytest.mark.parametrize(
    ("est", "X", "match"),
    [
        (BandPower(), X3, r"sfreq is missing.*Pass sfreq=<Hz>"),
        (BandPower(sfreq=-5), X3, r"sfreq=-5 is not a valid.*positive"),
        (BandPower(sfreq=0), X3, r"sfreq=0 is not a valid.*positive"),
        (HemodynamicFeatures(), X3, r"sfreq is missing"),
        (BandEnvelope(), X3, r"sfreq is missing"),
        (BandPower(sfreq=60), X3, r"'gamma'.*above the Nyquist.*30 Hz.*Lower its upper edge"),
        (
            BandPower(sfreq=SFREQ, bands={"x": (1.2, 1.8)}),
            X3,
            r"'x'.*holds no frequency bin.*resolution is 1 Hz.*longer epochs",
        ),
        (BandPower(sfreq=SFREQ, bands={"x": (8, 4)}), X3, r"not a valid range.*low < high"),
        (
            BandPower(sfreq=SFREQ, bands={"all": (0, 50)}, method="multitaper"),
            X3[..., :6],
            r"too short for 8 multitaper tapers.*method='welch'",
        ),
        (BandPower(sfreq=SFREQ, n_fft=500), X3, r"n_fft=500 exceeds the epoch length"),
        (BandPower(sfreq=SFREQ, ch_names=["a"]), X3, r"ch_names with 1 entries for 2.*one str"),
        (BandPower(sfreq=SFREQ), X3[..., None], r"got 4-D input.*Reshape to 3-D"),
        (BandPower(sfreq=SFREQ), {"eeg": X3}, r"mapping of modalities.*ModalityTransformer"),
        (BandEnvelope(sfreq=SFREQ, out_sfreq=200), X3, r"out_sfreq=200 Hz exceeds sfreq"),
        (
            BandEnvelope(sfreq=SFREQ, out_sfreq=0.5),
            X3,
            r"less than one output sample.*Raise out_sfreq to at least 1 Hz",
        ),
        (
            HemodynamicFeatures(sfreq=10, windows=[(0, 12)]),
            X3,
            r"Window \(0, 12\) s lies outside the epoch, which spans 0 to 10 s.*tmin",
        ),
        (HemodynamicFeatures(sfreq=10, windows=[(0, 5)], tmin=1), X3, r"outside the epoch"),
        (HemodynamicFeatures(sfreq=10, windows=[(5, 2)]), X3, r"reversed; pass start < stop"),
        (HemodynamicFeatures(sfreq=10, windows=[(0, 0.1)]), X3, r"holds 1 sample.*Widen"),
        (HemodynamicFeatures(sfreq=10, features=["max"]), X3, r"Unknown.*\['max'\].*choose"),
        (
            HemodynamicFeatures(sfreq=10, ch_types=["fnirs_cw_amplitude"] * 2),
            X3,
            r"'hbo' and 'hbr'.*beer_lambert_law",
        ),
        (HemodynamicFeatures(sfreq=10, ch_types=["eeg", "hbo"]), X3, r"epochs.pick"),
        (HemodynamicFeatures(sfreq=10, ch_types=["hbo"]), X3, r"ch_types has 1 entries for 2"),
        (
            HemodynamicFeatures(sfreq=10, chromophores=["hbo"]),
            X3,
            r"needs the channel types, which are missing.*Pass ch_types",
        ),
        (
            HemodynamicFeatures(sfreq=10, ch_types="hbo", chromophores=["hbr"]),
            X3,
            r"No channel of type \['hbr'\].*drop them from chromophores",
        ),
    ],
)
def test_errors_name_problem_and_fix(est, X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        est.fit(X)


def test_transform_shape_mismatch_errors():
    bp = BandPower(sfreq=SFREQ).fit(X3)
    with pytest.raises(ValueError, match=r"X has 1 features.*expecting 2.*same channels"):
        bp.transform(X3[:, :1])
    with pytest.raises(ValueError, match=r"80 time samples but 100 were seen.*same length"):
        bp.transform(X3[..., :80])
    with pytest.raises(ValueError, match=r"zero for .* entries.*log=False"):
        bp.transform(np.zeros_like(X3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # the plain functions give the same clear errors as the estimators
        (
            lambda x: band_power(x[..., :6], SFREQ, {"all": (0, 50)}, method="multitaper"),
            r"too short for 8 multitaper tapers.*method='welch'",
        ),
        (lambda x: band_power(x, SFREQ, n_fft=500), r"n_fft=500 exceeds the epoch length"),
        (lambda x: band_power(x, SFREQ, method="fft"), r"'welch' or 'multitaper'"),
        (lambda x: band_power(x, SFREQ, {1: (8, 13)}), r"Band names must be str.*'alpha'"),
        (lambda x: band_envelope(x, SFREQ, out_sfreq=200), r"out_sfreq=200 Hz exceeds sfreq"),
        (lambda x: band_envelope(x, SFREQ, out_sfreq=None), r"out_sfreq is missing.*Hz"),
        (lambda x: band_envelope(x, SFREQ, out_sfreq=0.5), r"Raise out_sfreq to at least 1 Hz"),
        (lambda x: band_envelope(x[:, 0], SFREQ), r"got shape \(3, 100\).*x\[:, None, :\]"),
        (lambda x: hemodynamic_features(x[:, 0], 10), r"got shape \(3, 100\).*x\[:, None, :\]"),
        (lambda x: hemodynamic_features(x, 10, windows=[1, 2]), r"windows=\[\(0, 5\)"),
        (lambda x: hemodynamic_features(x, "10"), r"sfreq must be a number.*sfreq=<Hz>"),
    ],
)
def test_function_errors_name_problem_and_fix(call, match):
    X3 = np.random.default_rng(0).standard_normal((3, 2, 100))
    with pytest.raises((ValueError, TypeError), match=match):
        call(X3)
