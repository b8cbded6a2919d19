"""Partial information decomposition of jointly Gaussian sources and target.

Two definitions are offered, both in bits:

* ``"mmi"``: minimum mutual information, R = min(I(X1;Y), I(X2;Y)). Barrett (2015) showed
  that for Gaussian variables with a univariate target every PID of the Williams-Beer family
  whose redundancy depends only on the pairwise marginals reduces to it.
* ``"tilde"``: the ~-PID of Venkatesh & Schamberg (2022), the BROJA definition of
  Bertschinger et al. (2014) restricted to Gaussian distributions. The union information
  min_Q I_Q(Y; X1, X2), over Gaussians Q with the (X1, Y) and (X2, Y) marginals of P, sets
  the atoms. For a scalar target it equals MMI; for a vector target it separates unique
  information that MMI mislabels as redundancy plus synergy (two independent target
  components, one read by each source, give U1 and U2, not R and S).

References
----------
Barrett, A. B. (2015). Exploration of synergistic and redundant information sharing in
static and dynamical Gaussian systems. Physical Review E, 91, 052802.

Bertschinger, N., Rauh, J., Olbrich, E., Jost, J., & Ay, N. (2014). Quantifying unique
information. Entropy, 16(4), 2161-2183.

Venkatesh, P., & Schamberg, G. (2022). Partial information decomposition via deficiency
for multivariate Gaussians. IEEE ISIT, 2892-2897.

Venkatesh, P., Bennett, C., Gale, S., et al. (2023). Gaussian partial information
decomposition: bias correction and application to high-dimensional data. NeurIPS 36.

Misra, N., Singh, H., & Demchuk, E. (2005). Estimation of the entropy of a multivariate
normal distribution. Journal of Multivariate Analysis, 92(2), 324-342.

Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

Ince, R. A. A., et al. (2017). A statistical framework for neuroimaging data analysis based
on mutual information estimated via a Gaussian copula. Human Brain Mapping, 38, 1541-1573.
"""

from numbers import Integral

import numpy as np
from scipy import linalg, special, stats
from sklearn.utils import check_random_state

from ._atoms import atoms_from_union, union_bounds
from ._checks import check_sources_target

__all__ = ["gaussian_mi", "gaussian_pid", "logdet_bias", "union_information"]

_LN2 = np.log(2.0)
_MEASURES = ("tilde", "mmi")


def logdet_bias(dim, dof):
    """Expected excess of ``log det`` of a sample covariance over the true one (nats).

    For ``S = W / dof`` with ``W ~ Wishart(Sigma, dof)``,
    ``E[log det S] - log det Sigma = sum_{i=1}^{dim} psi((dof - i + 1) / 2) + dim log(2/dof)``
    (Goodman 1963; Misra, Singh & Demchuk 2005, eq. 2.2). With the sample mean removed,
    ``dof = n_samples - 1``.

    Parameters
    ----------
    dim : int
        Dimension of the covariance.
    dof : int
        Degrees of freedom of the sample covariance.

    Returns
    -------
    bias : float
        The expected excess, negative (the plug-in log-determinant is too small).
    """
    i = np.arange(1, dim + 1)
    return float(np.sum(special.digamma((dof - i + 1) / 2.0)) + dim * np.log(2.0 / dof))


def _logdet(cov):
    sign, value = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError(
            "A covariance matrix is singular (a feature is constant or a linear combination "
            "of others). Drop redundant features or reduce them with PCA before the PID."
        )
    return value


def gaussian_mi(cov, dx, *, n_samples=None):
    """Mutual information (bits) between the first ``dx`` and the other variables.

    Parameters
    ----------
    cov : ndarray of shape (dx + dy, dx + dy)
        Joint covariance of (X, Y).
    dx : int
        Number of X variables (the first ``dx`` rows/columns).
    n_samples : int or None
        When ``cov`` is a sample covariance of ``n_samples`` rows (mean removed), subtract
        the Wishart bias of each log-determinant (see :func:`logdet_bias`); ``None`` gives
        the plug-in value.

    Returns
    -------
    mi : float
        ``0.5 (log det Sxx + log det Syy - log det S) / log 2``, bias-corrected on request.
    """
    d = cov.shape[0]
    mi = 0.5 * (_logdet(cov[:dx, :dx]) + _logdet(cov[dx:, dx:]) - _logdet(cov))
    if n_samples is not None:
        dof = n_samples - 1
        mi -= 0.5 * (logdet_bias(dx, dof) + logdet_bias(d - dx, dof) - logdet_bias(d, dof))
    return mi / _LN2


def _inv_sqrt(cov):
    w, v = linalg.eigh(cov)
    return (v / np.sqrt(w)) @ v.T


