"""Physiological auxiliary targets computed from the input itself (no labels).

Each function maps a standardised batch of one modality to a few features that a unique
block should be able to predict: which EEG band carries the strongest transient burst
(the activation mode) and how large the haemodynamic response is (the metabolic cost).
A third target needs both EEG and fNIRS, for the synergy block: the neurovascular coupling
delay from the neural event to the onset of its haemodynamic response, which neither
signal holds alone when events happen at random times. They feed the ``auxiliary`` term
of :class:`skpid.decomposition._objective.PIDObjective` and are computed without
gradients.

References
----------
.. [1] Pfurtscheller and Lopes da Silva, "Event-related EEG/MEG synchronization and
   desynchronization: basic principles", Clin. Neurophysiol. 110(11), 1999 (event-related
   band power as the measure of an oscillatory burst).
.. [2] Cui, Bray and Reiss, "Functional near infrared spectroscopy (NIRS) signal
   improvement based on negative correlation between oxygenated and deoxygenated
   hemoglobin dynamics", NeuroImage 49(4), 2010 (CBSI: ``(HbO - HbR) / 2`` on signals of
   equal scale cancels the positively correlated motion and systemic components).
.. [3] Friston et al., "Event-related fMRI: characterizing differential responses",
   NeuroImage 7(1), 1998 (the canonical double-gamma haemodynamic response).
.. [4] Buxton et al., "Modeling the hemodynamic response to brain activation",
   NeuroImage 23(S1), 2004 (the haemodynamic response starts within 1-2 s of the neural
   activity).
"""

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets._eeg_fnirs import canonical_hrf

__all__ = [
    "TARGETS",
    "compute_coupling_delay",
    "compute_coupling_profile",
    "compute_target",
    "coupling_delay",
    "coupling_profile",
    "fit_hrf_scale",
    "haemodynamic_amplitude",
    "peak_band_power",
]

#: Shortest and longest delay (s) from a neural event to the onset of its haemodynamic
#: response that :func:`coupling_delay` considers [4]_.
COUPLING_DELAY_RANGE = (0.3, 3.0)
_ONSET_STEP = 0.05  # s, grid of candidate haemodynamic onsets
_HRF_SPAN = 6.0  # s after the onset that must lie in the fNIRS epoch (rise and peak)


