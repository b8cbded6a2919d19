"""fNIRS haemodynamic features: mean, slope, peak, time-to-peak and area per time window.

Mean and slope of HbO/HbR in time windows are the standard features of fNIRS BCIs (e.g.
Shin et al., IEEE TNSRE 25(10):1735-1745, 2017); peak, time-to-peak and area describe the
shape of the haemodynamic response. On activation HbO rises and HbR falls, so the "peak" of
an HbR channel is its minimum (Scholkmann et al., NeuroImage 85:6-27, 2014).
"""

from numbers import Real
from typing import ClassVar

import numpy as np
from scipy.integrate import trapezoid
from sklearn.utils.validation import check_is_fitted

from ._base import (
    EpochsTransformer,
    channel_names,
    check_ch_names,
    check_sfreq,
    validate_epochs,
)

__all__ = ["FEATURES", "HemodynamicFeatures", "hemodynamic_features", "window_slices"]

#: Features computed per channel and window, in output order.
FEATURES = ("mean", "slope", "peak", "time_to_peak", "area")
_CHROMOPHORES = ("hbo", "hbr")
_TOL = 1e-6  # in samples: absorbs float error of (time - tmin) * sfreq


def window_slices(windows, n_times, sfreq, tmin=0.0):
    """Sample slices of time windows ``[start, stop)`` in seconds.

    Parameters
    ----------
    windows : sequence of (float, float) or None
        Windows in seconds on the epoch's time axis (``tmin`` is the time of the first
        sample, 0 the stimulus onset). None gives one window over the whole epoch.
    n_times : int
        Epoch length in samples.
    sfreq : float
        Sampling rate in Hz.
    tmin : float, default=0.0
        Time of the first sample in seconds.

    Returns
    -------
    windows : list of (float, float)
    slices : list of slice
        Samples with ``start <= tmin + i / sfreq < stop``.
    """
    end = tmin + n_times / sfreq
    if windows is None:
        windows = [(tmin, end)]
    try:
        windows = [(float(a), float(b)) for a, b in windows]
    except (TypeError, ValueError):
        raise TypeError(
            f"windows must be a list of (start, stop) pairs in seconds, got {windows!r}. Pass "
            "e.g. windows=[(0, 5), (5, 10)], or None for the whole epoch."
        ) from None
    if not windows:
        raise ValueError("windows is empty; pass at least one (start, stop) pair in seconds.")
    slices = []
    for start, stop in windows:
        if not start < stop:
            raise ValueError(
                f"Window ({start:g}, {stop:g}) s is empty or reversed; pass start < stop."
            )
        if start < tmin - _TOL / sfreq or stop > end + _TOL / sfreq:
            raise ValueError(
                f"Window ({start:g}, {stop:g}) s lies outside the epoch, which spans "
                f"{tmin:g} to {end:g} s ({n_times} samples at {sfreq:g} Hz from tmin={tmin:g}). "
                "Pass windows inside the epoch, or set tmin to the time of the first sample "
                "(e.g. epochs.tmin)."
            )
        i0 = int(np.ceil((start - tmin) * sfreq - _TOL))
        i1 = int(np.ceil((stop - tmin) * sfreq - _TOL))
        if i1 - i0 < 2:
            raise ValueError(
                f"Window ({start:g}, {stop:g}) s holds {max(i1 - i0, 0)} sample(s) at "
                f"{sfreq:g} Hz; slopes need at least 2. Widen the window."
            )
        slices.append(slice(i0, i1))
    return windows, slices


def hemodynamic_features(x, sfreq, windows=None, *, tmin=0.0, features=FEATURES, sign=None):
    """Shape features of haemodynamic time courses per time window.

    Parameters
    ----------
    x : ndarray of shape (n_trials, n_channels, n_times)
        Concentration changes (HbO, HbR or other signals).
    sfreq : float
        Sampling rate in Hz.
    windows : sequence of (float, float) or None
        Windows ``[start, stop)`` in seconds (see :func:`window_slices`).
    tmin : float, default=0.0
        Time of the first sample in seconds.
    features : sequence of str, default=FEATURES
        Any of ``"mean"``, ``"slope"`` (least-squares, units per second), ``"peak"``
        (maximum, or minimum where ``sign`` is -1), ``"time_to_peak"`` (time of the peak in
        seconds on the epoch's axis, 0 = onset) and ``"area"`` (trapezoidal integral over
        the window's samples, units times seconds).
    sign : array-like of shape (n_channels,) or None
        +1 where the response is a rise (HbO), -1 where it is a fall (HbR). None: all +1.

    Returns
    -------
    feats : ndarray of shape (n_trials, n_channels, n_windows, n_features)
    """
    sfreq = check_sfreq(sfreq)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(
            f"x must be epochs (n_trials, n_channels, n_times), got shape {x.shape}. Add the "
            "missing axes, e.g. x[:, None, :] for one channel."
        )
    features = _check_features(features)
    _, slices = window_slices(windows, x.shape[-1], sfreq, tmin)
    sign = np.ones(x.shape[1]) if sign is None else np.asarray(sign, dtype=float)
    times = tmin + np.arange(x.shape[-1]) / sfreq
    out = np.empty((x.shape[0], x.shape[1], len(slices), len(features)))
    for w, sl in enumerate(slices):
        xw, tw = x[..., sl], times[sl]
        peak_idx = np.argmax(xw * sign[:, None], axis=-1)
        for f, name in enumerate(features):
            if name == "mean":
                value = xw.mean(axis=-1)
            elif name == "slope":
                value = _ls_slope(xw, tw)
            elif name == "peak":
                value = np.take_along_axis(xw, peak_idx[..., None], axis=-1)[..., 0]
            elif name == "time_to_peak":
                value = tw[peak_idx]
            else:  # area
                value = trapezoid(xw, dx=1.0 / sfreq, axis=-1)
            out[:, :, w, f] = value
    return out


