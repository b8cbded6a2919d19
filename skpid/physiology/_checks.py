"""Input validation shared by the physiology functions."""

from numbers import Real

import numpy as np

_DIRECTIONS = ("increase", "decrease", "both")


def check_epochs(x, name, *, allow_2d=False):
    """Float array of shape (n_trials, n_channels, n_times) (or (n_trials, n_times))."""
    try:
        x = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}.") from exc
    if x.dtype.kind not in "fiu" or x.dtype == bool:
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}.")
    if allow_2d and x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3:
        shape = "(n_trials, n_channels, n_times)" + (" or (n_trials, n_times)" if allow_2d else "")
        raise ValueError(f"{name} must have shape {shape}, got {x.shape}.")
    if min(x.shape) == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}).")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf; interpolate or drop those samples.")
    return x


def check_positive(name, value):
    if not isinstance(value, Real) or isinstance(value, bool) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}.")
    return float(value)


def check_real(name, value):
    if not isinstance(value, Real) or isinstance(value, bool) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    return float(value)


def check_direction(direction):
    if direction not in _DIRECTIONS:
        raise ValueError(
            f"direction must be one of {_DIRECTIONS} (synchronisation, desynchronisation, "
            f"either), got {direction!r}."
        )
    return direction


def check_range(name, value, *, lower=None):
    """``(lo, hi)`` of finite reals with lo < hi (and lo >= lower)."""
    if (
        not isinstance(value, (tuple, list, np.ndarray))
        or len(value) != 2
        or not all(isinstance(v, Real) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be (low, high), got {value!r}.")
    lo, hi = float(value[0]), float(value[1])
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise ValueError(f"{name} = ({lo:g}, {hi:g}) needs finite low < high.")
    if lower is not None and lo < lower:
        raise ValueError(f"{name} = ({lo:g}, {hi:g}) must start at {lower:g} or later.")
    return lo, hi
