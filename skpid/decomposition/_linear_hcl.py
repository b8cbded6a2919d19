"""Linear hierarchical model of multimodal data: global, partial and specific loadings.

The linear view of Hierarchical Contrastive Learning (HCL, "Hierarchical Contrastive
Learning for Multimodal Data", arXiv stat.ML 2026): every structure ``s`` is a subset of
the modalities with its own latent ``z_s ~ N(0, I)``, and

    x_m = sum over structures s containing m of  W_{m,s} z_s  +  e_m,   e_m ~ N(0, s2_m I).

:class:`LinearHCL` estimates the loadings ``W_{m,s}`` from the covariance of the data:

1. ``noise_variance``: per-modality noise variance from the within-modality spectrum;
   every modality is then divided by its noise standard deviation, so the noise is white.
2. ``shrunk_spikes``: eigen-decomposition of the whitened joint covariance; eigenvalues
   above the noise edge are spikes, each shrunk to its Frobenius-optimal size under the
   spiked covariance model, the rest set to zero.
3. ``assign_directions``: the latent space spanned by the spikes is split between the
   structures, from the specific ones up to the global one. A direction belongs to ``s``
   when it has no more energy on the modalities outside ``s`` than estimation noise
   would put there. The rows of a block are read from one joint basis, so the
   cross-modality products ``W_{m,s} W_{m',s}^T`` are estimated with the block.
4. ``refine_masked`` (``method="gradient"``): the block-sparse loadings are fitted to the
   shrunk covariance by preconditioned gradient descent that keeps the zero pattern.
"""

import itertools
from collections.abc import Mapping
from functools import lru_cache
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import integrate, linalg, optimize
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .._multimodal import check_multimodal
from .._utils import candidate_structures, structure_name

__all__ = [
    "LinearHCL",
    "assign_directions",
    "loading_recovery_error",
    "marchenko_pastur_median",
    "noise_variance",
    "refine_masked",
    "shrunk_spikes",
]

_NOISE_FLOOR = 1e-10  # relative to the mean feature variance; keeps whitening finite


# ----------------------------------------------------------------------- the maths


@lru_cache(maxsize=256)
def marchenko_pastur_median(ratio):
    """Median of the Marchenko-Pastur law of aspect ratio ``ratio`` in (0, 1], unit variance.

    The eigenvalues of the sample covariance of white noise (variance 1, ``p`` features,
    ``n`` samples, ``ratio = p / n``) follow this law when both grow.
    """
    if ratio <= 0:
        return 1.0
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2

    def density(x):
        return np.sqrt(max((hi - x) * (x - lo), 0.0)) / (2 * np.pi * ratio * x)

    def cdf_minus_half(t):
        return integrate.quad(density, lo, t, limit=200)[0] - 0.5

    return float(optimize.brentq(cdf_minus_half, lo, hi, xtol=1e-10))


_CHUNK = 4096  # trials per float64 chunk in fit and transform
_SQUARE_SAFE = 1e150  # larger spreads overflow float64 when squared and summed


