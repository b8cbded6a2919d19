"""Within-subject, cross-session and cross-subject evaluations of named pipelines.

An evaluation fits every pipeline of a dict on the training trials of every fold and
scores it on the test trials, and returns one tidy :class:`pandas.DataFrame` with one row
per pipeline and subject (and session), whose columns are named as MOABB's results
(``dataset``, ``pipeline``, ``subject``, ``session``, ``score``, ``time``, ``samples``,
``channels``, ``n_sessions``; Jayaram and Barachant, "MOABB: trustworthy algorithm
benchmarking for BCIs", J. Neural Eng. 15(6):066011, 2018), so that the statistics and
figures of ``moabb.analysis`` read it, plus ``n_train``, ``n_test``, ``fit_time``,
``score_time`` and one column per scorer when several are given.

Running on several processes or machines
----------------------------------------
The (pipeline, fold) pairs are independent tasks run through joblib, so every joblib
backend works:

- on this machine, ``n_jobs=4`` (processes of joblib's default ``loky`` backend; large
  arrays are memory-mapped, not copied, to the workers);
- on a Dask cluster (``pip install "dask[distributed]"``)::

      import joblib
      from dask.distributed import Client

      client = Client("tcp://scheduler-address:8786")  # or Client(LocalCluster(...))
      with joblib.parallel_config(backend="dask"):
          results = evaluation.evaluate(pipelines, X, y, groups=subjects)

  The data are sent once to the cluster (joblib scatters them) and every worker core
  runs pairs; ``n_jobs`` is ignored (the cluster's cores decide);
- on a Ray cluster (``pip install ray``)::

      import joblib
      import ray
      from ray.util.joblib import register_ray

      ray.init(address="auto")
      register_ray()
      with joblib.parallel_config(backend="ray", n_jobs=-1):
          results = evaluation.evaluate(pipelines, X, y, groups=subjects)

Give each worker one thread of BLAS and torch (e.g. ``OMP_NUM_THREADS=1`` in the workers'
environment, or ``torch.set_num_threads(1)`` when they start): several threads per fit
mostly wait for each other when the cores already run one fit each. Fits of the
decomposers are deterministic for a given ``random_state`` on CPU in worker *processes*;
threads of one process share torch's global random generator, so use process-based
workers (``loky``, or Dask workers with ``processes=True``) or one thread per process when
results must be reproducible.

Results arrive in the main process as pairs finish: they update the progress bar and,
with ``cache_dir``, are stored at once, so an interrupted run (a crash, a killed job, a
pipeline that fails on one fold) resumes where it stopped when run again with the same
``cache_dir`` (see :mod:`skpid.model_selection._cache`).

Subjects (``groups``) reach the ``fit`` of the pipelines' steps that use them, such as
:class:`~skpid.decomposition.PIDDecomposer`, which then draws its training batches within
subjects. With scikit-learn's metadata routing enabled
(``sklearn.set_config(enable_metadata_routing=True)``), they go to the steps that asked for
them (``PIDDecomposer().set_fit_request(groups=True)``), as in ``cross_validate(...,
params={"groups": subjects})``; without it, to every top-level step of a
:class:`~sklearn.pipeline.Pipeline` whose ``fit`` has a ``groups`` argument, as
``<step>__groups``.
"""

import inspect
import time
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ._cache import ResultCache, data_fingerprint, estimator_fingerprint

__all__ = ["CrossSessionEvaluation", "CrossSubjectEvaluation", "WithinSubjectEvaluation"]