def _ls_slope(x, t):
    tc = t - t.mean()
    return (x - x.mean(axis=-1, keepdims=True)) @ tc / (tc @ tc)


def _check_features(features):
    if features is None:
        return FEATURES
    features = (features,) if isinstance(features, str) else tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features:
        raise ValueError(
            f"Unknown haemodynamic feature(s) {unknown} in features={list(features)}; choose "
            f"from {list(FEATURES)}."
        )
    return features


def _infer_types(ch_names):
    """Channel types from mne fNIRS names such as ``'S1_D1 hbo'``, or None."""
    if ch_names is None:
        return None
    suffixes = [str(n).rsplit(" ", 1)[-1].lower() for n in ch_names]
    return suffixes if all(s in _CHROMOPHORES for s in suffixes) else None


def _check_ch_types(ch_types, n_channels):
    types = [ch_types] * n_channels if isinstance(ch_types, str) else list(ch_types)
    if len(types) != n_channels:
        raise ValueError(
            f"ch_types has {len(types)} entries for {n_channels} channel(s). Pass one type per "
            "channel (e.g. epochs.get_channel_types()) or one str for all."
        )
    bad = sorted({t for t in types if t not in _CHROMOPHORES}, key=str)
    if bad:
        hint = (
            "Convert raw intensities to haemoglobin first (mne.preprocessing.nirs."
            "optical_density then beer_lambert_law)"
            if any(str(t).startswith("fnirs") for t in bad)
            else "Keep only haemoglobin channels (epochs.pick(['hbo', 'hbr']))"
        )
        raise ValueError(
            f"HemodynamicFeatures takes channel types 'hbo' and 'hbr', got {bad}. {hint}; "
            "route other signals (e.g. EEG) to their own transformer with ModalityTransformer."
        )
    return types