def _canonical_gains(cov_x, cov_xy, cov_y_isqrt, tol):
    """Source directions that carry the target, in whitened coordinates.

    Returns ``G`` of shape (r, dy), the whitened cross-covariance of the ``r`` relevant
    source directions with the whitened target, and the canonical correlations ``s``.
    Source directions uncorrelated with Y can be left out of the union information: an
    independent extension of any feasible Q keeps its marginals and its I_Q(Y; X1, X2).
    """
    h = _inv_sqrt(cov_x) @ cov_xy @ cov_y_isqrt
    _, s, vt = linalg.svd(h, full_matrices=False)
    keep = s > tol
    s = np.minimum(s[keep], 1.0 - 1e-12)
    return s[:, None] * vt[keep], s


def _union_objective(psi, g1, g2):
    """0.5 log det(I + G^T M(psi)^-1 G) in nats, and its gradient in psi.

    ``M(psi) = [[I, psi], [psi^T, I]]`` is the noise correlation of the two sources under
    Q once each noise is whitened; ``G = [g1; g2]`` are the whitened noise-to-signal gains.
    """
    r1, r2 = psi.shape
    m = np.eye(r1 + r2)
    m[:r1, r1:] = psi
    m[r1:, :r1] = psi.T
    g = np.vstack([g1, g2])
    m_plus = m + g @ g.T
    value = 0.5 * (np.linalg.slogdet(m_plus)[1] - np.linalg.slogdet(m)[1])
    b = np.linalg.inv(m_plus) - np.linalg.inv(m)
    return value, b[:r1, r1:]


def _project_contraction(psi, margin=1e-9):
    u, s, vt = np.linalg.svd(psi, full_matrices=False)
    return (u * np.minimum(s, 1.0 - margin)) @ vt


def union_information(cov, d1, d2, *, tol=1e-9, max_iter=1000):
    """Gaussian union information min_Q I_Q(Y; X1, X2) in bits (the ~-PID's core).

    Q ranges over Gaussians with the (X1, Y) and (X2, Y) covariances of ``cov``; the free
    part is the correlation of the two sources' noises given Y, a contraction ``psi``,
    found by projected gradient descent with Armijo backtracking.

    Parameters
    ----------
    cov : ndarray of shape (d1 + d2 + dy, d1 + d2 + dy)
        Joint covariance of (X1, X2, Y), in that order.
    d1, d2 : int
        Dimensions of X1 and X2.
    tol : float
        Canonical correlations below this are treated as zero, and the descent stops when
        an iteration improves the objective by less than this (nats).
    max_iter : int
        Largest number of descent iterations.

    Returns
    -------
    union : float
        The union information in bits.
    """
    i1, i2, iy = slice(0, d1), slice(d1, d1 + d2), slice(d1 + d2, None)
    cy_isqrt = _inv_sqrt(cov[iy, iy])
    h1, s1 = _canonical_gains(cov[i1, i1], cov[i1, iy], cy_isqrt, tol)
    h2, s2 = _canonical_gains(cov[i2, i2], cov[i2, iy], cy_isqrt, tol)
    if len(s1) == 0 or len(s2) == 0:  # one source says nothing: union is the other's MI
        s = s1 if len(s2) == 0 else s2
        return float(-0.5 * np.sum(np.log1p(-(s**2))) / _LN2)
    # X_i = H_i Y + N_i with Cov(N_i) = I - H_i H_i^T = diag(1 - s_i^2): whiten the noise.
    g1 = h1 / np.sqrt(1.0 - s1**2)[:, None]
    g2 = h2 / np.sqrt(1.0 - s2**2)[:, None]
    psi = np.zeros((len(s1), len(s2)))
    value, grad = _union_objective(psi, g1, g2)
    step = 1.0
    for _ in range(max_iter):
        while True:
            candidate = _project_contraction(psi - step * grad)
            new_value, new_grad = _union_objective(candidate, g1, g2)
            decrease = value - new_value
            if decrease >= 1e-4 * np.sum((candidate - psi) ** 2) / step or step < 1e-12:
                break
            step *= 0.5
        if not np.isfinite(new_value) or decrease < 0:
            break
        psi, value, grad = candidate, new_value, new_grad
        step *= 2.0
        if decrease < tol:
            break
    return float(value / _LN2)


def _copula_normal(x):
    """Gaussian-copula transform of each column (Ince et al. 2017): ranks to N(0, 1)."""
    ranks = stats.rankdata(x, axis=0)
    return stats.norm.ppf(ranks / (x.shape[0] + 1.0))


