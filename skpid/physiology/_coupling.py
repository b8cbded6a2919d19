"""Neurovascular coupling: the delay from a neural event to its haemodynamic response.

The EEG times the neural event, the fNIRS the onset of the haemodynamic response; when
events happen at random times within trials, neither signal alone holds the delay.

References
----------
.. [1] Aguirre, Zarahn and D'Esposito, "The variability of human, BOLD hemodynamic
   responses", NeuroImage 8(4), 1998, and Handwerker, Ollinger and D'Esposito, "Variation
   of BOLD hemodynamic responses across subjects and brain regions and their effects on
   statistical analyses", NeuroImage 21(4), 2004: the response's latency and time to
   peak differ between people (by seconds at the extremes), far more than between
   sessions of one person, and between regions.
.. [2] Menon, Luknowsky and Gati, "Mental chronometry using latency-resolved functional
   MRI", PNAS 95(18), 1998, and Buxton, Uludag, Dubowitz and Liu, "Modeling the
   hemodynamic response to brain activation", NeuroImage 23(S1), 2004: the vascular
   response starts within one to a few seconds of the neural activity.
"""

import numpy as np

from ._bands import _check_sfreq
from ._checks import check_direction, check_epochs, check_positive, check_range, check_real
from ._events import eeg_event_evidence
from ._haemodynamics import (
    ONSET_STEP,
    _check_stretches,
    _freeze,
    _onset_energy,
    _signal,
    hrf_peak_time,
)
from ._hrf import _check_model

__all__ = [
    "COUPLING_DELAY_RANGE",
    "FIT_STRETCHES",
    "PROFILE_STRETCHES",
    "coupling_delay",
    "coupling_profile",
    "fit_hrf_stretch",
]

#: Shortest and longest delay (s) from a neural event to the start (time zero) of its
#: response model that the coupling functions consider [2]_. The lower bound keeps a
#: response from being explained by an event that follows or coincides with it.
COUPLING_DELAY_RANGE = (0.3, 3.0)

#: Stretches of the response model that :func:`coupling_profile` tries: times to peak of
#: 4 to 6 s for the SPM model (5 s at 1.0), the bulk of the spread between people [1]_.
PROFILE_STRETCHES = (0.8, 0.9, 1.0, 1.1, 1.2)

#: Candidates of :func:`fit_hrf_stretch`: 0.6 to 1.4 every 0.02, times to peak of 3 to
#: 7 s for the SPM model, the extremes reported between people [1]_.
FIT_STRETCHES = tuple(np.round(np.arange(0.6, 1.4001, 0.02), 2).tolist())


def _timing(eeg_sfreq, nirs_sfreq, eeg_tmin, nirs_tmin):
    return (
        _check_sfreq(eeg_sfreq, "eeg_sfreq"),
        _check_sfreq(nirs_sfreq, "nirs_sfreq"),
        check_real("eeg_tmin", eeg_tmin),
        check_real("nirs_tmin", nirs_tmin),
    )


def _onset_grid(eeg_span, nirs_span, delay_range, span, step):
    """Candidate onsets (s): the response's rise and peak (``span`` s) inside the fNIRS
    epoch, and ``delay_range`` after some EEG time."""
    lo, hi = delay_range
    first = max(nirs_span[0], eeg_span[0] + lo)
    last = min(nirs_span[1] - span, eeg_span[1] + hi)
    if last < first:
        raise ValueError(
            f"The EEG epoch ({eeg_span[0]:.1f} to {eeg_span[1]:.1f} s) and the fNIRS epoch "
            f"({nirs_span[0]:.1f} to {nirs_span[1]:.1f} s) leave no room for a haemodynamic "
            f"response {lo:g}-{hi:g} s after an EEG event (its rise and peak need {span:.1f} s "
            "inside the fNIRS epoch). Check the sampling rates and tmin, or lengthen the fNIRS "
            "epochs."
        )
    return np.arange(first, last + 1e-9, step)


def _check_pairs(eeg, hbo, hbr):
    eeg = check_epochs(eeg, "eeg")
    signal = _signal(hbo, hbr, "hbo" if hbr is None else "cbsi")
    if len(eeg) != len(signal):
        raise ValueError(
            f"eeg has {len(eeg)} trials but the fNIRS {len(signal)}; pass the same trials."
        )
    return eeg, signal


def _zscore(x):
    sd = x.std(-1, keepdims=True)
    return (x - x.mean(-1, keepdims=True)) / np.maximum(sd, 1e-6)


