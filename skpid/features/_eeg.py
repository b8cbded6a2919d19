"""EEG spectral features: band power per epoch and time-resolved band envelopes.

Plain functions (:func:`band_power`, :func:`band_envelope`) do the maths on arrays of shape
``(..., n_times)``; the estimators :class:`BandPower` and :class:`BandEnvelope` validate
input, remember the fit-time shape and name their outputs.
"""

from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar

import mne
import numpy as np
from scipy.signal import hilbert
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..physiology import EEG_BANDS
from ._base import (
    EpochsTransformer,
    channel_names,
    check_ch_names,
    check_sfreq,
    validate_epochs,
)

__all__ = ["DEFAULT_BANDS", "BandEnvelope", "BandPower", "band_envelope", "band_power"]

#: Conventional EEG bands in Hz, half-open ``[low, high)``: the same dict as
#: :data:`skpid.physiology.EEG_BANDS` (IFCN glossary edges, delta from 1 Hz, gamma to 45 Hz).
DEFAULT_BANDS = EEG_BANDS


def check_bands(bands, sfreq):
    """Validate ``{name: (low, high)}`` in Hz against the Nyquist frequency ``sfreq / 2``.

    Returns a new dict of ``{str: (float, float)}``; ``None`` gives :data:`DEFAULT_BANDS`.
    """
    if bands is None:
        bands = DEFAULT_BANDS
    if not isinstance(bands, Mapping) or len(bands) == 0:
        raise TypeError(
            "bands must be a non-empty dict of name to (low_hz, high_hz), e.g. "
            f"{{'alpha': (8, 13)}}, got {bands!r}."
        )
    nyquist = sfreq / 2
    out = {}
    for name, edges in bands.items():
        try:
            low, high = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise TypeError(
                f"Band {name!r} must be a pair (low_hz, high_hz), got {edges!r}. Pass e.g. "
                "{'alpha': (8, 13)}."
            ) from None
        if not isinstance(name, str):
            raise TypeError(
                f"Band names must be str, got {name!r}. Name each band, e.g. {{'alpha': (8, 13)}}."
            )
        if not 0 <= low < high:
            raise ValueError(
                f"Band {name!r} = ({low:g}, {high:g}) Hz is not a valid range; pass "
                "0 <= low < high."
            )
        if high > nyquist:
            raise ValueError(
                f"Band {name!r} ({low:g}-{high:g} Hz) extends above the Nyquist frequency "
                f"{nyquist:g} Hz (sfreq={sfreq:g} Hz). Lower its upper edge to at most "
                f"{nyquist:g} Hz, drop the band, or use data sampled at >= {2 * high:g} Hz."
            )
        out[name] = (low, high)
    return out


def _band_masks(freqs, bands, sfreq, n_points):
    """Boolean masks of ``freqs`` per band; raise if a band holds no frequency bin."""
    masks = []
    for name, (low, high) in bands.items():
        mask = (freqs >= low) & (freqs < high)
        if not mask.any():
            raise ValueError(
                f"Band {name!r} ({low:g}-{high:g} Hz) holds no frequency bin: the spectral "
                f"resolution is {sfreq / n_points:g} Hz (sfreq / {n_points} points). Use "
                "longer epochs, a larger n_fft, or a wider band."
            )
        masks.append(mask)
    return masks


def _check_multitaper(n_times, sfreq, bandwidth):
    """Refuse settings for which mne cannot build DPSS tapers, saying what to change."""
    # mne uses a normalised half-bandwidth bandwidth * T / 2 (4 when bandwidth is None) and
    # int(2 * half_bandwidth) tapers, which must be fewer than the samples.
    half_nbw = 4.0 if bandwidth is None else bandwidth * n_times / (2 * sfreq)
    if half_nbw < 0.5:
        raise ValueError(
            f"bandwidth={bandwidth:g} Hz is too narrow for epochs of {n_times / sfreq:g} s; "
            f"pass bandwidth >= {sfreq / n_times:g} Hz (sfreq / n_times)."
        )
    if int(2 * half_nbw) >= n_times:
        raise ValueError(
            f"Epochs of {n_times} samples are too short for {int(2 * half_nbw)} multitaper "
            f"tapers. Pass longer epochs, a smaller bandwidth (e.g. {sfreq / n_times * 2:g} "
            "Hz), or method='welch'."
        )