#: Columns of every results table, in order (scorer columns follow ``score``).
RESULT_COLUMNS = (
    "dataset",
    "pipeline",
    "subject",
    "session",
    "score",
    "time",
    "fit_time",
    "score_time",
    "samples",
    "n_train",
    "n_test",
    "channels",
    "n_sessions",
)
_ALL_SESSIONS = "all"


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _n_trials(X):
    """Number of trials of a multimodal batch or an array, with a clear error otherwise."""
    if isinstance(X, Mapping):
        if not X:
            raise ValueError("X is an empty mapping; pass at least one modality array.")
        counts = {}
        for name, arr in X.items():
            shape = getattr(arr, "shape", None)
            if shape is None or len(shape) == 0:
                raise TypeError(
                    f"Modality {name!r} of X is not an array (got {type(arr).__name__}); "
                    "pass arrays whose first axis is the trial."
                )
            counts[name] = shape[0]
        if len(set(counts.values())) > 1:
            raise ValueError(
                f"The modalities of X hold different numbers of trials: {counts}. Every "
                "modality needs one entry per trial, in the same order."
            )
        return next(iter(counts.values()))
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) == 0:
        raise TypeError(
            "X must be a mapping of modality name to array (dict or "
            f"skorch.helper.SliceDict) or an array, got {type(X).__name__}."
        )
    return shape[0]


def _n_channels(X):
    """Channels (or features) summed over modalities: axis 1 of each array."""
    arrays = X.values() if isinstance(X, Mapping) else [X]
    return int(sum(a.shape[1] if len(a.shape) > 1 else 1 for a in arrays))


def _labels(name, values, n, required=True):
    if values is None:
        if required:
            raise ValueError(
                f"{name} is required: pass one label per trial (e.g. the subject of every trial)."
            )
        return None
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n:
        raise ValueError(
            f"{name} must hold one label per trial, shape ({n},); got shape {values.shape}."
        )
    return values


def _take(X, idx):
    """Trials ``idx`` of X, keeping its type (SliceDict, dict, array, DataFrame)."""
    if isinstance(X, Mapping):
        if hasattr(X, "_len"):  # skorch SliceDict slices itself
            return X[idx]
        return {name: _safe_indexing(arr, idx) for name, arr in X.items()}
    return _safe_indexing(X, idx)


def _check_pipelines(pipelines):
    if not isinstance(pipelines, Mapping) or not pipelines:
        raise TypeError(
            "pipelines must be a non-empty dict of name to estimator, e.g. "
            "{'tangent space': make_tangent_space_lr(), 'PID': make_pipeline(...)}; got "
            f"{type(pipelines).__name__}."
        )
    for name, pipe in pipelines.items():
        if not isinstance(name, str):
            raise TypeError(f"Pipeline names must be str, got {name!r}.")
        if not hasattr(pipe, "fit"):
            raise TypeError(
                f"Pipeline {name!r} is a {type(pipe).__name__}, which has no fit method; pass "
                "scikit-learn estimators."
            )
    return dict(pipelines)


def _make_scorers(scoring):
    """``{column: scorer}`` (None: the estimator's own ``score``) and the primary column."""
    if scoring is None:
        return {"score": None}
    if isinstance(scoring, str) or callable(scoring):
        return {"score": _one_scorer(scoring)}
    if isinstance(scoring, Mapping):
        items = list(scoring.items())
    elif isinstance(scoring, (list, tuple, set)):
        items = []
        for s in scoring:
            if not isinstance(s, str):
                raise TypeError(
                    "A list of scorers must hold scorer names (str); name callables with a "
                    f"dict, {{'name': scorer}}. Got {s!r}."
                )
            items.append((s, s))
    else:
        raise TypeError(
            "scoring must be None, a scorer name, a callable scorer(estimator, X, y), a "
            f"list of names or a dict of name to scorer; got {type(scoring).__name__}."
        )
    if not items:
        raise ValueError("scoring is empty; pass at least one scorer, or None.")
    reserved = set(RESULT_COLUMNS) | {"fold", "n_folds"}
    scorers = {}
    for name, s in items:
        if not isinstance(name, str) or name in reserved:
            raise ValueError(
                f"Scorer name {name!r} is not usable as a column name (names must be str "
                f"other than {sorted(reserved)}); rename it in the scoring dict."
            )
        scorers[name] = _one_scorer(s)
    return scorers


