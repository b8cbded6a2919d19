"""Recovery of ground-truth factors by the blocks of a learned representation.

A block "recovers" a factor when a linear probe trained on that block alone predicts the
factor on held-out trials, and "leaks" it when the probe on another block does. The
blocks x factors table of cross-validated probe scores is the headline figure of the
simulations (DESIGN.md, section 5).
"""

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

__all__ = ["RecoveryReport", "component_recovery", "infer_blocks"]

_KINDS = ("classification", "regression")


@dataclass
class RecoveryReport:
    """Result of :func:`component_recovery`; prints as a table.

    Attributes
    ----------
    scores : pandas.DataFrame of shape (n_blocks, n_factors)
        Mean over folds of the chance-normalised balanced accuracy
        ``(bacc - 1/n_classes) / (1 - 1/n_classes)`` (classification factors) or of R^2
        (continuous factors). 0 is chance, 1 perfect; both can be negative.
    fold_std : pandas.DataFrame of shape (n_blocks, n_factors)
        Standard deviation of the score over folds.
    kinds : dict of str to str
        ``"classification"`` or ``"regression"`` per factor.
    correspondence : dict of str to str
        The block matched to each factor for the summary (factor -> block).
    summary : float
        Mean score of the matched (block, factor) cells minus the mean score of the other
        blocks on the matched factors: 1 for perfect, leak-free recovery, 0 when blocks do
        not differ, negative when the wrong blocks carry the factors.
    """

    scores: pd.DataFrame
    fold_std: pd.DataFrame
    kinds: dict = field(default_factory=dict)
    correspondence: dict = field(default_factory=dict)
    summary: float = float("nan")

    def __str__(self):
        table = self.scores.to_string(float_format=lambda v: f"{v:.3f}")
        matched = ", ".join(f"{b}->{f}" for f, b in self.correspondence.items())
        return f"{table}\nsummary (matched - unmatched): {self.summary:.3f}" + (
            f"  [{matched}]" if matched else ""
        )

    __repr__ = __str__

    def _repr_html_(self):
        return self.scores.style.format("{:.3f}").to_html() + (
            f"<p>summary (matched - unmatched): {self.summary:.3f}</p>"
        )


def infer_blocks(columns):
    """Group feature names by prefix: ``R0, R1, U_eeg0, S0`` -> ``{R: [0, 1], U_eeg: [2], S: [3]}``.

    Parameters
    ----------
    columns : sequence of str
        Feature names ending in a component number.

    Returns
    -------
    blocks : dict of str to ndarray of int
        Column indices of each prefix, in order of first appearance.
    """
    blocks = {}
    for i, name in enumerate(columns):
        prefix = re.sub(r"_?\d+$", "", str(name))
        if not prefix:
            raise ValueError(
                f"Column {name!r} has no prefix to name its block; name columns like "
                "'R0', 'U_eeg1', 'S0', or pass blocks={'R': slice(0, 4), ...}."
            )
        blocks.setdefault(prefix, []).append(i)
    return {name: np.asarray(idx) for name, idx in blocks.items()}


def _check_blocks(blocks, n_features):
    if not isinstance(blocks, Mapping) or len(blocks) == 0:
        raise TypeError(
            "blocks must be a non-empty mapping of block name to a slice or column indices "
            f"(e.g. a decomposer's component_slices_), got {type(blocks).__name__}."
        )
    out = {}
    for name, idx in blocks.items():
        if isinstance(idx, slice):
            idx = np.arange(n_features)[idx]
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx) if idx.shape == (n_features,) else np.array([])
        if (
            idx.ndim != 1
            or idx.size == 0
            or not np.issubdtype(idx.dtype, np.integer)
            or idx.min() < -n_features
            or idx.max() >= n_features
        ):
            raise ValueError(
                f"Block {name!r} must select at least one of the {n_features} columns of Z "
                f"with a slice, integer indices or a boolean mask; got {blocks[name]!r}."
            )
        out[str(name)] = idx
    return out


