"""Tests of the per-modality router skpid.compose.ModalityTransformer."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.helper import SliceDict

from skpid.compose import ModalityTransformer
from skpid.features import BandEnvelope, BandPower

SFREQ = 100.0


def _batch(n=40, seed=0):
    """EEG whose alpha (10 Hz) power on channel 0 carries the class; fNIRS-like noise."""
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], n // 2)
    t = np.arange(200) / SFREQ
    eeg = rng.standard_normal((n, 3, 200))
    amp = np.where(y == 1, 2.0, 0.3)
    eeg[:, 0] += amp[:, None] * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6, n)[:, None])
    fnirs = rng.standard_normal((n, 4, 30))
    return SliceDict(eeg=eeg, fnirs=fnirs), y


# scikit-learn's checks pass one 2-D array; modalities=2 splits its columns in two halves.
# A single column cannot be split in two: that case raises scikit-learn's own
# "1 feature(s)" error, which the check accepts.
@parametrize_with_checks(
    [
        ModalityTransformer(
            {"m0": StandardScaler(), "m1": "passthrough"}, modalities=2, output="concat"
        )
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_slicedict_output_routes_each_modality():
    X, _ = _batch(6)
    mt = ModalityTransformer(
        {"eeg": BandEnvelope(sfreq=SFREQ, bands={"alpha": (8, 13)}), "fnirs": "passthrough"}
    )
    out = mt.fit_transform(X)
    assert isinstance(out, SliceDict) and list(out) == ["eeg", "fnirs"]
    assert out["eeg"].shape == (6, 3, 20)  # 3 channels x 1 band, 2 s at 10 Hz
    assert_array_equal(out["fnirs"], X["fnirs"])
    assert mt.transformers_["eeg"].n_channels_ == 3  # fitted on EEG alone
    assert mt.transformers_["eeg"] is not mt.transformers["eeg"]  # a clone
    assert not hasattr(mt.transformers["eeg"], "n_channels_")
    assert mt.output_shapes_ == {"eeg": (3, 20), "fnirs": (4, 30)}
    # a SliceDict output is sliceable and feeds the next multimodal step
    flat = ModalityTransformer(
        {"eeg": FunctionTransformer(lambda a: a.reshape(len(a), -1))}, output="concat"
    )
    assert flat.fit_transform(out[:4]).shape == (4, 60)


def test_concat_output_feature_names_and_remainder():
    X, _ = _batch(6)
    bp = BandPower(sfreq=SFREQ, bands={"alpha": (8, 13)}, ch_names=["Fz", "Cz", "Pz"])
    mt = ModalityTransformer({"eeg": bp}, output="concat", remainder="passthrough")
    out = mt.fit_transform(X)
    names = mt.get_feature_names_out()
    assert out.shape == (6, 3 + 4 * 30) == (6, len(names))
    assert list(names[:4]) == ["eeg__Fz_alpha", "eeg__Cz_alpha", "eeg__Pz_alpha", "fnirs__ch0_t0"]
    assert_allclose(out[:, 3:], X["fnirs"].reshape(6, -1))
    dropped = ModalityTransformer({"eeg": bp}, output="concat").fit(X)
    assert list(dropped.transformers_) == ["eeg", "fnirs"]
    assert dropped.transformers_["fnirs"] == "drop"
    assert dropped.transform(X).shape == (6, 3)
    # an estimator as remainder is cloned per remaining modality
    scaled = ModalityTransformer(
        {"eeg": "drop"}, output="concat", remainder=FunctionTransformer(np.abs)
    ).fit(X)
    assert_allclose(scaled.transform(X), np.abs(X["fnirs"]).reshape(6, -1))
    # 3-D transformer outputs are named row by time step
    env = ModalityTransformer(
        {"eeg": BandEnvelope(sfreq=SFREQ, bands={"a": (8, 13)}, out_sfreq=5)}, output="concat"
    ).fit(X)
    assert list(env.get_feature_names_out()[:2]) == ["eeg__ch0_a_t0", "eeg__ch0_a_t1"]


def test_single_array_with_modalities_and_input_features():
    X = np.random.default_rng(1).standard_normal((10, 5))
    mt = ModalityTransformer(
        {"a": StandardScaler(), "b": "passthrough"},
        modalities={"a": [0, 1], "b": [2, 3, 4]},
        output="concat",
    ).fit(X)
    assert list(mt.get_feature_names_out(list("vwxyz"))) == ["a__v", "a__w", "b__x", "b__y", "b__z"]
    assert_allclose(mt.transform(X)[:, 2:], X[:, 2:])
    with pytest.raises(ValueError, match=r"length equal to number of features \(5\), got 2.*None"):
        mt.get_feature_names_out(["v", "w"])


def test_set_output_pandas():
    X, _ = _batch(6)
    mt = ModalityTransformer({"eeg": BandPower(sfreq=SFREQ)}, output="concat")
    df = mt.set_output(transform="pandas").fit_transform(X)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(mt.get_feature_names_out())
    assert "eeg__ch2_gamma" in df.columns
    # a SliceDict output keeps numpy arrays
    sd = ModalityTransformer({"eeg": "passthrough"}).set_output(transform="pandas")
    assert isinstance(sd.fit_transform(X)["eeg"], np.ndarray)
    with pytest.raises(ValueError, match="'default', 'pandas' or 'polars'"):
        mt.set_output(transform="xarray")


def test_nested_params_clone_pickle():
    bp = BandPower(sfreq=SFREQ)
    user_dict = {"eeg": bp, "fnirs": "passthrough"}
    mt = ModalityTransformer(user_dict)
    params = mt.get_params()
    assert params["eeg"] is bp and params["eeg__sfreq"] == SFREQ
    assert "eeg__sfreq" not in mt.get_params(deep=False)
    mt.set_params(eeg__bands={"alpha": (8, 13)})
    assert bp.bands == {"alpha": (8, 13)}
    mt.set_params(fnirs="drop")
    assert mt.transformers["fnirs"] == "drop" and user_dict["fnirs"] == "passthrough"
    cloned = clone(mt)
    assert cloned.transformers["eeg"] is not bp
    assert cloned.transformers["eeg"].bands == {"alpha": (8, 13)}
    X, _ = _batch(6)
    fitted = mt.fit(X)
    assert_allclose(
        pickle.loads(pickle.dumps(fitted)).transform(X)["eeg"], fitted.transform(X)["eeg"]
    )


def test_pipeline_gridsearch_nested_param_and_group_cv():
    X, y = _batch(40)
    pipe = make_pipeline(
        ModalityTransformer({"eeg": BandPower(sfreq=SFREQ), "fnirs": "drop"}, output="concat"),
        LogisticRegression(),
    )
    grid = GridSearchCV(
        pipe,
        {"modalitytransformer__eeg__bands": [{"beta": (13, 30)}, {"alpha": (8, 13)}]},
        cv=3,
    ).fit(X, y)
    assert grid.best_params_["modalitytransformer__eeg__bands"] == {"alpha": (8, 13)}
    assert grid.best_score_ > 0.9
    groups = np.repeat(np.arange(5), 8)  # e.g. subjects
    scores = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(5))
    assert scores.mean() > 0.9


@pytest.mark.parametrize(
    ("mt", "match", "exc"),
    [
        (
            ModalityTransformer({"emg": "passthrough"}),
            r"'emg'.*input has \['eeg', 'fnirs'\]",
            ValueError,
        ),
        (ModalityTransformer({"eeg": "keep"}), r"must be 'passthrough' or 'drop'", ValueError),
        (ModalityTransformer({"eeg": LogisticRegression}), r"no fit and transform", TypeError),
        (
            ModalityTransformer({"eeg": "drop", "fnirs": "drop"}),
            r"Every modality.*dropped",
            ValueError,
        ),
    ],
)
def test_fit_errors(mt, match, exc):
    X, _ = _batch(4)
    with pytest.raises(exc, match=match):
        mt.fit(X)


def test_reserved_names_and_transform_errors():
    X, _ = _batch(4)
    with pytest.raises(ValueError, match=r"'output' cannot be used.*Rename"):
        ModalityTransformer({"output": "passthrough"}).fit(SliceDict(output=X["eeg"]))
    mt = ModalityTransformer({"eeg": BandPower(sfreq=SFREQ)}, output="concat").fit(X)
    with pytest.raises(ValueError, match=r"Modalities differ.*missing \['fnirs'\]"):
        mt.transform({"eeg": X["eeg"]})
    with pytest.raises(ValueError, match=r"trailing shape.*same channels"):
        mt.transform({"eeg": X["eeg"][:, :2], "fnirs": X["fnirs"]})
    with pytest.raises(ValueError, match=r"input_features only applies to a single array"):
        mt.get_feature_names_out(["a"])
    no_names = ModalityTransformer({"eeg": FunctionTransformer(np.abs)}, output="concat")
    no_names.fit(SliceDict(eeg=X["fnirs"][:, 0]))
    assert no_names.transform(SliceDict(eeg=X["fnirs"][:, 0])).shape == (4, 30)
    # FunctionTransformer without feature_names_out has no get_feature_names_out
    with pytest.raises(AttributeError, match=r"does not provide get_feature_names_out"):
        no_names.get_feature_names_out()