def _one_scorer(s):
    if isinstance(s, str):
        try:
            return get_scorer(s)
        except ValueError as exc:
            raise ValueError(
                f"Unknown scorer {s!r}; use a name of sklearn.metrics.get_scorer_names() "
                "(e.g. 'accuracy', 'balanced_accuracy', 'roc_auc') or a callable."
            ) from exc
    if callable(s):
        return s
    raise TypeError(f"A scorer must be a name or a callable, got {s!r}.")


def _routing_enabled():
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def _accepts_groups(estimator):
    fit = getattr(estimator, "fit", None)
    if fit is None:
        return False
    try:
        return "groups" in inspect.signature(fit).parameters
    except (TypeError, ValueError):
        return False


def groups_fit_params(estimator, groups):
    """Keyword arguments of ``estimator.fit`` that pass ``groups`` to the steps using them.

    Parameters
    ----------
    estimator : estimator
        A pipeline or any estimator.
    groups : array-like of shape (n_trials,)
        Subject of every training trial.

    Returns
    -------
    params : dict
        With metadata routing enabled: ``{"groups": groups}`` when some step requested it
        (``set_fit_request(groups=True)``), else empty. Without it: ``<step>__groups``
        for every top-level step of a Pipeline whose ``fit`` takes ``groups``, or
        ``groups`` for such an estimator itself.
    """
    if _routing_enabled():
        try:
            consumed = get_routing_for_object(estimator).consumes("fit", ["groups"])
        except (AttributeError, TypeError):
            consumed = set()
        return {"groups": groups} if consumed else {}
    if isinstance(estimator, Pipeline):
        return {
            f"{name}__groups": groups
            for name, step in estimator.steps
            if step not in (None, "passthrough") and _accepts_groups(step)
        }
    return {"groups": groups} if _accepts_groups(estimator) else {}


# --------------------------------------------------------------------------------------
# One (pipeline, fold) pair: the task sent to the workers
# --------------------------------------------------------------------------------------


class _Payload(dict):
    """The data of all tasks in one object, passed by reference to every task.

    A dict subclass on purpose: joblib's Dask backend scatters an argument to the cluster
    once (and reuses it for every task) only when it can be weakly referenced and its
    size, as Dask measures it, is large; plain dicts cannot be weakly referenced and
    plain objects measure as small.
    """


def _score(scorer, estimator, X, y):
    value = estimator.score(X, y) if scorer is None else scorer(estimator, X, y)
    return float(value)


def _run_pair(pipeline, payload, train, parts, scorers, route_groups, error_score):
    """Fit a clone of ``pipeline`` on trials ``train``; score it on every test part.

    ``fit_time`` and ``score_time`` time the estimator's ``fit`` and the scorers only, as
    :func:`sklearn.model_selection.cross_validate` does; taking the trials out of ``X``
    counts as the evaluation's overhead.
    """
    X, y, groups = payload["X"], payload["y"], payload["groups"]
    est = clone(pipeline)
    fit_time = score_time = 0.0
    try:
        X_train, y_train = _take(X, train), y[train]
        params = groups_fit_params(est, groups[train]) if route_groups else {}
        start = time.perf_counter()
        est.fit(X_train, y_train, **params)
        fit_time = time.perf_counter() - start
        del X_train
        scores = []
        for idx in parts:
            X_test, y_test = _take(X, idx), y[idx]
            start = time.perf_counter()
            scores.append({name: _score(s, est, X_test, y_test) for name, s in scorers.items()})
            score_time += time.perf_counter() - start
    except Exception as exc:
        if isinstance(error_score, str) and error_score == "raise":
            raise
        failed = {name: float(error_score) for name in scorers}
        error = f"{type(exc).__name__}: {exc}"
        return {"fit_time": fit_time, "score_time": 0.0, "scores": [failed] * len(parts)}, error
    return {"fit_time": fit_time, "score_time": score_time, "scores": scores}, None


