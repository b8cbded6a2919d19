"""Recovery of ground-truth factors measured across subjects.

A decomposer is fitted on training subjects; a probe is then trained on the training
subjects' blocks and scored on held-out subjects (:func:`transfer_recovery`). This is the
figure that counts: a probe trained and scored within the held-out subjects absorbs
per-subject offsets and reads features that do not transfer (:func:`within_recovery`
gives that figure, to show next to it, never instead).
"""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["PROBES", "make_probe", "transfer_recovery", "within_recovery"]

#: Probes by name: a linear one (the headline) and a nonlinear one, so that leaks a
#: linear probe misses show.
PROBES = ("linear", "nonlinear")


def make_probe(kind="linear", random_state=0):
    """A probe classifier: ``"linear"`` (standardised logistic regression) or
    ``"nonlinear"`` (histogram gradient boosting).

    Parameters
    ----------
    kind : {"linear", "nonlinear"}
    random_state : int

    Returns
    -------
    probe : sklearn classifier
    """
    if kind == "linear":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if kind == "nonlinear":
        return HistGradientBoostingClassifier(
            max_iter=100, max_leaf_nodes=15, learning_rate=0.1, random_state=random_state
        )
    raise ValueError(f"Unknown probe {kind!r}; choose among {list(PROBES)}.")


def _score(y_true, y_pred, n_classes):
    chance = 1.0 / n_classes
    return (balanced_accuracy_score(y_true, y_pred) - chance) / (1.0 - chance)


def _check_blocks(Z, blocks):
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or not np.all(np.isfinite(Z)):
        raise ValueError("Z must be a finite 2-D array (trials, features).")
    if blocks is None:
        blocks = {"all": slice(0, Z.shape[1])}
    for name, cols in blocks.items():
        if Z[:, cols].shape[1] == 0:
            raise ValueError(f"Block {name!r} selects no column of Z.")
    return Z, dict(blocks)


def _factor_columns(factors_train, factors_test):
    if list(factors_train.columns) != list(factors_test.columns):
        raise ValueError("factors_train and factors_test must have the same columns.")
    for f in factors_train.columns:
        if factors_train[f].nunique() < 2:
            raise ValueError(
                f"Factor {f!r} takes a single value on the training trials; a probe cannot "
                "be trained on it. Use more training subjects or trials."
            )
    return list(factors_train.columns)


def transfer_recovery(
    Z_train, factors_train, Z_test, factors_test, blocks=None, *, probe="linear", random_state=0
):
    """Blocks x factors recovery, the probe trained on one set of subjects, scored on another.

    Parameters
    ----------
    Z_train, Z_test : array-like of shape (n_train, n_features), (n_test, n_features)
        Representations of the training and held-out subjects' trials (the same
        transformer's output).
    factors_train, factors_test : pandas.DataFrame
        Discrete ground-truth factors of those trials, one column per factor.
    blocks : dict of str to slice or array of int, or None
        Columns of each block (e.g. ``component_slices_``); None is one block ``"all"``.
    probe : {"linear", "nonlinear"}, default="linear"
        See :func:`make_probe`.
    random_state : int, default=0

    Returns
    -------
    scores : pandas.DataFrame of shape (n_blocks, n_factors)
        Chance-normalised balanced accuracy on the held-out trials,
        ``(bacc - 1/n_classes) / (1 - 1/n_classes)``: 0 is chance, 1 perfect.
    """
    Z_train, blocks = _check_blocks(Z_train, blocks)
    Z_test, _ = _check_blocks(Z_test, blocks)
    factors = _factor_columns(factors_train, factors_test)
    scores = pd.DataFrame(index=list(blocks), columns=factors, dtype=float)
    for name, cols in blocks.items():
        for f in factors:
            y_train = np.asarray(factors_train[f])
            model = clone(make_probe(probe, random_state)).fit(Z_train[:, cols], y_train)
            pred = model.predict(Z_test[:, cols])
            scores.loc[name, f] = _score(factors_test[f], pred, len(np.unique(y_train)))
    return scores


def within_recovery(Z, factors, blocks=None, *, probe="linear", cv=5, random_state=0):
    """Blocks x factors recovery cross-validated within one set of trials.

    Shown next to :func:`transfer_recovery` on the held-out subjects, never instead: it
    lets the probe learn the held-out subjects' own offsets.

    Parameters
    ----------
    Z : array-like of shape (n_trials, n_features)
    factors : pandas.DataFrame
    blocks : dict of str to slice or array of int, or None
    probe : {"linear", "nonlinear"}, default="linear"
    cv : int, default=5
        Stratified folds.
    random_state : int, default=0

    Returns
    -------
    scores : pandas.DataFrame of shape (n_blocks, n_factors)
    """
    Z, blocks = _check_blocks(Z, blocks)
    scores = pd.DataFrame(index=list(blocks), columns=list(factors.columns), dtype=float)
    for f in factors.columns:
        y = np.asarray(factors[f])
        n_splits = min(cv, int(np.bincount(pd.factorize(y)[0]).min()))
        if n_splits < 2:
            raise ValueError(f"Factor {f!r} has a class with fewer than 2 trials.")
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        for name, cols in blocks.items():
            pred = cross_val_predict(make_probe(probe, random_state), Z[:, cols], y, cv=folds)
            scores.loc[name, f] = _score(y, pred, len(np.unique(y)))
    return scores
