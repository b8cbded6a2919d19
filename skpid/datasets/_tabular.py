"""Paired tabular vectors whose redundant, unique and synergistic content is known.

Two modalities ``x1`` and ``x2``, each a fixed random two-layer tanh network of latent
codes (the construction of the ``bimodal_rus`` data the design notes compare against):

    h_m = concat(r, u_m, s_m, n_m),   x_m = W2_m tanh(W1_m h_m + c1_m) + c2_m + o_g + noise

with ``r`` shared by both modalities, ``u_m`` and the nuisance ``n_m`` seen by one only,
and ``s_m`` one modality's half of the synergistic factor. ``o_g`` is a small offset per
group (subject) of samples, so that held-out-group validation has something to transfer
across. Labels: ``R = 1[r . w_R > 0]``, ``U_m = 1[u_m . w_m > 0]``, and ``S`` built from
``s_1`` and ``s_2`` together:

- :func:`make_paired_xor`: ``s_m`` codes a bit ``b_m`` (``(2 b_m - 1) * bit_scale`` plus
  Gaussian jitter) and ``S = b1 XOR b2``;
- :func:`make_multiplicative`: ``s_m = z_m`` is a continuous standard normal latent and
  ``S = 1[z1 * z2 > threshold]`` (balanced for ``threshold = 0``), a multiplicative
  interaction whose sign no single modality knows.

Every label is independent of every other one and of everything a single modality holds
about the other's half, so ``S`` is pure synergy: I(x1; S) = I(x2; S) = 0.
"""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state
from skorch.helper import SliceDict

from ._generic import _check_int, _check_real

__all__ = ["make_multiplicative", "make_paired_xor"]

_NAMES = ("x1", "x2")


def _check_groups(n_groups, n_samples):
    n_groups = _check_int("n_groups", n_groups, 1)
    if n_groups > n_samples:
        raise ValueError(
            f"n_groups={n_groups} exceeds n_samples={n_samples}; every group needs at least "
            "one sample. Pass n_groups <= n_samples."
        )
    return n_groups


def _unit(rng, dim):
    v = rng.standard_normal(dim)
    return v / np.linalg.norm(v)


def _paired(
    n_samples,
    n_features,
    n_groups,
    latent_dim,
    nuisance_dim,
    noise,
    group_shift,
    random_state,
    synergy_code,
):
    """Shared body of the two makers; ``synergy_code(rng, n)`` returns (s1, s2, S, cols)."""
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    n_groups = _check_groups(n_groups, n_samples)
    latent_dim = _check_int("latent_dim", latent_dim, 1)
    nuisance_dim = _check_int("nuisance_dim", nuisance_dim, 0)
    noise = _check_real("noise", noise, 0.0)
    group_shift = _check_real("group_shift", group_shift, 0.0)
    rng = check_random_state(random_state)
    n_in = 2 * latent_dim + 1 + nuisance_dim

    # The model first, so that it does not depend on n_samples or n_groups.
    w_r, w_1, w_2 = (_unit(rng, latent_dim) for _ in range(3))
    mlps = [
        (
            rng.standard_normal((n_in, n_features)) / np.sqrt(n_in),
            0.1 * rng.standard_normal(n_features),
            rng.standard_normal((n_features, n_features)) / np.sqrt(n_features),
            0.1 * rng.standard_normal(n_features),
        )
        for _ in _NAMES
    ]
    offsets = group_shift * rng.standard_normal((2, n_groups, n_features))

    r = rng.standard_normal((n_samples, latent_dim))
    u = [rng.standard_normal((n_samples, latent_dim)) for _ in _NAMES]
    nuisance = [rng.standard_normal((n_samples, nuisance_dim)) for _ in _NAMES]
    s1, s2, target, extra = synergy_code(rng, n_samples)
    groups = np.arange(n_samples) * n_groups // n_samples  # contiguous, near-equal blocks

    X = {}
    for m, name in enumerate(_NAMES):
        h = np.column_stack([r, u[m], (s1, s2)[m], nuisance[m]])
        w1, c1, w2, c2 = mlps[m]
        x = np.tanh(h @ w1 + c1) @ w2 + c2 + offsets[m, groups]
        X[name] = x + noise * rng.standard_normal(x.shape)

    factors = pd.DataFrame(
        {
            "R": (r @ w_r > 0).astype(np.int64),
            "U_x1": (u[0] @ w_1 > 0).astype(np.int64),
            "U_x2": (u[1] @ w_2 > 0).astype(np.int64),
            "S": target.astype(np.int64),
            "subject": groups,
            **extra,
            "r_score": r @ w_r,
            "u1_score": u[0] @ w_1,
            "u2_score": u[1] @ w_2,
        }
    )
    info = {
        name: {"kind": "tabular", "n_features": n_features, "sfreq": None, "tmin": None}
        for name in _NAMES
    }
    latents = {"r": r, "u1": u[0], "u2": u[1], "n1": nuisance[0], "n2": nuisance[1]}
    return Bunch(
        X=SliceDict(**X),
        factors=factors,
        y=factors["S"].to_numpy(),
        groups=groups,
        info=info,
        latents=latents,
        weights={"w_R": w_r, "w_U_x1": w_1, "w_U_x2": w_2, "mlp_x1": mlps[0], "mlp_x2": mlps[1]},
    )


