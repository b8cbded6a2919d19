"""Forward-model (activation) patterns: what in the channels goes with a block.

A decoder's weights do not say where the signal is (they also cancel noise); the
pattern ``A = Cov(X, Z) Cov(Z)^-1`` does (Haufe et al., NeuroImage 87:96-110, 2014, eq. 6).
"""

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from ._blocks import as_blocks, check_target
from ._probes import ridge_probe

__all__ = ["block_patterns", "block_scores", "haufe_patterns"]


def haufe_patterns(X, Z):
    """Activation patterns of latent components on observed features.

    Parameters
    ----------
    X : array-like of shape (n_trials, n_features)
        Observed features, e.g. band power per channel.
    Z : array-like of shape (n_trials, n_components) or (n_trials,)
        Components or decoder outputs on the same trials.

    Returns
    -------
    A : ndarray of shape (n_features, n_components)
        ``Cov(X, Z) Cov(Z)^+`` (pseudo-inverse for collinear components): column ``j`` is
        the change of the features per unit of component ``j``, the others held fixed.

    Examples
    --------
    A feature driven by the component gets a pattern of 2 (its gain), an unrelated one
    about 0:

    >>> import numpy as np
    >>> from skpid.inspection import haufe_patterns
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal(500)
    >>> X = np.column_stack([2 * z, rng.standard_normal(500)])
    >>> haufe_patterns(X, z).round(1)
    array([[2.],
           [0.]])
    """
    X = np.asarray(X, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    Z = Z[:, None] if Z.ndim == 1 else Z
    if X.ndim != 2 or Z.ndim != 2:
        raise ValueError(
            f"X must be (n_trials, n_features) and Z (n_trials, n_components); got {X.shape} "
            f"and {Z.shape}."
        )
    if len(X) != len(Z):
        raise ValueError(
            f"X has {len(X)} trials and Z {len(Z)}; pass the same trials in the same order."
        )
    if len(X) < 2:
        raise ValueError("Patterns need at least 2 trials.")
    Xc, Zc = X - X.mean(axis=0), Z - Z.mean(axis=0)
    cov_xz = Xc.T @ Zc / (len(X) - 1)
    cov_z = Zc.T @ Zc / (len(X) - 1)
    return cov_xz @ np.linalg.pinv(cov_z)


def block_scores(Z, *, blocks=None, target=None):
    """One standardised score per block and trial, to draw a block's pattern as one map.

    Without ``target``, the first principal component of the standardised block (its
    sign is arbitrary, as for any PCA). With ``target``, the in-sample output of the ridge
    probe from the block to the target, i.e. the direction of the block that carries it.

    Parameters
    ----------
    Z, blocks
        As for :func:`physiological_probes`.
    target : array-like of shape (n_trials,) or None

    Returns
    -------
    scores : DataFrame of shape (n_trials, n_blocks)
        Zero mean, unit variance per column.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> quantity = rng.standard_normal(60)  # e.g. the HbO amplitude of each trial
    >>> blocks = {
    ...     "R": np.column_stack([quantity, rng.standard_normal(60)]),  # carries it
    ...     "S": rng.standard_normal((60, 2)),  # does not
    ... }
    >>> from skpid.inspection import block_scores
    >>> scores = block_scores(blocks, target=quantity)
    >>> list(scores.columns), scores.shape
    (['R', 'S'], (60, 2))
    >>> bool(np.corrcoef(scores["R"], quantity)[0, 1] > 0.99)
    True
    """
    blocks = as_blocks(Z, blocks)
    n_trials = len(next(iter(blocks.values())))
    if target is not None:
        target = check_target(target, n_trials).astype(np.float64)
        if np.std(target) == 0:
            raise ValueError("target is constant; pass a quantity that varies across trials.")
    out = {}
    for name, block in blocks.items():
        if target is None:
            score = PCA(n_components=1, svd_solver="full").fit_transform(
                StandardScaler().fit_transform(block)
            )[:, 0]
        else:
            score = ridge_probe().fit(block, target).predict(block)
        std = score.std()
        out[name] = (score - score.mean()) / std if std > 0 else np.zeros_like(score)
    return pd.DataFrame(out)


def block_patterns(features, Z, *, blocks=None, target=None):
    """Forward-model pattern of each block on each modality's channel features.

    Parameters
    ----------
    features : dict of str to DataFrame or array-like of shape (n_trials, n_channels)
        Per modality, one value per channel and trial (:func:`channel_features`).
    Z, blocks
        As for :func:`physiological_probes`.
    target : array-like of shape (n_trials,) or None
        See :func:`block_scores`.

    Returns
    -------
    patterns : dict of str to DataFrame of shape (n_blocks, n_channels)
        Per modality, the change of each channel's feature per standard deviation of the
        block's score (feature units); columns named as ``features``' columns (``ch<i>``
        for arrays), ``attrs["units"]`` copied from ``features``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> quantity = rng.standard_normal(60)  # e.g. the HbO amplitude of each trial
    >>> blocks = {
    ...     "R": np.column_stack([quantity, rng.standard_normal(60)]),  # carries it
    ...     "S": rng.standard_normal((60, 2)),  # does not
    ... }
    >>> from skpid.inspection import block_patterns
    >>> hbo = np.column_stack([quantity, 0.1 * rng.standard_normal(60)])  # 2 channels
    >>> patterns = block_patterns({"fnirs": hbo}, blocks, target=quantity)
    >>> patterns["fnirs"].shape  # (blocks, channels)
    (2, 2)
    >>> bool(patterns["fnirs"].loc["R", "ch0"] > 0.8)  # ch0 rises with the R block
    True
    """
    if not isinstance(features, dict) or not features:
        raise TypeError(
            "features must be a non-empty dict of modality name to (n_trials, n_channels) "
            "values, e.g. skpid.inspection.channel_features(X, info)."
        )
    scores = block_scores(Z, blocks=blocks, target=target)
    out = {}
    for name, feats in features.items():
        if isinstance(feats, pd.DataFrame):
            columns, values = [str(c) for c in feats.columns], feats.to_numpy(np.float64)
        else:
            values = np.asarray(feats, dtype=np.float64)
            columns = [f"ch{i}" for i in range(values.shape[-1])] if values.ndim == 2 else []
        if values.ndim != 2 or len(values) != len(scores):
            raise ValueError(
                f"features[{name!r}] has shape {values.shape}; expected ({len(scores)}, "
                "n_channels): one row per trial of Z, one column per channel."
            )
        pattern = pd.DataFrame(
            haufe_patterns(values, scores.to_numpy()).T,
            index=pd.Index(scores.columns, name="block"),
            columns=columns,
        )
        pattern.attrs["units"] = getattr(feats, "attrs", {}).get("units", "")
        out[name] = pattern
    return out