# --------------------------------------------------------------------------------------
# Evaluations
# --------------------------------------------------------------------------------------


class _Fold:
    """Training trials and test parts (one per subject and session) of one split."""

    def __init__(self, train, parts, index, aggregate_key=None, samples=None):
        self.train = np.asarray(train, dtype=np.intp)
        self.samples = len(self.train) if samples is None else samples
        # parts: list of (subject, session, test indices)
        self.parts = [(s, sess, np.asarray(idx, dtype=np.intp)) for s, sess, idx in parts]
        self.index = index
        self.aggregate_key = aggregate_key

    def fingerprint(self):
        labels = [(repr(s), repr(sess)) for s, sess, _ in self.parts]
        return data_fingerprint(self.train, *[idx for _, _, idx in self.parts]) + repr(labels)


class _BaseEvaluation(BaseEstimator):
    """Shared machinery: pairs, parallel runs, cache, progress, results table."""

    _per_fold_rows = True

    def _check_params(self):
        if self.n_jobs is not None and not isinstance(self.n_jobs, Integral):
            raise TypeError(f"n_jobs must be an int or None, got {self.n_jobs!r}.")
        if not isinstance(self.verbose, Integral) or self.verbose < 0:
            raise ValueError(f"verbose must be a non-negative int, got {self.verbose!r}.")
        if not (
            (isinstance(self.error_score, str) and self.error_score == "raise")
            or (isinstance(self.error_score, Real) and not isinstance(self.error_score, bool))
        ):
            raise ValueError(
                f"error_score must be 'raise' or a number (e.g. np.nan), got {self.error_score!r}."
            )
        if not isinstance(self.route_groups, bool):
            raise TypeError(f"route_groups must be True or False, got {self.route_groups!r}.")

    def _run(self, pipelines, X, y, groups, sessions, dataset, folds):
        """Fit and score every (pipeline, fold) pair; return the results table."""
        scorers = _make_scorers(self.scoring)
        cache = None if self.cache_dir is None else ResultCache(self.cache_dir)
        keys = {}
        if cache is not None:
            shared = (
                data_fingerprint(X, y, groups),
                estimator_fingerprint(self.scoring),
                self.route_groups,
                _routing_enabled(),
                sklearn.__version__,
                _skpid_version(),
            )
            fold_fps = [fold.fingerprint() for fold in folds]
            for name, pipe in pipelines.items():
                pipe_fp = estimator_fingerprint(pipe)
                for k, fp in enumerate(fold_fps):
                    keys[name, k] = cache.key(pipe_fp, fp, *shared)

        results, todo = {}, []
        for name in pipelines:
            for k in range(len(folds)):
                stored = None if cache is None else cache.load(keys[name, k])
                if _complete(stored, len(folds[k].parts), scorers):
                    results[name, k] = stored
                else:
                    todo.append((name, k))

        payload = _Payload(X=X, y=y, groups=groups)
        bar = tqdm(
            total=len(pipelines) * len(folds),
            initial=len(results),
            desc=type(self).__name__,
            unit="fit",
            disable=self.verbose == 0,
            leave=True,
            dynamic_ncols=True,
        )
        if results:
            bar.set_postfix_str(f"{len(results)} from cache")
        try:
            parallel = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")
            tasks = (
                delayed(_tagged)(
                    (name, k),
                    pipelines[name],
                    payload,
                    folds[k].train,
                    [idx for _, _, idx in folds[k].parts],
                    scorers,
                    self.route_groups,
                    self.error_score,
                )
                for name, k in todo
            )
            for tag, (result, error) in parallel(tasks):
                name, k = tag
                if error is not None:
                    warnings.warn(
                        f"Pipeline {name!r} failed on fold {k} ({error}); its scores are set "
                        f"to error_score={self.error_score}. Pass error_score='raise' to see "
                        "the traceback.",
                        FitFailedWarning,
                        stacklevel=3,
                    )
                elif cache is not None:
                    cache.save(keys[name, k], result)
                results[name, k] = result
                bar.set_postfix_str(name, refresh=False)
                bar.update(1)
        finally:
            bar.close()
        return self._table(pipelines, X, groups, sessions, dataset, folds, results, scorers)

    def _table(self, pipelines, X, groups, sessions, dataset, folds, results, scorers):
        channels = _n_channels(X)
        n_sessions = _sessions_per_subject(groups, sessions)
        extra = [] if list(scorers) == ["score"] else list(scorers)
        primary = next(iter(scorers))
        rows = []
        for name in pipelines:
            for k, fold in enumerate(folds):
                res = results[name, k]
                n_parts = len(fold.parts)
                for (subject, session, idx), scores in zip(fold.parts, res["scores"], strict=True):
                    row = {
                        "dataset": dataset,
                        "pipeline": name,
                        "subject": subject,
                        "session": session,
                        "score": scores[primary],
                        **{col: scores[col] for col in extra},
                        # a fold's times are shared by the subjects it tests
                        "time": (res["fit_time"] + res["score_time"]) / n_parts,
                        "fit_time": res["fit_time"] / n_parts,
                        "score_time": res["score_time"] / n_parts,
                        "samples": fold.samples,
                        "n_train": len(fold.train),
                        "n_test": len(idx),
                        "channels": channels,
                        "n_sessions": n_sessions[subject],
                        "fold": k,
                        "_key": fold.aggregate_key,
                    }
                    rows.append(row)
        table = pd.DataFrame(rows)
        if not self._per_fold_rows:
            table = _aggregate_folds(table, extra)
        return table.drop(columns="_key", errors="ignore").reset_index(drop=True)