def noise_variance(cov, n_samples, rank=None):
    """Isotropic noise variance of one modality from its covariance spectrum.

    Parameters
    ----------
    cov : ndarray of shape (n_features, n_features)
        Sample covariance of the modality.
    n_samples : int
        Degrees of freedom of ``cov`` (trials minus one after centring).
    rank : int or None
        Signal rank of the modality when known. When it is smaller than ``n_features``
        the estimate is the mean of the trailing eigenvalues (the maximum-likelihood noise
        of probabilistic PCA, Tipping & Bishop 1999, JRSS-B 61:611). When None, the
        median eigenvalue is first matched to the Marchenko-Pastur median (Gavish &
        Donoho 2014, "The optimal hard threshold for singular values is 4/sqrt(3)", IEEE
        Trans. Inf. Theory 60:5040); then, until it settles, the rank is the number of
        eigenvalues above the noise edge (see :func:`shrunk_spikes`) and the variance the
        mean of the eigenvalues below them.

    Returns
    -------
    sigma2 : float
        Noise variance, at least ``1e-10`` times the mean feature variance.
    """
    eig = np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)
    d = eig.size
    if rank is not None and rank < d:
        sigma2 = float(eig[rank:].mean())
    else:
        if d <= n_samples:
            sigma2 = float(np.median(eig)) / marchenko_pastur_median(d / n_samples)
        else:  # more features than samples: the nonzero eigenvalues follow MP(n / d) * d / n
            nonzero = eig[:n_samples]
            sigma2 = float(np.median(nonzero)) / (
                marchenko_pastur_median(n_samples / d) * d / n_samples
            )
        if rank is None:  # the median is pulled up by a large signal rank: count the
            for _ in range(20):  # spikes above the noise edge, then take the trailing mean
                spikes = int(np.sum(shrunk_spikes(eig / sigma2, n_samples, d)[2] > 0))
                if spikes >= min(d, n_samples):
                    break
                update = float(eig[spikes:].mean())
                if np.isclose(update, sigma2, rtol=1e-6, atol=0.0):
                    break
                sigma2 = update
    floor = _NOISE_FLOOR * max(float(np.trace(cov)) / d, np.finfo(float).tiny)
    return max(sigma2, floor)


