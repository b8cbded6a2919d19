"""Tests of skpid.model_selection: evaluations, groups routing, parallel runs, cache, report."""

import subprocess
import sys
import threading
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.helper import SliceDict

from skpid import PIDDecomposer
from skpid.compose import ModalityTransformer
from skpid.decomposition._training import GroupBatchSampler
from skpid.model_selection import (
    CrossSessionEvaluation,
    CrossSubjectEvaluation,
    WithinSubjectEvaluation,
    compare_pipelines,
    groups_fit_params,
    plot_paired,
    plot_scores,
    summarize_results,
    unit_scores,
)

# Columns of MOABB's results (moabb.analysis.results.Results.to_dataframe), which
# moabb.analysis reads.
MOABB_COLUMNS = [
    "score",
    "time",
    "samples",
    "subject",
    "session",
    "channels",
    "n_sessions",
    "dataset",
    "pipeline",
]


def _data(n_subjects=4, n_trials=20, seed=0):
    """Two tabular modalities; modality ``a`` carries the label, ``b`` is noise."""
    rng = np.random.default_rng(seed)
    n = n_subjects * n_trials
    y = np.tile([0, 1], n // 2)
    groups = np.repeat(np.arange(1, n_subjects + 1), n_trials)
    sessions = np.tile(np.repeat(["s1", "s2"], n_trials // 2), n_subjects)
    a = rng.normal(size=(n, 6)) + 0.8 * y[:, None] + 0.3 * groups[:, None]
    X = SliceDict(a=a.astype(np.float32), b=rng.normal(size=(n, 5)).astype(np.float32))
    return X, y, groups, sessions


def _lr(C=1.0):
    return make_pipeline(
        ModalityTransformer({"a": StandardScaler()}, output="concat"), LogisticRegression(C=C)
    )


def _pid_lr(**params):
    dec = PIDDecomposer(max_epochs=1, hidden_size=8, n_components=2, random_state=0, **params)
    return make_pipeline(dec, StandardScaler(), LogisticRegression())


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def test_cross_subject_loso_matches_cross_val_score():
    X, y, groups, _ = _data()
    pipes = {"lr": _lr(), "lr strong": _lr(C=0.01)}
    res = CrossSubjectEvaluation(verbose=0).evaluate(pipes, X, y, groups, dataset="toy")
    assert set(MOABB_COLUMNS) <= set(res.columns)
    assert {"n_train", "n_test", "fit_time", "score_time", "fold"} <= set(res.columns)
    assert len(res) == 2 * 4
    for name, pipe in pipes.items():
        rows = res[res.pipeline == name].sort_values("subject")
        expected = cross_val_score(pipe, X, y, groups=groups, cv=LeaveOneGroupOut())
        assert_allclose(rows["score"], expected)
        assert_array_equal(rows["subject"], [1, 2, 3, 4])
        assert (rows["n_train"] + rows["n_test"] == len(y)).all()
    assert (res["dataset"] == "toy").all() and (res["session"] == "all").all()
    assert (res["channels"] == 11).all() and (res["n_sessions"] == 1).all()
    assert (res["fit_time"] > 0).all() and (res["time"] >= res["fit_time"]).all()


def test_cross_subject_group_kfold_scores_every_held_out_subject():
    X, y, groups, _ = _data(n_subjects=4)
    res = CrossSubjectEvaluation(cv=2, verbose=0).evaluate({"lr": _lr()}, X, y, groups)
    assert sorted(res["subject"]) == [1, 2, 3, 4]
    assert res["fold"].nunique() == 2
    for train, test in GroupKFold(2).split(np.arange(len(y)), y, groups):
        model = _lr().fit(X[train], y[train])
        for subject in np.unique(groups[test]):
            rows = test[groups[test] == subject]
            got = res.loc[res.subject == subject, "score"].item()
            assert got == pytest.approx(accuracy_score(y[rows], model.predict(X[rows])))
            assert res.loc[res.subject == subject, "n_train"].item() == len(train)


def test_several_scorers_give_one_column_each():
    X, y, groups, _ = _data()
    scoring = {"acc": "accuracy", "bacc": make_scorer(balanced_accuracy_score)}
    res = CrossSubjectEvaluation(scoring=scoring, verbose=0).evaluate({"lr": _lr()}, X, y, groups)
    assert {"acc", "bacc"} <= set(res.columns)
    assert_allclose(res["score"], res["acc"])
    one = CrossSubjectEvaluation(scoring="balanced_accuracy", verbose=0)
    single = one.evaluate({"lr": _lr()}, X, y, groups)
    assert "balanced_accuracy" not in single.columns
    assert_allclose(single["score"], res["bacc"])


def test_within_subject_matches_cross_val_score_per_subject():
    X, y, groups, _ = _data()
    ev = WithinSubjectEvaluation(cv=4, random_state=3, verbose=0)
    res = ev.evaluate({"lr": _lr()}, X, y, groups)
    assert len(res) == 4 and (res["n_folds"] == 4).all() and (res["samples"] == 20).all()
    for subject in np.unique(groups):
        rows = np.flatnonzero(groups == subject)
        cv = StratifiedKFold(4, shuffle=True, random_state=3)
        expected = cross_val_score(_lr(), X[rows], y[rows], cv=cv).mean()
        assert res.loc[res.subject == subject, "score"].item() == pytest.approx(expected)
    again = ev.evaluate({"lr": _lr()}, X, y, groups)
    assert_array_equal(again["score"], res["score"])


def test_within_subject_group_splitter_and_sessions():
    X, y, groups, sessions = _data()
    blocks = np.tile(np.repeat(np.arange(4), 5), 4)  # contiguous blocks within subject
    ev = WithinSubjectEvaluation(cv=GroupKFold(2), verbose=0)
    res = ev.evaluate({"lr": _lr()}, X, y, groups, cv_groups=blocks)
    for subject in np.unique(groups):
        rows = np.flatnonzero(groups == subject)
        expected = cross_val_score(_lr(), X[rows], y[rows], groups=blocks[rows], cv=GroupKFold(2))
        assert res.loc[res.subject == subject, "score"].item() == pytest.approx(expected.mean())
    per_session = WithinSubjectEvaluation(cv=2, verbose=0).evaluate(
        {"lr": _lr()}, X, y, groups, sessions
    )
    assert len(per_session) == 8 and set(per_session["session"]) == {"s1", "s2"}
    assert (per_session["samples"] == 10).all() and (per_session["n_sessions"] == 2).all()


def test_cross_session_leaves_each_session_out():
    X, y, groups, sessions = _data()
    sessions = sessions.copy()
    sessions[groups == 4] = "s1"  # subject 4 has one session: left out with a warning
    with pytest.warns(UserWarning, match=r"\[4\] have a single session"):
        res = CrossSessionEvaluation(verbose=0).evaluate({"lr": _lr()}, X, y, groups, sessions)
    assert len(res) == 6 and 4 not in set(res["subject"])
    for (subject, session), score in res.set_index(["subject", "session"])["score"].items():
        train = np.flatnonzero((groups == subject) & (sessions != session))
        test = np.flatnonzero((groups == subject) & (sessions == session))
        model = _lr().fit(X[train], y[train])
        assert score == pytest.approx(accuracy_score(y[test], model.predict(X[test])))


UNEQUAL_X = {"a": np.zeros((80, 2)), "b": np.zeros((70, 2))}


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "match"),
    [
        (CrossSubjectEvaluation, {"pipelines": [_lr()]}, TypeError, "dict of name"),
        (CrossSubjectEvaluation, {"groups": np.zeros(3)}, ValueError, "one label per trial"),
        (CrossSubjectEvaluation, {"groups": None}, ValueError, "groups is required"),
        (CrossSubjectEvaluation, {"groups": np.ones(80)}, ValueError, "at least 2 subjects"),
        (CrossSubjectEvaluation, {"scoring": "accuracyy"}, ValueError, "Unknown scorer"),
        (CrossSubjectEvaluation, {"scoring": {"time": "accuracy"}}, ValueError, "column name"),
        (CrossSubjectEvaluation, {"cv": 9}, ValueError, "between 2 and 4"),
        (CrossSubjectEvaluation, {"X": UNEQUAL_X}, ValueError, "different numbers"),
        (CrossSessionEvaluation, {"sessions": None}, ValueError, "needs sessions"),
        (WithinSubjectEvaluation, {"cv": 1}, ValueError, "at least 2 folds"),
        (WithinSubjectEvaluation, {"cv": "five"}, TypeError, "splitter"),
        (WithinSubjectEvaluation, {"error_score": "ignore"}, ValueError, "error_score"),
    ],
)  # fmt: skip
def test_bad_input_is_named(make, kwargs, error, match):
    X, y, groups, sessions = _data()
    args = {"pipelines": {"lr": _lr()}, "X": X, "y": y, "groups": groups, "sessions": sessions}
    params = {}
    for key in ("cv", "scoring", "error_score"):
        if key in kwargs:
            params[key] = kwargs.pop(key)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        make(verbose=0, **params).evaluate(**args)


# --------------------------------------------------------------------------------------
# Groups reach the decomposers' fit
# --------------------------------------------------------------------------------------

SEEN_GROUPS = []


class GroupSpy(TransformerMixin, BaseEstimator):
    """Passes X through; records the groups its fit received."""

    def fit(self, X, y=None, groups=None):
        SEEN_GROUPS.append(None if groups is None else np.unique(groups).tolist())
        return self

    def transform(self, X):
        return X


def _sampler_groups(decomposer):
    sampler = getattr(decomposer.net_, "iterator_train__batch_sampler", None)
    return None if not isinstance(sampler, GroupBatchSampler) else len(sampler.members)


def test_groups_fit_params_with_and_without_routing():
    g = np.arange(4)
    assert set(groups_fit_params(_pid_lr(), g)) == {"piddecomposer__groups"}
    assert groups_fit_params(_lr(), g) == {}
    with sklearn.config_context(enable_metadata_routing=True):
        assert groups_fit_params(_pid_lr(), g) == {}  # not requested
        pipe = _pid_lr()
        pipe.named_steps["piddecomposer"].set_fit_request(groups=True)
        assert set(groups_fit_params(pipe, g)) == {"groups"}


@pytest.mark.parametrize("routing", [False, True])
def test_evaluation_passes_training_subjects_to_fit(routing):
    X, y, groups, _ = _data(n_subjects=3)
    spy = GroupSpy()
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            spy.set_fit_request(groups=True)
        pipe = make_pipeline(spy, _lr())
        SEEN_GROUPS.clear()
        CrossSubjectEvaluation(verbose=0).evaluate({"spy": pipe}, X, y, groups)
        assert SEEN_GROUPS == [[2, 3], [1, 3], [1, 2]]
        SEEN_GROUPS.clear()
        ev = CrossSubjectEvaluation(route_groups=False, verbose=0)
        ev.evaluate({"spy": pipe}, X, y, groups)
        assert SEEN_GROUPS == [None, None, None]


def test_groups_reach_pid_decomposer_in_cross_validate():
    X, y, groups, _ = _data(n_subjects=3, n_trials=16)
    cv = LeaveOneGroupOut()
    # the step__groups form, without metadata routing
    out = cross_validate(
        _pid_lr(), X, y, groups=groups, cv=cv, params={"piddecomposer__groups": groups},
        return_estimator=True,
    )  # fmt: skip
    assert [_sampler_groups(e[0]) for e in out["estimator"]] == [2, 2, 2]
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pid_lr()
        pipe.named_steps["piddecomposer"].set_fit_request(groups=True)
        out = cross_validate(pipe, X, y, cv=cv, params={"groups": groups}, return_estimator=True)
        assert [_sampler_groups(e[0]) for e in out["estimator"]] == [2, 2, 2]


def test_groups_reach_pid_decomposer_in_nested_grid_search():
    X, y, groups, _ = _data(n_subjects=3, n_trials=12)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pid_lr()
        pipe.named_steps["piddecomposer"].set_fit_request(groups=True)
        search = GridSearchCV(pipe, {"logisticregression__C": [1.0]}, cv=GroupKFold(2))
        # GroupKFold of the inner search fails without groups: they reach its splitter too
        out = cross_validate(
            search, X, y, cv=LeaveOneGroupOut(), params={"groups": groups}, return_estimator=True
        )
        for est in out["estimator"]:
            assert _sampler_groups(est.best_estimator_[0]) == 2  # refit on both subjects


# --------------------------------------------------------------------------------------
# Parallel runs, cache, progress
# --------------------------------------------------------------------------------------

ON_WORKER = []
_FIT_LOCK = threading.Lock()


class WorkerSpy(TransformerMixin, BaseEstimator):
    """Passes X through; records whether fit ran inside a Dask worker."""

    def fit(self, X, y=None):
        import distributed

        try:
            distributed.get_worker()
            ON_WORKER.append(True)
        except ValueError:
            ON_WORKER.append(False)
        return self

    def transform(self, X):
        return X


class OneFitAtATime(ClassifierMixin, BaseEstimator):
    """Fits ``estimator`` (with the subjects as groups) under a lock shared by all threads.

    Threads of one process share torch's global random generator, which the decomposers
    seed to initialise their networks, so two fits in threads of one process at once can
    draw each other's numbers; the lock keeps the comparison exact.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, groups=None):
        with _FIT_LOCK:
            est = clone(self.estimator)
            self.estimator_ = est.fit(X, y, **groups_fit_params(est, groups))
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        return self.estimator_.predict(X)

    def decision_function(self, X):
        return self.estimator_.decision_function(X)


def test_dask_backend_gives_the_sequential_scores():
    distributed = pytest.importorskip("distributed")
    X, y, groups, _ = _data(n_subjects=3, n_trials=16)
    pipes = {
        "pid": OneFitAtATime(make_pipeline(WorkerSpy(), _pid_lr())),
        "lr": make_pipeline(WorkerSpy(), _lr()),
    }
    ev = CrossSubjectEvaluation(scoring=["accuracy", "roc_auc"], verbose=0)
    ON_WORKER.clear()
    sequential = ev.evaluate(pipes, X, y, groups)
    assert ON_WORKER == [False] * 6
    # two workers: with one worker thread, joblib runs the tasks in this thread
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        ON_WORKER.clear()
        on_dask = ev.evaluate(pipes, X, y, groups)
    assert ON_WORKER == [True] * 6
    cols = ["pipeline", "subject", "score", "accuracy", "roc_auc", "n_train", "n_test"]
    pd.testing.assert_frame_equal(on_dask[cols], sequential[cols])


def test_threading_backend_gives_the_sequential_scores():
    X, y, groups, _ = _data()
    pipes = {"lr": _lr(), "lr strong": _lr(C=0.01)}
    sequential = CrossSubjectEvaluation(verbose=0).evaluate(pipes, X, y, groups)
    with joblib.parallel_config(backend="threading"):
        threaded = CrossSubjectEvaluation(n_jobs=2, verbose=0).evaluate(pipes, X, y, groups)
    assert_array_equal(threaded["score"], sequential["score"])


FITS = []


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Nearest class mean on modality ``a``; counts its fits and can fail on the n-th."""

    def __init__(self, fail_at=None):
        self.fail_at = fail_at

    def fit(self, X, y):
        FITS.append(1)
        if self.fail_at is not None and len(FITS) == self.fail_at:
            raise RuntimeError("simulated interruption")
        self.classes_ = np.unique(y)
        self.means_ = np.stack([X["a"][y == c].mean(0) for c in self.classes_])
        return self

    def predict(self, X):
        d = ((X["a"][:, None] - self.means_[None]) ** 2).sum(-1)
        return self.classes_[d.argmin(1)]


def test_cache_resumes_an_interrupted_evaluation(tmp_path):
    X, y, groups, _ = _data()
    reference = CrossSubjectEvaluation(verbose=0).evaluate(
        {"count": CountingClassifier()}, X, y, groups
    )
    pipes = {"count": CountingClassifier(fail_at=2)}
    ev = CrossSubjectEvaluation(cache_dir=tmp_path / "cache", verbose=0)
    FITS.clear()
    with pytest.raises(RuntimeError, match="simulated interruption"):
        ev.evaluate(pipes, X, y, groups)
    assert len(FITS) == 2 and len(list((tmp_path / "cache").glob("*.json"))) == 1
    resumed = ev.evaluate(pipes, X, y, groups)  # the 2nd fit is past: no failure now
    assert len(FITS) == 2 + 3  # the 3 unfinished folds only
    pd.testing.assert_frame_equal(
        resumed.drop(columns=["time", "fit_time", "score_time"]),
        reference.drop(columns=["time", "fit_time", "score_time"]),
    )
    FITS.clear()
    ev.evaluate(pipes, X, y, groups)
    assert FITS == []  # all cached
    other = {"count": CountingClassifier(fail_at=99)}
    ev.evaluate(other, X, y, groups)
    assert len(FITS) == 4  # other parameters: other keys
    ev.evaluate(other, {"a": X["a"] + 1.0, "b": X["b"]}, y, groups)
    assert len(FITS) == 8  # other data: other keys


FINGERPRINT_CODE = """
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skpid.model_selection._cache import data_fingerprint, estimator_fingerprint
pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, class_weight={0: 1, 1: 2}))
X = {"a": np.arange(12.0).reshape(3, 4), "b": np.ones((3, 2), np.float32)}
result = (estimator_fingerprint(pipe), data_fingerprint(X, np.array([0, 1, 0])))
print(*result)
"""


@pytest.mark.slow
def test_cache_keys_are_the_same_in_another_process():
    import os

    namespace = {}
    exec(FINGERPRINT_CODE.replace("print(*result)", ""), namespace)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", FINGERPRINT_CODE], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == list(namespace["result"])


def test_failed_pairs_get_error_score_and_are_not_cached(tmp_path):
    X, y, groups, _ = _data()
    FITS.clear()
    ev = CrossSubjectEvaluation(error_score=np.nan, cache_dir=tmp_path, verbose=0)
    with pytest.warns(FitFailedWarning, match="simulated interruption"):
        res = ev.evaluate({"count": CountingClassifier(fail_at=3)}, X, y, groups)
    assert res["score"].isna().sum() == 1
    assert len(list(tmp_path.glob("*.json"))) == 3


def test_progress_bar_follows_pairs_and_is_off_with_verbose_0(capsys, tmp_path):
    X, y, groups, _ = _data(n_subjects=2)
    CrossSubjectEvaluation(verbose=1, cache_dir=tmp_path).evaluate({"lr": _lr()}, X, y, groups)
    err = capsys.readouterr().err
    assert "CrossSubjectEvaluation" in err and "2/2" in err
    CrossSubjectEvaluation(verbose=1, cache_dir=tmp_path).evaluate({"lr": _lr()}, X, y, groups)
    assert "2 from cache" in capsys.readouterr().err
    CrossSubjectEvaluation(verbose=0).evaluate({"lr": _lr()}, X, y, groups)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _results():
    X, y, groups, _ = _data(n_subjects=6, n_trials=16, seed=1)
    pipes = {"lr": _lr(), "lr strong": _lr(C=0.001), "count": CountingClassifier()}
    return CrossSubjectEvaluation(verbose=0).evaluate(pipes, X, y, groups, dataset="toy")


def test_summary_and_paired_wilcoxon_follow_the_table():
    res = _results()
    summary = summarize_results(res)
    per_subject = res.pivot(index="subject", columns="pipeline", values="score")
    assert list(summary.index) == list(per_subject.mean().sort_values(ascending=False).index)
    assert_allclose(summary.loc["lr", "std"], per_subject["lr"].std(ddof=1))
    assert (summary["n"] == 6).all()
    comp = compare_pipelines(res)
    a, b = summary.index[:2]
    assert (comp.a, comp.b) == (a, b)
    diff = per_subject[a] - per_subject[b]
    if np.any(diff != 0):
        expected = wilcoxon(per_subject[a], per_subject[b])
        assert comp.pvalue == pytest.approx(expected.pvalue)
    assert comp.wins == (diff > 0).sum() and comp.n == 6
    with pytest.raises(ValueError, match="not in the results"):
        compare_pipelines(res, "lr", "nope")


def test_moabb_statistics_read_the_table():
    meta_analysis = pytest.importorskip("moabb.analysis.meta_analysis")
    res = _results()
    stats = meta_analysis.compute_dataset_statistics(res)
    assert set(stats["pipe1"]) == set(res["pipeline"]) and (stats["nsub"] == 6).all()


def test_unit_scores_fall_back_to_sessions_of_a_single_subject():
    X, y, groups, sessions = _data(n_subjects=1, n_trials=40)
    res = CrossSessionEvaluation(verbose=0).evaluate(
        {"lr": _lr(), "count": CountingClassifier()}, X, y, groups, sessions
    )
    table = unit_scores(res)
    assert table.shape == (2, 2) and "session" in table.index.names


def test_figures_show_every_pipeline():
    import matplotlib.pyplot as plt

    res = _results()
    fig = plot_scores(res, chance=0.5)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(res["pipeline"].unique())
    fig2 = plot_paired(res, label="accuracy")
    assert "Wilcoxon" in fig2.axes[0].get_title()
    assert fig2.axes[0].get_xlabel() == f"{summarize_results(res).index[0]} (accuracy)"
    assert len(fig2.axes[0].collections[0].get_offsets()) == 6
    plt.close("all")


# --------------------------------------------------------------------------------------
# Placement evidence moved from skpid.datasets
# --------------------------------------------------------------------------------------


def test_old_placement_names_warn_and_point_to_the_new_module():
    import skpid.datasets
    import skpid.model_selection

    for name in ("factor_decodability", "eeg_features", "fnirs_features"):
        with pytest.warns(FutureWarning, match=f"skpid.model_selection.{name}"):
            old = getattr(skpid.datasets, name)
        assert old is getattr(skpid.model_selection, name)
    with warnings.catch_warnings(), pytest.raises(AttributeError, match="no attribute"):
        warnings.simplefilter("error")
        skpid.datasets.not_a_name  # noqa: B018


def test_datasets_modules_import_no_evaluation_or_model_code():
    import ast
    from pathlib import Path

    import skpid.datasets

    forbidden = ("model_selection", "decomposition", "nn", "losses", "augment")
    for path in Path(skpid.datasets.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.removeprefix("skpid.").split(".")
                assert parts[0] not in forbidden, f"{path.name} imports {name}"


@pytest.mark.slow
def test_importing_datasets_leaves_model_selection_unimported():
    code = (
        "import sys, skpid.datasets; "
        "assert 'skpid.model_selection' not in sys.modules, 'imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
