"""Opt-in physiological priors of PIDDecomposer: what each needs, computes and trains."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.helper import SliceDict

from skpid.datasets import make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.decomposition._priors import check_priors, prior_features
from skpid.physiology import EEG_BANDS

FAST = {"max_epochs": 1, "hidden_size": 16, "n_tokens": 4, "random_state": 0}
ALL = ("band_power", "haemodynamic_amplitude", "coupling_delay")


@pytest.fixture(scope="module")
def sim():
    return make_eeg_fnirs(n_subjects=2, n_trials=12, random_state=0)


def _settings(data, **changes):
    settings = {
        "sfreq": {m: data.info[m]["sfreq"] for m in data.X},
        "tmin": {m: data.info[m]["tmin"] for m in data.X},
        "ch_names": {"fnirs": list(data.info["fnirs"]["ch_names"])},
    }
    settings.update(changes)
    return settings


def test_every_prior_is_off_by_default_and_on_by_name(sim):
    assert PIDDecomposer().priors is None
    dec = PIDDecomposer(priors=ALL, **_settings(sim), **FAST).fit(sim.X, groups=sim.groups)
    assert list(dec.priors_) == list(ALL)
    assert "train_auxiliary" in dec.net_.history[-1]
    module = dec.net_.module_
    bands = [b for b, (_, hi) in EEG_BANDS.items() if hi < sim.info["eeg"]["sfreq"] / 2]
    assert module.targets == {"eeg": len(bands), "fnirs": 1}
    features = dec.prior_features(sim.X, groups=sim.groups)
    assert set(features) == {*ALL, "coupling_profile"}
    assert features["band_power"].shape == (len(sim.y), len(bands))
    assert features["coupling_delay"].shape == (len(sim.y), 1)
    assert features["coupling_profile"].shape[1] == np.prod(module.coupling)
    assert all(np.all(np.isfinite(f)) for f in features.values())
    # the profile is computed again at transform time: same seed, same output
    again = PIDDecomposer(priors=ALL, **_settings(sim), **FAST).fit(sim.X, groups=sim.groups)
    np.testing.assert_array_equal(again.transform(sim.X), dec.transform(sim.X))
    # one prior alone, with settings
    one = PIDDecomposer(
        priors={"band_power": {"bands": ["alpha", (20.0, 30.0)]}}, **_settings(sim), **FAST
    ).fit(sim.X)
    assert one.net_.module_.targets == {"eeg": 2} and one.net_.module_.coupling is None


def test_a_prior_that_cannot_be_computed_says_what_is_missing(sim):
    def fit(X=sim.X, **params):
        return PIDDecomposer(**FAST, **params).fit(X)

    with pytest.raises(ValueError, match="Unknown prior 'alpha'"):
        fit(priors="alpha")
    with pytest.raises(ValueError, match="no setting"):
        fit(priors={"band_power": {"band": "alpha"}}, **_settings(sim))
    with pytest.raises(ValueError, match=r"sampling rate of \['eeg'\].*sfreq="):
        fit(priors="band_power")
    with pytest.raises(ValueError, match=r"channel names of .fnirs..*ch_names="):
        fit(priors="haemodynamic_amplitude", sfreq={"fnirs": 10.0})
    with pytest.raises(ValueError, match="ch_names\\['fnirs'\\] has 3 names"):
        fit(priors="haemodynamic_amplitude", sfreq={"fnirs": 10.0}, ch_names={"fnirs": ["a"] * 3})
    with pytest.raises(ValueError, match="sfreq\\['fnirs'\\] must be a finite number > 0"):
        fit(priors="haemodynamic_amplitude", **_settings(sim, sfreq={"fnirs": -1.0}))
    renamed = {"a": sim.X["eeg"], "b": sim.X["fnirs"]}
    with pytest.raises(ValueError, match=r"no modality.*named like one.*.modality."):
        fit(renamed, priors="band_power", sfreq={"a": 100.0})
    # named in the settings, it works whatever the modality's name
    named = fit(renamed, priors={"band_power": {"modality": "a"}}, sfreq={"a": 100.0})
    assert named.net_.module_.targets == {"a": 5}
    tabular = {"eeg": sim.X["eeg"][:, :, 0], "fnirs": sim.X["fnirs"][:, :, 0]}
    with pytest.raises(ValueError, match="needs modality 'eeg' as a time series"):
        fit(tabular, priors="band_power", sfreq={"eeg": 100.0})
    with pytest.raises(ValueError, match="Nyquist"):
        fit(priors={"band_power": {"bands": [(40.0, 60.0)]}}, sfreq={"eeg": 100.0})


def test_haemoglobin_pairs_are_found_by_name_in_any_order(sim):
    names = list(sim.info["fnirs"]["ch_names"])
    shapes = {m: x.shape[1:] for m, x in sim.X.items()}
    kwargs = {"sfreq": {"eeg": 100.0, "fnirs": 10.0}}
    base = prior_features(
        check_priors(ALL[1:], shapes, ch_names={"fnirs": names}, **kwargs), sim.X, sim.groups
    )
    # all HbO first, then all HbR (as many published arrays store them), then shuffled
    for order in (
        np.r_[np.arange(0, len(names), 2), np.arange(1, len(names), 2)],
        np.random.RandomState(0).permutation(len(names)),
    ):
        X = {"eeg": sim.X["eeg"], "fnirs": sim.X["fnirs"][:, order]}
        priors = check_priors(
            ALL[1:], shapes, ch_names={"fnirs": [names[i] for i in order]}, **kwargs
        )
        moved = prior_features(priors, X, sim.groups)
        for name in base:
            np.testing.assert_allclose(moved[name], base[name], rtol=1e-5, atol=1e-6)


def test_simulated_coupling_delay_needs_both_modalities():
    # one trial whose EEG holds two near-equal events can move the correlation of a small
    # subject by 0.1: 100 trials per subject
    data = make_eeg_fnirs(n_subjects=2, n_trials=100, random_state=0)
    scaled = {
        m: ((x - x.mean((0, 2), keepdims=True)) / x.std((0, 2), keepdims=True)).astype(np.float32)
        for m, x in data.X.items()
    }
    # the simulator's neural event is a burst: a power increase
    priors = check_priors(
        {"coupling_delay": {"direction": "increase"}},
        {m: x.shape[1:] for m, x in data.X.items()},
        **_settings(data),
    )
    delay = prior_features(priors, scaled, data.groups)["coupling_delay"][:, 0]
    f = data.factors
    for s in (0, 1):
        sel = data.groups == s
        truth = (f.onset_time - f.event_time)[sel]
        assert np.corrcoef(delay[sel], truth)[0, 1] >= 0.6
        # the onset alone (event time + delay) says little of the delay
        assert abs(np.corrcoef(f.onset_time[sel], truth)[0, 1]) < 0.4


def _haemodynamic(n=160, seed=0):
    """EEG noise and fNIRS (HbO, HbR) pairs at 2 Hz whose response has one of 2 amplitudes."""
    rng = np.random.RandomState(seed)
    level = rng.randint(0, 2, n)
    t = np.arange(40) / 2.0
    onset = rng.uniform(2.5, 12.5, (n, 1))
    response = np.exp(-((t - onset - 2.5) ** 2) / 4.5) * np.where(level, 2.0, 0.5)[:, None]
    fnirs = 0.3 * rng.randn(n, 4, 40)
    fnirs[:, 0::2] += response[:, None]
    fnirs[:, 1::2] -= 0.3 * response[:, None]
    X = SliceDict(eeg=rng.randn(n, 4, 64).astype(np.float32), fnirs=fnirs.astype(np.float32))
    names = ["S1_D1 hbo", "S1_D1 hbr", "S2_D1 hbo", "S2_D1 hbr"]
    return X, level, {"sfreq": {"fnirs": 2.0}, "ch_names": {"fnirs": names}}


def test_amplitude_prior_trains_the_unique_block_to_read_the_response_amplitude():
    X, level, settings = _haemodynamic()
    params = {**FAST, "max_epochs": 15, "batch_size": 32, "orthogonalize": False}
    dec = PIDDecomposer(priors="haemodynamic_amplitude", **settings, **params).fit(X)
    amplitude = dec.prior_features(X)["haemodynamic_amplitude"][:, 0]
    # the prior itself follows the level
    assert np.corrcoef(amplitude, level)[0, 1] >= 0.8
    probe = make_pipeline(StandardScaler(), LogisticRegression())
    assert cross_val_score(probe, dec.decompose(X)["U_fnirs"], level, cv=4).mean() >= 0.85
