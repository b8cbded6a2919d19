"""Read the blocks of a decomposition from whatever form a user holds them in.

A decomposition's output reaches inspection as one of:

- a mapping ``{block: (n_trials, n_components)}`` (``PIDDecomposer.decompose(X)``);
- a DataFrame whose columns are named ``<block><index>`` (``transform`` with
  ``set_output(transform="pandas")``, names as ``get_feature_names_out``);
- a 2-D array with ``blocks={name: columns}`` (``component_slices_``), or without, as one
  block named ``"all"``.
"""

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["as_blocks", "check_target"]

_NAME = re.compile(r"^(.*?)(\d+)$")


def _as_2d(name, value):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Block {name!r} holds non-numeric values; pass float arrays.") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(
            f"Block {name!r} has shape {arr.shape}; expected (n_trials, n_components)."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"Block {name!r} contains NaN or infinite values; drop those trials first."
        )
    return arr


def _prefix_blocks(columns):
    """Group DataFrame columns such as ``R0, R1, U_eeg0`` into ``{"R": [...], ...}``."""
    groups = {}
    for i, col in enumerate(columns):
        match = _NAME.match(str(col))
        groups.setdefault(match.group(1) if match else str(col), []).append(i)
    return groups


def _columns(name, spec, n_columns):
    if isinstance(spec, slice):
        idx = np.arange(n_columns)[spec]
    else:
        idx = np.atleast_1d(np.asarray(spec))
        if idx.dtype == bool:
            if idx.shape != (n_columns,):
                raise ValueError(
                    f"Boolean mask of block {name!r} has {idx.size} entries for {n_columns} "
                    "columns of Z; pass one entry per column."
                )
            idx = np.flatnonzero(idx)
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(
                f"blocks[{name!r}] must be a slice, integer column indices or a boolean mask, "
                f"got {spec!r}."
            )
        if idx.size and (idx.min() < -n_columns or idx.max() >= n_columns):
            raise ValueError(
                f"Columns of block {name!r} fall outside Z, which has {n_columns} columns."
            )
    if idx.size == 0:
        raise ValueError(f"Block {name!r} selects no column of Z; give it at least one.")
    return idx


def as_blocks(Z, blocks=None, *, min_trials=2):
    """Return ``{block name: float array (n_trials, n_components)}``.

    Parameters
    ----------
    Z : mapping of str to array-like, DataFrame or array-like of shape (n_trials, n_features)
        The decomposition's output (see the module docstring).
    blocks : dict of str to columns, list of str or None
        A dict maps block names to columns of a 2-D ``Z`` (slice, indices or mask, e.g.
        ``component_slices_``). A list picks blocks, by name, of a mapping or DataFrame.
        None takes every block (a plain array is one block named ``"all"``).
    min_trials : int, default=2

    Returns
    -------
    blocks : dict of str to ndarray
    """
    if isinstance(Z, Mapping):
        if isinstance(blocks, Mapping):
            raise TypeError(
                "Z is already a mapping of block name to array; pass blocks as a list of "
                "names to pick some of them, or blocks=None."
            )
        available = {str(k): _as_2d(k, v) for k, v in Z.items()}
    elif isinstance(Z, pd.DataFrame) and not isinstance(blocks, Mapping):
        values = _as_2d("Z", Z.to_numpy())
        available = {k: values[:, idx] for k, idx in _prefix_blocks(Z.columns).items()}
    else:
        values = _as_2d("Z", Z)
        if isinstance(blocks, Mapping):
            if not blocks:
                raise ValueError("blocks is an empty dict; name at least one block.")
            available = {
                str(k): values[:, _columns(k, v, values.shape[1])] for k, v in blocks.items()
            }
            blocks = None
        elif blocks is None:
            available = {"all": values}
        else:
            raise ValueError(
                "Z is a plain array, so its blocks are unnamed: pass blocks as a dict of name "
                "to columns (e.g. decomposer.component_slices_), Z as a DataFrame with named "
                "columns, or Z as a dict of blocks (decomposer.decompose(X))."
            )
    if not available:
        raise ValueError("Z holds no block; pass at least one.")
    if blocks is not None:
        wanted = [blocks] if isinstance(blocks, str) else [str(b) for b in blocks]
        unknown = [b for b in wanted if b not in available]
        if unknown or not wanted:
            raise ValueError(
                f"Unknown block(s) {unknown} in blocks={wanted}; Z has blocks "
                f"{list(available)}. Pick from those."
            )
        available = {b: available[b] for b in wanted}
    counts = {k: len(v) for k, v in available.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"Blocks have different numbers of trials: {counts}. Every block must hold the "
            "same trials in the same order."
        )
    n = next(iter(counts.values()))
    if n < min_trials:
        raise ValueError(f"Z has {n} trial(s); at least {min_trials} are needed.")
    return available


def check_target(values, n_trials, name="target"):
    """A numeric 1-D array with one value per trial, or a clear error."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per trial), got shape {arr.shape}.")
    if len(arr) != n_trials:
        raise ValueError(
            f"{name} has {len(arr)} values but Z has {n_trials} trials; pass one value per "
            "trial, in the same order."
        )
    return arr