def shrunk_spikes(eigvals, n_samples, n_features):
    """Detect and shrink the spikes of a whitened covariance (noise variance 1).

    Parameters
    ----------
    eigvals : ndarray of shape (k,)
        Leading eigenvalues of the sample covariance of noise-whitened data.
    n_samples : int
        Degrees of freedom of the covariance.
    n_features : int
        Dimension ``p`` of the covariance.

    Returns
    -------
    spike : ndarray of shape (k,)
        Population spike ``l`` (signal variance along the direction), 0 when undetected.
    cos2 : ndarray of shape (k,)
        Squared cosine between sample and population eigenvectors, 0 when undetected.
    shrunk : ndarray of shape (k,)
        ``l * cos2``: the Frobenius-optimal signal eigenvalue (Donoho, Gavish & Johnstone
        2018, "Optimal shrinkage of eigenvalues in the spiked covariance model", Ann.
        Stat. 46:1742).

    Notes
    -----
    With ``gamma = p / n``, a spike ``l > sqrt(gamma)`` shows as a sample eigenvalue
    ``(1 + l)(1 + gamma / l)`` above the bulk edge ``(1 + sqrt(gamma))^2`` (Baik &
    Silverstein 2006, J. Multivar. Anal. 97:1382), with ``cos2 = (1 - gamma / l^2) /
    (1 + gamma / l)`` (Paul 2007, Stat. Sinica 17:1617). An eigenvalue counts as a spike
    when it exceeds the Tracy-Widom centring of the largest noise eigenvalue plus three of
    its scales (Johnstone 2001, Ann. Stat. 29:295).
    """
    lam = np.asarray(eigvals, dtype=float)
    gamma = n_features / n_samples
    root_n, root_p = np.sqrt(n_samples), np.sqrt(n_features)
    centre = (root_n + root_p) ** 2
    scale = (root_n + root_p) * (1 / root_n + 1 / root_p) ** (1 / 3)
    detected = lam > (centre + 3 * scale) / n_samples
    b = lam - 1 - gamma
    spike = np.where(detected, (b + np.sqrt(np.clip(b**2 - 4 * gamma, 0, None))) / 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos2 = np.where(detected, (1 - gamma / spike**2) / (1 + gamma / spike), 0.0)
    cos2 = np.clip(np.nan_to_num(cos2), 0.0, 1.0)
    return spike, cos2, spike * cos2


def assign_directions(grams, null, structures, n_modalities, n_samples, dims=None, threshold=2.0):
    """Split a latent basis between structures, from the specific ones to the global one.

    Parameters
    ----------
    grams : ndarray of shape (n_modalities, k, k)
        ``L_m^T L_m`` for each modality's rows ``L_m`` of the loadings ``L`` (p, k) of an
        unstructured fit whose columns are uncorrelated latent directions.
    null : ndarray of shape (n_modalities, k, k)
        Energy that estimation noise alone puts on each modality's rows, per direction.
    structures : list of tuple of int
        Modality indices of each structure.
    n_modalities : int
    n_samples : int
        Degrees of freedom of the covariance the basis comes from.
    dims : list of int or None
        Largest number of directions per structure; None for no limit.
    threshold : float, default=2.0
        A direction joins structure ``s`` when its energy on the modalities outside ``s``
        is below ``threshold`` times the noise energy expected there: the part of
        ``null`` on those modalities plus, for the finite-sample correlations between
        latents, ``1 / n_samples`` times the energy all directions have there.

    Returns
    -------
    bases : list of ndarray of shape (k, k_s)
        Orthonormal directions of each structure (``k_s`` may be 0), mutually orthogonal.

    Notes
    -----
    Structures are visited from the smallest subset up; each takes, among the directions
    not yet assigned, those whose energy outside it is smallest relative to the noise
    (a generalised eigenproblem). In the noiseless model the loadings of ``s`` vanish
    outside ``s``, so the specific blocks are found first and each larger structure is
    what is left once its subsets are removed.
    """
    k = grams.shape[1]
    order = sorted(range(len(structures)), key=lambda i: len(structures[i]))
    remaining = np.eye(k)
    bases = [np.zeros((k, 0)) for _ in structures]
    for i in order:
        outside = [m for m in range(n_modalities) if m not in structures[i]]
        width = remaining.shape[1]
        if width == 0:
            continue
        if outside:
            gram_out = grams[outside].sum(axis=0)
            energy = remaining.T @ gram_out @ remaining
            # Estimation noise plus the leak through sample correlations of the latents,
            # of order 1/n times the energy every direction has outside s.
            noise = remaining.T @ null[outside].sum(axis=0) @ remaining
            noise += np.trace(gram_out) / n_samples * np.eye(width)
            ridge = 1e-12 * max(np.trace(noise), np.trace(energy), np.finfo(float).tiny)
            ratio, vecs = linalg.eigh(energy, noise + ridge * np.eye(width))
            n_take = int(np.sum(ratio < threshold))
        else:  # a structure holding every modality has nothing outside it
            vecs = np.eye(width)
            n_take = width
        if dims is not None:
            n_take = min(n_take, dims[i])
        if n_take == 0:
            continue
        chosen = np.linalg.qr(remaining @ vecs[:, :n_take])[0]
        bases[i] = chosen
        remaining = remaining @ linalg.null_space(chosen.T @ remaining)
    return bases


def _masked_objective(L, target_factor):
    """``||L L^T - T T^T||_F^2 / 2`` from k x k Gram matrices (never a p x p one)."""
    ltl = L.T @ L
    cross = target_factor.T @ L
    ttt = target_factor.T @ target_factor
    return 0.5 * (np.sum(ltl**2) - 2 * np.sum(cross**2) + np.sum(ttt**2))


def refine_masked(L, mask, blocks, target_factor, *, lr=0.5, max_iter=500, tol=1e-7):
    """Fit block-sparse loadings to a low-rank covariance by scaled gradient descent.

    Minimises ``||L L^T - T T^T||_F^2 / 2`` over ``L`` with ``L[~mask] = 0``. Each step
    multiplies the masked gradient of a block of columns by ``(L_s^T L_s)^{-1}``, the
    scaled gradient descent of Tong, Ma & Chi (2021, "Accelerating ill-conditioned
    low-rank matrix estimation via scaled gradient descent", JMLR 22:150), per block so
    that the zero pattern is kept. The step size stays at ``lr`` (it is halved only
    within a step whose objective would rise, then restored).

    Parameters
    ----------
    L : ndarray of shape (p, k)
        Starting loadings, zero where ``mask`` is False.
    mask : ndarray of bool, shape (p, k)
        Which loadings may be nonzero.
    blocks : list of slice
        Column blocks (structures) that share a preconditioner.
    target_factor : ndarray of shape (p, r)
        ``T`` with target covariance ``T T^T``.
    lr : float, default=0.5
    max_iter : int, default=500
    tol : float, default=1e-7
        Stop when an iteration lowers the objective by less than ``tol`` times its value.

    Returns
    -------
    L : ndarray of shape (p, k)
    n_iter : int
    objective : float
    """
    L = L * mask
    value = _masked_objective(L, target_factor)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        grad = 2 * (L @ (L.T @ L) - target_factor @ (target_factor.T @ L)) * mask
        step = np.zeros_like(L)
        for cols in blocks:
            Lb = L[:, cols]
            if Lb.shape[1] == 0:
                continue
            gram = Lb.T @ Lb
            ridge = 1e-10 * max(np.trace(gram), np.finfo(float).tiny)
            step[:, cols] = np.linalg.solve(gram + ridge * np.eye(len(gram)), grad[:, cols].T).T
        rate = lr
        while True:
            candidate = L - rate * step
            new_value = _masked_objective(candidate, target_factor)
            if new_value <= value or rate < lr * 2**-20:
                break
            rate /= 2
        decrease = value - new_value
        if new_value <= value:
            L, value = candidate, new_value
        if decrease <= tol * max(value, np.finfo(float).tiny):
            break
    return L, n_iter, float(value)


def _canonical_block(B):
    """Rotate a block to its principal axes, strongest first, largest entry positive."""
    if B.shape[1] == 0 or not np.any(B):
        return B
    u, s, _ = np.linalg.svd(B, full_matrices=False)
    B = u * s
    signs = np.sign(B[np.argmax(np.abs(B), axis=0), np.arange(B.shape[1])])
    return B * np.where(signs == 0, 1.0, signs)


def loading_recovery_error(true_loadings, est_loadings):
    """Frobenius error of every loading product, within and across modalities.

    For each structure ``s`` and modalities ``m, m'`` of ``s`` the error is
    ``||W_{m,s} W_{m',s}^T - What_{m,s} What_{m',s}^T||_F``: invariant to any rotation of
    the latent inside a block, so no alignment to the truth is needed. ``m == m'`` gives
    the block's own covariance, ``m != m'`` the cross-modality covariance it produces.
    A structure missing from one side counts as zero loadings there (a pruned true
    structure costs its whole size, a spurious one its own).

    Parameters
    ----------
    true_loadings, est_loadings : dict of (str, str) to ndarray of shape (n_features_m, dim)
        ``(modality, structure)`` -> loading matrix, as in ``make_multimodal_gaussian``
        and ``LinearHCL.loadings_``. Dimensions of a structure may differ between sides.

    Returns
    -------
    errors : pandas.DataFrame
        One row per (structure, modality, modality2) with columns ``structure``,
        ``modality``, ``modality2``, ``kind`` (``"within"`` or ``"cross"``), ``size``
        (number of modalities of the structure), ``error`` and ``norm`` (Frobenius norm of
        the true product, the error of estimating zero).
    """
    for name, value in (("true_loadings", true_loadings), ("est_loadings", est_loadings)):
        if not isinstance(value, Mapping):
            raise TypeError(
                f"{name} must be a dict of (modality, structure) -> array, got "
                f"{type(value).__name__}; pass e.g. LinearHCL().fit(X).loadings_."
            )
    members = {}
    for modality, struct in [*true_loadings, *est_loadings]:
        members.setdefault(struct, set()).add(modality)
    sizes = {}
    for (modality, _), W in [*true_loadings.items(), *est_loadings.items()]:
        size = np.shape(W)[0]
        if sizes.setdefault(modality, size) != size:
            raise ValueError(
                f"Loadings of modality {modality!r} have {size} rows in one place and "
                f"{sizes[modality]} in another; both sides must describe the same features."
            )

    def block(loadings, modality, struct):
        W = loadings.get((modality, struct))
        return np.zeros((sizes[modality], 0)) if W is None else np.asarray(W, dtype=float)

    rows = []
    for struct, mods in members.items():
        for a, b in itertools.combinations_with_replacement(sorted(mods), 2):
            true = block(true_loadings, a, struct) @ block(true_loadings, b, struct).T
            est = block(est_loadings, a, struct) @ block(est_loadings, b, struct).T
            rows.append(
                {
                    "structure": struct,
                    "modality": a,
                    "modality2": b,
                    "kind": "within" if a == b else "cross",
                    "size": len(struct.split("+")),
                    "error": float(np.linalg.norm(true - est)),
                    "norm": float(np.linalg.norm(true)),
                }
            )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------- estimator


class LinearHCL(TransformerMixin, BaseEstimator):
    """Linear hierarchical model: global, partial and modality-specific loadings.

    Fits the linear view of Hierarchical Contrastive Learning (HCL, arXiv stat.ML 2026),
    ``x_m = sum over structures s containing m of W_{m,s} z_s + noise``, where a structure
    is a subset of modalities (all of them: global; two or more: partial; one: specific)
    with its own uncorrelated latents. The loadings are estimated from the covariance of
    the data (see the module docstring for the steps): noise-debiased and whitened per
    modality, spikes shrunk to their Frobenius-optimal size, the latent space split
    between structures from the specific ones up, each shared block estimated jointly over
    its modalities. Structures that the data do not support are pruned (structural
    sparsity). The estimator is equivariant to rescaling a modality, so no standardisation
    is needed.

    Parameters
    ----------
    n_components : int, dict or None, default=None
        Dimension of each structure's latent: one int for all, or a mapping from structure
        (name such as ``"eeg+fnirs"`` or tuple of modality names) to int. It is an upper
        bound: directions the data cannot support are left at zero. None: as many as the
        data support. A structure's size may not exceed the number of features of its
        smallest modality, and a bool is refused.
    structure : "auto", "hierarchical" or list, default="auto"
        Which subsets of modalities may carry latents. ``"hierarchical"``: every non-empty
        subset; a list: those subsets (names ``"m0+m1"`` or tuples of modality names).
        ``"auto"``: every subset, and those that hold no direction are pruned (listed in
        ``pruned_structures_``). With ``n_components=None`` empty structures are pruned
        whatever ``structure`` is; with an int or a mapping and an explicit structure,
        every structure is kept at its full width (zero columns where undetected).
    method : {"covariance", "gradient"}, default="covariance"
        ``"covariance"``: the spectral estimate, each block read from the joint basis and
        set to zero outside its modalities. ``"gradient"``: then refined by masked, scaled
        gradient descent on the covariance-fitting objective.
    modalities : mapping, list of int, int or None, default=None
        Only for a single array: how to split its columns into modalities (see
        :func:`skpid._multimodal.check_multimodal`). None splits the columns into two
        halves ``m0`` and ``m1``.
    threshold : float, default=2.0
        A direction belongs to a structure when its energy on the modalities outside it is
        below ``threshold`` times what estimation noise alone would put there. Larger
        values prune less.
    max_iter : int, default=500
        Iterations of the gradient refinement.
    tol : float, default=1e-7
        Relative decrease of the objective below which the refinement stops.
    random_state : int, RandomState instance or None, default=None
        Accepted for interchangeability with skpid's contrastive estimators; the fit is
        deterministic (eigen-decompositions and a fixed sign convention), so the result
        does not depend on it.

    Attributes
    ----------
    modalities_ : list of str
        Modality names, in input order.
    signature_ : dict of str to tuple
        Number of features of each modality seen in fit.
    mean_ : dict of str to ndarray of shape (n_features_m,)
    noise_var_ : dict of str to float
        Estimated noise variance of each modality.
    structures_ : list of str
        Kept structures, largest subsets first, in output order.
    pruned_structures_ : list of str
        Candidate structures that hold no direction.
    n_components_ : dict of str to int
        Width of each kept structure's block.
    component_slices_ : dict of str to slice
        Columns of each structure in the output of ``transform``.
    loadings_ : dict of (str, str) to ndarray of shape (n_features_m, n_components_[s])
        ``(modality, structure)`` -> ``W_{m,s}`` in the units of the input, for every
        modality of every kept structure; columns ordered by strength.
    components_ : ndarray of shape (n_components_total, n_features_total)
        All loadings, one row per output column, modalities side by side in input order.
    spikes_ : ndarray
        Shrunk signal eigenvalues of the whitened covariance (0 for undetected ones).
    n_iter_ : int
        Iterations of the gradient refinement (0 for ``method="covariance"``).
    n_features_in_ : int
        Number of columns when fitted on a single array.
    feature_names_in_ : ndarray of str
        Column names when fitted on a DataFrame.

    See Also
    --------
    loading_recovery_error : Frobenius error of the loading products against the truth.

    Notes
    -----
    A single 2-D array without ``modalities`` is read as two modalities, its first and
    second halves of columns. Time series must be turned into features first (e.g. with
    :mod:`skpid.features`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((2000, 2))  # a latent all three modalities share
    >>> X = {m: z @ rng.standard_normal((2, d)) + 0.5 * rng.standard_normal((2000, d))
    ...      for m, d in (("a", 8), ("b", 9), ("c", 10))}
    >>> hcl = LinearHCL(n_components=2).fit(X)
    >>> hcl.transform(X).shape[0]
    2000
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [None, Interval(Integral, 1, None, closed="left"), dict],
        "structure": [StrOptions({"auto", "hierarchical"}), list, tuple],
        "method": [StrOptions({"covariance", "gradient"})],
        "modalities": "no_validation",
        "threshold": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        structure="auto",
        method="covariance",
        modalities=None,
        threshold=2.0,
        max_iter=500,
        tol=1e-7,
        random_state=None,
    ):
        self.n_components = n_components
        self.structure = structure
        self.method = method
        self.modalities = modalities
        self.threshold = threshold
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- input -----------------------------------------------------------------------

    def _check_input(self, X, reset):
        reference = None if reset else self.signature_
        if isinstance(X, Mapping) and not issparse(X):  # a dok_matrix is a Mapping
            if self.modalities is not None:
                raise ValueError(
                    "modalities is only used to split a single array, but X is already a "
                    "mapping of modality name to array. Leave modalities=None."
                )
            data = check_multimodal(
                X, min_trials=2 if reset else 1, min_modalities=2, reference=reference
            )
        else:
            X = validate_data(
                self,
                X,
                reset=reset,
                dtype=[np.float64, np.float32],
                ensure_min_samples=2 if reset else 1,
                ensure_min_features=2 if reset else 1,
            )
            spec = 2 if self.modalities is None else self.modalities
            data = check_multimodal(
                X, modalities=spec, min_trials=1, min_modalities=2, reference=reference
            )
        for name, arr in data.items():
            if arr.ndim != 2:
                raise ValueError(
                    f"Modality {name!r} has shape {arr.shape}, but LinearHCL models "
                    "features, (n_trials, n_features). Extract features first (e.g. "
                    "skpid.features band power) or reshape with x.reshape(len(x), -1)."
                )
        for name, arr in data.items():
            # float32 stays float32: statistics are accumulated in float64 chunk by chunk
            spread = float(np.max(arr, initial=0.0)) - float(np.min(arr, initial=0.0))
            if spread > _SQUARE_SAFE:
                raise ValueError(
                    f"Modality {name!r} spans values up to {spread:.3g}, whose squares "
                    "overflow float64 in the covariance. Express it in a sensible unit "
                    "(e.g. divide by a power of ten) before LinearHCL."
                )
        return data

    def _dims(self, subsets, names):
        """Upper bound on each structure's width (None: no bound)."""
        if self.n_components is None:
            return None
        if not isinstance(self.n_components, dict):
            if isinstance(self.n_components, bool):
                raise ValueError(
                    f"n_components={self.n_components!r} is a bool; pass an int >= 1, a dict "
                    "of structure sizes, or None."
                )
            return [int(self.n_components)] * len(subsets)
        keys = {structure_name(s, names): i for i, s in enumerate(subsets)}
        dims = [None] * len(subsets)
        for key, value in self.n_components.items():
            members = key.split("+") if isinstance(key, str) else list(key)
            name = str(key)
            if all(m in names for m in members):
                name = structure_name(sorted({names.index(m) for m in members}), names)
            if name not in keys:
                raise ValueError(
                    f"n_components has an entry for {key!r}, which is not one of the "
                    f"structures {list(keys)}."
                )
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"n_components[{key!r}] must be a positive int, got {value!r}.")
            dims[keys[name]] = int(value)
        missing = [name for name, i in keys.items() if dims[i] is None]
        if missing:
            raise ValueError(
                f"n_components has no entry for the structures {missing}; give every "
                "structure a size, or pass one int for all."
            )
        return dims

    # -- fit -------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the noise, the structures and their loadings.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Modality name to ``(n_trials, n_features_m)``, at least two modalities and two
            trials; or one array ``(n_trials, n_features)`` split by ``modalities``.
        y : None
            Ignored.

        Returns
        -------
        self : LinearHCL
        """
        data = self._check_input(X, reset=True)
        names = list(data)
        subsets = candidate_structures(self.structure, names)
        dims = self._dims(subsets, names)
        if dims is not None:
            for s, d in zip(subsets, dims, strict=True):
                width = min(data[names[m]].shape[1] for m in s)
                if d > width:
                    raise ValueError(
                        f"n_components gives structure {structure_name(s, names)!r} {d} "
                        f"components, but its smallest modality has {width} features; a "
                        f"block cannot have more components than features. Use at most "
                        f"{width}, or n_components=None to let the data choose."
                    )
        n = next(iter(data.values())).shape[0]
        dof = max(n - 1, 1)

        self.modalities_ = names
        self.signature_ = {m: (a.shape[1],) for m, a in data.items()}
        self.mean_ = {m: a.mean(axis=0, dtype=np.float64) for m, a in data.items()}
        sizes = [data[m].shape[1] for m in names]
        bounds = np.cumsum([0, *sizes])
        rows = [slice(bounds[i], bounds[i + 1]) for i in range(len(names))]
        cov = np.zeros((bounds[-1], bounds[-1]))
        for lo in range(0, n, _CHUNK):  # float64 in chunks, no full copy of the input
            centred = self._centred(data, lo, lo + _CHUNK)
            cov += centred.T @ centred
        cov /= dof

        # 1. noise per modality, then whitening.
        known_rank = dims is not None and self.structure != "auto"
        noise = {}
        for i, m in enumerate(names):
            rank = (
                sum(d for s, d in zip(subsets, dims, strict=True) if i in s) if known_rank else None
            )
            noise[m] = noise_variance(cov[rows[i], rows[i]], dof, rank)
        scale = np.concatenate(
            [np.full(d, np.sqrt(noise[m])) for m, d in zip(names, sizes, strict=True)]
        )
        cov_w = cov / np.outer(scale, scale)

        # 2. spikes of the whitened joint covariance.
        p = cov_w.shape[0]
        n_keep = p if dims is None else min(p, sum(dims))
        eigvals, eigvecs = linalg.eigh(cov_w, subset_by_index=[p - n_keep, p - 1])
        eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
        _, cos2, shrunk = shrunk_spikes(eigvals, dof, p)
        detected = shrunk > 0
        basis = eigvecs[:, detected] * np.sqrt(shrunk[detected])

        # 3. split the detected directions between structures.
        grams = np.stack([basis[r].T @ basis[r] for r in rows])
        # Noise part of a shrunk direction: its energy times (1 - cos2), spread over p.
        leak = shrunk[detected] * (1 - cos2[detected])
        null = np.stack([np.diag(leak * (d / p)) for d in sizes])
        bases = assign_directions(grams, null, subsets, len(names), dof, dims, self.threshold)

        widths = [b.shape[1] for b in bases]
        if dims is not None and self.structure != "auto":
            widths = list(dims)
        elif dims is not None:
            widths = [d if b.shape[1] else 0 for b, d in zip(bases, dims, strict=True)]
        kept = [i for i, w in enumerate(widths) if w > 0]
        if not kept:
            raise ValueError(
                "No latent direction rises above the noise in these data (no eigenvalue of "
                "the noise-whitened covariance exceeds the Marchenko-Pastur edge), so every "
                "structure was pruned. Pass more trials, fewer noisy features, or fix the "
                "structure and n_components to keep blocks at their width."
            )

        L_blocks, masks = [], []
        for i in kept:
            block = basis @ bases[i]
            inside = np.zeros(p, dtype=bool)
            for m in subsets[i]:
                inside[rows[m]] = True
            block[~inside] = 0.0
            pad = widths[i] - block.shape[1]
            L_blocks.append(np.hstack([block, np.zeros((p, pad))]))
            masks.append(np.repeat(inside[:, None], widths[i], axis=1))
        L = np.hstack(L_blocks)
        col_bounds = np.cumsum([0, *(widths[i] for i in kept)])
        col_slices = [slice(col_bounds[j], col_bounds[j + 1]) for j in range(len(kept))]

        # 4. optional refinement on the shrunk covariance.
        self.n_iter_ = 0
        if self.method == "gradient" and basis.shape[1]:
            L, self.n_iter_, _ = refine_masked(
                L, np.hstack(masks), col_slices, basis, max_iter=self.max_iter, tol=self.tol
            )
        L = np.hstack([_canonical_block(L[:, cols]) for cols in col_slices])

        kept_names = [structure_name(subsets[i], names) for i in kept]
        self.structures_ = kept_names
        self.pruned_structures_ = [
            structure_name(s, names) for i, s in enumerate(subsets) if i not in kept
        ]
        self.n_components_ = {s: widths[i] for s, i in zip(kept_names, kept, strict=True)}
        self.component_slices_ = dict(zip(kept_names, col_slices, strict=True))
        self.noise_var_ = noise
        self.spikes_ = shrunk
        self._scale = scale
        self._whitened_loadings = L
        self.components_ = (L * scale[:, None]).T
        self.loadings_ = {
            (names[m], name): self.components_[cols, rows[m]].T.copy()
            for name, i, cols in zip(kept_names, kept, col_slices, strict=True)
            for m in subsets[i]
        }
        return self

    # -- outputs ---------------------------------------------------------------------

    def transform(self, X):
        """Posterior mean of every kept structure's latent, blocks side by side.

        ``E[z | x] = (I + L^T L)^{-1} L^T x_w`` with ``x_w`` the centred, noise-whitened
        input and ``L`` the whitened loadings: it uses every modality at once.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and numbers of features as in ``fit``.

        Returns
        -------
        Z : ndarray of shape (n_trials, n_components_total)
            Columns named by :meth:`get_feature_names_out`; see ``component_slices_``.
        """
        check_is_fitted(self)
        data = self._check_input(X, reset=False)
        L = self._whitened_loadings
        precision = np.eye(L.shape[1]) + L.T @ L
        n = next(iter(data.values())).shape[0]
        Z = np.empty((n, L.shape[1]))
        for lo in range(0, n, _CHUNK):
            xw = self._centred(data, lo, lo + _CHUNK) / self._scale
            Z[lo : lo + _CHUNK] = np.linalg.solve(precision, (xw @ L).T).T
        return Z

    def _centred(self, data, start, stop):
        """Trials ``start:stop`` of every modality, centred, side by side, in float64."""
        return np.hstack(
            [np.asarray(data[m][start:stop], dtype=np.float64) - self.mean_[m] for m in data]
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``<structure>_<i>``, e.g. ``"m0+m1_0"``.

        Parameters
        ----------
        input_features : array-like of str or None
            Only checked against the input columns when fitted on a single array.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if hasattr(self, "n_features_in_"):
            _check_feature_names_in(self, input_features)
        names = [f"{s}_{i}" for s, k in self.n_components_.items() for i in range(k)]
        return np.asarray(names, dtype=object)
