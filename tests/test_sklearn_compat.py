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
    PIDDecomposer: {"loss_weights": {"reconstruction": 2.0}},
    CoMM: {"temperature": 0.2},
    FactorCL: {"lr": 5e-3},
    HCL: {"loss_weights": {"overlap": 2.0}},
}
ids = [cls.__name__ for cls in DECOMPOSERS]


# These checks set n_components=1, which PIDDecomposer and HCL refuse: their heads
# L2-normalise each block, so a 1-wide block is a constant +-1 (issue 20).
_ONE_COMPONENT = "sets n_components=1; an L2-normalised 1-wide block is constant, so refused"
_ONE_COMPONENT_CHECKS = [
    "check_dont_overwrite_parameters",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
]


def _expected_failed_checks(estimator):
    if isinstance(estimator, (PIDDecomposer, HCL)):
        return dict.fromkeys(_ONE_COMPONENT_CHECKS, _ONE_COMPONENT)
    return {}


@parametrize_with_checks(
    [cls(**TINY) for cls in DECOMPOSERS], expected_failed_checks=_expected_failed_checks
)
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
    search = GridSearchCV(pipe, {"dec__n_components": [2, 3]}, cv=GroupKFold(n_splits=2))
    search.fit(X, y, groups=groups)
    assert search.best_params_["dec__n_components"] in (2, 3)
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


@pytest.mark.parametrize("cls", [PIDDecomposer, HCL], ids=["PIDDecomposer", "HCL"])
def test_transform_is_per_trial_with_two_components(cls):
    # what check_methods_subset_invariance and check_methods_sample_order_invariance check,
    # at a block size these estimators accept (those checks set n_components=1)
    X, _, _ = _data()
    dec = cls(**TINY).fit(X)
    full = dec.transform(X)
    order = np.random.RandomState(0).permutation(len(full))
    shuffled = SliceDict(**{m: x[order] for m, x in X.items()})
    np.testing.assert_allclose(dec.transform(shuffled), full[order], rtol=1e-5, atol=1e-6)
    subset = SliceDict(**{m: x[:7] for m, x in X.items()})
    np.testing.assert_allclose(dec.transform(subset), full[:7], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="n_components"):
        cls(**{**TINY, "n_components": 1}).fit(X)
