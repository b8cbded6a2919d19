"""Generic multimodal simulators whose ground truth is known.

Two generators, used to compare decomposition methods (FactorCL, CoMM, HCL, skpid's
PID decomposer) and to test PID estimators:

- :func:`make_multimodal_gaussian`: the hierarchical latent-variable model of HCL, with
  global, partial and modality-specific Gaussian latents mixed linearly (or through a fixed
  random nonlinear map) into each modality; true loadings and latents are returned.
- :func:`make_bitwise`: two modalities that embed a few known bits, with a target built
  from them (XOR, AND, OR, copy, ...) so that the partial information decomposition of the
  discrete content is known in closed form.
"""

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state
from skorch.helper import SliceDict

__all__ = ["make_bitwise", "make_multimodal_gaussian"]

_STRUCTURE_PRESETS = ("hierarchical", "shared_private")
_MIXINGS = ("linear", "nonlinear")


# --------------------------------------------------------------------------- checks


def _check_int(name, value, low):
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}).")
    if value < low:
        raise ValueError(f"{name}={value} is too small; pass an int >= {low}.")
    return int(value)


def _check_real(name, value, low, high=None, high_open=False):
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a float, got {value!r} ({type(value).__name__}).")
    if not np.isfinite(value):
        raise ValueError(f"{name}={value} is not finite; pass a finite float.")
    too_high = high is not None and (value >= high if high_open else value > high)
    if value < low or too_high:
        bound = "" if high is None else (f" and < {high}" if high_open else f" and <= {high}")
        raise ValueError(f"{name}={value} is out of range; pass a float >= {low}{bound}.")
    return float(value)


def _check_names(modality_names, n_modalities):
    if modality_names is None:
        return [f"m{i}" for i in range(n_modalities)]
    if isinstance(modality_names, str) or not isinstance(modality_names, Sequence):
        raise TypeError(
            f"modality_names must be a list of str, one per modality, got {modality_names!r}."
        )
    names = list(modality_names)
    if len(names) != n_modalities:
        raise ValueError(
            f"modality_names has {len(names)} entries but n_modalities={n_modalities}; pass "
            f"one name per modality (or n_modalities={len(names)})."
        )
    for name in names:
        if not isinstance(name, str) or not name or "+" in name:
            raise ValueError(
                f"Modality name {name!r} is not allowed: names must be non-empty str without "
                "'+' ('+' joins modality names into structure names such as 'eeg+fnirs')."
            )
    if len(set(names)) != len(names):
        raise ValueError(f"modality_names must be unique, got {names}.")
    return names


def _resolve_subset(item, names):
    """Read one subset of modalities (name, 'a+b', index, or tuple of those) as indices."""
    if isinstance(item, str):
        members = item.split("+")
    elif isinstance(item, Integral) and not isinstance(item, bool):
        members = [item]
    elif isinstance(item, (tuple, list, set, frozenset)):
        members = list(item)
    else:
        raise TypeError(
            f"A structure must be a tuple of modality names or indices (or a name such as "
            f"'m0+m1'), got {item!r}."
        )
    if not members:
        raise ValueError("A structure must contain at least one modality; got an empty one.")
    idx = []
    for member in members:
        if isinstance(member, str) and member in names:
            idx.append(names.index(member))
        elif (
            isinstance(member, Integral)
            and not isinstance(member, bool)
            and 0 <= member < len(names)
        ):
            idx.append(int(member))
        else:
            raise ValueError(
                f"Structure {item!r} names modality {member!r}, which does not exist. Use "
                f"modality names {names} or indices 0..{len(names) - 1}."
            )
    if len(set(idx)) != len(idx):
        raise ValueError(f"Structure {item!r} lists the same modality twice.")
    return tuple(sorted(idx))


