"""Event-related EEG band power: synchronisation and desynchronisation, in seconds.

References
----------
.. [1] Pfurtscheller and Lopes da Silva, "Event-related EEG/MEG synchronization and
   desynchronization: basic principles", Clin. Neurophysiol. 110(11), 1999 (band power
   relative to a reference period; an increase is event-related synchronisation, ERS, a
   decrease desynchronisation, ERD).
"""

import math

import numpy as np
import scipy.fft
from scipy.ndimage import uniform_filter1d

from ._bands import _check_sfreq, _one_band, resolve_bands
from ._checks import check_direction, check_epochs, check_positive, check_range, check_real

__all__ = ["eeg_event_evidence", "event_related_power"]


def _log_power_course(x, sfreq, band, step, window):
    """Log short-time band power of every channel, about every ``step`` s.

    The squared Hilbert envelope of the ``band``-passed signal, averaged over ``window``
    s (centred). The signal is extended by its mirror image before the Fourier
    transform, so that the ends of the epoch do not wrap onto each other; the band's
    spectrum, shifted down to zero frequency (which keeps the analytic signal's modulus),
    is inverted at just enough points not to alias the squared envelope, then averaged
    and sampled every ``step``. Near the mirror points the signal interferes with its
    own reflection, which deepens the troughs of its envelope: the steps within half a
    window plus the band's impulse response (``1 / bandwidth``) of either end are
    flagged.

    Returns the log power ``(n_trials, n_channels, n_steps)``, the times of its steps
    from the epoch's first sample ``(n_steps,)`` and which steps lie clear of the ends.
    """
    n_times = x.shape[-1]
    duration = n_times / sfreq
    if window > duration:
        raise ValueError(
            f"The epochs last {duration:g} s ({n_times} samples at {sfreq:g} Hz), shorter "
            f"than the power window of {window:g} s; pass a shorter window or longer epochs."
        )
    if window * sfreq < 1:
        raise ValueError(
            f"window={window:g} s is shorter than one sample at {sfreq:g} Hz; pass a longer window."
        )
    length = 2 * n_times
    freqs = np.arange(n_times) * (sfreq / length)
    bins = np.flatnonzero((freqs >= band[0]) & (freqs <= band[1]))
    if len(bins) == 0:
        raise ValueError(
            f"Band {band[0]:g}-{band[1]:g} Hz holds no frequency of a {duration:g}-s epoch "
            f"(resolution {freqs[1]:g} Hz); widen the band or pass longer epochs."
        )
    n_steps = max(1, math.ceil(duration / step - 1e-9))
    fine = max(1, math.ceil((2 * len(bins) + 1) / (2 * n_steps)))
    n_fine = n_steps * fine
    # The spectrum of the mirrored signal [x, x reversed] is the DCT-II of x times
    # exp(i pi k / (2 n_times)), at half the cost of transforming the mirrored signal.
    real = scipy.fft.dct(x, type=2, axis=-1)[..., bins[0] : bins[-1] + 1]
    cdtype = np.result_type(real.dtype, np.complex64)
    phase = (np.exp(1j * np.pi * bins / length) * (2.0 / length)).astype(cdtype)
    analytic = scipy.fft.ifft(real * phase, n=2 * n_fine, axis=-1, norm="forward")
    parts = analytic[..., :n_fine].view(real.dtype)  # real and imaginary parts side by side
    power = np.square(parts[..., 0::2])
    power += np.square(parts[..., 1::2])
    width = max(1, round(window * n_fine / duration)) // 2 * 2 + 1
    # the envelope of the mirrored signal continues as its reflection beyond both ends
    mean = uniform_filter1d(power, width, axis=-1, mode="reflect")[..., ::fine]
    times = np.arange(n_steps) * (duration / n_steps)
    edge = window / 2 + 1.0 / (band[1] - band[0])
    clear = (times >= edge) & (times <= duration - edge)
    if not clear.any():
        raise ValueError(
            f"The epochs last {duration:g} s, too short for {window:g}-s power windows in "
            f"{band[0]:g}-{band[1]:g} Hz: {edge:.2f} s at either end are edge effects. Pass "
            "longer epochs, a shorter window or a wider band."
        )
    tiny = np.finfo(mean.dtype).tiny
    return np.log(np.maximum(mean, tiny)), times, clear


def _log_ratio(x, sfreq, band, step, window):
    """Log power ratio to the median over the steps clear of the ends (see above)."""
    power, times, clear = _log_power_course(x, sfreq, band, step, window)
    return power - np.median(power[..., clear], axis=-1, keepdims=True), times, clear


def _robust_z(e, clear=None):
    """``(e - median) / (1.4826 MAD)`` over the last axis (the trial's own spread), the
    median and MAD taken over the ``clear`` steps."""
    ref = e if clear is None else e[..., clear]
    centre = np.median(ref, axis=-1, keepdims=True)
    mad = np.median(np.abs(ref - centre), axis=-1, keepdims=True)
    return (e - centre) / np.maximum(1.4826 * mad, 1e-6)


def _search_mask(times, search, what):
    if search is None:
        return np.ones(len(times), dtype=bool)
    lo, hi = check_range("search", search)
    mask = (times >= lo) & (times <= hi)
    if not mask.any():
        raise ValueError(
            f"search=({lo:g}, {hi:g}) s holds no {what} step of the epoch "
            f"({times[0]:g} to {times[-1]:g} s); pass a range inside it."
        )
    return mask