def _finish(data, task, params, parts, description):
    data.info.update(task=task, params=params, synergy_parts=parts)
    data.description = description
    return data


def make_paired_xor(
    n_samples=1000,
    *,
    n_features=100,
    n_groups=10,
    latent_dim=4,
    nuisance_dim=4,
    bit_scale=1.5,
    bit_noise=0.3,
    noise=0.1,
    group_shift=0.1,
    random_state=None,
):
    """Paired vectors with redundant, unique and XOR-synergistic content.

    Each modality ``x_m`` (``m`` = 1, 2) is a fixed random two-layer tanh network of
    ``concat(r, u_m, s_m, n_m)``: the shared latent ``r``, its own latent ``u_m``, its
    bit code ``s_m = (2 b_m - 1) * bit_scale + bit_noise * N(0, 1)`` and its nuisance
    ``n_m`` (all latents standard normal, bits fair). Weights of layer ``k`` are
    ``N(0, 1 / fan_in)`` and biases ``N(0, 0.01)``; the hidden layer has ``n_features``
    units. A per-group offset ``N(0, group_shift**2)`` per feature and isotropic noise
    ``N(0, noise**2)`` are added. With the defaults this is the model of the
    ``bimodal_rus`` data.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=100
        Dimension of each modality.
    n_groups : int, default=10
        Number of groups (subjects): contiguous, near-equal blocks of samples, each with
        its own small offset. ``groups`` gives the block of every sample.
    latent_dim : int, default=4
        Dimension of ``r``, ``u1`` and ``u2``.
    nuisance_dim : int, default=4
        Dimension of each nuisance latent (0 for none).
    bit_scale : float, default=1.5
        Amplitude of the coded bits.
    bit_noise : float, default=0.3
        Standard deviation of the jitter on the coded bits.
    noise : float, default=0.1
        Standard deviation of the additive noise on every feature.
    group_shift : float, default=0.1
        Standard deviation of the per-group offset of every feature.
    random_state : int, RandomState instance or None, default=None
        Seed. The model (label directions, networks, group offsets) is drawn first.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        X : :class:`skorch.helper.SliceDict`
            ``"x1"``, ``"x2"``: float64 arrays of shape ``(n_samples, n_features)``.
        factors : pandas.DataFrame, shape (n_samples, n_columns)
            Int labels ``R``, ``U_x1``, ``U_x2``, ``S`` (= ``b1 XOR b2``), ``b1``, ``b2``,
            ``subject``, and continuous ``s1``, ``s2`` (the coded bits), ``r_score``,
            ``u1_score``, ``u2_score`` (the projections the labels threshold).
        y : ndarray of int, shape (n_samples,)
            ``S``.
        groups : ndarray of int, shape (n_samples,)
            Group (subject) of every sample.
        info : dict
            Per modality ``{"kind": "tabular", "n_features", "sfreq": None, "tmin":
            None}``; ``task`` (``"paired_xor"``), ``params``, ``synergy_parts``
            (``{"x1": "b1", "x2": "b2"}``).
        latents : dict of str to ndarray
            ``r``, ``u1``, ``u2``, ``n1``, ``n2``.
        weights : dict
            Label directions and the two networks ``(W1, c1, W2, c2)``.
        description : str
            Text describing the simulation.

    Examples
    --------
    >>> from skpid.datasets import make_paired_xor
    >>> data = make_paired_xor(200, n_features=20, n_groups=4, random_state=0)
    >>> data.X["x1"].shape, list(data.factors)[:4]
    ((200, 20), ['R', 'U_x1', 'U_x2', 'S'])
    """
    params = dict(
        n_samples=n_samples,
        n_features=n_features,
        n_groups=n_groups,
        latent_dim=latent_dim,
        nuisance_dim=nuisance_dim,
        bit_scale=bit_scale,
        bit_noise=bit_noise,
        noise=noise,
        group_shift=group_shift,
        random_state=random_state,
    )
    bit_scale = _check_real("bit_scale", bit_scale, 0.0)
    bit_noise = _check_real("bit_noise", bit_noise, 0.0)

    def code(rng, n):
        b = rng.randint(0, 2, size=(2, n))
        s = (2.0 * b - 1.0) * bit_scale + bit_noise * rng.standard_normal((2, n))
        extra = {"b1": b[0], "b2": b[1], "s1": s[0], "s2": s[1]}
        return s[0], s[1], b[0] ^ b[1], extra

    data = _paired(
        n_samples,
        n_features,
        n_groups,
        latent_dim,
        nuisance_dim,
        noise,
        group_shift,
        random_state,
        code,
    )
    description = (
        "make_paired_xor: two modalities x1, x2, each a fixed random 2-layer tanh network "
        "of (r, u_m, s_m, n_m), plus a per-group offset and noise.\n"
        "R = 1[r.w_R > 0] (r in both); U_x1, U_x2 = 1[u_m.w_m > 0] (one modality each); "
        "S = b1 XOR b2 with the bit b_m coded in x_m only (pure synergy)."
    )
    return _finish(data, "paired_xor", params, {"x1": "b1", "x2": "b2"}, description)