def _check_structures(structure, names):
    """Return the structures as a list of sorted index tuples, in a fixed order."""
    n_mod = len(names)
    if isinstance(structure, str):
        if structure == "hierarchical":
            sizes = range(n_mod, 0, -1)
            return [s for k in sizes for s in itertools.combinations(range(n_mod), k)]
        if structure == "shared_private":
            return [tuple(range(n_mod))] + [(m,) for m in range(n_mod)]
        raise ValueError(
            f"structure={structure!r} is unknown; pass one of {_STRUCTURE_PRESETS} or a list "
            "of modality subsets such as [('m0', 'm1'), ('m0',), ('m1',)]."
        )
    if not isinstance(structure, Sequence) or len(structure) == 0:
        raise TypeError(
            f"structure must be one of {_STRUCTURE_PRESETS} or a non-empty list of modality "
            f"subsets, got {structure!r}."
        )
    subsets = [_resolve_subset(item, names) for item in structure]
    repeated = [s for s, count in Counter(subsets).items() if count > 1]
    if repeated:
        raise ValueError(
            f"structure lists the subset {_structure_name(repeated[0], names)!r} more than "
            "once; give each subset once and set its size with latent_dim."
        )
    uncovered = [names[m] for m in range(n_mod) if not any(m in s for s in subsets)]
    if uncovered:
        raise ValueError(
            f"Modalities {uncovered} belong to no structure, so they would hold only noise. "
            f"Add them to a subset, e.g. a specific structure ({uncovered[0]!r},)."
        )
    return subsets


def _structure_name(subset, names):
    return "+".join(names[m] for m in subset)


def _per_modality(name, value, names):
    """An int, a list with one int per modality or a mapping name -> int."""
    if isinstance(value, Mapping):
        if set(value) != set(names):
            raise ValueError(
                f"{name} as a mapping must have one entry per modality {names}, got keys "
                f"{list(value)}."
            )
        values = [value[m] for m in names]
    elif np.ndim(value) == 1 and not isinstance(value, str):
        if len(value) != len(names):
            raise ValueError(
                f"{name} has {len(value)} entries but there are {len(names)} modalities; "
                "pass one int or one per modality."
            )
        values = list(value)
    else:
        values = [value] * len(names)
    return [
        _check_int(f"{name} of modality {m!r}", v, 1) for m, v in zip(names, values, strict=True)
    ]


def _per_structure(latent_dim, subsets, names):
    """An int, or a mapping subset -> int covering every structure."""
    if not isinstance(latent_dim, Mapping):
        dim = _check_int("latent_dim", latent_dim, 1)
        return [dim] * len(subsets)
    dims = {}
    for key, value in latent_dim.items():
        subset = _resolve_subset(key, names)
        if subset not in subsets:
            raise ValueError(
                f"latent_dim has an entry for {key!r}, which is not one of the structures "
                f"{[_structure_name(s, names) for s in subsets]}."
            )
        dims[subset] = _check_int(f"latent_dim[{key!r}]", value, 1)
    missing = [_structure_name(s, names) for s in subsets if s not in dims]
    if missing:
        raise ValueError(
            f"latent_dim is a mapping without an entry for the structures {missing}; give a "
            "dimension for every structure, or pass one int for all."
        )
    return [dims[s] for s in subsets]


def _check_labels(labels, subsets, names):
    """Return ``"all"`` or the list of structure indices whose labels are XOR-ed into y."""
    if labels is None:
        everything = tuple(range(len(names)))
        return [subsets.index(everything) if everything in subsets else 0]
    if isinstance(labels, str) and labels == "all":
        return "all"
    items = labels if isinstance(labels, list) else [labels]
    if not items:
        raise ValueError("labels is an empty list; name at least one structure, or 'all'.")
    chosen = []
    for item in items:
        if isinstance(item, str) and item == "global":
            item = tuple(range(len(names)))
            if item not in subsets:
                raise ValueError(
                    "labels='global' needs a structure shared by all modalities, but "
                    "structure has none. Name one of the structures "
                    f"{[_structure_name(s, names) for s in subsets]} instead."
                )
        subset = _resolve_subset(item, names)
        if subset not in subsets:
            raise ValueError(
                f"labels names {item!r}, which is not one of the structures "
                f"{[_structure_name(s, names) for s in subsets]}; pick one of them, a list of "
                "them (XOR of their labels) or 'all'."
            )
        chosen.append(subsets.index(subset))
    return chosen


# ------------------------------------------------------------------------ helpers


def _random_orthogonal(rng, n_rows, n_cols):
    """A random matrix with orthonormal columns (Haar measure), shape (n_rows, n_cols)."""
    q, r = np.linalg.qr(rng.standard_normal((n_rows, n_cols)))
    return q * np.sign(np.diag(r))


def _entropy(outcomes, probabilities):
    """Shannon entropy in bits of the distribution of ``outcomes`` (hashables)."""
    mass = Counter()
    for outcome, p in zip(outcomes, probabilities, strict=True):
        mass[outcome] += p
    p = np.array([m for m in mass.values() if m > 0])
    return float(-np.sum(p * np.log2(p)))


