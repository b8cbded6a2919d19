"""Linear probes: how well each block predicts each physiological quantity."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold, KFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._blocks import as_blocks

__all__ = ["physiological_probes", "ridge_probe"]

DEFAULT_ALPHAS = np.logspace(-3, 3, 13)


def ridge_probe(alphas=DEFAULT_ALPHAS):
    """Standardise, then ridge regression with one penalty per target chosen by efficient
    leave-one-out on the training trials; targets are standardised too (R^2 is unchanged)."""
    ridge = RidgeCV(alphas=alphas, alpha_per_target=True)
    return make_pipeline(
        StandardScaler(), TransformedTargetRegressor(ridge, transformer=StandardScaler())
    )


def _as_targets(targets, n_trials):
    if isinstance(targets, pd.Series):
        targets = targets.to_frame(targets.name if targets.name is not None else "target")
    elif isinstance(targets, dict):
        targets = pd.DataFrame(targets)
    elif not isinstance(targets, pd.DataFrame):
        arr = np.asarray(targets)
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.ndim != 2:
            raise ValueError(
                f"targets has shape {arr.shape}; pass a DataFrame with one row per trial and "
                "one column per quantity."
            )
        targets = pd.DataFrame(arr, columns=[f"target{i}" for i in range(arr.shape[1])])
    if targets.shape[1] == 0:
        raise ValueError("targets has no column; pass at least one quantity to probe.")
    if len(targets) != n_trials:
        raise ValueError(
            f"targets has {len(targets)} rows but Z has {n_trials} trials; pass one row per "
            "trial, in the same order."
        )
    bad = [c for c in targets if not pd.api.types.is_numeric_dtype(targets[c])]
    if bad:
        raise ValueError(
            f"targets columns {bad} are not numeric; the ridge probe predicts numbers. Drop "
            "them or encode them as numbers."
        )
    values = targets.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        cols = [c for c, ok in zip(targets, np.isfinite(values).all(0), strict=True) if not ok]
        raise ValueError(f"targets columns {cols} contain NaN or infinite values; drop them.")
    flat = [c for c, s in zip(targets, values.std(axis=0), strict=True) if s == 0]
    if flat:
        raise ValueError(f"targets columns {flat} are constant, so R^2 is undefined; drop them.")
    return [str(c) for c in targets.columns], values


def _splitter(cv, groups, n_trials, random_state):
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if groups is not None:
            n_groups = len(np.unique(groups))
            if n_groups < 2:
                raise ValueError(
                    "groups holds a single group; group-aware probing needs at least 2 "
                    "(e.g. subjects). Pass groups=None to split trials at random."
                )
            return GroupKFold(n_splits=min(int(cv), n_groups))
        if not 2 <= cv <= n_trials:
            raise ValueError(f"cv={cv} folds for {n_trials} trials; pass 2 <= cv <= n_trials.")
        return KFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    return check_cv(cv)


def physiological_probes(
    Z, targets, *, blocks=None, groups=None, cv=5, alphas=DEFAULT_ALPHAS, random_state=0
):
    """Cross-validated R^2 of a ridge probe from each block to each physiological quantity.

    A block "carries" a quantity when a linear read-out of its components predicts the
    quantity on held-out trials (a linear probe, Alain & Bengio, arXiv:1610.01644, 2016).

    Parameters
    ----------
    Z : mapping of str to array-like, DataFrame, or array-like of shape (n_trials, n_features)
        The blocks: ``decomposer.decompose(X)``, ``transform`` output as a DataFrame with
        columns ``R0, ..., U_eeg0, ...``, or an array with ``blocks``.
    targets : DataFrame of shape (n_trials, n_targets), Series or array-like
        Continuous quantities, e.g. :func:`physiological_targets` or the simulator's
        ``factors[["lag", "amplitude", "burst_freq"]]``.
    blocks : dict of str to columns, list of str or None
        Columns of each block of an array ``Z`` (``decomposer.component_slices_``), or the
        names of the blocks to probe; None probes every block.
    groups : array-like of shape (n_trials,) or None
        Subject (or session) of each trial. When given with an int ``cv``, folds keep
        groups apart (:class:`~sklearn.model_selection.GroupKFold`), so the probe is scored
        on unseen subjects.
    cv : int or cross-validation splitter, default=5
        Number of folds (shuffled :class:`~sklearn.model_selection.KFold` without groups)
        or any scikit-learn splitter (it receives ``groups``).
    alphas : array-like, default=np.logspace(-3, 3, 13)
        Ridge penalties tried (per target, by leave-one-out on the training folds).
    random_state : int, default=0
        Seeds the shuffled folds.

    Returns
    -------
    scores : DataFrame of shape (n_blocks, n_targets)
        Mean over folds of the test R^2 (1 is perfect, 0 is the training mean, negative
        is worse than that).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> quantity = rng.standard_normal(60)  # e.g. the HbO amplitude of each trial
    >>> blocks = {
    ...     "R": np.column_stack([quantity, rng.standard_normal(60)]),  # carries it
    ...     "S": rng.standard_normal((60, 2)),  # does not
    ... }
    >>> import pandas as pd
    >>> from skpid.inspection import physiological_probes
    >>> targets = pd.DataFrame({"hbo_amplitude": quantity})
    >>> r2 = physiological_probes(blocks, targets, groups=np.repeat(np.arange(6), 10))
    >>> r2.shape  # (blocks, quantities)
    (2, 1)
    >>> bool(r2.loc["R", "hbo_amplitude"] > 0.9), bool(r2.loc["S", "hbo_amplitude"] < 0.2)
    (True, True)
    """
    blocks = as_blocks(Z, blocks)
    n_trials = len(next(iter(blocks.values())))
    names, values = _as_targets(targets, n_trials)
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n_trials,):
            raise ValueError(
                f"groups has shape {groups.shape} but Z has {n_trials} trials; pass one "
                "group label per trial."
            )
    splitter = _splitter(cv, groups, n_trials, random_state)
    folds = list(splitter.split(values, values[:, 0], groups))
    scores = np.zeros((len(blocks), len(names)))
    for b, block in enumerate(blocks.values()):
        for train, test in folds:
            probe = ridge_probe(alphas).fit(block[train], values[train])
            pred = probe.predict(block[test]).reshape(len(test), -1)
            scores[b] += r2_score(values[test], pred, multioutput="raw_values")
    scores /= len(folds)
    return pd.DataFrame(
        scores,
        index=pd.Index(list(blocks), name="block"),
        columns=pd.Index(names, name="target"),
    )