def _check_factors(factors, n_samples):
    if isinstance(factors, pd.DataFrame):
        items = {str(c): factors[c].to_numpy() for c in factors.columns}
    elif isinstance(factors, Mapping):
        items = {str(k): v for k, v in factors.items()}
    else:
        arr = np.asarray(factors)
        if arr.ndim == 1:
            items = {"y": arr}
        elif arr.ndim == 2:
            items = {f"f{j}": arr[:, j] for j in range(arr.shape[1])}
        else:
            raise ValueError(
                f"factors has shape {arr.shape}; pass a DataFrame, a mapping of name to "
                "(n_samples,) arrays, or an array of shape (n_samples,) or (n_samples, k)."
            )
    if not items:
        raise ValueError("factors is empty; pass at least one factor.")
    out = {}
    for name, value in items.items():
        values = np.asarray(value)
        if values.ndim != 1 or len(values) != n_samples:
            raise ValueError(
                f"Factor {name!r} has shape {values.shape}; each factor must be a 1-D array "
                f"with one value per row of Z ({n_samples})."
            )
        if pd.isna(values).any():
            raise ValueError(f"Factor {name!r} has missing values; drop those rows first.")
        if len(pd.unique(values)) < 2:
            # A probe "predicts" a constant perfectly (R^2 = 1), which would read as
            # full recovery of a factor that carries no information.
            raise ValueError(
                f"Factor {name!r} is constant (every value is {values[0]!r}); it carries no "
                "information for a block to recover. Drop it from factors."
            )
        out[name] = values
    return out


def _factor_kind(values, override):
    if override is not None:
        return override
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype.kind in "biuUSO":
        return "classification"
    return "regression"


def _make_cv(cv, kind, groups, random_state):
    if not isinstance(cv, Integral):
        return check_cv(cv)
    if cv < 2:
        raise ValueError(f"cv={cv} must be at least 2 folds (or a CV splitter).")
    if groups is not None:
        n_groups = len(np.unique(groups))
        if n_groups < cv:
            raise ValueError(
                f"cv={cv} folds but only {n_groups} groups: every fold needs its own groups. "
                f"Pass cv <= {n_groups} (e.g. cv={n_groups} for leave-one-group-out)."
            )
        return GroupKFold(n_splits=cv)
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    if kind == "classification":
        return StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return KFold(n_splits=cv, shuffle=True, random_state=seed)


def _probe_scores(z, target, kind, splitter, groups, C, alphas):
    """Per-fold scores of a standardised linear probe of ``target`` from ``z``."""
    if kind == "classification":
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
        chance = 1.0 / len(np.unique(target))
    else:
        probe = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas))
    scores = []
    for train, test in splitter.split(z, target, groups):
        if kind == "classification" and len(np.unique(target[train])) < 2:
            raise ValueError(
                "A training fold holds a single class of a factor; use fewer folds or "
                "groups that each contain several classes."
            )
        model = clone(probe).fit(z[train], target[train])
        pred = model.predict(z[test])
        if kind == "classification":
            with warnings.catch_warnings():
                # A group-wise test fold may hold one class only: its balanced accuracy is
                # that class's recall, still 1/n_classes at chance.
                warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
                bacc = balanced_accuracy_score(target[test], pred)
            scores.append((bacc - chance) / (1.0 - chance))
        else:
            scores.append(r2_score(target[test], pred))
    return np.asarray(scores)