def gaussian_pid(
    X1,
    X2,
    Y,
    *,
    measure="tilde",
    bias_correction=True,
    n_bootstrap=30,
    copula=False,
    random_state=None,
):
    """Partial information decomposition of Gaussian sources about a Gaussian target.

    Parameters
    ----------
    X1 : array-like of shape (n_samples,) or (n_samples, d1)
        First source (e.g. EEG features).
    X2 : array-like of shape (n_samples,) or (n_samples, d2)
        Second source (e.g. fNIRS features).
    Y : array-like of shape (n_samples,) or (n_samples, dy)
        Continuous target.
    measure : {"tilde", "mmi"}, default="tilde"
        ``"tilde"``: the Gaussian BROJA / ~-PID (Venkatesh & Schamberg 2022), well behaved
        for vector targets. ``"mmi"``: minimum mutual information (Barrett 2015).
    bias_correction : bool, default=True
        Remove the finite-sample bias. The mutual informations are corrected exactly (for
        Gaussian data) by the Wishart expectation of each log-determinant of the sample
        covariance (:func:`logdet_bias`; Misra et al. 2005, as in Ince et al. 2017). The
        union information of ``"tilde"`` has no closed-form bias; its bias is estimated by
        a parametric bootstrap (Efron & Tibshirani 1993, ch. 10): ``n_bootstrap`` sample
        covariances drawn from ``Wishart(S / (n - 1), n - 1)`` around the sample covariance
        ``S``, then subtracted, and the result kept within the union's bounds
        ``[max(I1, I2), min(I1 + I2, I12)]``. ``"mmi"`` needs no bootstrap.
    n_bootstrap : int, default=30
        Number of bootstrap covariances for the union information's bias.
    copula : bool, default=False
        Gaussian-copula transform of every column first (Ince et al. 2017): a lower bound
        on the information for non-Gaussian marginals, robust to outliers.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap; the same value gives the same result.

    Returns
    -------
    pid : dict of str to float
        ``R``, ``U1``, ``U2``, ``S`` (bits), which sum to ``I12``; ``I1 = I(X1;Y)``,
        ``I2 = I(X2;Y)``, ``I12 = I(X1,X2;Y)``, ``union`` (``R + U1 + U2``) and
        ``n_samples``.

    Raises
    ------
    ValueError
        For unequal sample counts, non-finite values, too few samples for the dimension,
        singular covariances or an unknown ``measure``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpid.metrics import gaussian_pid
    >>> rng = np.random.default_rng(0)
    >>> x1, x2 = rng.standard_normal((2, 2000, 1))
    >>> pid = gaussian_pid(x1, x2, x1 + 0.3 * rng.standard_normal((2000, 1)), random_state=0)
    >>> round(pid["U1"], 1) > 1.5, abs(pid["U2"]) < 0.05  # unique to source 1
    (True, True)
    """
    if measure not in _MEASURES:
        raise ValueError(f"measure={measure!r} is not known; use one of {list(_MEASURES)}.")
    if not isinstance(n_bootstrap, Integral) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap={n_bootstrap!r} must be a positive int (e.g. 30).")
    x1, x2, y = check_sources_target(X1, X2, Y, names=("X1", "X2", "Y"))
    n = x1.shape[0]
    d1, d2, dy = x1.shape[1], x2.shape[1], y.shape[1]
    if n <= d1 + d2 + dy + 1:
        raise ValueError(
            f"{n} samples for {d1 + d2 + dy} dimensions: the sample covariance is singular. "
            "Pass more samples than dimensions (ideally many more) or reduce the features "
            "(e.g. PCA) first."
        )
    data = np.hstack([x1, x2, y])
    if copula:
        data = _copula_normal(data)
    # Information is invariant to each variable's scale: dividing by each column's peak
    # deviation keeps values near 1e200 from overflowing when squared.
    data = data - data.mean(axis=0)
    peak = np.max(np.abs(data), axis=0)
    data = data / np.where(peak > 0, peak, 1.0)
    cov = np.atleast_2d(np.cov(data, rowvar=False))
    mi = _mutual_informations(cov, d1, d2, n_samples=n if bias_correction else None)
    low, high = union_bounds(mi)
    if measure == "mmi":
        mi["union"] = low
    else:
        union = union_information(cov, d1, d2)
        if bias_correction:
            rng = check_random_state(random_state)
            draws = stats.wishart(df=n - 1, scale=cov / (n - 1)).rvs(n_bootstrap, random_state=rng)
            draws = draws.reshape(n_bootstrap, *cov.shape)
            bias = np.mean([union_information(c, d1, d2) for c in draws]) - union
            union -= bias
        mi["union"] = min(max(union, low), high)
    return atoms_from_union(mi) | {"n_samples": n}


def _mutual_informations(cov, d1, d2, n_samples=None):
    """I(X1;Y), I(X2;Y), I(X1,X2;Y) in bits from the joint covariance of (X1, X2, Y)."""
    d = cov.shape[0]
    i1 = np.r_[0:d1, d1 + d2 : d]
    i2 = np.r_[d1:d]
    return {
        "I1": gaussian_mi(cov[np.ix_(i1, i1)], d1, n_samples=n_samples),
        "I2": gaussian_mi(cov[np.ix_(i2, i2)], d2, n_samples=n_samples),
        "I12": gaussian_mi(cov, d1 + d2, n_samples=n_samples),
    }
