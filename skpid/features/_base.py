"""Checks shared by the feature transformers that read epochs ``(n_trials, n_channels, n_times)``.

The transformers take one modality at a time. A 2-D array ``(n_trials, n_times)`` is read
as epochs of a single channel, so that scikit-learn's generic estimator checks (which pass
2-D arrays) exercise the same code path as real 3-D epochs.
"""

from collections.abc import Mapping
from numbers import Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

__all__ = [
    "EpochsTransformer",
    "channel_names",
    "check_ch_names",
    "check_sfreq",
    "validate_epochs",
]


class EpochsTransformer(TransformerMixin, BaseEstimator):
    """Base of the transformers of one modality's epochs: tags them as taking 3-D input."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def check_sfreq(sfreq, name="sfreq", owner="the transformer"):
    """Return ``sfreq`` as a float; raise a ValueError/TypeError saying how to fix a bad one."""
    if sfreq is None:
        raise ValueError(
            f"{name} is missing: {owner} needs the sampling rate in Hz. Pass {name}=<Hz>, "
            "e.g. epochs.info['sfreq']."
        )
    if isinstance(sfreq, bool) or not isinstance(sfreq, Real):
        raise TypeError(
            f"{name} must be a number of Hz, got {type(sfreq).__name__}. Pass {name}=<Hz>, "
            "e.g. epochs.info['sfreq']."
        )
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(
            f"{name}={sfreq} is not a valid sampling rate; pass a positive number of Hz, "
            "e.g. epochs.info['sfreq']."
        )
    return float(sfreq)


def validate_epochs(estimator, X, *, reset, min_times=2):
    """Validate one modality's epochs and return them as a 3-D float array.

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_`` (the size of axis 1: channels, or time samples for
        2-D input), ``is_3d_``, ``n_channels_`` and ``n_times_`` when ``reset`` is True.
    X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
        Epochs; a 2-D array is one channel.
    reset : bool
        True in ``fit``; False in ``transform``, where the shape must match fit.
    min_times : int, default=2
        Fewest time samples an epoch may have.

    Returns
    -------
    X : ndarray of shape (n_trials, n_channels, n_times)
    """
    cls = type(estimator).__name__
    if isinstance(X, Mapping) and not issparse(X):  # scipy's dok_matrix is a dict
        raise TypeError(
            f"{cls} takes the array of one modality, (n_trials, n_channels, n_times), but got "
            "a mapping of modalities. Route each modality to its transformer with "
            f"skpid.compose.ModalityTransformer({{'eeg': {cls}(...)}})."
        )
    try:
        X = validate_data(estimator, X, reset=reset, allow_nd=True, dtype=[np.float64, np.float32])
    except ValueError as exc:
        if not str(exc).startswith("X has "):
            raise
        raise ValueError(
            f"{exc} Axis 1 holds the channels (or the time samples of 2-D input): pass the "
            "same channels as at fit time."
        ) from None
    if X.ndim > 3:
        raise ValueError(
            f"{cls} expects epochs of shape (n_trials, n_channels, n_times), got {X.ndim}-D "
            f"input of shape {X.shape}. Reshape to 3-D, e.g. merge extra axes into channels."
        )
    is_3d = X.ndim == 3
    X = X if is_3d else X[:, None, :]
    if X.shape[1] == 0:
        raise ValueError(
            f"{cls} got epochs of shape {X.shape}, with no channels. Pass at least one "
            "channel (check how the channels were selected)."
        )
    n_times = X.shape[-1]
    if reset:
        estimator.is_3d_ = is_3d
        estimator.n_channels_ = X.shape[1]
        estimator.n_times_ = n_times
    elif n_times != estimator.n_times_:
        raise ValueError(
            f"Epochs have {n_times} time samples but {estimator.n_times_} were seen in fit. "
            "Crop or resample epochs to the same length and sampling rate as at fit time."
        )
    if n_times < min_times:
        # "n feature(s)" is scikit-learn's wording for a too-short axis 1 of 2-D input.
        raise ValueError(
            f"Epochs have {n_times} time sample(s) (input shape {X.shape}: {n_times} "
            f"feature(s) along the time axis); {cls} needs at least {min_times}. Pass longer "
            "epochs."
        )
    return X.astype(np.float64, copy=False)


def check_ch_names(ch_names, n_channels, owner):
    """Return channel names as a list of str of length ``n_channels``, defaulting to ``ch{i}``."""
    if ch_names is None:
        return [f"ch{i}" for i in range(n_channels)]
    names = [ch_names] if isinstance(ch_names, str) else list(ch_names)
    if len(names) != n_channels or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"{owner} got ch_names with {len(names)} entries for {n_channels} channel(s). "
            "Pass one str per channel of axis 1 (e.g. epochs.ch_names), or ch_names=None."
        )
    return names


def channel_names(estimator, input_features):
    """Channel names for ``get_feature_names_out``.

    For 3-D input, ``input_features`` (if given) names the channels. For 2-D input (one
    channel), axis 1 holds time samples: ``input_features`` is only checked against them and
    the channel is named by ``ch_names`` or ``ch0``.
    """
    if input_features is not None:
        input_features = np.asarray(input_features, dtype=object)
        if input_features.ndim != 1 or len(input_features) != estimator.n_features_in_:
            raise ValueError(
                f"input_features should have length equal to number of features "
                f"({estimator.n_features_in_}), got {len(input_features)}. Pass one name per "
                "entry of axis 1 (channels), or None to use ch_names."
            )
        fitted_names = getattr(estimator, "feature_names_in_", None)
        if fitted_names is not None and not np.array_equal(fitted_names, input_features):
            raise ValueError(
                "input_features is not equal to feature_names_in_. Pass the names seen in "
                "fit, or input_features=None."
            )
        if estimator.is_3d_:
            return [str(f) for f in input_features]
    return list(estimator.ch_names_)