def event_related_power(
    x, sfreq, bands=None, *, window=0.5, tmin=0.0, direction="both", search=None
):
    """Largest event-related band power change of each trial, per band [1]_.

    For each band, the short-time band power (squared Hilbert envelope averaged over
    ``window`` s, every ``window / 4`` s) of each channel is taken as a log ratio to its
    median over the trial, the trial's own reference; the value is the most extreme
    ratio over channels and times in the requested ``direction``. A burst counts fully
    whichever channel carries it, while ongoing rhythms and the signal's overall level
    cancel. A change that lasts more than half of the trial moves the median itself and
    reads smaller. Times within half a window plus ``1 / bandwidth`` of either end of the
    epoch (filter edge effects) are left out of the median and of the search.

    Parameters
    ----------
    x : ndarray of shape (n_trials, n_channels, n_times)
        EEG epochs (any unit; the ratio is unitless).
    sfreq : float
        Sampling rate (Hz).
    bands : see :func:`resolve_bands`, default=None
        None is every band of :data:`EEG_BANDS`.
    window : float, default=0.5
        Length (s) of the power window.
    tmin : float, default=0.0
        Time (s) of each epoch's first sample; only used with ``search``.
    direction : {"both", "increase", "decrease"}, default="both"
        ``"increase"``: the largest rise (ERS, positive); ``"decrease"``: the deepest fall
        (ERD, negative); ``"both"``: whichever of the two stands out more, signed. Each
        direction is weighed in units of its own spread over the trial (median and
        median absolute deviation of the channels' extreme at each time), since in log
        power the troughs of noise run deeper than its peaks.
    search : (float, float) or None, default=None
        Times (s, on the epoch's axis) where the extreme is searched; None is the whole
        epoch. The median reference always spans the whole epoch.

    Returns
    -------
    change : ndarray of shape (n_trials, n_bands)
        Natural log of the power ratio, in the order of the bands.
    """
    sfreq = _check_sfreq(sfreq)
    x = check_epochs(x, "x")
    window = check_positive("window", window)
    tmin = check_real("tmin", tmin)
    check_direction(direction)
    bands = resolve_bands(bands, sfreq)
    out = np.empty((x.shape[0], len(bands)), dtype=x.dtype)
    for j, edges in enumerate(bands.values()):
        ratio, times, clear = _log_ratio(x, sfreq, edges, window / 4.0, window)
        ratio = ratio[..., clear & _search_mask(tmin + times, search, "power")]
        if ratio.shape[-1] == 0:
            raise ValueError(
                f"search={search} s lies within the edges of the epochs, where band "
                f"{edges[0]:g}-{edges[1]:g} Hz power is not reliable; widen the search."
            )
        up, down = ratio.max(axis=1), ratio.min(axis=1)  # (n_trials, n_steps)
        if direction == "increase":
            out[:, j] = up.max(1)
        elif direction == "decrease":
            out[:, j] = down.min(1)
        else:
            rise, fall = _robust_z(up).max(1), _robust_z(-down).max(1)  # clear steps only
            out[:, j] = np.where(rise >= fall, up.max(1), down.min(1))
    return out


def eeg_event_evidence(
    eeg, sfreq, *, band=(2.0, 15.0), tmin=0.0, step=0.05, window=0.25, direction="both"
):
    """Evidence of a neural event at each time of each trial, from event-related power.

    The band power of each channel (squared Hilbert envelope of the ``band``-passed signal,
    averaged over ``window`` s) as a log ratio to its median over the trial [1]_, reduced
    over channels to the strongest change in ``direction``: the largest rise for
    ``"increase"``, the deepest fall (sign flipped) for ``"decrease"``; for ``"both"``,
    each of the two as a robust z-score over the trial (median and 1.4826 median
    absolute deviation), and the larger of them, since in log power the troughs of noise
    run deeper than its peaks. Larger is more evidence whatever the direction, so that
    the event is the argmax. Steps within half a window plus ``1 / bandwidth`` of either
    end (filter edge effects) get the trial's median evidence.

    Parameters
    ----------
    eeg : ndarray of shape (n_trials, n_channels, n_times)
    sfreq : float
        Sampling rate (Hz).
    band : (float, float), default=(2.0, 15.0)
        Band (Hz) of the event-related activity (evoked potentials and early bursts lie
        mostly in delta to alpha).
    tmin : float, default=0.0
        Time (s) of each epoch's first sample.
    step : float, default=0.05
        Approximate spacing (s) of the evidence; the exact one is ``times[1] - times[0]``
        (the epoch's length over a whole number of steps).
    window : float, default=0.25
        Length (s) of the power window.
    direction : {"both", "increase", "decrease"}, default="both"

    Returns
    -------
    evidence : ndarray of shape (n_trials, n_steps)
        Unitless: natural log of a power ratio, or a robust z-score for ``"both"``.
    times : ndarray of shape (n_steps,)
        Time (s) of each step on the epoch's axis.
    """
    sfreq = _check_sfreq(sfreq)
    eeg = check_epochs(eeg, "eeg")
    band = _one_band(band, sfreq)
    tmin = check_real("tmin", tmin)
    step = check_positive("step", step)
    window = check_positive("window", window)
    check_direction(direction)
    ratio, times, clear = _log_ratio(eeg, sfreq, band, step, window)
    if direction == "increase":
        evidence = ratio.max(axis=1)
    elif direction == "decrease":
        evidence = -ratio.min(axis=1)
    else:
        up, down = ratio.max(axis=1), -ratio.min(axis=1)
        evidence = np.maximum(_robust_z(up, clear), _robust_z(down, clear))
    # no evidence either way at the ends: the trial's median
    evidence[:, ~clear] = np.median(evidence[:, clear], axis=1, keepdims=True)
    return evidence, tmin + times