def _default_n_fft(n_times, sfreq):
    # 2-s Welch segments (0.5 Hz resolution), or the whole epoch when it is shorter.
    return int(min(n_times, max(1, round(2 * sfreq))))


def _check_spectrum(method, n_times, sfreq, bands, n_fft=None, bandwidth=None):
    """Check that epochs of ``n_times`` samples can give every band's power.

    Returns ``(n_fft, n_points)``: the Welch segment length (None for multitaper) and the
    number of points of one spectrum estimate, whose inverse sets the resolution.
    """
    if method == "welch":
        n_fft = _default_n_fft(n_times, sfreq) if n_fft is None else int(n_fft)
        if not 1 <= n_fft <= n_times:
            raise ValueError(
                f"n_fft={n_fft} exceeds the epoch length ({n_times} samples) or is below 1. "
                "Pass 1 <= n_fft <= n_times, or n_fft=None."
            )
        n_points = n_fft
    elif method == "multitaper":
        _check_multitaper(n_times, sfreq, bandwidth)
        n_fft, n_points = None, n_times
    else:
        raise ValueError(f"method must be 'welch' or 'multitaper', got {method!r}.")
    _band_masks(np.fft.rfftfreq(n_points, 1.0 / sfreq), bands, sfreq, n_points)
    return n_fft, n_points


def _check_out_sfreq(out_sfreq, sfreq, n_times, owner="band_envelope"):
    """Validate the envelope's output rate; return it as a float and the output length."""
    out_sfreq = check_sfreq(out_sfreq, "out_sfreq", owner)
    if out_sfreq > sfreq:
        raise ValueError(
            f"out_sfreq={out_sfreq:g} Hz exceeds sfreq={sfreq:g} Hz; the envelope is only "
            "decimated. Pass out_sfreq <= sfreq."
        )
    n_out = int(np.floor(n_times * out_sfreq / sfreq + 1e-9))
    if n_out < 1:
        # "n feature(s)" is scikit-learn's wording for a too-short axis 1 of 2-D input.
        raise ValueError(
            f"Epochs have {n_times} feature(s) along the time axis, i.e. {n_times / sfreq:g} s "
            f"at {sfreq:g} Hz: less than one output sample at out_sfreq={out_sfreq:g} Hz. "
            f"Raise out_sfreq to at least {sfreq / n_times:g} Hz or pass longer epochs."
        )
    return out_sfreq, n_out