def _complete(stored, n_parts, scorers):
    """Whether a cached result holds every part's scores (a damaged file is refitted)."""
    if not isinstance(stored, dict) or not {"fit_time", "score_time"} <= set(stored):
        return False
    scores = stored.get("scores")
    return (
        isinstance(scores, list)
        and len(scores) == n_parts
        and all(isinstance(s, dict) and set(s) == set(scorers) for s in scores)
    )


def _tagged(tag, *args):
    return tag, _run_pair(*args)


def _skpid_version():
    from .. import __version__

    return __version__


def _sessions_per_subject(groups, sessions):
    if sessions is None:
        return {g: 1 for g in np.unique(groups)}
    return {g: len(np.unique(sessions[groups == g])) for g in np.unique(groups)}


def _aggregate_folds(table, extra):
    """One row per pipeline, subject and session: means over the within-subject folds."""
    means = ["score", *extra, "time", "fit_time", "score_time", "n_train", "n_test"]
    firsts = ["dataset", "channels", "n_sessions"]
    out = (
        table.groupby(["pipeline", "_key"], sort=False)
        .agg(
            subject=("subject", "first"),
            session=("session", "first"),
            **{c: (c, "mean") for c in means},
            **{c: (c, "first") for c in firsts},
            n_folds=("fold", "size"),
            samples=("samples", "first"),
        )
        .reset_index()
    )
    out["n_train"] = out["n_train"].round().astype(int)
    out["n_test"] = out["n_test"].round().astype(int)
    order = [*RESULT_COLUMNS[:5], *extra, *RESULT_COLUMNS[5:], "n_folds"]
    return out[order]


