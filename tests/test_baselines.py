"""Tests of the classical baselines (skpid.baselines) on small synthetic EEG+fNIRS."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score
from skorch.helper import SliceDict

from skpid import baselines

EEG_SFREQ, FNIRS_SFREQ = 100.0, 10.0
CV = StratifiedKFold(4, shuffle=True, random_state=0)


def _batch(n=40, seed=0, eeg_class=True, fnirs_class=True):
    """EEG: class = 10 Hz amplitude on channel 0; fNIRS: class = HbO rise / HbR fall."""
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], n // 2)
    t = np.arange(200) / EEG_SFREQ
    eeg = rng.standard_normal((n, 4, 200))
    amp = np.where(y == 1, 2.0, 0.5) if eeg_class else np.full(n, 1.0)
    eeg[:, 0] += amp[:, None] * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6, n)[:, None])
    tf = np.arange(150) / FNIRS_SFREQ
    fnirs = 0.3 * rng.standard_normal((n, 4, 150))
    resp = (y if fnirs_class else np.full(n, 0.5))[:, None] * (tf / 15)
    fnirs[:, 0] += resp  # hbo
    fnirs[:, 1] -= 0.5 * resp  # hbr
    return SliceDict(eeg=eeg, fnirs=fnirs), y


FNIRS_TYPES = ["hbo", "hbr", "hbo", "hbr"]

CASES = {
    "bandpower_lda": (lambda: baselines.make_bandpower_lda(EEG_SFREQ), "eeg"),
    "csp_lda": (lambda: baselines.make_csp_lda(n_components=2), "eeg"),
    "tangent_space_eeg": (lambda: baselines.make_tangent_space_lr("eeg"), "eeg"),
    "hemodynamic_lda": (
        lambda: baselines.make_hemodynamic_lda(FNIRS_SFREQ, ch_types=FNIRS_TYPES),
        "fnirs",
    ),
    "tangent_space_fnirs": (lambda: baselines.make_tangent_space_lr(["fnirs"]), "fnirs"),
    "xdawn_tangent_space_fnirs": (
        lambda: baselines.make_xdawn_tangent_space_lr("fnirs", nfilter=2),
        "fnirs",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_single_modality_baseline_uses_only_its_modality(name):
    factory, modality = CASES[name]
    X, y = _batch()
    # class present in the baseline's modality: well above chance (0.5)
    assert cross_val_score(factory(), X, y, cv=CV).mean() >= 0.85
    # class only in the other modality: the baseline cannot see it
    other = {"eeg_class": modality != "eeg", "fnirs_class": modality != "fnirs"}
    X_other, y_other = _batch(seed=1, **other)
    assert cross_val_score(factory(), X_other, y_other, cv=CV).mean() <= 0.75


def test_hybrid_tangent_space_uses_both_modalities():
    est = baselines.make_tangent_space_lr(["eeg", "fnirs"], estimator="lwf")
    for kw in ({"eeg_class": False}, {"fnirs_class": False}):
        X, y = _batch(seed=2, **kw)
        assert cross_val_score(clone(est), X, y, cv=CV).mean() >= 0.85
    names = est.fit(*_batch()).named_steps["modalitytransformer"].transformers_
    assert list(names) == ["eeg", "fnirs"]


def test_block_tangent_space_on_common_grid():
    X, y = _batch(seed=3, eeg_class=False)
    # EEG and fNIRS decimated to 20 samples each, stacked along channels; the class (the
    # fNIRS ramp) shows in the fNIRS block's variances and HbO/HbR covariance
    common = np.concatenate([X["eeg"][:, :, ::10], X["fnirs"][:, :, ::7][:, :, :20]], axis=1)
    est = baselines.make_block_tangent_space_lr([4, 4])
    assert cross_val_score(est, common, y, cv=CV).mean() >= 0.85


def test_shin2017_hybrid_stacks_modality_specific_lda():
    X, y = _batch(seed=4)
    hybrid = baselines.make_shin2017_hybrid(FNIRS_SFREQ, ch_types=FNIRS_TYPES, n_components=2, cv=3)
    # only-EEG and only-fNIRS information are both exploited
    for kw in ({"eeg_class": False}, {"fnirs_class": False}):
        X_k, y_k = _batch(seed=5, **kw)
        assert cross_val_score(clone(hybrid), X_k, y_k, cv=CV).mean() >= 0.85
    hybrid.fit(X, y)
    lda = hybrid.final_estimator_
    assert lda.solver == "lsqr" and lda.shrinkage == "auto"
    # each base estimator sees only its modality: scrambling EEG leaves fNIRS outputs intact
    scrambled = SliceDict(
        eeg=np.random.default_rng(9).standard_normal(X["eeg"].shape), fnirs=X["fnirs"]
    )
    fnirs_est = hybrid.named_estimators_["fnirs"]
    assert_array_equal(fnirs_est.decision_function(scrambled), fnirs_est.decision_function(X))
    eeg_est = hybrid.named_estimators_["eeg"]
    assert not np.allclose(eeg_est.decision_function(scrambled), eeg_est.decision_function(X))


def test_baselines_are_deterministic():
    X, y = _batch(seed=6)
    for factory, _ in CASES.values():
        a = factory().fit(X, y).decision_function(X)
        b = factory().fit(X, y).decision_function(X)
        assert_array_equal(a, b)


def test_xdawn_tangent_space_size_and_nested_params():
    X, y = _batch(seed=7)
    est = baselines.make_xdawn_tangent_space_lr(["fnirs"], nfilter=1)
    est.set_params(modalitytransformer__fnirs__xdawncovariances__nfilter=2)
    Xt = est[:-1].fit_transform(X, y)
    # covariances of 2 * nfilter * n_classes = 8 signals: 8 * 9 / 2 tangent coordinates
    assert Xt.shape == (len(y), 36)
