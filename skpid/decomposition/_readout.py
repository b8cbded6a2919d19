"""Linear readout of the PID blocks in the order of the redundancy lattice.

After training, :class:`~skpid.decomposition.PIDDecomposer` holds per trial the
normalised outputs of its heads: ``R_<m>`` and ``U_<m>`` for every modality and ``S``.
The readout peels them apart with ridge regressions fitted on the training trials:

1. ``R`` is the mean over modalities of ``R_<m>`` predicted from the other modalities'
   ``R_<n>``: only what another modality can predict is kept, so a modality's private
   content in its own redundancy head does not reach the redundant block. Directions
   of it whose singular value is below 3% of the largest are set to zero: they
   are what the ridge shrank but could not null (chance coefficients), and a
   standardised linear probe reads a direction whatever its scale.
2. ``U_<m>`` minus its prediction from ``R``.
3. ``S`` minus its prediction from ``R`` and every (peeled) ``U_<m>``.

Each step removes what a linear probe could read of a lower atom from a higher block
(the probes of :func:`skpid.metrics.component_recovery` are linear). The penalty of each
ridge is chosen by efficient leave-one-out error, so relations that are only chance
correlations of the training sample shrink to about zero and are not removed.
"""

import numpy as np
from sklearn.linear_model import RidgeCV

__all__ = ["fit_lattice_readout", "lattice_blocks"]

_ALPHAS = np.logspace(-3, 3, 13)
_RANK_TOL = 0.03  # chosen on the simulator over 3 seeds: 0.1 also cut true R directions


def _ridge(x, y):
    """``(coef, intercept)`` of a ridge regression of ``y`` on ``x``, penalty by LOO."""
    model = RidgeCV(alphas=_ALPHAS * len(x)).fit(x, y)
    # RidgeCV drops the target axis of a one-column y: keep (n_features, n_targets)
    n_targets = y.shape[1]
    return model.coef_.reshape(n_targets, -1).T, np.reshape(model.intercept_, n_targets)


def _predict(maps, name, x):
    coef, intercept = maps[name]
    return x @ coef + intercept


def _others(raw, modalities, m):
    return np.hstack([raw[f"R_{n}"] for n in modalities if n != m])


def _cross_predicted(raw, modalities, maps):
    predicted = [_predict(maps, f"R_{m}", _others(raw, modalities, m)) for m in modalities]
    return np.mean(predicted, axis=0)


def _principal_projection(x, tol=_RANK_TOL):
    """``(projection, offset)`` that keeps the principal directions of ``x`` whose
    singular value is at least ``tol`` times the largest, and zeroes the others."""
    mean = x.mean(0)
    _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
    keep = vt[sv >= tol * sv[0]] if sv[0] > 0 else vt[:0]
    projection = keep.T @ keep
    return projection, mean - mean @ projection


def _redundant(raw, modalities, maps):
    return _predict(maps, "R", _cross_predicted(raw, modalities, maps))


def _lower_blocks(raw, modalities, maps):
    """``R`` and the peeled ``U_<m>``: everything below ``S`` in the lattice."""
    blocks = {"R": _redundant(raw, modalities, maps)}
    for m in modalities:
        blocks[f"U_{m}"] = raw[f"U_{m}"] - _predict(maps, f"U_{m}", blocks["R"])
    return blocks


def fit_lattice_readout(raw, modalities):
    """Fit the ridge maps of the readout on training outputs.

    Parameters
    ----------
    raw : dict of str to ndarray of shape (n_trials, size)
        ``R_<m>`` and ``U_<m>`` for every modality, and ``S``.
    modalities : list of str

    Returns
    -------
    maps : dict of str to (ndarray, ndarray)
        ``(coef, intercept)`` keyed ``R_<m>`` (from the other modalities' ``R_<n>``),
        ``R`` (the projection that keeps the principal directions of the mean
        prediction), ``U_<m>`` (from ``R``) and ``S`` (from ``R`` and the peeled
        ``U_<m>``).
    """
    maps = {f"R_{m}": _ridge(_others(raw, modalities, m), raw[f"R_{m}"]) for m in modalities}
    maps["R"] = _principal_projection(_cross_predicted(raw, modalities, maps))
    redundant = _redundant(raw, modalities, maps)
    for m in modalities:
        maps[f"U_{m}"] = _ridge(redundant, raw[f"U_{m}"])
    lower = _lower_blocks(raw, modalities, maps)
    maps["S"] = _ridge(np.hstack(list(lower.values())), raw["S"])
    return maps


def lattice_blocks(raw, modalities, maps=None):
    """The blocks ``R, U_<m>..., S`` from the heads' outputs.

    Parameters
    ----------
    raw : dict of str to ndarray of shape (n_trials, size)
        As for :func:`fit_lattice_readout`.
    modalities : list of str
    maps : dict or None
        Output of :func:`fit_lattice_readout`; None gives the heads as they are, ``R``
        the mean of the ``R_<m>``.

    Returns
    -------
    blocks : dict of str to ndarray
        In the order ``R``, ``U_<m>`` for each modality, ``S``.
    """
    if maps is None:
        blocks = {"R": np.mean([raw[f"R_{m}"] for m in modalities], axis=0)}
        blocks.update({f"U_{m}": raw[f"U_{m}"] for m in modalities})
        blocks["S"] = raw["S"]
        return blocks
    blocks = _lower_blocks(raw, modalities, maps)
    blocks["S"] = raw["S"] - _predict(maps, "S", np.hstack(list(blocks.values())))
    return blocks