def band_power(
    x, sfreq, bands=None, *, method="welch", n_fft=None, bandwidth=None, relative=False, log=True
):
    """Power of each frequency band of each signal.

    Parameters
    ----------
    x : ndarray of shape (..., n_times)
        Signals, e.g. epochs ``(n_trials, n_channels, n_times)`` in volts.
    sfreq : float
        Sampling rate in Hz.
    bands : dict of str to (float, float) or None
        Half-open ranges ``[low, high)`` in Hz; None gives :data:`DEFAULT_BANDS`.
    method : {"welch", "multitaper"}, default="welch"
        Spectrum estimator: :func:`mne.time_frequency.psd_array_welch` (Hamming windows of
        ``n_fft`` samples, 50 % overlap) or :func:`mne.time_frequency.psd_array_multitaper`.
    n_fft : int or None
        Welch segment length; None uses 2 s or the whole epoch if shorter.
    bandwidth : float or None
        Multitaper frequency bandwidth in Hz (None: mne's default).
    relative : bool, default=False
        Divide by the power over the whole range the bands span (``min low`` to ``max high``).
    log : bool, default=True
        Return ``log10`` of the (relative) power.

    Returns
    -------
    power : ndarray of shape (..., n_bands)
        Band power in signal units squared (PSD summed over the band's bins times the bin
        width), relative power, or its log10.
    """
    sfreq = check_sfreq(sfreq)
    bands = check_bands(bands, sfreq)
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError(
            f"x has shape {x.shape}, with an empty axis; pass at least one trial, channel "
            "and time sample."
        )
    n_fft, n_points = _check_spectrum(method, x.shape[-1], sfreq, bands, n_fft, bandwidth)
    x, peak = _unit_scale(x)
    reference = np.mean(x**2, axis=-1)[..., None]
    fmin = min(low for low, _ in bands.values())
    fmax = max(high for _, high in bands.values())
    if method == "welch":
        psd, freqs = mne.time_frequency.psd_array_welch(
            x, sfreq, fmin=fmin, fmax=fmax, n_fft=n_fft, n_overlap=n_fft // 2, verbose=False
        )
    else:
        psd, freqs = mne.time_frequency.psd_array_multitaper(
            x,
            sfreq,
            fmin=fmin,
            fmax=fmax,
            bandwidth=bandwidth,
            normalization="full",  # a density per Hz, as Welch gives
            verbose=False,
        )
    resolution = sfreq / n_points
    masks = _band_masks(freqs, bands, sfreq, n_points)
    power = np.stack([psd[..., m].sum(axis=-1) * resolution for m in masks], axis=-1)
    power = np.where(power <= _POWER_FLOOR * reference, 0.0, power)
    if relative:
        total = psd[..., (freqs >= fmin) & (freqs < fmax)].sum(axis=-1) * resolution
        total = np.where(total <= _POWER_FLOOR * reference[..., 0], 0.0, total)
        if not np.all(total > 0):
            raise ValueError(
                f"The total power is zero for {int(np.sum(~(total > 0)))} signals (flat or "
                "zero channels), so relative band power is undefined. Drop flat channels or "
                "trials, or pass relative=False."
            )
        power = power / total[..., None]
        peak = np.ones_like(peak)  # a ratio: the scale cancels
    return _finish_power(power, 0.0, peak, log, "band power")


# Power below this fraction of a signal's mean square is rounding residue of filtering a
# flat signal, taken as zero.
_POWER_FLOOR = 1e-24


def _unit_scale(x):
    """Split ``x`` into ``x / peak`` and the per-signal peak |x| (1 for all-zero signals).

    Squares of values beyond ~1e154 overflow float64; spectra are computed on the
    unit-scaled signals and the scale put back (in log units when asked).
    """
    peak = np.max(np.abs(x), axis=-1, keepdims=True)
    peak = np.where(peak > 0, peak, 1.0)
    return x / peak, peak


def _finish_power(power, reference, peak, log, what):
    """Zero the rounding residue, then restore the scale ``peak**2`` (or its log)."""
    power = np.where(power <= _POWER_FLOOR * reference, 0.0, power)
    if log:
        if not np.all(power > 0):
            raise ValueError(
                f"The {what} is zero for {int(np.sum(~(power > 0)))} entries (flat or zero "
                "signals), so its log is undefined. Drop flat channels or trials, or pass "
                "log=False."
            )
        return np.log10(power) + 2 * np.log10(peak)
    with np.errstate(over="ignore"):
        power = power * peak**2
    if not np.all(np.isfinite(power)):
        raise ValueError(
            f"The {what} of signals this large (|x| up to {float(np.max(peak)):.3g}) overflows "
            "float64. Pass log=True, or rescale the data to its physical unit (volts)."
        )
    return power


def _bin_mean(x, sfreq, out_sfreq):
    """Average consecutive samples in bins of ``sfreq / out_sfreq`` samples (boxcar + decimate)."""
    ratio = sfreq / out_sfreq
    n_out = int(np.floor(x.shape[-1] / ratio + 1e-9))
    edges = np.round(np.arange(n_out + 1) * ratio).astype(int)
    sums = np.add.reduceat(x[..., : edges[-1]], edges[:-1], axis=-1)
    return sums / np.diff(edges)