class WithinSubjectEvaluation(_BaseEvaluation):
    """Cross-validation within each subject (and within each session, when given).

    Every subject's trials (every session's, when ``sessions`` are given, as MOABB's
    within-session evaluation) are split into ``cv`` folds; pipelines are fitted on the
    training folds of that subject only and scored on its test fold.

    Parameters
    ----------
    cv : int or cross-validation splitter, default=5
        An int gives stratified folds, shuffled with ``random_state``. A splitter (e.g.
        ``GroupKFold(5)`` with ``cv_groups`` in :meth:`evaluate`, to keep test trials
        apart in time from training trials) is applied to each subject's trials.
    scoring : str, callable, list, dict or None, default=None
        None: each pipeline's ``score`` method (accuracy for classifiers). A scorer name
        of :func:`sklearn.metrics.get_scorer` or a callable ``scorer(estimator, X, y)``
        fills ``score``. A list of names or a dict of name to scorer adds one column per
        scorer, and ``score`` repeats the first.
    n_jobs : int or None, default=None
        Pairs (pipeline, fold) run in parallel through joblib; None means 1 unless a
        :func:`joblib.parallel_config` context says otherwise (see the module docstring
        for Dask and Ray clusters).
    cache_dir : str, Path or None, default=None
        Folder of finished pairs; a run with the same folder skips the pairs already
        there (see :mod:`skpid.model_selection._cache`).
    route_groups : bool, default=True
        Pass the subject of every training trial to the pipeline steps that use it (see
        the module docstring).
    error_score : "raise" or float, default="raise"
        What a pair whose fit or scoring fails gets; a number warns
        (``FitFailedWarning``) and is not cached, so a later run retries it.
    random_state : int, RandomState instance or None, default=0
        Shuffles the stratified folds of an int ``cv``. Fixed by default so that the folds,
        and thus the cache, are the same from one run to the next.
    verbose : int, default=1
        0 silent; 1 a progress bar over the (pipeline, fold) pairs.

    See Also
    --------
    CrossSessionEvaluation, CrossSubjectEvaluation
    """

    _per_fold_rows = False

    def __init__(
        self,
        *,
        cv=5,
        scoring=None,
        n_jobs=None,
        cache_dir=None,
        route_groups=True,
        error_score="raise",
        random_state=0,
        verbose=1,
    ):
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.route_groups = route_groups
        self.error_score = error_score
        self.random_state = random_state
        self.verbose = verbose

    def evaluate(
        self, pipelines, X, y, groups, sessions=None, *, cv_groups=None, dataset="dataset"
    ):
        """Evaluate every pipeline within every subject.

        Parameters
        ----------
        pipelines : dict of str to estimator
            Named, unfitted pipelines (cloned for every fold).
        X : dict or SliceDict of str to ndarray, or ndarray
            Multimodal trials, e.g. ``SliceDict(eeg=(n, 32, 1000), fnirs=(n, 40, 100))``
            (see :mod:`skpid._multimodal`), or one array ``(n, ...)``.
        y : array-like of shape (n,)
            Labels.
        groups : array-like of shape (n,)
            Subject of every trial.
        sessions : array-like of shape (n,) or None
            Session of every trial; folds are then made within each session.
        cv_groups : array-like of shape (n,) or None
            Groups of a group splitter ``cv`` (e.g. contiguous time blocks of a recording).
        dataset : str, default="dataset"
            Value of the ``dataset`` column.

        Returns
        -------
        results : DataFrame
            One row per pipeline, subject and session (``"all"`` without ``sessions``):
            ``dataset``, ``pipeline``, ``subject``, ``session``, ``score`` (mean over the
            folds), one column per scorer when several are given, ``time`` (fit and score
            seconds per fold), ``fit_time``, ``score_time`` (per fold), ``samples``
            (trials of the subject and session), ``n_train``, ``n_test`` (trials per fold,
            rounded means), ``channels`` (summed over modalities), ``n_sessions`` and
            ``n_folds``.
        """
        self._check_params()
        pipelines = _check_pipelines(pipelines)
        n = _n_trials(X)
        y = _labels("y", y, n)
        groups = _labels("groups", groups, n)
        sessions = _labels("sessions", sessions, n, required=False)
        cv_groups = _labels("cv_groups", cv_groups, n, required=False)
        if isinstance(self.cv, Integral) and not isinstance(self.cv, bool):
            if self.cv < 2:
                raise ValueError(f"cv={self.cv} must be at least 2 folds.")
            splitter = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        elif hasattr(self.cv, "split") and not isinstance(self.cv, str):
            splitter = self.cv
        else:
            raise TypeError(
                f"cv must be an int number of folds or a splitter with a split method, got "
                f"{self.cv!r}."
            )
        folds = []
        units = [(g, _ALL_SESSIONS) for g in np.unique(groups)]
        if sessions is not None:
            units = [(g, s) for g in np.unique(groups) for s in np.unique(sessions[groups == g])]
        for subject, session in units:
            rows = groups == subject
            if sessions is not None:
                rows &= sessions == session
            rows = np.flatnonzero(rows)
            sub_groups = None if cv_groups is None else cv_groups[rows]
            try:
                splits = list(splitter.split(rows, y[rows], sub_groups))
            except ValueError as exc:
                raise ValueError(
                    f"Subject {subject!r} (session {session!r}, {len(rows)} trials) cannot be "
                    f"split by {splitter!r}: {exc} Use fewer folds, or leave the subject out."
                ) from exc
            for train, test in splits:
                parts = [(subject, session, rows[test])]
                folds.append(_Fold(rows[train], parts, len(folds), (subject, session), len(rows)))
        return self._run(pipelines, X, y, groups, sessions, dataset, folds)