def component_recovery(
    Z,
    factors,
    blocks=None,
    groups=None,
    cv=5,
    *,
    correspondence=None,
    kinds=None,
    C=1.0,
    alphas=(1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0),
    random_state=0,
):
    """Cross-validated linear-probe recovery of each factor from each block.

    Parameters
    ----------
    Z : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Learned representation, e.g. the output of a decomposer's ``transform``.
    factors : pandas.DataFrame, mapping of str to array of shape (n_samples,), or array
        Ground-truth factors. Integer, boolean, string or categorical columns are
        classification targets (logistic-regression probe); float columns are continuous
        (ridge probe with the penalty chosen among ``alphas`` by efficient leave-one-out).
    blocks : mapping of str to slice or array of int, or None
        Columns of each block, e.g. a decomposer's ``component_slices_``. ``None``: from
        the column names of a DataFrame ``Z`` by prefix (``R0, R1, U_eeg0, ..., S0`` give
        blocks ``R, U_eeg, S``, see :func:`infer_blocks`), or one block ``"all"`` for an
        array.
    groups : array-like of shape (n_samples,) or None
        Group of each sample (e.g. subject). Given: :class:`~sklearn.model_selection.GroupKFold`,
        so no group is in both training and test folds. Otherwise stratified K-fold
        (classification) or shuffled K-fold (regression).
    cv : int or cross-validation splitter, default=5
        Number of folds, or a splitter used as it is (with ``groups``).
    correspondence : mapping of str to str or None
        Factor name -> block name for the summary. ``None``: factors matched to blocks of
        the same name (the simulators name factors ``R, U_eeg, U_fnirs, S`` like the
        blocks); failing any match, each factor is matched to its best-scoring block
        (an optimistic summary).
    kinds : mapping of str to {"classification", "regression"} or None
        Override the kind inferred from a factor's dtype.
    C : float, default=1.0
        Inverse regularisation of the logistic-regression probe.
    alphas : sequence of float
        Ridge penalties searched for continuous factors.
    random_state : int, RandomState instance or None, default=0
        Seeds the fold shuffling; the same value gives the same table.

    Returns
    -------
    report : RecoveryReport
        ``report.scores`` is the blocks x factors DataFrame; ``report.summary`` the single
        score; ``print(report)`` shows both.

    Raises
    ------
    ValueError
        For mismatched lengths, non-finite values, empty or out-of-range blocks, constant
        factors, unknown factor kinds or correspondences, or folds with a single class.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skpid.metrics import component_recovery
    >>> rng = np.random.default_rng(0)
    >>> factors = pd.DataFrame({"R": rng.integers(0, 2, 200), "S": rng.integers(0, 2, 200)})
    >>> Z = np.column_stack([factors["R"] + 0.1 * rng.standard_normal(200),
    ...                      rng.standard_normal(200)])
    >>> report = component_recovery(Z, factors, blocks={"R": [0], "S": [1]})
    >>> bool(report.scores.loc["R", "R"] > 0.9), bool(abs(report.scores.loc["S", "S"]) < 0.3)
    (True, True)
    """
    columns = list(Z.columns) if isinstance(Z, pd.DataFrame) else None
    z = np.asarray(Z, dtype=np.float64) if not hasattr(Z, "detach") else Z.detach().numpy()
    if z.ndim != 2:
        raise ValueError(
            f"Z has shape {z.shape}; pass a 2-D array (n_samples, n_features), e.g. the "
            "output of a decomposer's transform."
        )
    if not np.all(np.isfinite(z)):
        raise ValueError("Z contains NaN or infinite values; check the representation.")
    n, n_features = z.shape
    if blocks is None:
        blocks = infer_blocks(columns) if columns is not None else {"all": np.arange(n_features)}
    blocks = _check_blocks(blocks, n_features)
    factors = _check_factors(factors, n)
    kinds = dict(kinds or {})
    unknown = set(kinds) - set(factors)
    bad = {k: v for k, v in kinds.items() if v not in _KINDS}
    if unknown or bad:
        raise ValueError(
            f"kinds must map factor names {list(factors)} to one of {list(_KINDS)}; got "
            f"unknown factors {sorted(unknown)} and invalid kinds {bad}."
        )
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(
                f"groups has shape {groups.shape}; pass one group label per row of Z ({n},)."
            )
    kinds = {name: _factor_kind(values, kinds.get(name)) for name, values in factors.items()}

    means = pd.DataFrame(index=list(blocks), columns=list(factors), dtype=float)
    stds = means.copy()
    for fname, values in factors.items():
        kind = kinds[fname]
        target = values if kind == "classification" else np.asarray(values, dtype=np.float64)
        splitter = _make_cv(cv, kind, groups, random_state)
        for bname, idx in blocks.items():
            s = _probe_scores(z[:, idx], target, kind, splitter, groups, C, list(alphas))
            means.loc[bname, fname] = s.mean()
            stds.loc[bname, fname] = s.std()
    means.index.name, means.columns.name = "block", "factor"
    stds.index.name, stds.columns.name = "block", "factor"
    matched = _correspondence(correspondence, means)
    return RecoveryReport(means, stds, kinds, matched, _summary(means, matched))


def _correspondence(correspondence, scores):
    if correspondence is not None:
        correspondence = {str(f): str(b) for f, b in dict(correspondence).items()}
        bad = {
            f: b
            for f, b in correspondence.items()
            if f not in scores.columns or b not in scores.index
        }
        if bad:
            raise ValueError(
                f"correspondence {bad} names unknown factors or blocks; factors are "
                f"{list(scores.columns)}, blocks {list(scores.index)}."
            )
        return correspondence
    same = {f: f for f in scores.columns if f in scores.index}
    if same:
        return same
    return {f: str(scores[f].idxmax()) for f in scores.columns}


def _summary(scores, matched):
    """Mean of matched cells minus mean of the other blocks' cells on matched factors."""
    on = [scores.loc[b, f] for f, b in matched.items()]
    off = [scores.loc[b, f] for f in matched for b in scores.index if b != matched[f]]
    if not off:  # a single block: nothing to compare against
        return float(np.mean(on))
    return float(np.mean(on) - np.mean(off))
