"""Input checks shared by the PID estimators."""

import numpy as np

from .._multimodal import check_multimodal


def check_sources_target(x1, x2, y, *, names=("x1", "x2", "y"), min_samples=2):
    """Validate two sources and a target given as sample arrays.

    Parameters
    ----------
    x1, x2, y : array-like of shape (n_samples,) or (n_samples, n_features)
        Samples in rows. A 1-D array is one feature.
    names : tuple of str
        Names used in error messages.
    min_samples : int
        Smallest acceptable number of samples.

    Returns
    -------
    arrays : tuple of three ndarray of shape (n_samples, n_features_i)
        Float64 arrays, 1-D inputs turned into one column.
    """
    arrays = {}
    for name, value in zip(names, (x1, x2, y), strict=True):
        if value is None:
            raise TypeError(f"{name} is None; pass an array of shape (n_samples, n_features).")
        arr = np.asarray(value) if not hasattr(value, "detach") else value
        ndim = getattr(arr, "ndim", None)
        if ndim == 1:
            arr = np.asarray(arr).reshape(-1, 1)
        elif ndim != 2:
            raise ValueError(
                f"{name} has shape {getattr(arr, 'shape', None)}; expected (n_samples,) or "
                "(n_samples, n_features). Flatten time series into features first "
                "(e.g. x.reshape(len(x), -1)) or summarise them (band power, HbO mean)."
            )
        arrays[name] = arr
    data = check_multimodal(arrays, min_trials=min_samples)
    return tuple(np.asarray(data[name], dtype=np.float64) for name in names)


def is_label_array(value):
    """True when ``value`` holds integer, boolean, string or categorical labels."""
    if hasattr(value, "dtype") and str(value.dtype) == "category":
        return True
    arr = np.asarray(value)
    return arr.dtype.kind in "biuUSO"