def band_envelope(
    x, sfreq, bands=None, *, out_sfreq=10.0, envelope="hilbert", log=False, filter_method="fir"
):
    """Time-resolved power of each frequency band, at a low output rate.

    Each band is isolated with :func:`mne.filter.filter_data` (zero-phase; a band starting
    at 0 Hz is only low-passed, one ending at Nyquist only high-passed), its instantaneous
    power taken as the squared Hilbert envelope ``|x + i H(x)|^2`` or the squared signal,
    then averaged over consecutive bins of ``sfreq / out_sfreq`` samples, which smooths and
    decimates in one step. The first and last output samples carry the edge effects of
    filtering and of the Hilbert transform: epoch with a margin and crop afterwards.

    Parameters
    ----------
    x : ndarray of shape (n_trials, n_channels, n_times)
        Epochs.
    sfreq : float
        Sampling rate of ``x`` in Hz.
    bands : dict of str to (float, float) or None
        Ranges in Hz; None gives :data:`DEFAULT_BANDS`.
    out_sfreq : float, default=10.0
        Output rate in Hz, at most ``sfreq``. When ``sfreq / out_sfreq`` is not an integer,
        bin edges are rounded to samples, so the rate is ``out_sfreq`` on average.
    envelope : {"hilbert", "square"}, default="hilbert"
        Instantaneous power estimate.
    log : bool, default=False
        Return ``log10`` of the power.
    filter_method : {"fir", "iir"}, default="fir"
        Passed to :func:`mne.filter.filter_data` as ``method``.

    Returns
    -------
    env : ndarray of shape (n_trials, n_channels * n_bands, n_times_out)
        Rows ordered channel by channel, bands within a channel;
        ``n_times_out = floor(n_times * out_sfreq / sfreq)``.
    """
    sfreq = check_sfreq(sfreq)
    bands = check_bands(bands, sfreq)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(
            f"x must be epochs (n_trials, n_channels, n_times), got shape {x.shape}. Add the "
            "missing axes, e.g. x[:, None, :] for one channel."
        )
    out_sfreq, _ = _check_out_sfreq(out_sfreq, sfreq, x.shape[-1])
    if envelope not in ("hilbert", "square"):
        raise ValueError(f"envelope must be 'hilbert' or 'square', got {envelope!r}.")
    if x.size == 0:
        raise ValueError(
            f"x has shape {x.shape}, with an empty axis; pass at least one trial, channel "
            "and time sample."
        )
    x, peak = _unit_scale(x)
    reference = np.mean(x**2, axis=-1)[:, :, None, None]
    nyquist = sfreq / 2
    per_band = []
    for low, high in bands.values():
        l_freq = low if low > 0 else None
        h_freq = high if high < nyquist else None
        xf = x
        if l_freq is not None or h_freq is not None:
            xf = mne.filter.filter_data(
                x, sfreq, l_freq, h_freq, method=filter_method, verbose=False
            )
        power = np.abs(hilbert(xf, axis=-1)) ** 2 if envelope == "hilbert" else xf**2
        per_band.append(_bin_mean(power, sfreq, out_sfreq))
    env = np.stack(per_band, axis=2)  # (n_trials, n_channels, n_bands, n_out)
    env = _finish_power(env, reference, peak[:, :, None], log, "band envelope")
    return env.reshape(x.shape[0], -1, env.shape[-1])


class _BandTransformer(EpochsTransformer):
    """Shared fit/validation/naming of the band transformers (not public)."""

    def _validate(self, X, *, reset):
        if reset:
            self.sfreq_ = check_sfreq(self.sfreq, owner=type(self).__name__)
            self.bands_ = check_bands(self.bands, self.sfreq_)
        X = validate_epochs(self, X, reset=reset)
        if reset:
            self.ch_names_ = check_ch_names(self.ch_names, X.shape[1], type(self).__name__)
        return X

    def _band_feature_names(self, input_features):
        check_is_fitted(self)
        chans = channel_names(self, input_features)
        return np.asarray([f"{ch}_{band}" for ch in chans for band in self.bands_], dtype=object)