def _mutual_info(a, b, probabilities):
    """I(A;B) in bits of a discrete joint distribution listed outcome by outcome."""
    joint = list(zip(a, b, strict=True))
    return _entropy(a, probabilities) + _entropy(b, probabilities) - _entropy(joint, probabilities)


def _binary_entropy(p):
    return float(-p * np.log2(p) - (1 - p) * np.log2(1 - p))


# -------------------------------------------------------------- hierarchical Gaussian


def make_multimodal_gaussian(
    n_samples=1000,
    *,
    n_modalities=3,
    n_features=20,
    structure="hierarchical",
    latent_dim=2,
    mixing="linear",
    noise=0.1,
    labels=None,
    latent_correlation=0.0,
    modality_names=None,
    random_state=None,
):
    """Multimodal data from global, partial and modality-specific Gaussian latents.

    The hierarchical latent-variable model of Hierarchical Contrastive Learning (HCL,
    "Hierarchical Contrastive Learning for Multimodal Data", arXiv stat.ML 2026): each
    structure ``s`` is a subset of modalities with its own latent ``z_s ~ N(0, I)``, and

        x_m = sum over structures s containing m of  W_{m,s} z_s  +  noise,

    so a latent drives exactly the modalities of its subset. Subsets of all modalities are
    *global*, proper subsets of two or more *partial*, single modalities *specific*.
    HCL proves identifiability of this decomposition when the latents are uncorrelated;
    ``latent_correlation`` breaks that assumption on purpose.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples (trials).
    n_modalities : int, default=3
        Number of modalities ``M`` (at least 2).
    n_features : int, list of int or dict of str to int, default=20
        Number of features of each modality (one int for all, or one per modality).
    structure : {"hierarchical", "shared_private"} or list of subsets, default="hierarchical"
        Which latent structures exist. ``"hierarchical"``: every non-empty subset of
        modalities (1 global, every partial subset, ``M`` specific: ``2**M - 1`` in all).
        ``"shared_private"``: the global structure and one specific per modality (the
        binary shared/private view). A list gives the subsets explicitly, each a tuple of
        modality names or indices, or a name such as ``"m0+m1"``; every modality must
        belong to at least one subset.
    latent_dim : int or dict, default=2
        Dimension of each structure's latent: one int for all, or a mapping from each
        structure (name such as ``"m0+m1"`` or tuple of modalities) to its dimension.
    mixing : {"linear", "nonlinear"}, default="linear"
        ``"linear"``: the model above (HCL's linear view). ``"nonlinear"``: each modality's
        linear mixture ``u_m`` passes through a fixed random two-layer tanh network,
        ``A2 @ tanh(A1 @ u_m)``, with random orthogonal ``A1`` and ``A2`` (seeded by
        ``random_state``). The map is invertible, so no latent information is lost, but
        it is no longer linear (HCL's deep view).
    noise : float, default=0.1
        Standard deviation of the isotropic Gaussian noise added to every feature after
        mixing. Each feature's loadings (over all latents that reach it) have unit norm,
        so every feature of the linear mixture has unit variance when the latents are
        uncorrelated and ``noise**2`` is the noise-to-signal ratio of the linear case.
    labels : str, tuple, list, "all" or None, default=None
        Which structure(s) define the target ``y``; None means the global structure when
        there is one, otherwise the first structure listed. Each structure has a binary label, the
        sign of a fixed random projection of its latent (balanced: the projection is
        symmetric about 0). A structure (name, tuple of modalities, or ``"global"`` for the
        subset of all modalities) gives its label; a list of structures gives the XOR of
        their labels; ``"all"`` gives every label, one column per structure.
    latent_correlation : float in [0, 1), default=0.0
        Correlation between every pair of latent coordinates (within and across
        structures): the latents are drawn with covariance ``(1 - rho) I + rho 11^T``.
        Zero satisfies HCL's identifiability assumption; positive values violate it.
    modality_names : list of str or None, default=None
        Names of the modalities; default ``["m0", "m1", ...]``. No ``"+"`` allowed.
    random_state : int, RandomState instance or None, default=None
        Seed. The model (loadings, label projections, nonlinear maps) is drawn first, so
        it does not depend on ``n_samples``.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        X : :class:`skorch.helper.SliceDict`
            Modality name -> float64 array of shape ``(n_samples, n_features_m)``.
        y : ndarray of int, shape (n_samples,) or (n_samples, n_structures)
            The target chosen by ``labels`` (2-D for ``labels="all"``).
        latents : dict of str to ndarray
            Structure name -> latent of shape ``(n_samples, latent_dim_s)``.
        factors : pandas.DataFrame of shape (n_samples, n_structures)
            One int (0/1) label column per structure, named by structure.
        loadings : dict of (str, str) to ndarray
            ``(modality, structure)`` -> true linear loading ``W`` of shape
            ``(n_features_m, latent_dim_s)``, for every modality in the structure (for
            ``mixing="nonlinear"``, the loadings of the linear stage).
        structures : list of str
            Structure names, modality names joined by ``"+"`` (e.g. ``"m0+m1+m2"``,
            ``"m0+m1"``, ``"m0"``), in the order of ``structure`` (for ``"hierarchical"``:
            largest subsets first).
        structure_types : dict of str to str
            Structure name -> ``"global"``, ``"partial"`` or ``"specific"``.
        modality_names : list of str
            Names of the modalities, in the order of ``X``.
        noise_var : float
            Variance of the additive noise, ``noise**2``.

    Raises
    ------
    ValueError, TypeError
        For out-of-range or malformed arguments, with the accepted values.

    Examples
    --------
    >>> from skpid.datasets._generic import make_multimodal_gaussian
    >>> data = make_multimodal_gaussian(200, n_features=[5, 6, 7], random_state=0)
    >>> data.structures
    ['m0+m1+m2', 'm0+m1', 'm0+m2', 'm1+m2', 'm0', 'm1', 'm2']
    >>> data.X["m2"].shape, data.loadings["m2", "m1+m2"].shape
    ((200, 7), (7, 2))
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_modalities = _check_int("n_modalities", n_modalities, 2)
    names = _check_names(modality_names, n_modalities)
    subsets = _check_structures(structure, names)
    feats = _per_modality("n_features", n_features, names)
    dims = _per_structure(latent_dim, subsets, names)
    if mixing not in _MIXINGS:
        raise ValueError(f"mixing={mixing!r} is unknown; pass one of {_MIXINGS}.")
    noise = _check_real("noise", noise, 0.0)
    rho = _check_real("latent_correlation", latent_correlation, 0.0, 1.0, high_open=True)
    target = _check_labels(labels, subsets, names)
    rng = check_random_state(random_state)
    struct_names = [_structure_name(s, names) for s in subsets]

    # The model first, so that it does not depend on n_samples.
    loadings = {
        (names[m], name): rng.standard_normal((feats[m], d))
        for s, name, d in zip(subsets, struct_names, dims, strict=True)
        for m in s
    }
    # Each feature's loading row (over all latents reaching it) gets unit norm, so every
    # feature of the linear mixture has unit variance when the latents are uncorrelated.
    for m in names:
        keys = [key for key in loadings if key[0] == m]
        row_norm = np.sqrt(sum(np.sum(loadings[key] ** 2, axis=1) for key in keys))
        for key in keys:
            loadings[key] /= row_norm[:, None]
    projections = [_random_orthogonal(rng, d, 1)[:, 0] for d in dims]
    # Drawn for both mixings, so one seed gives the same latents and loadings in both.
    layers = [(_random_orthogonal(rng, p, p), _random_orthogonal(rng, p, p)) for p in feats]

    # Equicorrelated latents: a shared component of variance rho in every coordinate.
    z_all = np.sqrt(1 - rho) * rng.standard_normal((n_samples, sum(dims)))
    z_all += np.sqrt(rho) * rng.standard_normal((n_samples, 1))
    latents = dict(zip(struct_names, np.split(z_all, np.cumsum(dims)[:-1], axis=1), strict=True))

    X = {}
    for m, modality in enumerate(names):
        u = np.zeros((n_samples, feats[m]))
        for s, name in zip(subsets, struct_names, strict=True):
            if m in s:
                u += latents[name] @ loadings[modality, name].T
        if mixing == "nonlinear":
            a1, a2 = layers[m]
            u = np.tanh(u @ a1.T) @ a2.T
        X[modality] = u + noise * rng.standard_normal((n_samples, feats[m]))

    factors = pd.DataFrame(
        {
            name: (latents[name] @ v > 0).astype(np.int64)
            for name, v in zip(struct_names, projections, strict=True)
        }
    )
    if target == "all":
        y = factors.to_numpy()
    else:
        y = np.bitwise_xor.reduce(factors.iloc[:, target].to_numpy(), axis=1)

    types = {
        name: "global" if len(s) == n_modalities else "specific" if len(s) == 1 else "partial"
        for s, name in zip(subsets, struct_names, strict=True)
    }
    return Bunch(
        X=SliceDict(**X),
        y=y,
        latents=latents,
        factors=factors,
        loadings=loadings,
        structures=struct_names,
        structure_types=types,
        modality_names=names,
        noise_var=noise**2,
    )


# ------------------------------------------------------------------------- bitwise


def _bits_xor(b):
    return {"b1": b[:, 0], "b2": b[:, 1]}, b[:, 0] ^ b[:, 1]


def _bits_and(b):
    return {"b1": b[:, 0], "b2": b[:, 1]}, b[:, 0] & b[:, 1]


def _bits_or(b):
    return {"b1": b[:, 0], "b2": b[:, 1]}, b[:, 0] | b[:, 1]


def _bits_unique(b):
    return {"b1": b[:, 0], "b2": b[:, 1]}, b[:, 0].copy()


def _bits_redundant(b):
    return {"b1": b[:, 0], "b2": b[:, 0].copy()}, b[:, 0].copy()


def _bits_unique_redundant(b):
    return {"r": b[:, 0], "u": b[:, 1]}, 2 * b[:, 0] + b[:, 1]


def _bits_copy(b):
    return {"b1": b[:, 0], "b2": b[:, 1]}, 2 * b[:, 0] + b[:, 1]


# kind -> (number of independent fair bits, bits and target from them, bits of x1, of x2)
_BITWISE = {
    "xor": (2, _bits_xor, ("b1",), ("b2",)),
    "and": (2, _bits_and, ("b1",), ("b2",)),
    "or": (2, _bits_or, ("b1",), ("b2",)),
    "unique": (2, _bits_unique, ("b1",), ("b2",)),
    "redundant": (1, _bits_redundant, ("b1",), ("b2",)),
    "unique_redundant": (2, _bits_unique_redundant, ("r", "u"), ("r",)),
    "copy": (2, _bits_copy, ("b1",), ("b2",)),
}


def _bitwise_pid(kind):
    """True BROJA PID (bits) of (bits of x1, bits of x2; y) for fair independent bits.

    XOR, AND/OR, UNQ, RDN and COPY are the examples of Bertschinger et al. (2014),
    "Quantifying unique information", Entropy 16:2161-2183 (also Griffith & Koch 2014,
    "Quantifying synergistic mutual information"): XOR is 1 bit of synergy; AND (and OR,
    its mirror under negation) has R = I(b1;y) = h(1/4) - 1/2 = 0.311, S = 1/2, U = 0;
    UNQ has U1 = 1; RDN has R = 1; COPY of two independent bits has U1 = U2 = 1, R = 0.
    For unique_redundant, y = (r, u) determines x2 = r and x1 = (r, u) determines y, so
    the only distribution with P's (x1, y) and (x2, y) marginals is P itself; BROJA's
    U1 = I(y;x1|x2) = 1 and U2 = I(y;x2|x1) = 0 then give R = I(x2;y) - U2 = 1, S = 0.
    """
    r_and = _binary_entropy(0.25) - 0.5
    table = {
        "xor": (0.0, 0.0, 0.0, 1.0),
        "and": (r_and, 0.0, 0.0, 0.5),
        "or": (r_and, 0.0, 0.0, 0.5),
        "unique": (0.0, 1.0, 0.0, 0.0),
        "redundant": (1.0, 0.0, 0.0, 0.0),
        "unique_redundant": (1.0, 1.0, 0.0, 0.0),
        "copy": (0.0, 1.0, 1.0, 0.0),
    }
    return dict(zip(("R", "U1", "U2", "S"), table[kind], strict=True))


def _bitwise_mutual_info(kind):
    """I(x1;y), I(x2;y), I(x1,x2;y) in bits, exact, by enumerating the fair bits."""
    n_free, build, seen1, seen2 = _BITWISE[kind]
    free = np.array(list(itertools.product((0, 1), repeat=n_free)))
    bits, y = build(free)
    p = np.full(len(free), 1 / len(free))
    s1 = list(zip(*(bits[b] for b in seen1), strict=True))
    s2 = list(zip(*(bits[b] for b in seen2), strict=True))
    y = y.tolist()
    return {
        "I(x1;y)": _mutual_info(s1, y, p),
        "I(x2;y)": _mutual_info(s2, y, p),
        "I(x1,x2;y)": _mutual_info(list(zip(s1, s2, strict=True)), y, p),
    }


#: kind -> {factor label column: bit column} in the R / U_<modality> / S convention: bits
#: both modalities see are R, bits one sees are U_x1 / U_x2, a purely synergistic target
#: is S (AND/OR mix redundancy and synergy, so their target is no factor of its own).
_BITWISE_FACTORS = {
    "xor": {"U_x1": "b1", "U_x2": "b2", "S": "y"},
    "and": {"U_x1": "b1", "U_x2": "b2"},
    "or": {"U_x1": "b1", "U_x2": "b2"},
    "unique": {"U_x1": "b1", "U_x2": "b2"},
    "redundant": {"R": "b1"},
    "unique_redundant": {"R": "r", "U_x1": "u"},
    "copy": {"U_x1": "b1", "U_x2": "b2"},
}


def make_bitwise(
    n_samples=1000, *, kind="xor", n_features=8, noise=0.1, n_groups=1, random_state=None
):
    """Two modalities embedding known bits, with a target of known PID.

    Fair independent bits are drawn; modality ``x1`` sees some of them, ``x2`` others, and
    the target ``y`` is a logical function of them, so the partial information
    decomposition (PID) of the discrete content is known exactly. Each modality embeds
    its bits and one nuisance bit of its own (independent of everything) along fixed
    random orthonormal directions of ``n_features`` dimensions, coded ±1, plus Gaussian
    noise: ``x = sum_k (2 b_k - 1) d_k + noise * N(0, I)``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    kind : str, default="xor"
        Which content (R, U1, U2, S in bits, under BROJA):

        - ``"xor"``: y = b1 XOR b2, x1 sees b1, x2 sees b2. Pure synergy, S = 1.
        - ``"and"``: y = b1 AND b2. R = 0.311, S = 0.5, U1 = U2 = 0.
        - ``"or"``: y = b1 OR b2, the mirror of AND; same values.
        - ``"unique"``: y = b1 (b2 is irrelevant). U1 = 1.
        - ``"redundant"``: b1 = b2 = y, both modalities see the same bit. R = 1.
        - ``"unique_redundant"``: bits r and u, x1 sees both, x2 sees r only, y = (r, u)
          coded ``2 r + u``. R = 1, U1 = 1.
        - ``"copy"``: y = (b1, b2) coded ``2 b1 + b2``. U1 = U2 = 1.
    n_features : int, default=8
        Dimension of each modality; at least the number of bits it embeds plus one
        (nuisance).
    noise : float, default=0.1
        Standard deviation of the Gaussian noise on every feature (the bits have
        amplitude 1 along their directions).
    n_groups : int, default=1
        Number of groups: contiguous, near-equal blocks of samples named in ``groups``
        (labels only; the data do not depend on it), for group-wise cross-validation.
    random_state : int, RandomState instance or None, default=None
        Seed; the embedding directions are drawn first, so they do not depend on
        ``n_samples``.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        X : :class:`skorch.helper.SliceDict`
            ``"x1"`` and ``"x2"``, float64 arrays of shape ``(n_samples, n_features)``.
        y : ndarray of int, shape (n_samples,)
            The target, in 0..1 (one-bit targets) or 0..3 (two-bit targets).
        bits : pandas.DataFrame
            The int bits: ``b1, b2`` (``r, u`` for unique_redundant), and the nuisance bits
            ``n1`` (in x1) and ``n2`` (in x2).
        sources : dict of str to list of str
            Which bit columns each modality embeds (nuisance excluded).
        pid : dict of str to float
            True ``"R"``, ``"U1"``, ``"U2"``, ``"S"`` in bits of the BROJA PID of
            (bits of x1, bits of x2; y) for fair independent bits (Bertschinger et al.,
            2014, Entropy 16:2161).
        mutual_info : dict of str to float
            ``"I(x1;y)"``, ``"I(x2;y)"``, ``"I(x1,x2;y)"`` in bits, computed exactly from
            the discrete variables (the noiseless content of each modality).
        factors : pandas.DataFrame
            The bits as ground-truth factors: ``R`` (a bit both modalities see), ``U_x1``
            / ``U_x2`` (bits one modality sees), ``S`` (the target, for ``"xor"``, the
            only purely synergistic kind), whichever exist for ``kind``; the nuisance
            bits ``N_x1`` and ``N_x2``, and ``subject`` (the group).
        groups : ndarray of int, shape (n_samples,)
            Group of every sample (see ``n_groups``).
        info : dict
            Per modality ``{"kind": "tabular", "n_features", "sfreq": None, "tmin":
            None}``, ``task`` (``"bitwise_<kind>"``), ``params`` and, for ``"xor"``,
            ``synergy_parts`` (``{"x1": "U_x1", "x2": "U_x2"}``, the factor columns that
            ``S`` is built from).
        description : str
            Text describing the simulation.

    Raises
    ------
    ValueError, TypeError
        For an unknown ``kind`` or out-of-range arguments.

    Examples
    --------
    >>> from skpid.datasets._generic import make_bitwise
    >>> data = make_bitwise(100, kind="and", random_state=0)
    >>> round(data.pid["R"], 3), data.pid["S"], data.X["x1"].shape
    (0.311, 0.5, (100, 8))
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    if kind not in _BITWISE:
        raise ValueError(f"kind={kind!r} is unknown; pass one of {list(_BITWISE)}.")
    n_free, build, seen1, seen2 = _BITWISE[kind]
    needed = max(len(seen1), len(seen2)) + 1
    n_features = _check_int("n_features", n_features, 1)
    if n_features < needed:
        raise ValueError(
            f"n_features={n_features} is too small for kind={kind!r}: a modality embeds up to "
            f"{needed} bits (nuisance included) along orthogonal directions. Pass "
            f"n_features >= {needed}."
        )
    noise = _check_real("noise", noise, 0.0)
    n_groups = _check_int("n_groups", n_groups, 1)
    if n_groups > n_samples:
        raise ValueError(
            f"n_groups={n_groups} exceeds n_samples={n_samples}; every group needs at least "
            "one sample. Pass n_groups <= n_samples."
        )
    params = dict(
        n_samples=n_samples,
        kind=kind,
        n_features=n_features,
        noise=noise,
        n_groups=n_groups,
        random_state=random_state,
    )
    rng = check_random_state(random_state)

    directions = [_random_orthogonal(rng, n_features, len(s) + 1) for s in (seen1, seen2)]
    free = rng.randint(0, 2, size=(n_samples, n_free))
    bits, y = build(free)
    bits["n1"], bits["n2"] = rng.randint(0, 2, size=(2, n_samples))

    X = {}
    for j, (seen, d) in enumerate(zip((seen1, seen2), directions, strict=True), start=1):
        coded = 2.0 * np.column_stack([bits[b] for b in (*seen, f"n{j}")]) - 1.0
        X[f"x{j}"] = coded @ d.T + noise * rng.standard_normal((n_samples, n_features))

    y = np.asarray(y, dtype=np.int64)
    bits = pd.DataFrame({k: np.asarray(v, dtype=np.int64) for k, v in bits.items()})
    groups = np.arange(n_samples) * n_groups // n_samples
    columns = {"y": y, **bits}
    factors = pd.DataFrame(
        {
            **{label: columns[bit] for label, bit in _BITWISE_FACTORS[kind].items()},
            "N_x1": bits["n1"],
            "N_x2": bits["n2"],
            "subject": groups,
        }
    )
    info = {
        m: {"kind": "tabular", "n_features": n_features, "sfreq": None, "tmin": None}
        for m in ("x1", "x2")
    }
    info.update(task=f"bitwise_{kind}", params=params)
    if kind == "xor":
        info["synergy_parts"] = {"x1": "U_x1", "x2": "U_x2"}
    placed = ", ".join(f"{label} = {bit}" for label, bit in _BITWISE_FACTORS[kind].items())
    return Bunch(
        X=SliceDict(**X),
        y=y,
        bits=bits,
        sources={"x1": list(seen1), "x2": list(seen2)},
        pid=_bitwise_pid(kind),
        mutual_info=_bitwise_mutual_info(kind),
        factors=factors,
        groups=groups,
        info=info,
        description=(
            f"make_bitwise(kind={kind!r}): fair bits embedded along fixed orthonormal "
            f"directions (x1 sees {list(seen1)}, x2 sees {list(seen2)}), a nuisance bit "
            f"per modality, Gaussian noise. Factors: {placed}."
        ),
    )