def _lag_evidence(eeg, signal, timing, model, stretches, delay_range, band, step, direction):
    """EEG evidence at each lag before the onset found with each stretch.

    For each stretch, the onset is the candidate whose response explains the most energy
    of ``signal`` (summed over channels); the row is then the z-scored EEG evidence
    (:func:`eeg_event_evidence`) at that onset minus each lag of ``delay_range``, every
    ``step`` s (-inf where that falls outside the EEG epoch).

    Returns rows ``(n_trials, n_stretches, n_lags)``, the energy explained at each
    stretch's onset ``(n_trials, n_stretches)`` and the lags ``(n_lags,)``.
    """
    eeg_sfreq, nirs_sfreq, eeg_tmin, nirs_tmin = timing
    eeg_span = (eeg_tmin, eeg_tmin + (eeg.shape[-1] - 1) / eeg_sfreq)
    nirs_span = (nirs_tmin, nirs_tmin + (signal.shape[-1] - 1) / nirs_sfreq)
    onsets = _onset_grid(eeg_span, nirs_span, delay_range, hrf_peak_time(model) + 1.0, step)
    energy = _onset_energy(
        signal,
        nirs_sfreq,
        nirs_tmin,
        tuple(onsets.tolist()),
        model,
        stretches,
        (),
        False,
        "positive",
    )
    best = energy.argmax(2)
    fit = np.take_along_axis(energy, best[..., None], 2)[..., 0]
    event, times = eeg_event_evidence(
        eeg, eeg_sfreq, band=band, tmin=eeg_tmin, step=step, window=0.25, direction=direction
    )
    lo, hi = delay_range
    lags = np.arange(lo, hi + 1e-9, step)
    dt = times[1] - times[0] if len(times) > 1 else 1.0
    at = np.round((onsets[best][..., None] - lags - times[0]) / dt).astype(int)
    outside = (at < 0) | (at >= len(times))
    at = np.clip(at, 0, len(times) - 1)
    z = _zscore(event)
    rows = np.take_along_axis(z, at.reshape(len(z), -1), 1).reshape(at.shape)
    return np.where(outside, -np.inf, rows), fit, lags


def _common(
    eeg, hbo, hbr, eeg_sfreq, nirs_sfreq, eeg_tmin, nirs_tmin, model, delay_range, band, step
):
    timing = _timing(eeg_sfreq, nirs_sfreq, eeg_tmin, nirs_tmin)
    _check_model(model)
    delay_range = check_range("delay_range", delay_range, lower=0.0)
    step = check_positive("step", step)
    eeg, signal = _check_pairs(eeg, hbo, hbr)
    return timing, delay_range, step, eeg, signal


def coupling_profile(
    eeg,
    hbo,
    hbr,
    *,
    eeg_sfreq,
    nirs_sfreq,
    eeg_tmin=0.0,
    nirs_tmin=0.0,
    model="spm",
    stretches=None,
    delay_range=COUPLING_DELAY_RANGE,
    band=(2.0, 15.0),
    step=ONSET_STEP,
    direction="both",
):
    """Evidence for each neurovascular delay, read from EEG and fNIRS together.

    1. Onset, from fNIRS: on the CBSI signal of each pair (:func:`cbsi`; HbO alone when
       ``hbr`` is None), the least-squares amplitude of the response ``model``, stretched
       by each of ``stretches``, starting at each candidate onset (every ``step`` s, with
       the rise and peak inside the epoch and ``delay_range`` after some EEG time); the
       onset is the start whose positive response explains the most energy, summed over
       pairs (:func:`haemodynamic_onset_evidence`).
    2. Event, from EEG, searched only where a neural event could have caused that onset:
       the row of a stretch is the EEG evidence (:func:`eeg_event_evidence` in ``band``,
       0.25-s windows, z-scored over the trial) at the onset minus each lag of
       ``delay_range``, every ``step`` s. Lags that reach before the EEG epoch get the
       row's lowest evidence.

    A last row repeats the row of the stretch whose response explains the most energy of
    the trial's fNIRS (the response's latency differs between people [1]_; per trial,
    as there may be no subject to fit it on; see :func:`fit_hrf_stretch` for a set of
    trials). The peak of a row is the delay of :func:`coupling_delay` for its stretch.
    Times are seconds from each epoch's ``tmin``; both epochs must be locked to the same
    trial onset.

    Parameters
    ----------
    eeg : ndarray of shape (n_trials, n_eeg_channels, n_eeg_times)
    hbo : ndarray of shape (n_trials, n_pairs, n_nirs_times)
    hbr : ndarray of shape (n_trials, n_pairs, n_nirs_times) or None
        Matched to ``hbo`` pair by pair (:func:`pair_haemoglobin`).
    eeg_sfreq, nirs_sfreq : float
        Sampling rates (Hz).
    eeg_tmin, nirs_tmin : float, default=0.0
        Time (s) of each epoch's first sample.
    model : {"spm", "glover", "gamma"}, default="spm"
        Response model (:data:`HRF_MODELS`); the delay is measured to its time zero.
    stretches : sequence of float or None, default=None
        None is :data:`PROFILE_STRETCHES`.
    delay_range : (float, float), default=COUPLING_DELAY_RANGE
        Delays (s) considered.
    band : (float, float), default=(2.0, 15.0)
        EEG band (Hz) of the event-related activity.
    step : float, default=0.05
        Spacing (s) of the candidate onsets and lags.
    direction : {"both", "increase", "decrease"}, default="both"
        Event-related power change that marks the event (:func:`eeg_event_evidence`).

    Returns
    -------
    profile : ndarray of shape (n_trials, n_stretches + 1, n_lags)
        Lags ``delay_range[0], delay_range[0] + step, ...`` up to ``delay_range[1]``.
    """
    timing, delay_range, step, eeg, signal = _common(
        eeg,
        hbo,
        hbr,
        eeg_sfreq,
        nirs_sfreq,
        eeg_tmin,
        nirs_tmin,
        model,
        delay_range,
        band,
        step,
    )
    check_direction(direction)
    stretches = _check_stretches(PROFILE_STRETCHES if stretches is None else stretches)
    rows, fit, _ = _lag_evidence(
        eeg, signal, timing, model, stretches, delay_range, band, step, direction
    )
    finite = np.where(np.isinf(rows), np.inf, rows).min(2, keepdims=True)
    rows = np.where(np.isinf(rows), finite, rows)
    best = rows[np.arange(len(rows)), fit.argmax(1)]
    return np.concatenate([rows, best[:, None]], 1)