class BandPower(_BandTransformer):
    """Band power of each channel of each epoch (EEG spectral features).

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz (e.g. ``epochs.info['sfreq']``). Required.
    bands : dict of str to (float, float) or None
        Half-open ranges ``[low, high)`` in Hz, each below the Nyquist frequency. None gives
        :data:`DEFAULT_BANDS` (delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45).
    method : {"welch", "multitaper"}, default="welch"
        Spectrum estimator from :mod:`mne.time_frequency`.
    n_fft : int or None
        Welch segment length in samples; None uses 2 s, or the epoch if shorter.
    bandwidth : float or None
        Multitaper bandwidth in Hz; None uses mne's default.
    relative : bool, default=False
        Divide by the power of the whole range the bands span.
    log : bool, default=True
        Return log10 power.
    ch_names : list of str or None
        Channel names used in feature names; None gives ``ch0``, ``ch1``, ...

    Attributes
    ----------
    sfreq_ : float
    bands_ : dict of str to (float, float)
        Validated bands.
    ch_names_ : list of str
    n_features_in_ : int
        Size of axis 1 at fit: channels for 3-D input, time samples for 2-D input.
    n_channels_, n_times_ : int
        Epoch shape seen in fit. 2-D input ``(n_trials, n_times)`` is one channel.
    is_3d_ : bool
        Whether fit saw 3-D input.

    See Also
    --------
    band_power : the function doing the computation.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(500) / 250
    >>> noise = 0.01 * np.random.RandomState(0).randn(3, 1, 500)
    >>> X = np.sin(2 * np.pi * 10 * t)[None, None] + noise  # 10 Hz, in the alpha band
    >>> bp = BandPower(sfreq=250, ch_names=["Oz"]).fit(X)
    >>> bp.get_feature_names_out()[2]
    'Oz_alpha'
    >>> bp.transform(X).argmax(axis=1)
    array([2, 2, 2])
    """

    _parameter_constraints: ClassVar[dict] = {
        "sfreq": [Real, None],  # range checked in fit, with a clearer message
        "bands": [dict, None],
        "method": [StrOptions({"welch", "multitaper"})],
        "n_fft": [Interval(Integral, 1, None, closed="left"), None],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
        "relative": ["boolean"],
        "log": ["boolean"],
        "ch_names": [list, tuple, None],
    }

    def __init__(
        self,
        sfreq=None,
        bands=None,
        *,
        method="welch",
        n_fft=None,
        bandwidth=None,
        relative=False,
        log=True,
        ch_names=None,
    ):
        self.sfreq = sfreq
        self.bands = bands
        self.method = method
        self.n_fft = n_fft
        self.bandwidth = bandwidth
        self.relative = relative
        self.log = log
        self.ch_names = ch_names

    def fit(self, X, y=None):
        """Check the sampling rate, bands and epoch shape.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            Epochs; 2-D input is one channel.
        y : None
            Ignored.

        Returns
        -------
        self : BandPower
        """
        self._validate_params()
        self._validate(X, reset=True)
        _check_spectrum(
            self.method, self.n_times_, self.sfreq_, self.bands_, self.n_fft, self.bandwidth
        )
        return self

    def transform(self, X):
        """Compute band power.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            Epochs with the channels and length seen in fit.

        Returns
        -------
        Xt : ndarray of shape (n_trials, n_channels * n_bands)
            Columns ordered channel by channel, bands within a channel (see
            :meth:`get_feature_names_out`).
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        power = band_power(
            X,
            self.sfreq_,
            self.bands_,
            method=self.method,
            n_fft=self.n_fft,
            bandwidth=self.bandwidth,
            relative=self.relative,
            log=self.log,
        )
        return power.reshape(len(X), -1)

    def get_feature_names_out(self, input_features=None):
        """Names ``{channel}_{band}``, e.g. ``Fz_alpha``.

        Parameters
        ----------
        input_features : array-like of str or None
            Channel names for 3-D input (overrides ``ch_names``); for 2-D input only checked
            against the time axis.

        Returns
        -------
        names : ndarray of str objects, shape (n_channels * n_bands,)
        """
        return self._band_feature_names(input_features)


class BandEnvelope(_BandTransformer, auto_wrap_output_keys=None):
    """Time-resolved band power at a low rate, to feed neural encoders compactly.

    Each band is band-passed with :func:`mne.filter.filter_data`, its power taken as the
    squared Hilbert envelope (or the squared signal), then averaged over bins of
    ``sfreq / out_sfreq`` samples. Output is 3-D, so ``set_output`` is not offered.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz. Required.
    bands : dict of str to (float, float) or None
        Ranges in Hz; None gives :data:`DEFAULT_BANDS`.
    out_sfreq : float, default=10.0
        Output rate in Hz (at most ``sfreq``).
    envelope : {"hilbert", "square"}, default="hilbert"
        Instantaneous power estimate.
    log : bool, default=False
        Return log10 power.
    filter_method : {"fir", "iir"}, default="fir"
        Filter design of :func:`mne.filter.filter_data`.
    ch_names : list of str or None
        Channel names used in feature names.

    Attributes
    ----------
    sfreq_ : float
    bands_ : dict of str to (float, float)
    ch_names_ : list of str
    n_features_in_, n_channels_, n_times_ : int
    is_3d_ : bool
        As in :class:`BandPower`.
    n_times_out_ : int
        Output length, ``floor(n_times * out_sfreq / sfreq)``.

    See Also
    --------
    band_envelope : the function doing the computation.
    """

    _parameter_constraints: ClassVar[dict] = {
        "sfreq": [Real, None],  # range checked in fit, with a clearer message
        "bands": [dict, None],
        "out_sfreq": [Real],
        "envelope": [StrOptions({"hilbert", "square"})],
        "log": ["boolean"],
        "filter_method": [StrOptions({"fir", "iir"})],
        "ch_names": [list, tuple, None],
    }

    def __init__(
        self,
        sfreq=None,
        bands=None,
        *,
        out_sfreq=10.0,
        envelope="hilbert",
        log=False,
        filter_method="fir",
        ch_names=None,
    ):
        self.sfreq = sfreq
        self.bands = bands
        self.out_sfreq = out_sfreq
        self.envelope = envelope
        self.log = log
        self.filter_method = filter_method
        self.ch_names = ch_names

    def fit(self, X, y=None):
        """Check the rates, bands and epoch shape.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            Epochs; 2-D input is one channel.
        y : None
            Ignored.

        Returns
        -------
        self : BandEnvelope
        """
        self._validate_params()
        self._validate(X, reset=True)
        _, self.n_times_out_ = _check_out_sfreq(
            self.out_sfreq, self.sfreq_, self.n_times_, "BandEnvelope"
        )
        return self

    def transform(self, X):
        """Compute band envelopes.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
            Epochs with the channels and length seen in fit.

        Returns
        -------
        Xt : ndarray of shape (n_trials, n_channels * n_bands, n_times_out)
            Rows named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return band_envelope(
            X,
            self.sfreq_,
            self.bands_,
            out_sfreq=self.out_sfreq,
            envelope=self.envelope,
            log=self.log,
            filter_method=self.filter_method,
        )

    def get_feature_names_out(self, input_features=None):
        """Names ``{channel}_{band}`` of the output rows (axis 1).

        Parameters
        ----------
        input_features : array-like of str or None
            Channel names for 3-D input (overrides ``ch_names``).

        Returns
        -------
        names : ndarray of str objects, shape (n_channels * n_bands,)
        """
        return self._band_feature_names(input_features)