def peak_band_power(x, *, n_bands=4, window=0.05):
    """Event-related band power: peak over median short-time power, in octave bands.

    The spectrum of each channel is cut into ``n_bands`` octave bands below the Nyquist
    frequency (at 100 Hz: 3-6, 6-12.5, 12.5-25, 25-50 Hz); each band's squared signal is
    averaged over windows of ``window`` times the trial length (half-overlapping). The
    target is the log ratio of the largest window to the median one, i.e. the strongest
    event-related synchronisation relative to the trial's own baseline [1]_, taken on the
    channel where it is largest, so that a short burst counts fully whichever hemisphere
    it appears on while ongoing rhythms and the overall signal level cancel out.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    n_bands : int, default=4
    window : float, default=0.05
        Window length as a share of the trial (0.05 of 10 s is 0.5 s, a burst's length).

    Returns
    -------
    power : torch.Tensor of shape (batch, n_bands)
    """
    length = x.shape[-1]
    spectrum = torch.fft.rfft(x, dim=-1)
    freqs = torch.linspace(0, 1, length // 2 + 1, device=x.device)  # share of Nyquist
    width = max(1, int(window * length))
    ratios = []
    for k in range(n_bands, 0, -1):
        mask = ((freqs >= 2.0**-k) & (freqs < 2.0 ** -(k - 1))).to(x.dtype)
        band = torch.fft.irfft(spectrum * mask, n=length, dim=-1) ** 2
        band = torch.log(F.avg_pool1d(band, width, stride=max(1, width // 2)) + 1e-8)
        ratios.append((band.amax(dim=2) - band.median(dim=2).values).amax(dim=1))
    return torch.stack(ratios, dim=1)


def haemodynamic_amplitude(x, *, smooth=0.05):
    """Log of the largest peak-to-peak CBSI haemodynamic signal over channel pairs.

    Channels are taken as (HbO, HbR) pairs side by side (mne's order for haemoglobin
    data). On standardised channels, ``(HbO - HbR) / 2`` keeps the anti-correlated
    functional response and cancels motion and systemic components that move both the
    same way [2]_; it is smoothed (moving average over ``smooth`` of the trial) and its
    range is taken on the most active pair.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, 2 * n_pairs, times)
    smooth : float, default=0.05
        Moving-average length as a share of the trial (0.05 of 20 s is 1 s).

    Returns
    -------
    amplitude : torch.Tensor of shape (batch, 1)
    """
    cbsi = _cbsi(x)
    width = max(1, int(smooth * x.shape[-1])) // 2 * 2 + 1
    cbsi = F.avg_pool1d(cbsi, width, stride=1, padding=width // 2, count_include_pad=False)
    span = cbsi.amax(dim=2) - cbsi.amin(dim=2)
    return torch.log(span.amax(dim=1, keepdim=True) + 1e-8)


#: Auxiliary target of each kind of modality (see :func:`skpid.nn.modality_kind`).
TARGETS = {"eeg": peak_band_power, "nirs": haemodynamic_amplitude}


def _cbsi(x):
    """(HbO - HbR) / 2 of each channel pair of ``(batch, 2 * n_pairs, times)``."""
    if x.shape[1] % 2:
        raise ValueError(
            f"fNIRS targets need (HbO, HbR) channel pairs, got {x.shape[1]} channels. Pass an "
            "even number of channels ordered HbO, HbR, HbO, HbR..."
        )
    return 0.5 * (x[:, 0::2] - x[:, 1::2])


def _times(n_times, sfreq, tmin):
    return tmin + torch.arange(n_times, dtype=torch.float64) / sfreq


def _onset_grid(eeg_t, nirs_t):
    """Candidate haemodynamic onsets (s): the rise and peak inside the fNIRS epoch, and
    :data:`COUPLING_DELAY_RANGE` after some EEG sample."""
    lo, hi = COUPLING_DELAY_RANGE
    first = max(float(nirs_t[0]), float(eeg_t[0]) + lo)
    last = min(float(nirs_t[-1]) - _HRF_SPAN, float(eeg_t[-1]) + hi)
    if last < first:
        raise ValueError(
            f"The EEG epoch ({float(eeg_t[0]):.1f} to {float(eeg_t[-1]):.1f} s) and the fNIRS "
            f"epoch ({float(nirs_t[0]):.1f} to {float(nirs_t[-1]):.1f} s) leave no room for a "
            f"haemodynamic response {lo}-{hi} s after an EEG event (rise and peak need "
            f"{_HRF_SPAN:.0f} s). Check sfreq and tmin, or lengthen the fNIRS epochs."
        )
    return torch.arange(first, last + 1e-9, _ONSET_STEP, dtype=torch.float64)


#: Singular values of the response templates below this share of the largest are dropped
#: (:func:`_response_basis`; at 1e-5, the energy left out is below 1e-9 of the total).
_BASIS_RTOL = 1e-5


@lru_cache(maxsize=32)
def _response_basis(nirs_t, onsets, hrf_scales):
    """Low-rank factors of the canonical responses starting at each onset, per stretch.

    The templates, shifted copies of a smooth response, span few dimensions (34 of 200
    for 5 stretches and 254 onsets in a 20 s epoch at 10 Hz), so their products with the
    data cost a sixth of the full ones.

    Parameters
    ----------
    nirs_t, onsets, hrf_scales : tuple of float
        Sample times (s), candidate onsets (s) and stretches.

    Returns
    -------
    basis : torch.Tensor of shape (n_times, rank)
    loadings : torch.Tensor of shape (n_scales, n_onsets, rank)
        ``loadings @ basis.T`` are the templates.
    energy : torch.Tensor of shape (n_scales, n_onsets)
        Energy of each template centred over time.
    """
    t, o = np.asarray(nirs_t), np.asarray(onsets)
    templates = np.stack([canonical_hrf(t[None] - o[:, None], peak_scale=s) for s in hrf_scales])
    energy = ((templates - templates.mean(-1, keepdims=True)) ** 2).sum(-1)
    u, sv, vt = np.linalg.svd(templates.reshape(-1, len(t)), full_matrices=False)
    rank = int(np.sum(sv > _BASIS_RTOL * sv[0]))
    loadings = (u[:, :rank] * sv[:rank]).reshape(len(hrf_scales), len(o), rank)
    return torch.as_tensor(vt[:rank].T), torch.as_tensor(loadings), torch.as_tensor(energy)


def _onset_evidence(nirs, nirs_t, onsets, hrf_scales):
    """Energy a positive canonical response starting at each onset explains, all pairs.

    The explained energy of the best positive multiple of the centred template, summed
    over channel pairs: a response covers several pairs of the active cortex, and their
    sum finds its onset where one pair alone is noisy (simulator, 2 test subjects, with
    the stretch of each trial chosen as in :func:`coupling_profile`: median absolute error
    of the onset 0.055 s, against 0.20 s on the best single pair).

    Returns a tensor of shape (batch, n_scales, n_onsets).
    """
    key = (tuple(nirs_t.tolist()), tuple(onsets.tolist()), tuple(map(float, hrf_scales)))
    basis, loadings, energy = (a.to(nirs.device, nirs.dtype) for a in _response_basis(*key))
    cbsi = _cbsi(nirs)
    # on the centred signal, the product with a template equals that with the centred
    # template; the explained energy is (amplitude * energy)**2 / energy
    product = torch.einsum("bpr,sor->bpso", (cbsi - cbsi.mean(-1, keepdim=True)) @ basis, loadings)
    return (product.clamp_min(0) ** 2).sum(1) / energy


def _event_evidence(eeg, eeg_t, eeg_sfreq, band):
    """Largest event-related log power ratio over channels, about every 0.05 s.

    The band power is the squared Hilbert envelope of the ``band``-passed signal,
    averaged over 0.25 s, as a log ratio to its median over the trial. The envelope is
    computed on a coarse grid directly: the spectrum's band, shifted down to zero
    frequency (which keeps the analytic signal's modulus), is inverted at just enough
    points not to alias the squared envelope (40 Hz for 2-15 Hz), which takes 60% of the
    time of band-passing the signal at its own rate and squaring it.

    Returns the evidence ``(batch, n_steps)`` and its times ``(n_steps,)``.
    """
    n_times = eeg.shape[-1]
    freqs = torch.fft.rfftfreq(n_times, 1.0 / eeg_sfreq)
    bins = torch.nonzero((freqs >= band[0]) & (freqs <= band[1])).squeeze(1)
    duration = n_times / eeg_sfreq
    n_steps = math.ceil(duration / _ONSET_STEP - 1e-9)
    # the squared envelope holds frequencies up to the band's width: sample it finely
    # enough not to alias them, average, then keep every ``fine``-th point
    fine = math.ceil((2 * len(bins) + 1) / n_steps)
    spectrum = torch.fft.rfft(eeg, dim=-1)[..., int(bins[0]) : int(bins[-1]) + 1]
    analytic = torch.fft.ifft(spectrum, n=n_steps * fine, dim=-1, norm="forward")
    power = (analytic.real**2 + analytic.imag**2) * (2.0 / n_times) ** 2
    width = min(n_steps * fine, max(1, round(0.25 * n_steps * fine / duration)) // 2 * 2 + 1)
    power = F.avg_pool1d(power, width, fine, padding=width // 2, count_include_pad=False)
    power = torch.log(power + 1e-8)
    ratio = (power - power.median(dim=-1, keepdim=True).values).amax(1)
    times = eeg_t[0] + torch.arange(n_steps, dtype=torch.float64) * (duration / n_steps)
    return ratio, times


def _lag_evidence(eeg, nirs, timing, hrf_scales, band):
    """EEG evidence at each delay before the haemodynamic onset found with each stretch.

    For each stretch of the response, the onset is the candidate whose response explains
    the most energy (:func:`_onset_evidence`); the row is then the z-scored EEG evidence
    (:func:`_event_evidence`) at that onset minus each lag of
    :data:`COUPLING_DELAY_RANGE`, every 0.05 s (-inf where that falls outside the EEG
    epoch).

    Returns
    -------
    rows : torch.Tensor of shape (batch, n_scales, n_lags)
    fit : torch.Tensor of shape (batch, n_scales)
        Energy explained at each stretch's onset.
    lags : torch.Tensor of shape (n_lags,), float64
    """
    eeg_t = _times(eeg.shape[-1], timing["eeg_sfreq"], timing["eeg_tmin"])
    nirs_t = _times(nirs.shape[-1], timing["nirs_sfreq"], timing["nirs_tmin"])
    onsets = _onset_grid(eeg_t, nirs_t)
    fit, best = _onset_evidence(nirs, nirs_t, onsets, hrf_scales).max(2)
    event, times = _event_evidence(eeg, eeg_t, timing["eeg_sfreq"], band)
    lo, hi = COUPLING_DELAY_RANGE
    lags = torch.arange(lo, hi + 1e-9, _ONSET_STEP, dtype=torch.float64)
    step = float(times[1] - times[0]) if len(times) > 1 else 1.0
    # evidence step nearest to each (onset - lag)
    at = torch.round((onsets[best.cpu()][..., None] - lags - float(times[0])) / step).long()
    outside = ((at < 0) | (at >= len(times))).to(eeg.device)
    at = at.clamp(0, len(times) - 1).to(eeg.device)
    rows = _zscore(event).gather(1, at.flatten(1)).view(at.shape)
    return rows.masked_fill(outside, -torch.inf), fit, lags


def coupling_delay(
    eeg,
    nirs,
    *,
    eeg_sfreq,
    nirs_sfreq,
    eeg_tmin=0.0,
    nirs_tmin=0.0,
    hrf_scale=1.0,
    band=(2.0, 15.0),
):
    """Neurovascular coupling delay: haemodynamic onset minus neural event time, in s.

    1. Onset, from fNIRS: on the centred CBSI signal of each channel pair [2]_, the
       least-squares amplitude of a canonical haemodynamic response [3]_ (time axis
       stretched by ``hrf_scale``) starting at each candidate onset (every 0.05 s, with
       the rise and peak inside the epoch); the onset is the start whose positive
       response explains the most energy, summed over pairs.
    2. Event, from EEG, searched only where a neural event could have caused that onset,
       :data:`COUPLING_DELAY_RANGE` before it: the largest event-related power, i.e. the
       squared Hilbert envelope of the ``band``-passed signal, averaged over 0.25 s and
       taken as a log ratio to the channel's median over the trial, over channels and
       times (every 0.05 s).

    The joint search keeps a spurious transient elsewhere in the EEG (a blink, a burst of
    background rhythm) from deciding. Times are in seconds from each epoch's ``tmin``;
    the two epochs must be locked to the same trial onset.

    Parameters
    ----------
    eeg : torch.Tensor of shape (batch, eeg_channels, eeg_times)
    nirs : torch.Tensor of shape (batch, 2 * n_pairs, nirs_times)
        HbO and HbR channels of each pair side by side.
    eeg_sfreq, nirs_sfreq : float
        Sampling rates (Hz).
    eeg_tmin, nirs_tmin : float, default=0.0
        Time (s) of each epoch's first sample.
    hrf_scale : float, default=1.0
        Stretch of the response's time axis (1.1 moves its peak from ~5 s to ~5.5 s);
        see :func:`fit_hrf_scale`.
    band : tuple of float, default=(2.0, 15.0)
        EEG band (Hz) of the event-related activity (evoked potential and early burst).

    Returns
    -------
    delay : torch.Tensor of shape (batch, 1)
        On the 0.05 s grid of lags.
    """
    timing = dict(
        eeg_sfreq=eeg_sfreq, nirs_sfreq=nirs_sfreq, eeg_tmin=eeg_tmin, nirs_tmin=nirs_tmin
    )
    rows, _, lags = _lag_evidence(eeg, nirs, timing, [hrf_scale], band)
    return lags.to(eeg.device)[rows[:, 0].argmax(1)][:, None].to(eeg.dtype)


def _zscore(x):
    return (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True).clamp_min(1e-6)


#: Stretches of the canonical response that :func:`coupling_profile` tries.
PROFILE_HRF_SCALES = (0.85, 0.92, 1.0, 1.08, 1.16)


def coupling_profile(
    eeg,
    nirs,
    *,
    eeg_sfreq,
    nirs_sfreq,
    eeg_tmin=0.0,
    nirs_tmin=0.0,
    hrf_scales=PROFILE_HRF_SCALES,
    band=(2.0, 15.0),
):
    """Evidence for each neurovascular delay, read from EEG and fNIRS together.

    For each stretch of the response (the latency differs between people), the
    haemodynamic onset is found in the fNIRS as in :func:`coupling_delay`, and the row is
    the EEG evidence of :func:`coupling_delay`, z-scored over the trial, at that onset
    minus each lag of :data:`COUPLING_DELAY_RANGE` (every 0.05 s; lags that reach before
    the EEG epoch get the row's lowest evidence). The peak of a row is the delay of
    :func:`coupling_delay` for its stretch; neither signal alone moves it, as the event
    time is random. A last row repeats the row of the stretch whose response explains
    the most energy of this trial's fNIRS (:func:`fit_hrf_scale` for one trial): the
    stretch is chosen per trial, as ``transform`` has no subject to fit it on.

    On the simulator (2 test subjects, logistic probe of the synergy factor on the
    delay, 5-fold CV), the peak of the last row reads 0.77; the earlier profile, the
    best joint evidence ``max_o [z_nirs(o) + z_eeg(o - L)]`` over onsets ``o`` of the
    best single pair, read 0.40 (0.56 with the onset evidence summed over pairs).

    Parameters
    ----------
    eeg, nirs, eeg_sfreq, nirs_sfreq, eeg_tmin, nirs_tmin, band
        As for :func:`coupling_delay`.
    hrf_scales : sequence of float, default=PROFILE_HRF_SCALES

    Returns
    -------
    profile : torch.Tensor of shape (batch, len(hrf_scales) + 1, n_lags)
    """
    timing = dict(
        eeg_sfreq=eeg_sfreq, nirs_sfreq=nirs_sfreq, eeg_tmin=eeg_tmin, nirs_tmin=nirs_tmin
    )
    rows, fit, _ = _lag_evidence(eeg, nirs, timing, hrf_scales, band)
    floor = rows.masked_fill(rows.isinf(), torch.inf).amin(2, keepdim=True)
    rows = torch.where(rows.isinf(), floor, rows)
    best = rows[torch.arange(len(rows)), fit.argmax(1)]
    return torch.cat([rows, best[:, None]], 1).to(eeg.dtype)


def fit_hrf_scale(nirs, *, nirs_sfreq, nirs_tmin=0.0, eeg_span=None, scales=None):
    """Stretch of the canonical response that best fits a set of trials.

    The haemodynamic response's latency differs between people by ~10% [3]_; a fixed
    template shifts every onset of a slow subject by up to half a second, more than the
    differences of delay that matter. Each candidate stretch is scored by the mean over
    trials of the energy its best onset explains.

    Parameters
    ----------
    nirs : torch.Tensor of shape (batch, 2 * n_pairs, nirs_times)
        Trials of one subject.
    nirs_sfreq, nirs_tmin : float
        Sampling rate (Hz) and first sample time (s) of the fNIRS epochs.
    eeg_span : tuple of float or None
        ``(first, last)`` EEG sample times (s), which bound the candidate onsets as in
        :func:`coupling_delay`; None puts no bound.
    scales : array-like or None
        Candidates; None is 0.8 to 1.25 in steps of 0.02.

    Returns
    -------
    scale : float
    """
    scales = np.arange(0.8, 1.2501, 0.02) if scales is None else np.asarray(scales)
    nirs_t = _times(nirs.shape[-1], nirs_sfreq, nirs_tmin)
    eeg_t = torch.tensor(eeg_span if eeg_span is not None else (-np.inf, np.inf))
    onsets = _onset_grid(eeg_t, nirs_t)
    scores = _onset_evidence(nirs, nirs_t, onsets, scales).amax(2).mean(0)
    return float(scales[int(scores.argmax())])


def _in_batches(fn, arrays, batch_size):
    with torch.no_grad():
        parts = [
            fn(*(torch.as_tensor(x[i : i + batch_size]) for x in arrays)).numpy()
            for i in range(0, len(arrays[0]), batch_size)
        ]
    return np.concatenate(parts).astype(np.float32)


def compute_target(kind, x, batch_size=256):
    """Auxiliary target of kind ``kind`` for every trial of a float32 array, in batches.

    Parameters
    ----------
    kind : str
        A key of :data:`TARGETS`.
    x : ndarray of shape (n_trials, channels, times)

    Returns
    -------
    target : ndarray of shape (n_trials, n_target_features), float32
    """
    return _in_batches(TARGETS[kind], [x], batch_size)


def compute_coupling_delay(eeg, nirs, timing, groups=None, batch_size=256, max_fit_trials=64):
    """:func:`coupling_delay` of every trial of two float32 arrays, in batches.

    The response's stretch is fitted (:func:`fit_hrf_scale`) for each group of trials
    (e.g. each subject), on at most ``max_fit_trials`` of them, or once for all trials
    when ``groups`` is None.

    Parameters
    ----------
    eeg : ndarray of shape (n_trials, eeg_channels, eeg_times)
    nirs : ndarray of shape (n_trials, 2 * n_pairs, nirs_times)
    timing : dict
        ``eeg_sfreq``, ``nirs_sfreq`` and optionally ``eeg_tmin``, ``nirs_tmin`` (see
        :func:`coupling_delay`).
    groups : array-like of shape (n_trials,) or None

    Returns
    -------
    delay : ndarray of shape (n_trials, 1), float32
    """
    groups = np.zeros(len(eeg)) if groups is None else np.asarray(groups)
    eeg_t = _times(eeg.shape[-1], timing["eeg_sfreq"], timing.get("eeg_tmin", 0.0))
    delay = np.empty((len(eeg), 1), dtype=np.float32)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        with torch.no_grad():
            scale = fit_hrf_scale(
                torch.as_tensor(nirs[rows[:max_fit_trials]]),
                nirs_sfreq=timing["nirs_sfreq"],
                nirs_tmin=timing.get("nirs_tmin", 0.0),
                eeg_span=(float(eeg_t[0]), float(eeg_t[-1])),
            )
        delay[rows] = _in_batches(
            lambda e, n, s=scale: coupling_delay(e, n, hrf_scale=s, **timing),
            [eeg[rows], nirs[rows]],
            batch_size,
        )
    return delay


def compute_coupling_profile(eeg, nirs, timing, batch_size=256):
    """:func:`coupling_profile` of every trial of two float32 arrays, in batches.

    Returns
    -------
    profile : ndarray of shape (n_trials, len(PROFILE_HRF_SCALES) + 1, n_lags), float32
    """
    return _in_batches(lambda e, n: coupling_profile(e, n, **timing), [eeg, nirs], batch_size)
