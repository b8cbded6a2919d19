"""scikit-learn citizenship of PIDDecomposer: the estimator checks and the common tools."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, LeaveOneGroupOut, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.helper import SliceDict

from skpid.decomposition import PIDDecomposer

TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}

# Checks that cannot apply, with the reason.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    [PIDDecomposer(**TINY)], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _data(n=48, seed=0):
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    X = SliceDict(
        eeg=(rng.randn(n, 3, 40) + 2 * r[:, None, None]).astype(np.float32),
        fnirs=(rng.randn(n, 2, 10) - r[:, None, None]).astype(np.float32),
    )
    return X, r, np.repeat(np.arange(4), n // 4)


def test_clone_keeps_parameters_and_drops_fit():
    X, _, _ = _data()
    dec = PIDDecomposer(**TINY, loss_weights={"synergy": 2.0}).fit(X)
    copy = clone(dec)
    assert copy.get_params() == dec.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_round_trip_gives_identical_output(dump, tmp_path):
    X, _, _ = _data()
    dec = PIDDecomposer(**TINY).fit(X)
    if dump == "pickle":
        again = pickle.loads(pickle.dumps(dec))
    else:
        joblib.dump(dec, tmp_path / "dec.joblib")
        again = joblib.load(tmp_path / "dec.joblib")
    np.testing.assert_array_equal(again.transform(X), dec.transform(X))
    assert again.get_feature_names_out().tolist() == dec.get_feature_names_out().tolist()


def test_pipeline_grid_search_over_a_nested_parameter():
    X, y, _ = _data()
    pipe = Pipeline([("pid", PIDDecomposer(**TINY)), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"pid__n_components": [1, 2]}, cv=2).fit(X, y)
    assert search.best_params_["pid__n_components"] in (1, 2)
    assert search.predict(X).shape == (48,)
    assert pipe[:-1].fit(X).get_feature_names_out().tolist()[:2] == ["R0", "R1"]


@pytest.mark.parametrize("cv", [GroupKFold(n_splits=2), LeaveOneGroupOut()])
def test_cross_val_score_with_groups_on_slicedict(cv):
    X, y, groups = _data()
    pipe = Pipeline([("pid", PIDDecomposer(**TINY)), ("clf", LogisticRegression())])
    scores = cross_val_score(pipe, X, y, groups=groups, cv=cv)
    assert len(scores) == cv.get_n_splits(X, y, groups)
    assert np.all(np.isfinite(scores))


def test_identical_random_state_identical_output_on_cpu():
    X, _, _ = _data()
    outs = [PIDDecomposer(**TINY).fit_transform(X) for _ in range(2)]
    np.testing.assert_array_equal(*outs)
