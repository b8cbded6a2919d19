"""scikit-learn citizenship of the deep decomposers: the estimator checks and common tools.

Every deep decomposer (PIDDecomposer, CoMM, FactorCL, HCL) is checked here the same way;
their own test modules cover what is particular to each.
"""

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

from skpid.decomposition import HCL, CoMM, FactorCL, PIDDecomposer

TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}
DECOMPOSERS = [PIDDecomposer, CoMM, FactorCL, HCL]
# A non-default parameter per estimator, to see that clone keeps it.
NON_DEFAULT = {
    PIDDecomposer: {"loss_weights": {"synergy": 2.0}},
    CoMM: {"temperature": 0.2},
    FactorCL: {"lr": 5e-3},
    HCL: {"loss_weights": {"overlap": 2.0}},
}
ids = [cls.__name__ for cls in DECOMPOSERS]


@parametrize_with_checks([cls(**TINY) for cls in DECOMPOSERS])
def test_sklearn_checks(estimator, check):
    check(estimator)


def _data(n=48, seed=0):
    """Two modalities in realistic units (EEG in V, fNIRS in M), a label and 4 groups."""
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    X = SliceDict(
        eeg=(1e-5 * (rng.randn(n, 3, 40) + 2 * r[:, None, None])).astype(np.float32),
        fnirs=(1e-6 * (rng.randn(n, 2, 10) - r[:, None, None])).astype(np.float32),
    )
    return X, r, np.repeat(np.arange(4), n // 4)


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_clone_keeps_parameters_and_drops_fit(cls):
    X, _, _ = _data()
    dec = cls(**TINY, **NON_DEFAULT[cls]).fit(X)
    copy = clone(dec)
    assert copy.get_params() == dec.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_pickle_round_trip_gives_identical_output(cls, dump, tmp_path):
    X, _, _ = _data()
    dec = cls(**TINY).fit(X)
    if dump == "pickle":
        again = pickle.loads(pickle.dumps(dec))
    else:
        joblib.dump(dec, tmp_path / "dec.joblib")
        again = joblib.load(tmp_path / "dec.joblib")
    np.testing.assert_array_equal(again.transform(X), dec.transform(X))
    assert again.get_feature_names_out().tolist() == dec.get_feature_names_out().tolist()


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_pipeline_grid_search_over_a_nested_parameter(cls):
    X, y, groups = _data()
    pipe = Pipeline([("dec", cls(**TINY)), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"dec__n_components": [1, 2]}, cv=GroupKFold(n_splits=2))
    search.fit(X, y, groups=groups)
    assert search.best_params_["dec__n_components"] in (1, 2)
    assert search.predict(X).shape == (48,)
    names = pipe[:-1].fit(X).get_feature_names_out()
    assert len(names) == pipe[:-1].transform(X).shape[1]


def test_pid_feature_names_start_with_the_redundant_block():
    X, _, _ = _data()
    names = PIDDecomposer(**TINY).fit(X).get_feature_names_out().tolist()
    assert names[:2] == ["R0", "R1"]


@pytest.mark.parametrize("cv", [GroupKFold(n_splits=2), LeaveOneGroupOut()])
@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_cross_val_score_with_groups_on_slicedict(cls, cv):
    X, y, groups = _data()
    pipe = Pipeline([("dec", cls(**TINY)), ("clf", LogisticRegression())])
    scores = cross_val_score(pipe, X, y, groups=groups, cv=cv)
    assert len(scores) == cv.get_n_splits(X, y, groups)
    assert np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_groups_reach_fit_through_a_pipeline_in_cross_validation(cls):
    X, y, groups = _data()
    pipe = Pipeline([("dec", cls(**TINY)), ("clf", LogisticRegression())])
    scores = cross_val_score(
        pipe, X, y, groups=groups, cv=GroupKFold(n_splits=2), params={"dec__groups": groups}
    )
    assert scores.shape == (2,)
    # within-group batches are reproducible and differ from random batches
    a, b = (cls(**TINY).fit(X, groups=groups).transform(X) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, cls(**TINY).fit(X).transform(X))


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_bad_groups_are_named(cls):
    X, _, groups = _data()
    with pytest.raises(ValueError, match=r"one label per trial, shape \(48,\)"):
        cls(**TINY).fit(X, groups=groups[:10])
    lonely = groups.copy()
    lonely[0] = 99
    with pytest.raises(ValueError, match=r"groups \[99\] have a single trial"):
        cls(**TINY).fit(X, groups=lonely)


@pytest.mark.parametrize("cls", DECOMPOSERS, ids=ids)
def test_same_random_state_same_output_and_different_otherwise(cls):
    X, _, _ = _data()
    a, b = (cls(**TINY).fit_transform(X) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    c = cls(**{**TINY, "random_state": 1}).fit_transform(X)
    assert not np.allclose(a, c)
