"""Tests of the EEG + fNIRS simulator and of its factor placement."""

import numpy as np
import pytest
from skorch.helper import SliceDict

from skpid.datasets import canonical_hrf, make_eeg_fnirs
from skpid.io import from_epochs, to_epochs
from skpid.model_selection import factor_decodability


@pytest.fixture(scope="module")
def small():
    return make_eeg_fnirs(n_subjects=2, n_trials=12, random_state=0)


def test_shapes_dtypes_and_units(small):
    X = small.X
    assert isinstance(X, SliceDict)
    assert X["eeg"].shape == (24, 32, 1000)
    assert X["fnirs"].shape == (24, 40, 200)
    assert X["eeg"].dtype == X["fnirs"].dtype == np.float32
    # EEG in volts (tens of microvolts), haemoglobin in mol/L (below ~10 micromolar).
    assert 1e-6 < X["eeg"].std() < 1e-4
    assert 1e-8 < X["fnirs"].std() < 1e-5
    assert np.all(np.isfinite(X["eeg"])) and np.all(np.isfinite(X["fnirs"]))
    assert small.y.shape == small.groups.shape == (24,)
    np.testing.assert_array_equal(small.groups, np.repeat([0, 1], 12))


def test_factors_are_labelled_and_balanced(small):
    f = small.factors
    for col, n_classes in (("R", 2), ("U_eeg", 3), ("U_fnirs", 2), ("S", 2)):
        assert f[col].dtype.kind == "i"
        # Balanced within each subject: every class appears n_trials / n_classes times.
        counts = f.groupby("subject")[col].value_counts()
        assert set(counts) == {12 // n_classes}
    for col in ("laterality", "burst_freq", "amplitude", "lag", "event_time", "onset_time"):
        assert f[col].dtype.kind == "f"
    np.testing.assert_allclose(f["onset_time"], f["event_time"] + f["lag"])
    # The long delay is longer, and the event time does not depend on S.
    assert f.loc[f.S == 1, "lag"].mean() > f.loc[f.S == 0, "lag"].mean() + 0.4
    np.testing.assert_array_equal(small.y, f["R"])
    assert "S_eff" not in f


def test_info_and_mne_round_trip(small):
    info = small.info
    assert info["eeg"]["sfreq"] == 100.0 and info["fnirs"]["sfreq"] == 10.0
    assert set(info["eeg"]["ch_types"]) == {"eeg"}
    assert info["fnirs"]["ch_types"][:2] == ["hbo", "hbr"]
    assert info["fnirs"]["ch_names"][0] == "S1_D1 hbo"
    assert info["params"]["n_trials"] == 12 and len(info["subjects"]) == 2
    epochs = to_epochs(small.X, info)
    assert epochs["eeg"].get_montage() is not None
    X, back = from_epochs(eeg=epochs["eeg"], fnirs=epochs["fnirs"])
    for m in ("eeg", "fnirs"):
        np.testing.assert_allclose(X[m], small.X[m], rtol=1e-6)
        assert back[m]["ch_names"] == info[m]["ch_names"]


def test_determinism():
    a = make_eeg_fnirs(n_subjects=1, n_trials=4, random_state=3)
    b = make_eeg_fnirs(n_subjects=1, n_trials=4, random_state=3)
    c = make_eeg_fnirs(n_subjects=1, n_trials=4, random_state=4)
    for m in ("eeg", "fnirs"):
        np.testing.assert_array_equal(a.X[m], b.X[m])
        assert not np.allclose(a.X[m], c.X[m])
    assert a.factors.equals(b.factors)


def test_options_change_what_they_claim():
    data = make_eeg_fnirs(
        n_subjects=1,
        n_trials=8,
        efficiency_strength=1.0,
        eeg_sfreq=125.0,
        eeg_duration=8.0,
        fnirs_duration=16.0,
        target="S",
        dtype=np.float64,
        random_state=0,
    )
    assert data.X["eeg"].shape == (8, 32, 1000) and data.X["fnirs"].shape == (8, 40, 160)
    assert data.X["eeg"].dtype == np.float64
    assert {"S_eff", "gamma_intensity"} <= set(data.factors)
    np.testing.assert_array_equal(data.y, data.factors["S"])
    # S_eff is 1 exactly when the neural intensity level matches the metabolic cost.
    level = (data.factors["gamma_intensity"] > 1.0).astype(int)
    np.testing.assert_array_equal(data.factors["S_eff"], level == data.factors["U_fnirs"])


def test_zero_strength_removes_the_signal():
    kw = dict(n_subjects=1, n_trials=6, noise_level=0.0, nuisance_strength=0.0, random_state=0)
    quiet = make_eeg_fnirs(fnirs_unique_strength=0.0, **kw)
    # Without a metabolic-cost contrast, the amplitude does not depend on U_fnirs.
    f = quiet.factors
    ratio = f.loc[f.U_fnirs == 1, "amplitude"].mean() / f.loc[f.U_fnirs == 0, "amplitude"].mean()
    assert abs(np.log(ratio)) < 0.15
    # Without noise, nuisance and background, fNIRS before the first onset is exactly zero.
    first = int(f["onset_time"].min() * 10)
    assert np.abs(quiet.X["fnirs"][:, :, :first]).max() == 0


def test_canonical_hrf():
    t = np.arange(0, 30, 0.01)
    h = canonical_hrf(t)
    assert abs(h.max() - 1) < 1e-3
    assert 4.8 < t[np.argmax(h)] < 5.2  # peak near 5 s (gamma shape 6)
    assert 14 < t[np.argmin(h)] < 17 and h.min() < 0  # undershoot
    assert np.all(canonical_hrf(-t) == 0)
    assert abs(t[np.argmax(canonical_hrf(t, peak_scale=1.2))] - 6.0) < 0.2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_subjects": 0}, "n_subjects must be a positive int"),
        ({"n_trials": 2.5}, "n_trials must be a positive int"),
        ({"synergy_strength": -1}, "synergy_strength must be a finite number >= 0"),
        ({"noise_level": np.nan}, "noise_level must be a finite number"),
        ({"eeg_sfreq": 60.0}, "outside 100-250 Hz"),
        ({"fnirs_sfreq": 1.0}, "outside 2-50 Hz"),
        ({"eeg_duration": 2.0}, "too short"),
        ({"fnirs_duration": 12.0}, "cannot hold the haemodynamic response"),
        ({"target": "nope"}, "target='nope' is not a factor"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_eeg_fnirs(**{"n_subjects": 1, "n_trials": 2, **kwargs})


def test_factor_placement_fast():
    """A small version of benchmarks/bench_simulator.py (same features and classifier).

    With 400 trials the standard error of a chance-normalised balanced accuracy is about
    0.05 (binary factor), so the bounds of the issue are checked with a margin of about
    two standard errors on the "must be low" side and on S from both; the full-size
    bounds are checked by the slow test below and the benchmark.
    """
    data = make_eeg_fnirs(n_subjects=4, n_trials=100, random_state=1)
    t = factor_decodability(data, cv=4)
    assert t.loc["R", "eeg"] >= 0.5 and t.loc["R", "fnirs"] >= 0.5
    assert t.loc["U_eeg", "eeg"] >= 0.5 and t.loc["U_eeg", "fnirs"] <= 0.2
    assert t.loc["U_fnirs", "fnirs"] >= 0.5 and t.loc["U_fnirs", "eeg"] <= 0.2
    assert t.loc["S", "eeg"] <= 0.2 and t.loc["S", "fnirs"] <= 0.2
    assert t.loc["S", "both"] >= 0.7


@pytest.mark.slow
def test_factor_placement_default_bounds():
    """The bounds of the foundation issue at default settings (1,000 trials)."""
    t = factor_decodability(make_eeg_fnirs(random_state=0))
    assert t.loc["R", "eeg"] >= 0.5 and t.loc["R", "fnirs"] >= 0.5
    assert t.loc["U_eeg", "eeg"] >= 0.5 and t.loc["U_eeg", "fnirs"] <= 0.1
    assert t.loc["U_fnirs", "fnirs"] >= 0.5 and t.loc["U_fnirs", "eeg"] <= 0.1
    assert t.loc["S", "eeg"] <= 0.1 and t.loc["S", "fnirs"] <= 0.1
    assert t.loc["S", "both"] >= 0.8