class HemodynamicFeatures(EpochsTransformer):
    """Mean, slope, peak, time-to-peak and area of HbO/HbR per time window.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz. Required.
    windows : list of (float, float) or None
        Windows ``[start, stop)`` in seconds on the epoch's time axis; None gives one window
        over the whole epoch. Each must lie inside the epoch and hold at least 2 samples.
    tmin : float, default=0.0
        Time of the first sample in seconds (``epochs.tmin``), so windows and
        time-to-peak are relative to stimulus onset.
    features : list of str or None
        Subset of ``["mean", "slope", "peak", "time_to_peak", "area"]`` (None: all), see
        :func:`hemodynamic_features`.
    ch_types : list of str, str or None
        ``"hbo"``/``"hbr"`` per channel (``epochs.get_channel_types()``) or one for all. HbR
        peaks are minima. None infers types from ``ch_names`` ending in ``" hbo"``/``" hbr"``
        (mne's fNIRS naming), else treats every channel as a rise (peak = maximum).
    chromophores : list of str or None
        Keep only channels of these types, e.g. ``["hbo"]``; needs channel types. None
        keeps all channels.
    ch_names : list of str or None
        Channel names for feature names; None gives ``ch0``, ``ch1``, ...

    Attributes
    ----------
    sfreq_ : float
    windows_ : list of (float, float)
    features_ : tuple of str
    ch_names_ : list of str
        Names of the kept channels.
    ch_types_ : list of str or None
        Types of the kept channels.
    picks_ : ndarray of int
        Indices of the kept channels.
    n_features_in_, n_channels_, n_times_ : int
        Size of axis 1 and the epoch shape seen in fit (2-D input is one channel).
    is_3d_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(100) / 10
    >>> X = np.stack([t, -t])[None].repeat(2, axis=0)  # HbO rising, HbR falling
    >>> hf = HemodynamicFeatures(sfreq=10, windows=[(0, 5)], features=["slope", "peak"],
    ...                          ch_names=["S1_D1 hbo", "S1_D1 hbr"]).fit(X)
    >>> list(hf.get_feature_names_out())
    ['S1_D1 hbo_slope_0-5s', 'S1_D1 hbo_peak_0-5s', 'S1_D1 hbr_slope_0-5s', 'S1_D1 hbr_peak_0-5s']
    >>> hf.transform(X)[0].round(2)
    array([ 1. ,  4.9, -1. , -4.9])
    """

    _parameter_constraints: ClassVar[dict] = {
        "sfreq": [Real, None],  # range checked in fit, with a clearer message
        "windows": ["array-like", None],
        "tmin": [Real],
        "features": ["array-like", str, None],
        "ch_types": ["array-like", str, None],
        "chromophores": ["array-like", str, None],
        "ch_names": [list, tuple, None],
    }

    def __init__(
        self,
        sfreq=None,
        windows=None,
        *,
        tmin=0.0,
        features=None,
        ch_types=None,
        chromophores=None,
        ch_names=None,
    ):
        self.sfreq = sfreq
        self.windows = windows
        self.tmin = tmin
        self.features = features
        self.ch_types = ch_types
        self.chromophores = chromophores
        self.ch_names = ch_names

    def fit(self, X, y=None):
        """Check the sampling rate, windows and channel types.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            HbO/HbR epochs; 2-D input is one channel.
        y : None
            Ignored.

        Returns
        -------
        self : HemodynamicFeatures
        """
        self._validate_params()
        self.sfreq_ = check_sfreq(self.sfreq, owner="HemodynamicFeatures")
        self.features_ = _check_features(self.features)
        X = validate_epochs(self, X, reset=True)
        n_channels = X.shape[1]
        names = check_ch_names(self.ch_names, n_channels, "HemodynamicFeatures")
        if self.ch_types is not None:
            types = _check_ch_types(self.ch_types, n_channels)
        else:
            types = _infer_types(self.ch_names)
        self.windows_, _ = window_slices(self.windows, self.n_times_, self.sfreq_, self.tmin)
        picks = np.arange(n_channels)
        if self.chromophores is not None:
            wanted = (
                [self.chromophores]
                if isinstance(self.chromophores, str)
                else list(self.chromophores)
            )
            if not wanted or any(c not in _CHROMOPHORES for c in wanted):
                raise ValueError(
                    f"chromophores must be a non-empty subset of {list(_CHROMOPHORES)}, got "
                    f"{self.chromophores!r}. Pass e.g. chromophores=['hbo'], or None for all."
                )
            if types is None:
                raise ValueError(
                    f"chromophores={wanted} needs the channel types, which are missing. Pass "
                    "ch_types (e.g. epochs.get_channel_types()) or ch_names ending in ' hbo' "
                    "/ ' hbr'."
                )
            missing = [c for c in wanted if c not in types]
            if missing:
                raise ValueError(
                    f"No channel of type {missing} among ch_types {sorted(set(types))}. Pass "
                    "epochs that contain them, or drop them from chromophores."
                )
            picks = np.flatnonzero([t in wanted for t in types])
        self.picks_ = picks
        self.ch_names_ = [names[i] for i in picks]
        self.ch_types_ = None if types is None else [types[i] for i in picks]
        return self

    def transform(self, X):
        """Compute the features.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            Epochs with the channels and length seen in fit.

        Returns
        -------
        Xt : ndarray of shape (n_trials, n_kept_channels * n_windows * n_features)
            Ordered channel, then window, then feature (see :meth:`get_feature_names_out`).
        """
        check_is_fitted(self)
        X = validate_epochs(self, X, reset=False)[:, self.picks_]
        sign = None
        if self.ch_types_ is not None:
            sign = np.where(np.asarray(self.ch_types_) == "hbr", -1.0, 1.0)
        feats = hemodynamic_features(
            X, self.sfreq_, self.windows_, tmin=self.tmin, features=self.features_, sign=sign
        )
        return feats.reshape(len(X), -1)

    def get_feature_names_out(self, input_features=None):
        """Names ``{channel}_{feature}_{start}-{stop}s``, e.g. ``S1_D1 hbo_mean_0-5s``.

        Parameters
        ----------
        input_features : array-like of str or None
            Channel names for 3-D input (overrides ``ch_names``); for 2-D input only checked.

        Returns
        -------
        names : ndarray of str objects, shape (n_kept_channels * n_windows * n_features,)
        """
        check_is_fitted(self)
        chans = channel_names(self, input_features)
        if input_features is not None and self.is_3d_:  # names of all channels given
            chans = [chans[i] for i in self.picks_]
        return np.asarray(
            [
                f"{ch}_{feat}_{start:g}-{stop:g}s"
                for ch in chans
                for start, stop in self.windows_
                for feat in self.features_
            ],
            dtype=object,
        )