def coupling_delay(
    eeg,
    hbo,
    hbr,
    *,
    eeg_sfreq,
    nirs_sfreq,
    eeg_tmin=0.0,
    nirs_tmin=0.0,
    model="spm",
    stretch=1.0,
    delay_range=COUPLING_DELAY_RANGE,
    band=(2.0, 15.0),
    step=ONSET_STEP,
    direction="both",
):
    """Neurovascular coupling delay of each trial: response onset minus neural event, in s.

    The lag of largest evidence in the row of ``stretch`` of :func:`coupling_profile`
    (see there for the method and the parameters); fit ``stretch`` to a subject's trials
    with :func:`fit_hrf_stretch`.

    Returns
    -------
    delay : ndarray of shape (n_trials,)
        On the grid of lags (every ``step`` s within ``delay_range``).
    """
    timing, delay_range, step, eeg, signal = _common(
        eeg,
        hbo,
        hbr,
        eeg_sfreq,
        nirs_sfreq,
        eeg_tmin,
        nirs_tmin,
        model,
        delay_range,
        band,
        step,
    )
    check_direction(direction)
    stretch = check_positive("stretch", stretch)
    rows, _, lags = _lag_evidence(
        eeg, signal, timing, model, (stretch,), delay_range, band, step, direction
    )
    return lags[rows[:, 0].argmax(1)]


def fit_hrf_stretch(
    hbo,
    hbr=None,
    *,
    nirs_sfreq,
    nirs_tmin=0.0,
    eeg_span=None,
    model="spm",
    stretches=None,
    delay_range=COUPLING_DELAY_RANGE,
    step=ONSET_STEP,
):
    """Stretch of the response model that best fits a set of trials (e.g. one subject's).

    The response's latency differs between people far more than within one [1]_; a
    fixed template shifts every onset of a slow subject. Each candidate is scored by the
    mean over trials of the energy its best onset explains (as in
    :func:`coupling_profile`).

    Parameters
    ----------
    hbo : ndarray of shape (n_trials, n_pairs, n_times)
    hbr : ndarray of shape (n_trials, n_pairs, n_times) or None
        Matched to ``hbo``; None fits HbO alone.
    nirs_sfreq : float
    nirs_tmin : float, default=0.0
    eeg_span : (float, float) or None
        First and last EEG sample times (s), which bound the candidate onsets as in
        :func:`coupling_profile`; None puts no bound.
    model : {"spm", "glover", "gamma"}, default="spm"
    stretches : sequence of float or None
        Candidates; None is :data:`FIT_STRETCHES`.
    delay_range : (float, float), default=COUPLING_DELAY_RANGE
    step : float, default=0.05

    Returns
    -------
    stretch : float
    """
    nirs_sfreq = _check_sfreq(nirs_sfreq, "nirs_sfreq")
    nirs_tmin = check_real("nirs_tmin", nirs_tmin)
    _check_model(model)
    delay_range = check_range("delay_range", delay_range, lower=0.0)
    step = check_positive("step", step)
    stretches = _check_stretches(FIT_STRETCHES if stretches is None else stretches)
    signal = _signal(hbo, hbr, "hbo" if hbr is None else "cbsi")
    span = (-np.inf, np.inf) if eeg_span is None else check_range("eeg_span", eeg_span)
    nirs_span = (nirs_tmin, nirs_tmin + (signal.shape[-1] - 1) / nirs_sfreq)
    onsets = _onset_grid(span, nirs_span, delay_range, hrf_peak_time(model) + 1.0, step)
    energy = _onset_energy(
        signal,
        nirs_sfreq,
        nirs_tmin,
        tuple(onsets.tolist()),
        model,
        stretches,
        _freeze(None),
        False,
        "positive",
    )
    return float(stretches[int(energy.max(2).mean(0).argmax())])