def make_multiplicative(
    n_samples=1000,
    *,
    n_features=100,
    n_groups=10,
    latent_dim=4,
    nuisance_dim=4,
    synergy_scale=1.5,
    threshold=0.0,
    noise=0.1,
    group_shift=0.1,
    random_state=None,
):
    """Paired vectors whose synergistic label is a product of a latent of each modality.

    As :func:`make_paired_xor`, but the synergistic code of modality ``m`` is a
    continuous latent ``z_m ~ N(0, 1)`` entering its network as ``synergy_scale * z_m``,
    and ``S = 1[z1 * z2 > threshold]``. For ``threshold = 0`` the label is the agreement
    of the two signs, balanced and independent of each latent alone (z1 and z2 are
    symmetric about 0), so neither modality alone holds any information about ``S``;
    samples near ``z_m = 0`` sit on the boundary, so unlike coded bits there is no
    margin. A positive threshold makes ``S = 1`` rarer (``P(S = 1) < 1/2``) and keeps
    ``S`` synergistic only approximately: ``|z_m|`` alone then tells a little.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=100
        Dimension of each modality.
    n_groups : int, default=10
        Number of groups (subjects), contiguous blocks with their own small offset.
    latent_dim : int, default=4
        Dimension of ``r``, ``u1`` and ``u2``.
    nuisance_dim : int, default=4
        Dimension of each nuisance latent (0 for none).
    synergy_scale : float, default=1.5
        Gain of ``z_m`` at the network's input.
    threshold : float, default=0.0
        Threshold of the product (>= 0).
    noise : float, default=0.1
        Standard deviation of the additive noise on every feature.
    group_shift : float, default=0.1
        Standard deviation of the per-group offset of every feature.
    random_state : int, RandomState instance or None, default=None
        Seed. The model is drawn first.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        As :func:`make_paired_xor`, with ``factors`` holding continuous ``z1``, ``z2``
        and ``product`` (``z1 * z2``) instead of the bits; ``info["task"]`` is
        ``"multiplicative"`` and ``info["synergy_parts"]`` is ``{"x1": "z1", "x2": "z2"}``.

    Examples
    --------
    >>> from skpid.datasets import make_multiplicative
    >>> data = make_multiplicative(200, n_features=20, n_groups=4, random_state=0)
    >>> bool(((data.factors.z1 * data.factors.z2 > 0) == data.factors.S).all())
    True
    """
    params = dict(
        n_samples=n_samples,
        n_features=n_features,
        n_groups=n_groups,
        latent_dim=latent_dim,
        nuisance_dim=nuisance_dim,
        synergy_scale=synergy_scale,
        threshold=threshold,
        noise=noise,
        group_shift=group_shift,
        random_state=random_state,
    )
    synergy_scale = _check_real("synergy_scale", synergy_scale, 0.0)
    threshold = _check_real("threshold", threshold, 0.0)

    def code(rng, n):
        z = rng.standard_normal((2, n))
        extra = {"z1": z[0], "z2": z[1], "product": z[0] * z[1]}
        return synergy_scale * z[0], synergy_scale * z[1], z[0] * z[1] > threshold, extra

    data = _paired(
        n_samples,
        n_features,
        n_groups,
        latent_dim,
        nuisance_dim,
        noise,
        group_shift,
        random_state,
        code,
    )
    description = (
        "make_multiplicative: two modalities x1, x2, each a fixed random 2-layer tanh "
        "network of (r, u_m, z_m, n_m), plus a per-group offset and noise.\n"
        "R = 1[r.w_R > 0] (r in both); U_x1, U_x2 = 1[u_m.w_m > 0] (one modality each); "
        f"S = 1[z1 * z2 > {threshold:g}] with the continuous latent z_m in x_m only."
    )
    return _finish(data, "multiplicative", params, {"x1": "z1", "x2": "z2"}, description)