class CrossSessionEvaluation(_BaseEvaluation):
    """Leave one session out, within each subject.

    For every subject with at least two sessions, pipelines are fitted on all its other
    sessions and scored on the one left out (MOABB's cross-session evaluation). Subjects
    with a single session are left out with a warning.

    Parameters
    ----------
    scoring, n_jobs, cache_dir, route_groups, error_score, verbose
        As in :class:`WithinSubjectEvaluation`.

    See Also
    --------
    WithinSubjectEvaluation, CrossSubjectEvaluation
    """

    def __init__(
        self,
        *,
        scoring=None,
        n_jobs=None,
        cache_dir=None,
        route_groups=True,
        error_score="raise",
        verbose=1,
    ):
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.route_groups = route_groups
        self.error_score = error_score
        self.verbose = verbose

    def evaluate(self, pipelines, X, y, groups, sessions, *, dataset="dataset"):
        """Evaluate every pipeline on every session of every subject, trained on the others.

        Parameters
        ----------
        pipelines, X, y, groups, dataset
            As in :meth:`WithinSubjectEvaluation.evaluate`.
        sessions : array-like of shape (n,)
            Session of every trial.

        Returns
        -------
        results : DataFrame
            One row per pipeline, subject and test session, with the columns of
            :meth:`WithinSubjectEvaluation.evaluate` (``samples`` and ``n_train``: the
            training trials, ``n_test``: the trials of the test session) and ``fold``
            instead of ``n_folds``.
        """
        self._check_params()
        pipelines = _check_pipelines(pipelines)
        n = _n_trials(X)
        y = _labels("y", y, n)
        groups = _labels("groups", groups, n)
        if sessions is None:
            raise ValueError(
                "CrossSessionEvaluation needs sessions, one label per trial; without them "
                "use WithinSubjectEvaluation or CrossSubjectEvaluation."
            )
        sessions = _labels("sessions", sessions, n)
        folds, single = [], []
        for subject in np.unique(groups):
            rows = np.flatnonzero(groups == subject)
            labels = np.unique(sessions[rows])
            if len(labels) < 2:
                single.append(subject.item() if isinstance(subject, np.generic) else subject)
                continue
            for train, test in LeaveOneGroupOut().split(rows, groups=sessions[rows]):
                session = sessions[rows[test[0]]]
                folds.append(_Fold(rows[train], [(subject, session, rows[test])], len(folds)))
        if not folds:
            raise ValueError(
                "No subject has two or more sessions, so no session can be left out. Check "
                "sessions, or use WithinSubjectEvaluation."
            )
        if single:
            warnings.warn(
                f"Subjects {single} have a single session and are left out of the "
                "cross-session evaluation.",
                UserWarning,
                stacklevel=2,
            )
        return self._run(pipelines, X, y, groups, sessions, dataset, folds)


