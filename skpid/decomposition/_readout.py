"""Linear readout of the PID blocks in the order of the redundancy lattice.

After training, :class:`~skpid.decomposition.PIDDecomposer` holds per trial the
normalised outputs of its heads: ``R_<m>`` and ``U_<m>`` for every modality and ``S``.
The readout peels them apart with linear maps fitted on the training trials:

1. ``R`` holds the directions on which the redundancy heads of all modalities agree:
   the canonical variates of the ``R_<m>`` (generalised canonical correlation analysis,
   MAXVAR [1]_, [2]_; for two modalities plain CCA), averaged over modalities, for every
   direction whose mean correlation between modalities is at least 0.5, in decreasing
   order of correlation; the remaining components are 0. A modality's private content
   in its own redundancy head correlates with no other modality and is left out,
   whatever its variance (a standardised linear probe reads a direction whatever its
   scale).
2. ``U_<m>`` minus its ridge prediction from ``R``.
3. ``S``: the cross-modal products of the peeled ``U_<m>``, each standardised on the
   training trials (:func:`skpid.nn.cross_products`), side by side with the coupling
   head's output when there is one, minus its ridge prediction from ``R`` and every
   peeled ``U_<m>``.

Each step removes what a linear probe could read of a lower atom from a higher block
(the probes of :func:`skpid.metrics.component_recovery` are linear). The penalty of each
ridge is chosen by efficient leave-one-out error, so relations that are only chance
correlations of the training sample shrink to about zero and are not removed.

References
----------
.. [1] Kettenring, "Canonical analysis of several sets of variables", Biometrika 58(3),
   1971.
.. [2] Hotelling, "Relations between two sets of variates", Biometrika 28(3/4), 1936.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn.linear_model import RidgeCV

from ..nn import cross_products

__all__ = [
    "LatticeReadout",
    "LinearMap",
    "fit_lattice_readout",
    "fit_shared_directions",
    "lattice_blocks",
]

_ALPHAS = np.logspace(-3, 3, 13)
#: Smallest mean correlation between modalities of a direction kept in ``R``: chance
#: canonical correlations of 8-dimensional heads over a few hundred trials stay below
#: 0.3; a lower bound lets a modality's private content through, a higher one keeps
#: only the strongest shared direction.
_MIN_CORRELATION = 0.5
#: Ridge on each head's covariance before whitening, as a share of each column's variance.
_WHITENING_RIDGE = 1e-3


class LinearMap(NamedTuple):
    """An affine map ``x @ coef + intercept``.

    Attributes
    ----------
    coef : ndarray of shape (n_in, n_out)
    intercept : ndarray of shape (n_out,)
    """

    coef: np.ndarray
    intercept: np.ndarray

    def __call__(self, x):
        """``x @ coef + intercept`` for ``x`` of shape ``(n_trials, n_in)``."""
        return x @ self.coef + self.intercept


@dataclass(frozen=True)
class LatticeReadout:
    """The fitted linear maps of the lattice readout (see the module docstring).

    Attributes
    ----------
    shared : dict of str to LinearMap
        Modality ``m`` to the map from its redundancy head ``R_<m>`` to its share of
        ``R`` (``R`` is the sum over modalities).
    correlation : ndarray of shape (n_components_R,)
        Mean correlation between modalities of each component of ``R`` (0 where none
        is shared).
    unique : dict of str to LinearMap
        Modality ``m`` to the ridge map from ``R`` to what is removed from ``U_<m>``.
    standardise : dict of str to LinearMap
        Modality ``m`` to the diagonal map that standardises the peeled ``U_<m>`` before
        the products of ``S``.
    synergy : LinearMap
        Ridge map from ``R`` and the peeled ``U_<m>`` (side by side) to what is removed
        from ``S``.
    """

    shared: dict
    correlation: np.ndarray
    unique: dict
    standardise: dict
    synergy: LinearMap


def _ridge(x, y):
    """Ridge regression of ``y`` on ``x`` (penalty by LOO) as a :class:`LinearMap`."""
    model = RidgeCV(alphas=_ALPHAS * len(x)).fit(x, y)
    # RidgeCV drops the target axis of a one-column y: keep (n_features, n_targets)
    n_targets = y.shape[1]
    return LinearMap(model.coef_.reshape(n_targets, -1).T, np.reshape(model.intercept_, n_targets))


def _whitening(x):
    """``(mean, W)`` with ``(x - mean) @ W`` of identity covariance (up to the ridge).

    The ridge is a share of each column's own variance, so that a column of large
    variance does not shrink the others.
    """
    mean = x.mean(0)
    cov = np.atleast_2d(np.cov(x - mean, rowvar=False))
    tiny = np.finfo(float).tiny
    cov = cov + _WHITENING_RIDGE * np.diag(np.maximum(np.diag(cov), tiny))
    eigval, eigvec = np.linalg.eigh(cov)
    return mean, (eigvec / np.sqrt(np.maximum(eigval, tiny))) @ eigvec.T


def fit_shared_directions(heads, size, min_correlation=_MIN_CORRELATION):
    """Maps from each modality's redundancy head to the directions all modalities share.

    Generalised CCA by the MAXVAR criterion: the heads are whitened, side by side, and
    the leading eigenvectors of their joint covariance are the directions of largest
    summed correlation; an eigenvalue ``lambda`` is a mean correlation ``(lambda - 1) /
    (M - 1)`` between the ``M`` modalities' variates (for two modalities, the canonical
    correlations).

    Parameters
    ----------
    heads : list of ndarray of shape (n_trials, d_m)
        One redundancy head per modality (at least 2).
    size : int
        Number of output components (the width of the ``R`` block).
    min_correlation : float, default=0.5

    Returns
    -------
    maps : list of LinearMap
        ``(coef (d_m, size), intercept (size,))`` per modality:
        ``R = sum_m heads[m] @ coef_m + intercept_m`` is the mean over modalities of
        their unit-variance canonical variates, in decreasing order of correlation,
        and 0 past the last shared direction.
    correlation : ndarray of shape (size,)
        Mean correlation between modalities of each component (0 past the last).
    """
    n_mod = len(heads)
    whitening = [_whitening(h) for h in heads]
    joint = np.hstack([(h - mean) @ w for h, (mean, w) in zip(heads, whitening, strict=True)])
    eigval, eigvec = np.linalg.eigh(joint.T @ joint / len(joint))
    order = np.argsort(eigval)[::-1][:size]
    mean_correlation = (eigval[order] - 1) / (n_mod - 1)
    n_keep = int(np.sum(mean_correlation >= min_correlation))
    bounds = np.cumsum([0, *(h.shape[1] for h in heads)])
    maps = []
    for m, (mean, w) in enumerate(whitening):
        block = eigvec[bounds[m] : bounds[m + 1], order[:n_keep]]
        # unit-norm blocks give each modality's variate unit variance
        block = block / np.maximum(np.linalg.norm(block, axis=0), np.finfo(float).tiny)
        coef = np.zeros((heads[m].shape[1], size))
        coef[:, :n_keep] = w @ block / n_mod
        maps.append(LinearMap(coef, -mean @ coef))
    correlation = np.zeros(size)
    correlation[:n_keep] = mean_correlation[:n_keep]
    return maps, correlation


def _redundant(raw, modalities, shared):
    return sum(shared[m](raw[f"R_{m}"]) for m in modalities)


def _lower_blocks(raw, modalities, readout):
    """``R`` and the peeled ``U_<m>``: everything below ``S`` in the lattice."""
    blocks = {"R": _redundant(raw, modalities, readout.shared)}
    for m in modalities:
        blocks[f"U_{m}"] = raw[f"U_{m}"] - readout.unique[m](blocks["R"])
    return blocks


def _standardiser(x):
    """Diagonal :class:`LinearMap` to zero mean and unit variance (constant columns: 0)."""
    scale = x.std(0)
    scale = np.where(scale > np.finfo(float).eps * (1 + np.abs(x).max()), scale, np.inf)
    return LinearMap(np.diag(1 / scale), -x.mean(0) / scale)


def _synergy_input(raw, lower, modalities, standardise=None):
    """Cross-modal products of the (standardised) unique blocks, then any coupling head."""
    units = [
        lower[f"U_{m}"] if standardise is None else standardise[m](lower[f"U_{m}"])
        for m in modalities
    ]
    parts = [cross_products(units)]
    if "C" in raw:
        parts.append(raw["C"])
    return np.hstack(parts)


def fit_lattice_readout(raw, modalities):
    """Fit the linear maps of the readout on training outputs.

    Parameters
    ----------
    raw : dict of str to ndarray of shape (n_trials, size)
        ``R_<m>`` and ``U_<m>`` for every modality, and ``C`` (the coupling head) when
        the network has one.
    modalities : list of str

    Returns
    -------
    readout : LatticeReadout
        The maps of every step (see :func:`fit_shared_directions` for ``shared``) and
        the mean correlation between modalities of each component of ``R``.
    """
    heads = [raw[f"R_{m}"] for m in modalities]
    maps, correlation = fit_shared_directions(heads, heads[0].shape[1])
    shared = dict(zip(modalities, maps, strict=True))
    redundant = _redundant(raw, modalities, shared)
    unique = {m: _ridge(redundant, raw[f"U_{m}"]) for m in modalities}
    partial = LatticeReadout(shared, correlation, unique, standardise=None, synergy=None)
    lower = _lower_blocks(raw, modalities, partial)
    standardise = {m: _standardiser(lower[f"U_{m}"]) for m in modalities}
    products = _synergy_input(raw, lower, modalities, standardise)
    synergy = _ridge(np.hstack(list(lower.values())), products)
    return LatticeReadout(shared, correlation, unique, standardise, synergy)


def lattice_blocks(raw, modalities, readout=None):
    """The blocks ``R, U_<m>..., S`` from the heads' outputs.

    Parameters
    ----------
    raw : dict of str to ndarray of shape (n_trials, size)
        As for :func:`fit_lattice_readout`.
    modalities : list of str
    readout : LatticeReadout or None
        Output of :func:`fit_lattice_readout`; None gives the heads as they are, ``R``
        the mean of the ``R_<m>``, ``S`` the cross-modal products of the ``U_<m>`` (and
        ``C``).

    Returns
    -------
    blocks : dict of str to ndarray
        In the order ``R``, ``U_<m>`` for each modality, ``S``.
    """
    if readout is None:
        blocks = {"R": np.mean([raw[f"R_{m}"] for m in modalities], axis=0)}
        blocks.update({f"U_{m}": raw[f"U_{m}"] for m in modalities})
        blocks["S"] = _synergy_input(raw, blocks, modalities)
        return blocks
    blocks = _lower_blocks(raw, modalities, readout)
    products = _synergy_input(raw, blocks, modalities, readout.standardise)
    blocks["S"] = products - readout.synergy(np.hstack(list(blocks.values())))
    return blocks