class CrossSubjectEvaluation(_BaseEvaluation):
    """Train on some subjects, test on others: leave one subject out or group K-fold.

    Parameters
    ----------
    cv : None, int or group splitter, default=None
        None: leave one subject out (one fold per subject). An int ``k``:
        :class:`~sklearn.model_selection.GroupKFold` with ``k`` folds of whole subjects. A
        splitter is called as ``cv.split(X, y, groups=subjects)``.
    scoring, n_jobs, cache_dir, route_groups, error_score, verbose
        As in :class:`WithinSubjectEvaluation`.

    See Also
    --------
    WithinSubjectEvaluation, CrossSessionEvaluation
    """

    def __init__(
        self,
        *,
        cv=None,
        scoring=None,
        n_jobs=None,
        cache_dir=None,
        route_groups=True,
        error_score="raise",
        verbose=1,
    ):
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.route_groups = route_groups
        self.error_score = error_score
        self.verbose = verbose

    def evaluate(self, pipelines, X, y, groups, sessions=None, *, dataset="dataset"):
        """Evaluate every pipeline on held-out subjects.

        Parameters
        ----------
        pipelines, X, y, groups, dataset
            As in :meth:`WithinSubjectEvaluation.evaluate`.
        sessions : array-like of shape (n,) or None
            Session of every trial; each held-out subject is then scored per session.

        Returns
        -------
        results : DataFrame
            One row per pipeline, held-out subject and session (``"all"`` without
            ``sessions``), with the columns of :meth:`WithinSubjectEvaluation.evaluate`
            (``samples`` and ``n_train``: the training trials of the fold, ``n_test``: the
            subject's test trials; with several subjects per fold, the fold's times are
            split evenly between them) and ``fold`` instead of ``n_folds``.
        """
        self._check_params()
        pipelines = _check_pipelines(pipelines)
        n = _n_trials(X)
        y = _labels("y", y, n)
        groups = _labels("groups", groups, n)
        sessions = _labels("sessions", sessions, n, required=False)
        subjects = np.unique(groups)
        if len(subjects) < 2:
            raise ValueError(
                f"CrossSubjectEvaluation needs at least 2 subjects in groups, got "
                f"{len(subjects)}. Use WithinSubjectEvaluation or CrossSessionEvaluation."
            )
        if self.cv is None:
            splitter = LeaveOneGroupOut()
        elif isinstance(self.cv, Integral) and not isinstance(self.cv, bool):
            if not 2 <= self.cv <= len(subjects):
                raise ValueError(
                    f"cv={self.cv} folds of whole subjects need between 2 and "
                    f"{len(subjects)} (the number of subjects); use cv=None for leave one "
                    "subject out."
                )
            splitter = GroupKFold(self.cv)
        elif hasattr(self.cv, "split") and not isinstance(self.cv, str):
            splitter = self.cv
        else:
            raise TypeError(
                f"cv must be None (leave one subject out), an int number of folds or a "
                f"group splitter, got {self.cv!r}."
            )
        index = np.arange(n)
        folds = []
        for train, test in splitter.split(index, y, groups=groups):
            parts = []
            for subject in np.unique(groups[test]):
                rows = test[groups[test] == subject]
                if sessions is None:
                    parts.append((subject, _ALL_SESSIONS, rows))
                else:
                    parts += [
                        (subject, s, rows[sessions[rows] == s]) for s in np.unique(sessions[rows])
                    ]
            folds.append(_Fold(train, parts, len(folds)))
        return self._run(pipelines, X, y, groups, sessions, dataset, folds)
